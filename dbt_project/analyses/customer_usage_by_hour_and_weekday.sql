-- When customers run: runs by ISO day of week x UTC hour of day.
select
    customer_id,
    iso_day_of_week,
    hour_of_day,
    runs,
    interactive_sessions,
    share_of_customer_runs
from {{ ref('customer_usage_patterns') }}
order by customer_id, iso_day_of_week, hour_of_day
