-- One row per worker pool: the worker_pools seed (instance type, size, list price, warm nodes)
-- and every pool seen in runs or tagged in the bill.
with

worker_pools as (

    select * from {{ ref('worker_pools') }}

),

run_attempts as (

    select * from {{ ref('int_run_attempts_deduplicated') }}

),

focus_costs_daily as (

    select * from {{ ref('int_focus_costs_daily') }}

),

pool_keys as (

    select worker_pool from worker_pools
    union
    select worker_pool from run_attempts
    where worker_pool is not null
    union
    select worker_pool from focus_costs_daily
    where worker_pool is not null

),

run_pools as (

    select
        worker_pool,
        max(instance_type) as instance_type,
        count(*) as run_attempts

    from run_attempts
    where worker_pool is not null
    group by worker_pool

),

final as (

    select
        ----------  ids
        pool_keys.worker_pool,

        ---------- strings
        coalesce(worker_pools.instance_type, run_pools.instance_type) as instance_type,
        worker_pools.description,

        ---------- numerics
        cast(worker_pools.vcpus as {{ dbt.type_int() }}) as vcpus,
        cast(worker_pools.memory_gib as {{ dbt.type_int() }}) as memory_gib,
        cast(worker_pools.hourly_list_usd as {{ money_type() }}) as hourly_list_usd,
        cast(worker_pools.min_nodes as {{ dbt.type_int() }}) as min_nodes,
        cast(coalesce(run_pools.run_attempts, 0) as {{ dbt.type_bigint() }}) as run_attempts,

        ---------- booleans
        worker_pools.worker_pool is not null as is_in_seed

    from pool_keys
    left join worker_pools
        on pool_keys.worker_pool = worker_pools.worker_pool
    left join run_pools
        on pool_keys.worker_pool = run_pools.worker_pool

)

select * from final
