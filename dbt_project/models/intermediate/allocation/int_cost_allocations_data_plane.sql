{{ config(**incremental_by_input_days('cost_date')) }}
-- Data-plane cost per run, usage-based (as OpenCost): each worker pool-day's cost is priced
-- per provisioned instance-second (FOCUS ConsumedQuantity in hours), runs are charged for the
-- seconds their attempts held a worker, and the capacity nobody used is an explicit idle row
-- per pool-day (cost object `idle`, id = the pool). When the bill does not say how much was
-- provisioned, or the runs used more than it says, the whole pool-day cost goes to the runs.
-- With the var `share_idle_cost` (default false) the idle cost is shared out over the pool-day's
-- runs in proportion to their usage instead (component data_plane_idle); a pool-day without
-- runs keeps its idle row either way.
{%- set share_idle = var('share_idle_cost', false) in [true, 'true', 'True'] %}
{%- set share_idle_cost = 'true' if share_idle else 'false' %}
-- Incremental by day: a refresh recomputes the days whose inputs changed (input_digests.sql).
{%- set inputs = daily_inputs('int_cost_allocations_data_plane') %}
{%- set days = changed_input_days(inputs) %}
with

cost_pools as (

    select * from {{ daily_input(inputs, 'pools', days) }}

),

usage as (

    select * from {{ daily_input(inputs, 'usage', days) }}

),

pool_day_usage as (

    select
        usage_date,
        worker_pool,
        sum(busy_seconds) as used_seconds

    from usage
    group by usage_date, worker_pool

),

pool_days as (

    select
        cost_pools.*,
        coalesce(pool_day_usage.used_seconds, 0) as used_seconds,
        sum(cost_pools.provisioned_seconds) over (
            partition by cost_pools.cost_date, cost_pools.cost_pool
        ) as pool_day_provisioned_seconds

    from cost_pools
    left join pool_day_usage
        on
            cost_pools.cost_date = pool_day_usage.usage_date
            and cost_pools.cost_pool = pool_day_usage.worker_pool

),

used_and_idle as (

    select
        *,
        case
            when used_seconds <= 0 then 0.0
            when pool_day_provisioned_seconds is null or pool_day_provisioned_seconds <= 0 then 1.0
            when used_seconds >= pool_day_provisioned_seconds then 1.0
            else used_seconds / pool_day_provisioned_seconds
        end as used_fraction

    from pool_days

),

split_costs as (

    select
        *,
        cast(effective_cost * used_fraction as {{ money_type() }}) as used_effective_cost,
        cast(billed_cost * used_fraction as {{ money_type() }}) as used_billed_cost

    from used_and_idle

),

pool_costs as (

    select
        *,
        effective_cost - used_effective_cost as idle_effective_cost,
        billed_cost - used_billed_cost as idle_billed_cost

    from split_costs

),

run_targets as (

    select
        pool_costs.*,
        usage.run_id as cost_object_id,
        usage.customer_id,
        usage.project_id,
        usage.busy_seconds as weight

    from pool_costs
    inner join usage
        on
            pool_costs.cost_date = usage.usage_date
            and pool_costs.cost_pool = usage.worker_pool
    where pool_costs.used_fraction > 0

),

runs_used as (

    {{ allocate_proportionally(
        'run_targets',
        ['cost_date', 'cost_component', 'cost_pool', 'cost_class', 'billing_currency'],
        'weight',
        ['used_effective_cost', 'used_billed_cost'],
        'cost_object_id'
    ) }}

),

runs_idle_share as (

    {{ allocate_proportionally(
        'run_targets',
        ['cost_date', 'cost_component', 'cost_pool', 'cost_class', 'billing_currency'],
        'weight',
        ['idle_effective_cost', 'idle_billed_cost'],
        'cost_object_id'
    ) }}

),

used_rows as (

    select
        cost_date,
        cost_component,
        cost_pool,
        cost_class,
        billing_currency,
        usd_per_unit,
        'run' as cost_object_type,
        cost_object_id,
        customer_id,
        project_id,
        'usage_instance_seconds' as allocation_method,
        false as is_estimated,
        weight as driver_quantity,
        allocated_used_effective_cost as allocated_effective_cost,
        allocated_used_billed_cost as allocated_billed_cost

    from runs_used

),

idle_shared_rows as (

    -- share_idle_cost: the idle cost of a used pool-day goes to its runs, by usage
    select
        cost_date,
        'data_plane_idle' as cost_component,
        cost_pool,
        cost_class,
        billing_currency,
        usd_per_unit,
        'run' as cost_object_type,
        cost_object_id,
        customer_id,
        project_id,
        'idle_shared_by_usage' as allocation_method,
        false as is_estimated,
        weight as driver_quantity,
        allocated_idle_effective_cost as allocated_effective_cost,
        allocated_idle_billed_cost as allocated_billed_cost

    from runs_idle_share
    where
        {{ share_idle_cost }}
        and (idle_effective_cost != 0 or idle_billed_cost != 0)

),

idle_rows as (

    -- with share_idle_cost, only the idle cost no run can take: the pool was not used that day
    select
        cost_date,
        cost_component,
        cost_pool,
        cost_class,
        billing_currency,
        usd_per_unit,
        'idle' as cost_object_type,
        cost_pool as cost_object_id,
        '__idle__' as customer_id,
        cast(null as {{ dbt.type_string() }}) as project_id,
        'idle_capacity' as allocation_method,
        false as is_estimated,
        cast(null as {{ type_double() }}) as driver_quantity,
        idle_effective_cost as allocated_effective_cost,
        idle_billed_cost as allocated_billed_cost

    from pool_costs
    where
        used_fraction = 0
        or (not {{ share_idle_cost }} and (idle_effective_cost != 0 or idle_billed_cost != 0))

),

allocations as (

    select * from used_rows
    union all
    select * from idle_shared_rows
    union all
    select * from idle_rows

)

-- stored in day order (dbt_project/README.md: a refresh touches the newest row groups)
select * from allocations
order by cost_date
