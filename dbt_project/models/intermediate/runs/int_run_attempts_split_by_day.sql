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

days as (

    {{ date_series(
        '(select min(busy_from_at) from busy_intervals)',
        '(select max(busy_to_at) from busy_intervals)'
    ) }}

),

split as (

    select
        busy_intervals.run_id,
        busy_intervals.attempt,
        days.date_day as usage_date,
        busy_intervals.customer_id,
        busy_intervals.project_id,
        busy_intervals.worker_pool,
        {{ dbt.datediff(
            'greatest(busy_intervals.busy_from_at, cast(days.date_day as ' ~ dbt.type_timestamp() ~ '))',
            'least(busy_intervals.busy_to_at, ' ~ dbt.dateadd('day', 1, 'cast(days.date_day as ' ~ dbt.type_timestamp() ~ ')') ~ ')',
            'millisecond'
        ) }} / 1000.0 as busy_seconds,
        cast(busy_intervals.busy_from_at as date) = days.date_day as is_started_that_day,
        busy_intervals._loaded_at

    from busy_intervals
    inner join days
        on
            days.date_day >= cast(busy_intervals.busy_from_at as date)
            and days.date_day <= cast(busy_intervals.busy_to_at as date)

)

select * from split
