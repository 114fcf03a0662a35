-- Cost per customer and month, AI versus infrastructure, against the budget.
select
    month_start_date,
    customer_id,
    sum(total_cost_usd) as total_cost_usd,
    sum(case when is_ai_cost then total_cost_usd else 0 end) as ai_cost_usd,
    sum(case when not is_ai_cost then total_cost_usd else 0 end) as infrastructure_cost_usd,
    max(customer_budget_usd) as budget_usd,
    max(customer_budget_consumed_share) as budget_consumed_share
from {{ ref('cost_monthly') }}
group by month_start_date, customer_id
order by month_start_date, total_cost_usd desc
