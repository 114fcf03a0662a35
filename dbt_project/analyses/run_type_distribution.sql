-- Distribution of runs over run types.
select
    run_type,
    sum(runs) as runs,
    sum(runs) * 1.0 / sum(sum(runs)) over () as share_of_runs
from {{ ref('run_performance_daily') }}
group by run_type
order by runs desc
