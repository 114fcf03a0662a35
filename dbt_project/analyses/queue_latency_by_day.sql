-- Queue latency p50 / p95 per day and run type (first attempts).
select
    run_date,
    run_type,
    sum(runs) as runs,
    max(queue_p50_seconds) as worst_segment_queue_p50_seconds,
    max(queue_p95_seconds) as worst_segment_queue_p95_seconds
from {{ ref('run_performance_daily') }}
group by run_date, run_type
order by run_date, run_type
