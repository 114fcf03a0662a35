{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='run_date',
    on_schema_change='append_new_columns',
    tags=['daily_partitioned'],
    pre_hook="{{ delete_partition_window('run_date', 'run_attempt_id') }}"
) }}
-- One row per run attempt (the first try and each automatic retry), from its latest snapshot.
-- Partitioned like fct_runs by run_date, the day the run was first queued, so a run and its
-- attempts are always (re)loaded together.
with

run_attempts as (

    select * from {{ ref('int_run_attempts_deduplicated') }}

),

run_dates as (

    select
        run_id,
        cast(min(queued_at) as date) as run_date

    from run_attempts
    group by run_id

),

runs_in_window as (

    select * from run_dates
    where {{ incremental_window_filter('run_date') }}

),

final as (

    select
        ----------  ids
        {{ generate_surrogate_key(['run_attempts.run_id', 'run_attempts.attempt']) }}
            as run_attempt_id,
        run_attempts.run_id,
        cast(run_attempts.attempt as {{ dbt.type_int() }}) as attempt,
        run_attempts.customer_id,
        run_attempts.project_id,

        ---------- strings
        run_attempts.run_type,
        run_attempts.template_name,
        run_attempts.trigger_type,
        run_attempts.run_status as attempt_status,
        run_attempts.worker_pool,
        run_attempts.instance_type,
        run_attempts.error_code,

        ---------- numerics
        cast(
            {{ dbt.datediff('run_attempts.queued_at', 'run_attempts.started_at', 'millisecond') }}
            / 1000.0 as {{ type_double() }}
        ) as queue_seconds,
        cast(
            {{ dbt.datediff('run_attempts.started_at', 'run_attempts.finished_at', 'millisecond') }}
            / 1000.0 as {{ type_double() }}
        ) as duration_seconds,
        cast(run_attempts.cpu_seconds as {{ type_double() }}) as cpu_seconds,
        cast(run_attempts.memory_gib_seconds as {{ type_double() }}) as memory_gib_seconds,

        ---------- booleans
        run_attempts.is_retry,
        run_attempts.is_finished,
        coalesce(run_attempts.run_status = 'succeeded', false) as is_succeeded,

        ---------- dates
        runs_in_window.run_date,
        cast(run_attempts.queued_at as date) as attempt_date,

        ---------- timestamps
        run_attempts.queued_at,
        run_attempts.started_at,
        run_attempts.finished_at,
        run_attempts.updated_at

    from run_attempts
    inner join runs_in_window
        on run_attempts.run_id = runs_in_window.run_id

)

-- stored in day order (dbt_project/README.md: a refresh touches the newest row groups)
select * from final
order by run_date
