-- Invariant: spreading a worker pool's FOCUS instance hours over the UTC hours they cover keeps
-- them whole: per pool, the hours' provisioned seconds and cost add up to the FOCUS rows' (rows
-- with a charge period of some length; a zero-length one has no hour to go to).
-- Returns the pools that differ.
{{ config(tags=['reconciliation']) }}

with

provisioning as (

    select
        tag_worker_pool as worker_pool,
        sum(consumed_quantity * 3600) as provisioned_seconds,
        sum(effective_cost_usd) as effective_cost_usd

    from {{ ref('int_focus_costs_deduplicated') }}
    where
        tag_component = 'data-plane'
        and tag_worker_pool is not null
        and tag_customer_id is null
        and lower(consumed_unit) in ('hours', 'hrs', 'hour')
        and charge_period_end_at > charge_period_start_at
    group by tag_worker_pool

),

hours as (

    select
        worker_pool,
        sum(provisioned_seconds) as provisioned_seconds,
        sum(effective_cost_usd) as effective_cost_usd

    from {{ ref('capacity_utilisation_hourly') }}
    group by worker_pool

)

select
    provisioning.*,
    hours.provisioned_seconds as hours_provisioned_seconds,
    hours.effective_cost_usd as hours_effective_cost_usd

from provisioning
left join hours
    on provisioning.worker_pool = hours.worker_pool
where
    abs(coalesce(hours.provisioned_seconds, 0) - provisioning.provisioned_seconds) >= 0.001
    or abs(coalesce(hours.effective_cost_usd, 0) - provisioning.effective_cost_usd) >= 0.005
