-- AI versus infrastructure cost per month, and the part of AI cost still estimated.
select
    month_start_date,
    sum(case when is_ai_cost then total_cost_usd else 0 end) as ai_cost_usd,
    sum(case when is_ai_cost then 0 else total_cost_usd end) as infrastructure_cost_usd,
    sum(estimated_cost_usd) as not_yet_invoiced_usd
from {{ ref('cost_monthly') }}
group by month_start_date
order by month_start_date
