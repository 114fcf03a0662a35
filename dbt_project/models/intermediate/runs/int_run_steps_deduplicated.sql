{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_changed_run_attempts() }}"
) }}
-- The steps of each run attempt as its winning snapshot (int_run_attempts_deduplicated) lists
-- them. Incremental: only the attempts with a newly loaded winning snapshot
-- (changed_run_attempts).
{%- set changed_attempts = changed_run_attempts_filter() %}
with

run_attempts as (

    select * from {{ ref('int_run_attempts_deduplicated') }}
    where {{ changed_attempts }}

),

run_steps as (

    select * from {{ ref('stg_factory__run_steps') }}
    where {{ changed_attempts }}

),

winning_snapshot_steps as (

    select run_steps.*
    from run_steps
    inner join run_attempts
        on
            run_steps._file_sha256 = run_attempts._file_sha256
            and run_steps._line_number = run_attempts._line_number
            and run_steps.run_id = run_attempts.run_id
            and run_steps.attempt = run_attempts.attempt

),

distinct_steps as (

    {{ deduplicate(
        'winning_snapshot_steps',
        'run_id, attempt, job_id, step_id',
        'started_at, step_name',
        repeats_are_rare=true
    ) }}

)

select * from distinct_steps
