-- The monthly customer report of the newest month.
select *
from {{ ref('customer_monthly_report') }}
where month_start_date = (select max(month_start_date) from {{ ref('customer_monthly_report') }})
order by total_cost_usd desc
