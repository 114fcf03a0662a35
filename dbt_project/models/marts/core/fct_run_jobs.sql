{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_changed_run_attempts() }}"
) }}
-- One row per job of a run attempt (checkout, plan, implement, test, review), as the attempt's
-- latest snapshot lists it.
-- Incremental: only the attempts with a newly loaded winning snapshot (changed_run_attempts).
{%- set changed_attempts = changed_run_attempts_filter() %}
with

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
        {{ generate_surrogate_key(['run_jobs.run_id', 'run_jobs.attempt', 'run_jobs.job_id']) }}
            as run_job_id,
        run_jobs.run_id,
        cast(run_jobs.attempt as {{ dbt.type_int() }}) as attempt,
        run_jobs.job_id,
        run_attempts.customer_id,
        run_attempts.project_id,

        ---------- strings
        run_jobs.job_name,
        run_jobs.job_status,
        run_attempts.run_type,
        run_attempts.template_name,

        ---------- numerics
        cast(run_jobs.job_duration_seconds as {{ type_double() }}) as duration_seconds,

        ---------- booleans
        coalesce(run_jobs.job_status = 'succeeded', false) as is_succeeded,

        ---------- dates
        cast(coalesce(run_jobs.started_at, run_attempts.queued_at) as date) as job_date,

        ---------- timestamps
        run_jobs.started_at,
        run_jobs.finished_at,

        ---------- lineage
        run_jobs._loaded_at

    from run_jobs
    inner join run_attempts
        on
            run_jobs.run_id = run_attempts.run_id
            and run_jobs.attempt = run_attempts.attempt

)

select * from final
