-- What a run costs: average and distribution per run type.
select
    run_type,
    count(*) as runs,
    avg(total_cost_usd) as avg_cost_usd,
    {{ percentile_cont('total_cost_usd', 0.5) }} as p50_cost_usd,
    {{ percentile_cont('total_cost_usd', 0.9) }} as p90_cost_usd,
    {{ percentile_cont('total_cost_usd', 0.99) }} as p99_cost_usd,
    max(total_cost_usd) as max_cost_usd
from {{ ref('run_costs') }}
group by run_type
order by avg_cost_usd desc
