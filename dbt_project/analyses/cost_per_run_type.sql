-- Cost per run type per day (sessions and the platform rows included, so the day adds up).
select
    cost_date,
    run_type,
    sum(total_cost_usd) as total_cost_usd
from {{ ref('cost_daily') }}
group by cost_date, run_type
order by cost_date, total_cost_usd desc
