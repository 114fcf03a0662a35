-- Right now (as of the newest export): active runs, queue depth and processing rate per pool.
select
    worker_pool,
    as_of_at,
    active_runs,
    queue_depth,
    oldest_queued_seconds,
    processing_rate_per_hour
from {{ ref('realtime_pool_status') }}
order by worker_pool
