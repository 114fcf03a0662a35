-- Month-over-month change of success rate, duration, cost and volume per customer.
select
    period_start_date as month_start_date,
    customer_id,
    runs,
    runs_change,
    success_rate,
    success_rate_change,
    duration_p50_change,
    total_cost_usd,
    total_cost_change
from {{ ref('kpi_trends_monthly') }}
order by month_start_date, customer_id
