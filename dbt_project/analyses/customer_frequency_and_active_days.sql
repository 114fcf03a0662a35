-- How often customers use the factory: active days, runs per active day, users per month.
select
    month_start_date,
    customer_id,
    active_days,
    runs,
    runs_per_active_day,
    sessions,
    active_users
from {{ ref('customer_activity_monthly') }}
order by month_start_date, runs desc
