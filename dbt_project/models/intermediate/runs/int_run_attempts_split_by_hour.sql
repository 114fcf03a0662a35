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

busy_hours as (

    select
        *,
        {{ hours_touched('busy_from_at', 'busy_to_at') }} as hour_start_at

    from busy_intervals

),

split as (

    select
        run_id,
        attempt,
        hour_start_at,
        customer_id,
        worker_pool,
        {{ dbt.datediff(
            'greatest(busy_from_at, hour_start_at)',
            'least(busy_to_at, ' ~ dbt.dateadd('hour', 1, 'hour_start_at') ~ ')',
            'millisecond'
        ) }} / 1000.0 as busy_seconds,
        _loaded_at

    from busy_hours

)

select * from split
