{{ config(**incremental_by_input_days('cost_date')) }}
-- AI cost per cost object: each LLM provider-day of the invoice (FOCUS, ai_inference) is split
-- over that provider-day's calls in proportion to their estimated cost (by call count when none
-- of them has a price). A provider-day invoiced without any call stays unallocated. A
-- provider-day with calls but no invoice (yet) gets the estimate, flagged `is_estimated`: it is
-- not part of the bill and never part of the reconciliation with FOCUS.
-- Incremental by day: a refresh recomputes the days whose inputs changed (input_digests.sql).
{%- set inputs = daily_inputs('int_cost_allocations_ai') %}
{%- set days = changed_input_days(inputs) %}
with

cost_pools as (

    select * from {{ daily_input(inputs, 'pools', days) }}

),

llm_costs as (

    select * from {{ daily_input(inputs, 'llm_costs', days) }}

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

invoiced as (

    {{ allocate_cost_pools(
        'cost_pools', 'positive_targets', unallocated_method='ai_invoice_without_calls'
    ) }}

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
    select * from estimated

)

-- stored in day order (dbt_project/README.md: a refresh touches the newest row groups)
select * from allocations
order by cost_date
