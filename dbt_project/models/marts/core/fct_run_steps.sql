{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_changed_run_attempts() }}"
) }}
-- One row per step of a job of a run attempt (clone-repository, edit-files, run-tests, ...),
-- with its job, as the attempt's latest snapshot lists it.
-- Incremental: only the attempts with a newly loaded winning snapshot (changed_run_attempts).
{%- set changed_attempts = changed_run_attempts_filter() %}
with

run_steps as (

    select * from {{ ref('int_run_steps_deduplicated') }}
    where {{ changed_attempts }}

),

run_jobs as (

    select * from {{ ref('int_run_jobs_deduplicated') }}
    where {{ changed_attempts }}

),

run_attempts as (

    select * from {{ ref('int_run_attempts_deduplicated') }}
    where {{ changed_attempts }}

),

final as (

    select
        ----------  ids
        {{ generate_surrogate_key([
            'run_steps.run_id', 'run_steps.attempt', 'run_steps.job_id', 'run_steps.step_id'
        ]) }} as run_step_id,
        run_steps.run_id,
        cast(run_steps.attempt as {{ dbt.type_int() }}) as attempt,
        run_steps.job_id,
        run_steps.step_id,
        run_attempts.customer_id,
        run_attempts.project_id,

        ---------- strings
        run_jobs.job_name,
        run_steps.step_name,
        run_steps.step_status,
        run_attempts.run_type,
        run_attempts.template_name,

        ---------- numerics
        cast(run_steps.step_duration_seconds as {{ type_double() }}) as duration_seconds,

        ---------- booleans
        coalesce(run_steps.step_status = 'succeeded', false) as is_succeeded,

        ---------- dates
        cast(coalesce(run_steps.started_at, run_attempts.queued_at) as date) as step_date,

        ---------- timestamps
        run_steps.started_at,
        run_steps.finished_at,

        ---------- lineage
        run_steps._loaded_at

    from run_steps
    inner join run_attempts
        on
            run_steps.run_id = run_attempts.run_id
            and run_steps.attempt = run_attempts.attempt
    left join run_jobs
        on
            run_steps.run_id = run_jobs.run_id
            and run_steps.attempt = run_jobs.attempt
            and run_steps.job_id = run_jobs.job_id

)

select * from final
