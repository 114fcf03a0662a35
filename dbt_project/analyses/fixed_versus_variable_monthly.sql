-- Fixed versus variable cost per month and component.
select
    month_start_date,
    cost_component,
    sum(fixed_cost_usd) as fixed_cost_usd,
    sum(variable_cost_usd) as variable_cost_usd
from {{ ref('cost_monthly') }}
group by month_start_date, cost_component
order by month_start_date, cost_component
