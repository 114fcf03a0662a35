{{ config(**incremental_by_input_days('change_date')) }}
-- Code modified by the agents per UTC day, customer, repository and team: files and lines
-- modified, files read, commits and pull requests from the droid.* metrics (cumulative series
-- counted once), and files created, edited and deleted from the agents' tool calls (create_file,
-- edit_file / apply_patch, delete_file). The telemetry does not split modified lines into added
-- and deleted ones. Telemetry without a repository or team counts under '(none)'.
-- Incremental by day: a refresh recomputes the days whose metric points or file tool calls
-- changed (input_digests.sql).
{%- set inputs = daily_inputs('fct_code_changes') %}
{%- set days = changed_input_days(inputs) %}
with

-- the deltas of the five code and git metrics
metric_deltas as (

    select * from {{ daily_input(inputs, 'metric_points', days) }}

),

-- the successful tool calls
tool_calls as (

    select * from {{ daily_input(inputs, 'file_tool_calls', days) }}

),

metric_changes as (

    select
        point_date as change_date,
        customer_id,
        coalesce(repository_name, '(none)') as repository_name,
        coalesce(team_name, '(none)') as team_name,
        sum(case when metric_name = 'droid.code.files_modified' then delta_value else 0 end)
            as files_modified,
        sum(case when metric_name = 'droid.code.lines_modified' then delta_value else 0 end)
            as lines_modified,
        sum(case when metric_name = 'droid.code.files_read' then delta_value else 0 end)
            as files_read,
        sum(case when metric_name = 'droid.git.commits' then delta_value else 0 end) as commits,
        sum(case when metric_name = 'droid.git.pull_requests' then delta_value else 0 end)
            as pull_requests,
        count(distinct session_id) as sessions

    from metric_deltas
    group by
        point_date,
        customer_id,
        coalesce(repository_name, '(none)'),
        coalesce(team_name, '(none)')

),

file_tool_calls as (

    select
        cast(start_at as date) as change_date,
        customer_id,
        coalesce(repository_name, '(none)') as repository_name,
        coalesce(team_name, '(none)') as team_name,
        sum(case when tool_name = 'create_file' then 1 else 0 end) as files_created,
        sum(case when tool_name in ('edit_file', 'apply_patch') then 1 else 0 end)
            as file_edits,
        sum(case when tool_name = 'delete_file' then 1 else 0 end) as files_deleted

    from tool_calls
    group by
        cast(start_at as date),
        customer_id,
        coalesce(repository_name, '(none)'),
        coalesce(team_name, '(none)')

),

keys as (

    select
        change_date,
        customer_id,
        repository_name,
        team_name
    from metric_changes
    union
    select
        change_date,
        customer_id,
        repository_name,
        team_name
    from file_tool_calls

),

final as (

    select
        ----------  ids
        {{ generate_surrogate_key([
            'keys.change_date', 'keys.customer_id', 'keys.repository_name', 'keys.team_name'
        ]) }} as code_change_id,
        keys.customer_id,

        ---------- strings
        keys.repository_name,
        keys.team_name,

        ---------- numerics
        cast(coalesce(metric_changes.files_modified, 0) as {{ dbt.type_bigint() }})
            as files_modified,
        cast(coalesce(metric_changes.lines_modified, 0) as {{ dbt.type_bigint() }})
            as lines_modified,
        cast(coalesce(metric_changes.files_read, 0) as {{ dbt.type_bigint() }}) as files_read,
        cast(coalesce(file_tool_calls.files_created, 0) as {{ dbt.type_bigint() }})
            as files_created,
        cast(coalesce(file_tool_calls.file_edits, 0) as {{ dbt.type_bigint() }}) as file_edits,
        cast(coalesce(file_tool_calls.files_deleted, 0) as {{ dbt.type_bigint() }})
            as files_deleted,
        cast(coalesce(metric_changes.commits, 0) as {{ dbt.type_bigint() }}) as commits,
        cast(coalesce(metric_changes.pull_requests, 0) as {{ dbt.type_bigint() }})
            as pull_requests,
        cast(coalesce(metric_changes.sessions, 0) as {{ dbt.type_bigint() }}) as sessions,

        ---------- dates
        keys.change_date

    from keys
    left join metric_changes
        on
            keys.change_date = metric_changes.change_date
            and keys.customer_id = metric_changes.customer_id
            and keys.repository_name = metric_changes.repository_name
            and keys.team_name = metric_changes.team_name
    left join file_tool_calls
        on
            keys.change_date = file_tool_calls.change_date
            and keys.customer_id = file_tool_calls.customer_id
            and keys.repository_name = file_tool_calls.repository_name
            and keys.team_name = file_tool_calls.team_name

)

-- stored in day order (dbt_project/README.md: a refresh touches the newest row groups)
select * from final
order by change_date
