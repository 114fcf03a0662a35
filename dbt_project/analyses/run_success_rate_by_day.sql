-- Run volume, success rate after automatic retries (target 95 %) and first-attempt success, per
-- day.
select
    run_date,
    sum(runs) as runs,
    sum(succeeded_runs) * 1.0 / nullif(sum(finished_runs), 0) as success_rate,
    sum(first_attempt_succeeded_runs) * 1.0 / nullif(sum(finished_runs), 0)
        as first_attempt_success_rate,
    sum(succeeded_runs) * 1.0 / nullif(sum(finished_runs), 0) >= 0.95 as meets_target
from {{ ref('run_performance_daily') }}
group by run_date
order by run_date
