-- The monthly report per project of the newest month.
select *
from {{ ref('project_monthly_report') }}
where month_start_date = (select max(month_start_date) from {{ ref('project_monthly_report') }})
order by customer_id, total_cost_usd desc
