{{ config(**incremental_by_input_days('cost_date')) }}
-- Every allocation row of every method, at the finest grain: day x cost component x cost pool
-- (worker pool, LLM provider, dedicated customer or 'all') x cost class x billing currency x
-- cost object. Amounts in the billing currency, and in USD (exchange_rates seed).
-- Incremental by day: a refresh recomputes the days whose inputs changed (input_digests.sql).
{%- set inputs = daily_inputs('int_cost_allocations') %}
{%- set days = changed_input_days(inputs) %}
with

ai_allocations as (

    select * from {{ daily_input(inputs, 'ai', days) }}

),

data_plane_allocations as (

    select * from {{ daily_input(inputs, 'data_plane', days) }}

),

platform_allocations as (

    select * from {{ daily_input(inputs, 'platform', days) }}

),

shared_allocations as (

    select * from {{ daily_input(inputs, 'shared', days) }}

),

allocations as (

    select * from ai_allocations
    union all
    select * from data_plane_allocations
    union all
    select * from platform_allocations
    union all
    select * from shared_allocations

),

final as (

    select
        {{ generate_surrogate_key([
            'cost_date', 'cost_component', 'cost_pool', 'cost_class', 'billing_currency',
            'cost_object_type', 'cost_object_id'
        ]) }} as allocation_line_id,
        cost_date,
        cost_component,
        cost_pool,
        cost_class,
        billing_currency,
        cost_object_type,
        cost_object_id,
        customer_id,
        project_id,
        allocation_method,
        is_estimated,
        driver_quantity,
        usd_per_unit,
        cast(allocated_effective_cost as {{ money_type() }}) as allocated_effective_cost,
        cast(allocated_billed_cost as {{ money_type() }}) as allocated_billed_cost,
        cast(allocated_effective_cost * usd_per_unit as {{ money_type() }})
            as allocated_cost_usd,
        cast(allocated_billed_cost * usd_per_unit as {{ money_type() }})
            as allocated_billed_cost_usd

    from allocations

)

-- not stored in day order, unlike the other models rewritten by day: sorting its ~15 M rows at
-- the default benchmark scale ran out of the 3GB memory limit (dbt_project/README.md)
select * from final
