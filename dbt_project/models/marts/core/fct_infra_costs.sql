{{ config(**incremental_by_input_days('cost_date')) }}
-- Every FOCUS cost (cloud bills and LLM provider invoices alike) normalised by UTC day and
-- grouped by what allocation needs: cost component, cost pool (worker pool, LLM provider,
-- dedicated customer), fixed/variable class, provider, service and billing currency. Billed,
-- effective (amortised) and list cost in the billing currency, exact, and in USD.
-- Incremental by day: a refresh recomputes whole the days whose FOCUS rows changed (a late or
-- re-exported file of any earlier day, a monthly invoice) and the partition window
-- (input_digests.sql).
{%- set inputs = daily_inputs('fct_infra_costs') %}
{%- set days = changed_input_days(inputs) %}
with

focus_costs_daily as (

    select * from {{ daily_input(inputs, 'focus_costs', days) }}

),

grouped as (

    select
        cost_date,
        cost_component,
        cost_pool,
        cost_class,
        billing_currency,
        coalesce(provider_name, 'unknown') as provider_name,
        coalesce(service_category, 'unknown') as service_category,
        coalesce(service_name, 'unknown') as service_name,
        coalesce(charge_category, 'unknown') as charge_category,
        coalesce(consumed_unit, 'unknown') as consumed_unit,
        max(worker_pool) as worker_pool,
        max(llm_provider) as llm_provider,
        max(dedicated_customer_id) as dedicated_customer_id,
        max(usd_per_unit) as usd_per_unit,
        count(distinct focus_cost_id) as cost_lines,
        sum(consumed_quantity) as consumed_quantity,
        sum(provisioned_seconds) as provisioned_seconds,
        sum(billed_cost) as billed_cost,
        sum(effective_cost) as effective_cost,
        sum(list_cost) as list_cost,
        sum(billed_cost_usd) as billed_cost_usd,
        sum(effective_cost_usd) as effective_cost_usd,
        sum(list_cost_usd) as list_cost_usd

    from focus_costs_daily
    group by
        cost_date,
        cost_component,
        cost_pool,
        cost_class,
        billing_currency,
        coalesce(provider_name, 'unknown'),
        coalesce(service_category, 'unknown'),
        coalesce(service_name, 'unknown'),
        coalesce(charge_category, 'unknown'),
        coalesce(consumed_unit, 'unknown')

),

final as (

    select
        ----------  ids
        {{ generate_surrogate_key([
            'cost_date', 'cost_component', 'cost_pool', 'cost_class', 'billing_currency',
            'provider_name', 'service_category', 'service_name', 'charge_category',
            'consumed_unit'
        ]) }} as infra_cost_id,
        dedicated_customer_id,

        ---------- strings
        cost_component,
        cost_pool,
        cost_class,
        case when cost_component = 'ai_inference' then 'ai' else 'infrastructure' end
            as cost_category,
        worker_pool,
        llm_provider,
        billing_currency,
        provider_name,
        service_category,
        service_name,
        charge_category,
        consumed_unit,

        ---------- numerics
        cast(cost_lines as {{ dbt.type_bigint() }}) as cost_lines,
        cast(consumed_quantity as {{ type_double() }}) as consumed_quantity,
        cast(provisioned_seconds as {{ type_double() }}) as provisioned_seconds,
        cast(usd_per_unit as {{ money_type() }}) as usd_per_unit,
        cast(billed_cost as {{ money_type() }}) as billed_cost,
        cast(effective_cost as {{ money_type() }}) as effective_cost,
        cast(list_cost as {{ money_type() }}) as list_cost,
        cast(billed_cost_usd as {{ money_type() }}) as billed_cost_usd,
        cast(effective_cost_usd as {{ money_type() }}) as effective_cost_usd,
        cast(list_cost_usd as {{ money_type() }}) as list_cost_usd,

        ---------- booleans
        cost_component = 'ai_inference' as is_llm_invoice,

        ---------- dates
        cost_date

    from grouped

)

-- stored in day order (dbt_project/README.md: a refresh touches the newest row groups)
select * from final
order by cost_date
