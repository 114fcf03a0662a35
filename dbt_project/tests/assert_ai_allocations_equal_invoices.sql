-- Invariant: for every LLM provider-day with an invoice, the AI cost allocated to its calls'
-- runs and sessions equals the invoiced amount (effective and billed), to the cent; only a
-- provider-day without any call leaves its invoice unallocated. Returns the offending
-- provider-days.
{{ config(tags=['reconciliation']) }}

with

invoices as (

    select
        cost_date,
        llm_provider,
        billing_currency,
        sum(effective_cost) as invoiced_effective_cost,
        sum(billed_cost) as invoiced_billed_cost

    from {{ ref('fct_infra_costs') }}
    where is_llm_invoice
    group by cost_date, llm_provider, billing_currency

),

allocations as (

    select
        cost_date,
        cost_pool as llm_provider,
        billing_currency,
        sum(case when cost_object_type != 'unallocated' then allocated_effective_cost else 0 end)
            as allocated_effective_cost,
        sum(case when cost_object_type != 'unallocated' then allocated_billed_cost else 0 end)
            as allocated_billed_cost,
        sum(case when cost_object_type = 'unallocated' then allocated_effective_cost else 0 end)
            as unallocated_effective_cost

    from {{ ref('int_cost_allocations') }}
    where cost_component = 'ai_inference' and not is_estimated
    group by cost_date, cost_pool, billing_currency

),

calls as (

    select distinct
        call_date,
        provider_name

    from {{ ref('int_llm_costs_daily') }}

),

compared as (

    select
        invoices.cost_date,
        invoices.llm_provider,
        invoices.billing_currency,
        invoices.invoiced_effective_cost,
        coalesce(allocations.allocated_effective_cost, 0) as allocated_effective_cost,
        coalesce(allocations.unallocated_effective_cost, 0) as unallocated_effective_cost,
        invoices.invoiced_billed_cost,
        coalesce(allocations.allocated_billed_cost, 0) as allocated_billed_cost,
        calls.call_date is not null as has_calls

    from invoices
    left join allocations
        on
            invoices.cost_date = allocations.cost_date
            and invoices.llm_provider = allocations.llm_provider
            and invoices.billing_currency = allocations.billing_currency
    left join calls
        on
            invoices.cost_date = calls.call_date
            and invoices.llm_provider = calls.provider_name

)

select * from compared
where
    (
        has_calls
        and (
            abs(allocated_effective_cost - invoiced_effective_cost) >= 0.005
            or abs(allocated_billed_cost - invoiced_billed_cost) >= 0.005
        )
    )
    or (
        not has_calls
        and abs(unallocated_effective_cost - invoiced_effective_cost) >= 0.005
    )
