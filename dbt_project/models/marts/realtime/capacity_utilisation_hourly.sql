-- Capacity utilisation per worker pool and UTC hour: busy worker-seconds (run attempts holding
-- a worker) versus provisioned worker-seconds (the pool's FOCUS instance hours, spread over the
-- hours their charge period covers).
with

attempt_hours as (

    select * from {{ ref('int_run_attempts_split_by_hour') }}

),

focus_costs as (

    select * from {{ ref('int_focus_costs_deduplicated') }}

),

provisioning_rows as (

    select
        focus_cost_id,
        tag_worker_pool as worker_pool,
        charge_period_start_at,
        coalesce(charge_period_end_at, charge_period_start_at) as charge_period_end_at,
        consumed_quantity * 3600 as provisioned_seconds,
        effective_cost_usd

    from focus_costs
    where
        tag_component = 'data-plane'
        and tag_worker_pool is not null
        and tag_customer_id is null
        and lower(consumed_unit) in ('hours', 'hrs', 'hour')

),

provisioning_row_hours as (

    -- each row once per hour its charge period touches: a join to an hour spine is an
    -- inequality join (5-7x slower at a year of history)
    select
        *,
        {{ hours_touched('charge_period_start_at', 'charge_period_end_at') }} as hour_start_at

    from provisioning_rows

),

provisioning_hours as (

    select
        worker_pool,
        hour_start_at,
        provisioned_seconds
        * {{ dbt.datediff(
            'greatest(charge_period_start_at, hour_start_at)',
            'least(charge_period_end_at, ' ~ dbt.dateadd('hour', 1, 'hour_start_at') ~ ')',
            'second'
        ) }}
        / nullif(
            {{ dbt.datediff(
                'charge_period_start_at',
                'charge_period_end_at',
                'second'
            ) }},
            0
        ) as provisioned_seconds,
        effective_cost_usd
        * {{ dbt.datediff(
            'greatest(charge_period_start_at, hour_start_at)',
            'least(charge_period_end_at, ' ~ dbt.dateadd('hour', 1, 'hour_start_at') ~ ')',
            'second'
        ) }}
        / nullif(
            {{ dbt.datediff(
                'charge_period_start_at',
                'charge_period_end_at',
                'second'
            ) }},
            0
        ) as effective_cost_usd

    from provisioning_row_hours

),

provisioned as (

    select
        worker_pool,
        hour_start_at,
        sum(provisioned_seconds) as provisioned_seconds,
        sum(effective_cost_usd) as effective_cost_usd

    from provisioning_hours
    group by worker_pool, hour_start_at

),

busy as (

    select
        worker_pool,
        hour_start_at,
        sum(busy_seconds) as busy_seconds,
        count(distinct run_id) as runs

    from attempt_hours
    where worker_pool is not null
    group by worker_pool, hour_start_at

),

keys as (

    select
        worker_pool,
        hour_start_at
    from provisioned
    union
    select
        worker_pool,
        hour_start_at
    from busy

),

final as (

    select
        ----------  ids
        {{ generate_surrogate_key(['keys.worker_pool', 'keys.hour_start_at']) }}
            as capacity_utilisation_id,
        keys.worker_pool,

        ---------- numerics
        cast(coalesce(busy.busy_seconds, 0) as {{ type_double() }}) as busy_seconds,
        cast(provisioned.provisioned_seconds as {{ type_double() }}) as provisioned_seconds,
        cast(coalesce(busy.busy_seconds, 0) as {{ type_double() }})
        / nullif(provisioned.provisioned_seconds, 0) as utilisation,
        cast(coalesce(busy.busy_seconds, 0) / 3600.0 as {{ type_double() }})
            as avg_busy_workers,
        cast(provisioned.provisioned_seconds / 3600.0 as {{ type_double() }})
            as avg_provisioned_workers,
        cast(coalesce(busy.runs, 0) as {{ dbt.type_bigint() }}) as runs,
        cast(provisioned.effective_cost_usd as {{ money_type() }}) as effective_cost_usd,

        ---------- dates
        cast(keys.hour_start_at as date) as usage_date,

        ---------- timestamps
        keys.hour_start_at

    from keys
    left join provisioned
        on
            keys.worker_pool = provisioned.worker_pool
            and keys.hour_start_at = provisioned.hour_start_at
    left join busy
        on
            keys.worker_pool = busy.worker_pool
            and keys.hour_start_at = busy.hour_start_at

)

select * from final
