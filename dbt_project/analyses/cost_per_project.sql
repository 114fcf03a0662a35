-- Cost per project and month, with runs and cost per run.
select
    month_start_date,
    customer_id,
    project_id,
    sum(total_cost_usd) as total_cost_usd,
    sum(runs) as runs,
    sum(total_cost_usd) / nullif(sum(runs), 0) as cost_per_run_usd
from {{ ref('cost_daily') }}
where project_id != '(none)'
group by month_start_date, customer_id, project_id
order by month_start_date, total_cost_usd desc
