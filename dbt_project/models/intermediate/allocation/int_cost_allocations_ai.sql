-- AI cost per cost object: each LLM provider-day of the invoice (FOCUS, ai_inference) is split
-- over that provider-day's calls in proportion to their estimated cost (by call count when none
-- of them has a price). A provider-day invoiced without any call stays unallocated. A
-- provider-day with calls but no invoice (yet) gets the estimate, flagged `is_estimated`: it is
-- not part of the bill and never part of the reconciliation with FOCUS.
with

cost_pools as (

    select * from {{ ref('int_cost_pools_daily') }}
    where cost_component = 'ai_inference'

),

llm_costs as (

    select * from {{ ref('int_llm_costs_daily') }}

),

provider_days as (

    select
        call_date,
        provider_name,
        sum(estimated_cost_usd) as estimated_cost_usd

    from llm_costs
    group by call_date, provider_name

),

targets as (

    select
        cost_pools.*,
        llm_costs.cost_object_type,
        llm_costs.cost_object_id,
        llm_costs.customer_id,
        llm_costs.project_id,
        case
            when provider_days.estimated_cost_usd > 0 then 'ai_invoice_by_estimated_cost'
            else 'ai_invoice_by_call_count'
        end as allocation_method,
        case
            when provider_days.estimated_cost_usd > 0
                then cast(llm_costs.estimated_cost_usd as {{ type_double() }})
            else cast(llm_costs.llm_calls as {{ type_double() }})
        end as weight

    from cost_pools
    inner join llm_costs
        on
            cost_pools.cost_date = llm_costs.call_date
            and cost_pools.cost_pool = llm_costs.provider_name
    inner join provider_days
        on
            llm_costs.call_date = provider_days.call_date
            and llm_costs.provider_name = provider_days.provider_name

),

positive_targets as (

    select * from targets
    where weight > 0

),

allocated as (

    {{ allocate_proportionally(
        'positive_targets',
        ['cost_date', 'cost_component', 'cost_pool', 'cost_class', 'billing_currency'],
        'weight',
        ['effective_cost', 'billed_cost'],
        'cost_object_id'
    ) }}

),

invoiced as (

    select
        cost_date,
        cost_component,
        cost_pool,
        cost_class,
        billing_currency,
        usd_per_unit,
        cost_object_type,
        cost_object_id,
        customer_id,
        project_id,
        allocation_method,
        false as is_estimated,
        weight as driver_quantity,
        allocated_effective_cost,
        allocated_billed_cost

    from allocated

),

unallocated as (

    select
        cost_pools.cost_date,
        cost_pools.cost_component,
        cost_pools.cost_pool,
        cost_pools.cost_class,
        cost_pools.billing_currency,
        cost_pools.usd_per_unit,
        'unallocated' as cost_object_type,
        '__unallocated__' as cost_object_id,
        '__unallocated__' as customer_id,
        cast(null as {{ dbt.type_string() }}) as project_id,
        'ai_invoice_without_calls' as allocation_method,
        false as is_estimated,
        cast(null as {{ type_double() }}) as driver_quantity,
        cost_pools.effective_cost as allocated_effective_cost,
        cost_pools.billed_cost as allocated_billed_cost

    from cost_pools
    where not exists (
        select 1
        from positive_targets
        where
            positive_targets.cost_date = cost_pools.cost_date
            and positive_targets.cost_pool = cost_pools.cost_pool
            and positive_targets.cost_class = cost_pools.cost_class
            and positive_targets.billing_currency = cost_pools.billing_currency
    )

),

estimated as (

    -- calls tokens are variable cost by nature (cost_classification: ai_inference, variable)
    select
        llm_costs.call_date as cost_date,
        'ai_inference' as cost_component,
        llm_costs.provider_name as cost_pool,
        'variable' as cost_class,
        'USD' as billing_currency,
        cast(1 as {{ money_type() }}) as usd_per_unit,
        llm_costs.cost_object_type,
        llm_costs.cost_object_id,
        llm_costs.customer_id,
        llm_costs.project_id,
        'ai_estimated_not_invoiced' as allocation_method,
        true as is_estimated,
        cast(llm_costs.estimated_cost_usd as {{ type_double() }}) as driver_quantity,
        llm_costs.estimated_cost_usd as allocated_effective_cost,
        llm_costs.estimated_cost_usd as allocated_billed_cost

    from llm_costs
    where not exists (
        select 1
        from cost_pools
        where
            cost_pools.cost_date = llm_costs.call_date
            and cost_pools.cost_pool = llm_costs.provider_name
    )

),

allocations as (

    select * from invoiced
    union all
    select * from unallocated
    union all
    select * from estimated

)

select * from allocations
