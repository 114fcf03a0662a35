-- Every dollar reconciles: per day, allocated + idle + unallocated versus the FOCUS bill.
with

allocated as (

    select
        cost_date,
        sum(case when is_allocated then effective_cost else 0 end) as allocated_cost,
        sum(case when cost_object_type = 'idle' then effective_cost else 0 end) as idle_cost,
        sum(case when cost_object_type = 'unallocated' then effective_cost else 0 end)
            as unallocated_cost,
        sum(effective_cost) as total_cost
    from {{ ref('fct_cost_allocations') }}
    group by cost_date

),

billed as (

    select
        cost_date,
        sum(effective_cost) as focus_cost
    from {{ ref('fct_infra_costs') }}
    group by cost_date

)

select
    billed.cost_date,
    billed.focus_cost,
    allocated.allocated_cost,
    allocated.idle_cost,
    allocated.unallocated_cost,
    allocated.total_cost - billed.focus_cost as difference
from billed
left join allocated on billed.cost_date = allocated.cost_date
order by billed.cost_date
