-- Invariant: for every day and billing currency, what fct_cost_allocations allocates (to runs,
-- sessions and customers) + idle + unallocated = the FOCUS effective cost of the day, and the
-- same for the billed cost, to the cent. Returns the offending days. AI estimates of
-- provider-days without an invoice are not in the bill and not in these sums.
{{ config(tags=['reconciliation']) }}

with

focus as (

    select
        cost_date,
        billing_currency,
        sum(effective_cost) as focus_effective_cost,
        sum(billed_cost) as focus_billed_cost

    from {{ ref('fct_infra_costs') }}
    group by cost_date, billing_currency

),

allocations as (

    select
        cost_date,
        billing_currency,
        sum(case when is_allocated then effective_cost else 0 end) as allocated_effective_cost,
        sum(case when cost_object_type = 'idle' then effective_cost else 0 end)
            as idle_effective_cost,
        sum(case when cost_object_type = 'unallocated' then effective_cost else 0 end)
            as unallocated_effective_cost,
        sum(effective_cost) as total_effective_cost,
        sum(billed_cost) as total_billed_cost

    from {{ ref('fct_cost_allocations') }}
    group by cost_date, billing_currency

),

compared as (

    select
        coalesce(focus.cost_date, allocations.cost_date) as cost_date,
        coalesce(focus.billing_currency, allocations.billing_currency) as billing_currency,
        coalesce(focus.focus_effective_cost, 0) as focus_effective_cost,
        coalesce(allocations.allocated_effective_cost, 0) as allocated_effective_cost,
        coalesce(allocations.idle_effective_cost, 0) as idle_effective_cost,
        coalesce(allocations.unallocated_effective_cost, 0) as unallocated_effective_cost,
        coalesce(allocations.total_effective_cost, 0)
        - coalesce(focus.focus_effective_cost, 0) as effective_cost_difference,
        coalesce(focus.focus_billed_cost, 0) as focus_billed_cost,
        coalesce(allocations.total_billed_cost, 0)
        - coalesce(focus.focus_billed_cost, 0) as billed_cost_difference

    from focus
    full outer join allocations
        on
            focus.cost_date = allocations.cost_date
            and focus.billing_currency = allocations.billing_currency

)

select * from compared
where abs(effective_cost_difference) >= 0.005 or abs(billed_cost_difference) >= 0.005
