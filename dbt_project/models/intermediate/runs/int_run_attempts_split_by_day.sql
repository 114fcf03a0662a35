{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_changed_run_attempts() }}"
) }}
-- The time each started run attempt held its worker (one instance per attempt, from start to
-- finish; until the latest snapshot while still running), cut at UTC midnights: one row per
-- attempt and day it was busy. The usage driver of the data-plane allocation.
-- Incremental: only the attempts with a newly loaded winning snapshot (changed_run_attempts).
-- depends_on: {{ ref('int_run_attempts_deduplicated') }}  (the pre-hook's delete reads it)
with

busy_intervals as (

    select * from {{ ref('int_run_attempts_busy') }}
    where {{ changed_run_attempts_filter() }}

),

busy_days as (

    select
        *,
        {{ days_touched('busy_from_at', 'busy_to_at') }} as usage_date

    from busy_intervals

),

split as (

    select
        run_id,
        attempt,
        usage_date,
        customer_id,
        project_id,
        worker_pool,
        {{ dbt.datediff(
            'greatest(busy_from_at, cast(usage_date as ' ~ dbt.type_timestamp() ~ '))',
            'least(busy_to_at, ' ~ dbt.dateadd('day', 1, 'cast(usage_date as ' ~ dbt.type_timestamp() ~ ')') ~ ')',
            'millisecond'
        ) }} / 1000.0 as busy_seconds,
        cast(busy_from_at as date) = usage_date as is_started_that_day,
        _loaded_at

    from busy_days

)

select * from split
