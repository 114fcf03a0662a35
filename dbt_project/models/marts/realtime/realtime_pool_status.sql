-- Status per worker pool as of the newest run export (`as_of_at`, the latest snapshot taken):
-- active runs (attempts running), queue depth (attempts queued, with the age of the oldest),
-- and the processing rate (attempts finished and started in the hour before). In-flight
-- snapshots older than `realtime_stale_after_hours` (default 24) are ignored as stale. A queued
-- attempt has no worker yet: it counts under the pool of its run's previous attempt, else
-- `unassigned`.
{%- set stale_after_hours = var('realtime_stale_after_hours', 24) | int %}
with

run_attempts as (

    select * from {{ ref('int_run_attempts_deduplicated') }}

),

worker_pools as (

    select * from {{ ref('dim_worker_pools') }}

),

as_of as (

    select
        max(updated_at) as as_of_at,
        {{ dbt.dateadd('hour', -1 * stale_after_hours, 'max(updated_at)') }} as stale_before_at,
        {{ dbt.dateadd('hour', -1, 'max(updated_at)') }} as last_hour_from_at

    from run_attempts

),

-- the attempts the status counts: snapshots within the staleness window, and attempts started
-- or finished in the last hour (a day of a year's attempts)
recent_attempts as (

    select
        run_attempts.*,
        as_of.as_of_at,
        as_of.stale_before_at,
        as_of.last_hour_from_at

    from run_attempts
    cross join as_of
    where
        run_attempts.updated_at >= as_of.stale_before_at
        or run_attempts.started_at > as_of.last_hour_from_at
        or run_attempts.finished_at > as_of.last_hour_from_at

),

-- each attempt's pool, or its run's previous attempt's (all attempts of the runs that have a
-- recent attempt or one without a pool: the latter decide whether `unassigned` is listed)
previous_pools as (

    select
        run_id,
        attempt,
        worker_pool,
        lag(worker_pool) over (partition by run_id order by attempt) as previous_worker_pool

    from run_attempts
    where run_id in (
        select recent_attempts.run_id from recent_attempts
        union
        select unpooled.run_id from run_attempts as unpooled
        where unpooled.worker_pool is null
    )

),

attempts as (

    select
        recent_attempts.*,
        coalesce(recent_attempts.worker_pool, previous_pools.previous_worker_pool, 'unassigned')
            as pool_key

    from recent_attempts
    inner join previous_pools
        on
            recent_attempts.run_id = previous_pools.run_id
            and recent_attempts.attempt = previous_pools.attempt

),

pool_status as (

    select
        pool_key as worker_pool,
        max(as_of_at) as as_of_at,
        sum(
            case
                when
                    run_status = 'running'
                    and updated_at >= stale_before_at
                    then 1
                else 0
            end
        ) as active_runs,
        sum(
            case
                when
                    run_status = 'queued'
                    and updated_at >= stale_before_at
                    then 1
                else 0
            end
        ) as queued_attempts,
        min(
            case
                when
                    run_status = 'queued'
                    and updated_at >= stale_before_at
                    then queued_at
            end
        ) as oldest_queued_at,
        sum(
            case
                when finished_at > last_hour_from_at then 1 else 0
            end
        ) as attempts_finished_last_hour,
        sum(
            case
                when started_at > last_hour_from_at then 1 else 0
            end
        ) as attempts_started_last_hour

    from attempts
    group by pool_key

),

-- every pool, counted or not: the pools' dimension, and `unassigned` once any attempt has
-- neither a pool nor a previous one
all_pools as (

    select worker_pool from pool_status
    union
    select worker_pool from worker_pools
    union
    select 'unassigned' as worker_pool from previous_pools
    where worker_pool is null and previous_worker_pool is null

),

final as (

    select
        ----------  ids
        all_pools.worker_pool,

        ---------- numerics
        cast(coalesce(pool_status.active_runs, 0) as {{ dbt.type_bigint() }}) as active_runs,
        cast(coalesce(pool_status.queued_attempts, 0) as {{ dbt.type_bigint() }})
            as queue_depth,
        cast(
            {{ dbt.datediff('pool_status.oldest_queued_at', 'as_of.as_of_at', 'second') }}
            as {{ type_double() }}
        ) as oldest_queued_seconds,
        cast(coalesce(pool_status.attempts_finished_last_hour, 0) as {{ dbt.type_bigint() }})
            as attempts_finished_last_hour,
        cast(coalesce(pool_status.attempts_started_last_hour, 0) as {{ dbt.type_bigint() }})
            as attempts_started_last_hour,
        cast(coalesce(pool_status.attempts_finished_last_hour, 0) as {{ type_double() }})
            as processing_rate_per_hour,

        ---------- timestamps
        as_of.as_of_at

    from all_pools
    cross join as_of
    left join pool_status
        on all_pools.worker_pool = pool_status.worker_pool

)

select * from final
