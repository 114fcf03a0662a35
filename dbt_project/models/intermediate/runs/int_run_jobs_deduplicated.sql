{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_changed_run_attempts() }}"
) }}
-- The jobs of each run attempt as its winning snapshot (int_run_attempts_deduplicated) lists
-- them: a job's status and times are those of the latest snapshot of its attempt.
-- Incremental: only the attempts with a newly loaded winning snapshot (changed_run_attempts).
{%- set changed_attempts = changed_run_attempts_filter() %}
with

run_attempts as (

    select * from {{ ref('int_run_attempts_deduplicated') }}
    where {{ changed_attempts }}

),

run_jobs as (

    select * from {{ ref('stg_factory__run_jobs') }}
    where {{ changed_attempts }}

),

winning_snapshot_jobs as (

    select run_jobs.*
    from run_jobs
    inner join run_attempts
        on
            run_jobs._file_sha256 = run_attempts._file_sha256
            and run_jobs._line_number = run_attempts._line_number
            and run_jobs.run_id = run_attempts.run_id
            and run_jobs.attempt = run_attempts.attempt

),

distinct_jobs as (

    {{ deduplicate(
        'winning_snapshot_jobs',
        'run_id, attempt, job_id',
        'started_at, job_name',
        repeats_are_rare=true
    ) }}

)

select * from distinct_jobs
