{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_changed_run_attempts() }}"
) }}
-- The time each started run attempt held its worker, cut at the full UTC hours: one row per
-- attempt and hour it was busy. The busy side of the capacity utilisation per pool and hour.
-- Incremental: only the attempts with a newly loaded winning snapshot (changed_run_attempts).
-- depends_on: {{ ref('int_run_attempts_deduplicated') }}  (the pre-hook's delete reads it)
with

busy_intervals as (

    select * from {{ ref('int_run_attempts_busy') }}
    where {{ changed_run_attempts_filter() }}

),

hours as (

    {{ hour_series(
        '(select min(busy_from_at) from busy_intervals)',
        '(select max(busy_to_at) from busy_intervals)'
    ) }}

),

split as (

    select
        busy_intervals.run_id,
        busy_intervals.attempt,
        hours.hour_start_at,
        busy_intervals.customer_id,
        busy_intervals.worker_pool,
        {{ dbt.datediff(
            'greatest(busy_intervals.busy_from_at, hours.hour_start_at)',
            'least(busy_intervals.busy_to_at, ' ~ dbt.dateadd('hour', 1, 'hours.hour_start_at') ~ ')',
            'millisecond'
        ) }} / 1000.0 as busy_seconds,
        busy_intervals._loaded_at

    from busy_intervals
    inner join hours
        on
            {{ dbt.date_trunc('hour', 'busy_intervals.busy_from_at') }} <= hours.hour_start_at
            and busy_intervals.busy_to_at > hours.hour_start_at

)

select * from split
