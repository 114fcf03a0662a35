-- One row per LLM (provider, model): every model of the model_prices seed with its current
-- price, and every model seen in calls (unpriced ones with is_priced false).
with

model_prices as (

    select * from {{ ref('model_prices') }}

),

llm_calls as (

    select * from {{ ref('int_llm_calls_priced') }}

),

current_prices as (

    {{ deduplicate('model_prices', 'provider, model', 'effective_from desc') }}

),

seen_models as (

    select
        coalesce(provider_name, 'unknown') as provider_name,
        coalesce(priced_model, response_model, request_model, 'unknown') as model_name,
        min(call_date) as first_call_date,
        max(call_date) as last_call_date,
        count(*) as llm_calls,
        max(case when operation_name = 'embeddings' then 1 else 0 end) as is_embedding_seen

    from llm_calls
    group by
        coalesce(provider_name, 'unknown'),
        coalesce(priced_model, response_model, request_model, 'unknown')

),

model_keys as (

    select
        provider as provider_name,
        model as model_name
    from model_prices
    union
    select
        provider_name,
        model_name
    from seen_models

),

final as (

    select
        ----------  ids
        {{ generate_surrogate_key(['model_keys.provider_name', 'model_keys.model_name']) }}
            as model_id,

        ---------- strings
        model_keys.provider_name,
        model_keys.model_name,

        ---------- numerics
        current_prices.input_usd_per_mtok,
        current_prices.output_usd_per_mtok,
        current_prices.cache_read_usd_per_mtok,
        current_prices.cache_write_usd_per_mtok,
        current_prices.reasoning_usd_per_mtok,
        cast(coalesce(seen_models.llm_calls, 0) as {{ dbt.type_bigint() }}) as llm_calls,

        ---------- booleans
        current_prices.model is not null as is_priced,
        coalesce(
            current_prices.output_usd_per_mtok = 0 or seen_models.is_embedding_seen = 1, false
        ) as is_embedding_model,

        ---------- dates
        current_prices.effective_from as price_effective_from,
        seen_models.first_call_date,
        seen_models.last_call_date

    from model_keys
    left join current_prices
        on
            model_keys.provider_name = current_prices.provider
            and model_keys.model_name = current_prices.model
    left join seen_models
        on
            model_keys.provider_name = seen_models.provider_name
            and model_keys.model_name = seen_models.model_name

)

select * from final
