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

hours as (

    {{ hour_series(
        '(select min(charge_period_start_at) from provisioning_rows)',
        '(select max(charge_period_end_at) from provisioning_rows)'
    ) }}

),

provisioning_hours as (

    select
        provisioning_rows.worker_pool,
        hours.hour_start_at,
        provisioning_rows.provisioned_seconds
        * {{ dbt.datediff(
            'greatest(provisioning_rows.charge_period_start_at, hours.hour_start_at)',
            'least(provisioning_rows.charge_period_end_at, ' ~ dbt.dateadd('hour', 1, 'hours.hour_start_at') ~ ')',
            'second'
        ) }}
        / nullif(
            {{ dbt.datediff(
                'provisioning_rows.charge_period_start_at',
                'provisioning_rows.charge_period_end_at',
                'second'
            ) }},
            0
        ) as provisioned_seconds,
        provisioning_rows.effective_cost_usd
        * {{ dbt.datediff(
            'greatest(provisioning_rows.charge_period_start_at, hours.hour_start_at)',
            'least(provisioning_rows.charge_period_end_at, ' ~ dbt.dateadd('hour', 1, 'hours.hour_start_at') ~ ')',
            'second'
        ) }}
        / nullif(
            {{ dbt.datediff(
                'provisioning_rows.charge_period_start_at',
                'provisioning_rows.charge_period_end_at',
                'second'
            ) }},
            0
        ) as effective_cost_usd

    from provisioning_rows
    inner join hours
        on
            {{ dbt.date_trunc('hour', 'provisioning_rows.charge_period_start_at') }}
            <= hours.hour_start_at
            and provisioning_rows.charge_period_end_at > hours.hour_start_at

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
