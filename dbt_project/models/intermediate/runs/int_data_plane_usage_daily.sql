-- Worker time per day, worker pool and run: the usage driver of the data-plane allocation.
with

attempt_days as (

    select * from {{ ref('int_run_attempts_split_by_day') }}

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
    where worker_pool is not null and busy_seconds > 0
    group by usage_date, worker_pool, run_id

)

select * from usage
