-- One row per project: the latest reference export, plus projects that only appear in runs or
-- telemetry (their name, team and repository then come from there).
with

projects as (

    select * from {{ ref('int_projects_deduplicated') }}

),

run_attempts as (

    select * from {{ ref('int_run_attempts_deduplicated') }}

),

spans as (

    select * from {{ ref('int_spans_deduplicated') }}

),

run_projects as (

    select
        project_id,
        max(customer_id) as customer_id,
        max(run_type) as run_type,
        count(distinct run_id) as runs,
        min(queued_at) as first_run_at

    from run_attempts
    where project_id is not null
    group by project_id

),

telemetry_projects as (

    select
        project_id,
        max(customer_id) as customer_id,
        max(team_name) as team_name,
        max(repository_name) as repository_name

    from spans
    where project_id is not null
    group by project_id

),

project_ids as (

    select project_id from projects
    union
    select project_id from run_projects
    union
    select project_id from telemetry_projects

),

final as (

    select
        ----------  ids
        project_ids.project_id,
        coalesce(
            projects.customer_id, run_projects.customer_id, telemetry_projects.customer_id
        ) as customer_id,

        ---------- strings
        coalesce(projects.project_name, project_ids.project_id) as project_name,
        coalesce(projects.team_name, telemetry_projects.team_name) as team_name,
        coalesce(projects.repository_name, telemetry_projects.repository_name)
            as repository_name,
        run_projects.run_type,

        ---------- numerics
        cast(coalesce(run_projects.runs, 0) as {{ dbt.type_bigint() }}) as runs,

        ---------- booleans
        projects.project_id is not null as is_in_reference_export,

        ---------- timestamps
        projects.created_at,
        run_projects.first_run_at

    from project_ids
    left join projects
        on project_ids.project_id = projects.project_id
    left join run_projects
        on project_ids.project_id = run_projects.project_id
    left join telemetry_projects
        on project_ids.project_id = telemetry_projects.project_id

)

select * from final
