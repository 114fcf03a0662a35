{{ config(**incremental_by_input_days('call_date')) }}
-- LLM usage and cost per UTC day, customer, project, provider, model and operation (chat,
-- embeddings, ...): calls, errors, retries, tokens by type, the cache-read share, the estimated
-- cost and the AI cost allocated from the provider's invoice (the invoiced provider-day spread by
-- estimated cost, as fct_cost_allocations does; the estimate while not invoiced yet).
-- Incremental by day: a refresh recomputes the days whose calls or invoiced AI cost changed
-- (input_digests.sql).
{%- set inputs = daily_inputs('llm_usage_daily') %}
{%- set days = changed_input_days(inputs) %}
with

llm_calls as (

    select * from {{ daily_input(inputs, 'llm_calls', days) }}

),

-- the allocated AI cost of the invoiced provider-days
invoiced_allocations as (

    select * from {{ daily_input(inputs, 'invoiced', days) }}

),

invoiced_provider_days as (

    select
        cost_date,
        cost_pool as provider_name,
        sum(allocated_cost_usd) as invoiced_cost_usd

    from invoiced_allocations
    group by cost_date, cost_pool

),

grouped as (

    select
        call_date,
        customer_id,
        coalesce(project_id, '(none)') as project_id,
        provider_name,
        model_name,
        operation_name,
        count(*) as llm_calls,
        sum(case when is_error then 1 else 0 end) as failed_calls,
        sum(case when is_retry then 1 else 0 end) as retried_calls,
        sum(case when is_priced then 0 else 1 end) as unpriced_calls,
        sum(input_tokens) as input_tokens,
        sum(uncached_input_tokens) as uncached_input_tokens,
        sum(cache_read_tokens) as cache_read_tokens,
        sum(cache_write_tokens) as cache_write_tokens,
        sum(output_tokens) as output_tokens,
        sum(reasoning_tokens) as reasoning_tokens,
        sum(total_tokens) as total_tokens,
        sum(estimated_cost_usd) as estimated_cost_usd

    from llm_calls
    group by
        call_date,
        customer_id,
        coalesce(project_id, '(none)'),
        provider_name,
        model_name,
        operation_name

),

shares as (

    select
        grouped.*,
        invoiced_provider_days.invoiced_cost_usd as provider_day_invoiced_cost_usd,
        sum(grouped.estimated_cost_usd) over (
            partition by grouped.call_date, grouped.provider_name
        ) as provider_day_estimated_cost_usd,
        sum(grouped.llm_calls) over (
            partition by grouped.call_date, grouped.provider_name
        ) as provider_day_calls

    from grouped
    left join invoiced_provider_days
        on
            grouped.call_date = invoiced_provider_days.cost_date
            and grouped.provider_name = invoiced_provider_days.provider_name

),

final as (

    select
        ----------  ids
        {{ generate_surrogate_key([
            'call_date', 'customer_id', 'project_id', 'provider_name', 'model_name',
            'operation_name'
        ]) }} as llm_usage_id,
        customer_id,
        project_id,

        ---------- strings
        provider_name,
        model_name,
        operation_name,

        ---------- numerics
        cast(llm_calls as {{ dbt.type_bigint() }}) as llm_calls,
        cast(failed_calls as {{ dbt.type_bigint() }}) as failed_calls,
        cast(retried_calls as {{ dbt.type_bigint() }}) as retried_calls,
        cast(unpriced_calls as {{ dbt.type_bigint() }}) as unpriced_calls,
        cast(input_tokens as {{ dbt.type_bigint() }}) as input_tokens,
        cast(uncached_input_tokens as {{ dbt.type_bigint() }}) as uncached_input_tokens,
        cast(cache_read_tokens as {{ dbt.type_bigint() }}) as cache_read_tokens,
        cast(cache_write_tokens as {{ dbt.type_bigint() }}) as cache_write_tokens,
        cast(output_tokens as {{ dbt.type_bigint() }}) as output_tokens,
        cast(reasoning_tokens as {{ dbt.type_bigint() }}) as reasoning_tokens,
        cast(total_tokens as {{ dbt.type_bigint() }}) as total_tokens,
        cast(cache_read_tokens as {{ type_double() }}) / nullif(input_tokens, 0)
            as cache_read_share,
        cast(failed_calls as {{ type_double() }}) / nullif(llm_calls, 0) as error_rate,
        cast(retried_calls as {{ type_double() }}) / nullif(llm_calls, 0) as retry_rate,
        cast(estimated_cost_usd as {{ money_type() }}) as estimated_cost_usd,
        cast(
            case
                when provider_day_invoiced_cost_usd is null then estimated_cost_usd
                when provider_day_estimated_cost_usd > 0
                    then
                        provider_day_invoiced_cost_usd
                        * cast(estimated_cost_usd as {{ type_double() }})
                        / cast(provider_day_estimated_cost_usd as {{ type_double() }})
                else
                    provider_day_invoiced_cost_usd
                    * cast(llm_calls as {{ type_double() }})
                    / provider_day_calls
            end as {{ money_type() }}
        ) as ai_cost_usd,

        ---------- booleans
        provider_day_invoiced_cost_usd is not null as is_invoiced,

        ---------- dates
        call_date

    from shares

)

-- stored in day order (dbt_project/README.md: a refresh touches the newest row groups)
select * from final
order by call_date
