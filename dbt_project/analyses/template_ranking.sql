-- Templates ranked by runs, with their success rate and within-expected share.
select
    template_key,
    sum(runs) as runs,
    rank() over (order by sum(runs) desc) as popularity_rank,
    sum(succeeded_runs) * 1.0 / nullif(sum(finished_runs), 0) as success_rate,
    sum(within_expected_runs) * 1.0 / nullif(sum(runs_with_expectation), 0)
        as within_expected_share
from {{ ref('run_performance_daily') }}
group by template_key
order by runs desc
