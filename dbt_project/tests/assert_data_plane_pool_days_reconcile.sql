-- Invariant: for every worker pool-day, what its runs pay + its idle row = its FOCUS cost
-- (effective and billed), to the cent. Returns the offending pool-days.
{{ config(tags=['reconciliation']) }}

with

pool_days as (

    select
        cost_date,
        worker_pool,
        billing_currency,
        sum(effective_cost) as focus_effective_cost,
        sum(billed_cost) as focus_billed_cost

    from {{ ref('fct_infra_costs') }}
    where cost_component = 'data_plane'
    group by cost_date, worker_pool, billing_currency

),

allocations as (

    select
        cost_date,
        cost_pool as worker_pool,
        billing_currency,
        sum(allocated_effective_cost) as allocated_effective_cost,
        sum(allocated_billed_cost) as allocated_billed_cost

    from {{ ref('int_cost_allocations') }}
    where cost_component in ('data_plane', 'data_plane_idle')
    group by cost_date, cost_pool, billing_currency

)

select
    pool_days.*,
    coalesce(allocations.allocated_effective_cost, 0) as allocated_effective_cost,
    coalesce(allocations.allocated_billed_cost, 0) as allocated_billed_cost

from pool_days
left join allocations
    on
        pool_days.cost_date = allocations.cost_date
        and pool_days.worker_pool = allocations.worker_pool
        and pool_days.billing_currency = allocations.billing_currency
where
    abs(coalesce(allocations.allocated_effective_cost, 0) - pool_days.focus_effective_cost)
    >= 0.005
    or abs(coalesce(allocations.allocated_billed_cost, 0) - pool_days.focus_billed_cost) >= 0.005
