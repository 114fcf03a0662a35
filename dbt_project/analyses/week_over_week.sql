-- Week-over-week change of success rate, duration, cost and volume for the whole factory.
select
    period_start_date as week_start_date,
    runs,
    runs_change,
    success_rate,
    success_rate_change,
    duration_p50_seconds,
    duration_p50_change,
    total_cost_usd,
    total_cost_change
from {{ ref('kpi_trends_weekly') }}
where customer_id = '__all__'
order by week_start_date
