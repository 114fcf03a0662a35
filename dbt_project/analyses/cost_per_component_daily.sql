-- Cost per component per day, idle capacity and unallocated cost included.
select
    cost_date,
    cost_component,
    sum(case when customer_id = '__idle__' then total_cost_usd else 0 end) as idle_cost_usd,
    sum(case when customer_id = '__unallocated__' then total_cost_usd else 0 end)
        as unallocated_cost_usd,
    sum(total_cost_usd) as total_cost_usd
from {{ ref('cost_daily') }}
group by cost_date, cost_component
order by cost_date, cost_component
