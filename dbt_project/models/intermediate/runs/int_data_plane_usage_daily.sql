{{ config(**incremental_by_input_days('usage_date')) }}
-- Worker time per day, worker pool and run: the usage driver of the data-plane allocation.
-- Incremental by day: a refresh recomputes the days whose attempts' worker time changed
-- (input_digests.sql).
{%- set inputs = daily_inputs('int_data_plane_usage_daily') %}
{%- set days = changed_input_days(inputs) %}
with

-- the attempts' days on a worker
attempt_days as (

    select * from {{ daily_input(inputs, 'attempt_days', days) }}

),

usage as (

    select
        usage_date,
        worker_pool,
        run_id,
        max(customer_id) as customer_id,
        max(project_id) as project_id,
        -- summed exactly: a sum of doubles changes in its last bits with the order DuckDB's
        -- threads add them, and the allocation's input digests would see a changed day
        cast(sum(cast(busy_seconds as {{ dbt.type_numeric() }})) as {{ type_double() }})
            as busy_seconds

    from attempt_days
    group by usage_date, worker_pool, run_id

)

-- stored in day order (dbt_project/README.md: a refresh touches the newest row groups)
select * from usage
order by usage_date
