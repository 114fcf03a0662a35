-- Busy versus provisioned worker seconds per pool and hour, the last 48 hours of data.
select
    worker_pool,
    hour_start_at,
    busy_seconds,
    provisioned_seconds,
    utilisation
from {{ ref('capacity_utilisation_hourly') }}
where
    hour_start_at
    > (
        select {{ dbt.dateadd('hour', -48, 'max(hour_start_at)') }}
        from {{ ref('capacity_utilisation_hourly') }}
    )
order by worker_pool, hour_start_at
