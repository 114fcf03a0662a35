-- Estimated versus invoiced LLM cost per UTC day, provider and model: the estimate from tokens
-- and the model_prices seed, the provider's FOCUS invoice (its SkuId is `<model>:<token type>`)
-- and the variance. A provider-day's invoice is what gets allocated; this shows how far the
-- estimates that drive the split are from it.
with

llm_calls as (

    select * from {{ ref('fct_llm_calls') }}

),

focus_costs_daily as (

    select * from {{ ref('int_focus_costs_daily') }}
    where cost_component = 'ai_inference'

),

estimates as (

    select
        call_date as cost_date,
        provider_name,
        model_name,
        count(*) as llm_calls,
        sum(estimated_cost_usd) as estimated_cost_usd

    from llm_calls
    group by call_date, provider_name, model_name

),

invoices as (

    select
        cost_date,
        llm_provider as provider_name,
        coalesce({{ dbt.split_part('sku_id', "':'", 1) }}, 'unknown') as model_name,
        count(*) as invoice_lines,
        sum(effective_cost_usd) as invoiced_cost_usd

    from focus_costs_daily
    group by cost_date, llm_provider, coalesce({{ dbt.split_part('sku_id', "':'", 1) }}, 'unknown')

),

keys as (

    select
        cost_date,
        provider_name,
        model_name
    from estimates
    union
    select
        cost_date,
        provider_name,
        model_name
    from invoices

),

provider_days as (

    select distinct
        cost_date,
        provider_name

    from invoices

),

final as (

    select
        ----------  ids
        {{ generate_surrogate_key(['keys.cost_date', 'keys.provider_name', 'keys.model_name']) }}
            as llm_invoice_reconciliation_id,

        ---------- strings
        keys.provider_name,
        keys.model_name,

        ---------- numerics
        cast(coalesce(estimates.llm_calls, 0) as {{ dbt.type_bigint() }}) as llm_calls,
        cast(coalesce(invoices.invoice_lines, 0) as {{ dbt.type_bigint() }}) as invoice_lines,
        cast(coalesce(estimates.estimated_cost_usd, 0) as {{ money_type() }})
            as estimated_cost_usd,
        cast(invoices.invoiced_cost_usd as {{ money_type() }}) as invoiced_cost_usd,
        cast(
            invoices.invoiced_cost_usd - coalesce(estimates.estimated_cost_usd, 0)
            as {{ money_type() }}
        ) as variance_usd,
        cast(
            invoices.invoiced_cost_usd - coalesce(estimates.estimated_cost_usd, 0)
            as {{ type_double() }}
        ) / nullif(cast(estimates.estimated_cost_usd as {{ type_double() }}), 0)
            as variance_share,

        ---------- booleans
        provider_days.provider_name is not null as is_provider_day_invoiced,

        ---------- dates
        keys.cost_date

    from keys
    left join estimates
        on
            keys.cost_date = estimates.cost_date
            and keys.provider_name = estimates.provider_name
            and keys.model_name = estimates.model_name
    left join invoices
        on
            keys.cost_date = invoices.cost_date
            and keys.provider_name = invoices.provider_name
            and keys.model_name = invoices.model_name
    left join provider_days
        on
            keys.cost_date = provider_days.cost_date
            and keys.provider_name = provider_days.provider_name

)

select * from final
