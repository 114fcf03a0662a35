{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['trace_id', 'span_id'],
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_changed_llm_calls(ref('int_spans_deduplicated'), ref('model_prices')) }}"
) }}
-- Every LLM call (a deduplicated span with is_llm_call) with its estimated cost, from the price
-- in force on the day of the call (model_prices seed, USD per million tokens):
--   cost = uncached input x input price + cache reads x cache-read price
--        + cache writes x cache-write price + billable output x output price
-- Reasoning tokens are billed as output unless the seed gives them a price of their own
-- (`reasoning_usd_per_mtok`), which then replaces the output price for them.
-- Token containment follows the OTel GenAI conventions: `input_tokens` includes the cache read
-- and cache creation tokens, and `output_tokens` includes the reasoning tokens. A sub-count
-- larger than its total cannot be contained in it: that provider reported it disjointly, and it
-- is added instead. Nothing is counted twice either way.
-- Incremental (macros/incremental/llm_pricing_incremental.sql): a call depends only on its own
-- span and the seed, so the spans from raw files this model has not seen are re-priced (all of
-- them when the seed changed); a pre-hook deletes their rows first, LLM call or not any more.
-- Each row keeps its span's lineage and the seed's fingerprint to tell.
with

spans as (

    select * from {{ ref('int_spans_deduplicated') }}
    where {{ llm_calls_changed_spans_filter(ref('int_spans_deduplicated'), ref('model_prices')) }}

),

model_prices as (

    select * from {{ ref('model_prices') }}

),

llm_calls as (

    select
        trace_id,
        span_id,
        customer_id,
        project_id,
        run_id,
        run_attempt,
        session_id,
        user_id,
        operation_name,
        lower(provider_name) as provider_name,
        request_model,
        response_model,
        session_mode,
        service_name,
        team_name,
        repository_name,
        template_name,
        error_type,
        is_error,
        coalesce(resend_count, 0) as resend_count,
        duration_ms,
        start_at,
        end_at,
        cast(start_at as date) as call_date,
        coalesce(input_tokens, 0) as input_tokens,
        coalesce(output_tokens, 0) as output_tokens,
        coalesce(cache_read_input_tokens, 0) as cache_read_tokens,
        coalesce(cache_creation_input_tokens, 0) as cache_write_tokens,
        coalesce(reasoning_output_tokens, 0) as reasoning_tokens,
        _file_sha256,
        _line_number,
        _loaded_at

    from spans
    where is_llm_call

),

containment as (

    select
        *,
        cache_read_tokens + cache_write_tokens <= input_tokens as is_cache_in_input_tokens,
        reasoning_tokens <= output_tokens as is_reasoning_in_output_tokens

    from llm_calls

),

billable_tokens as (

    select
        *,
        case
            when is_cache_in_input_tokens
                then input_tokens - cache_read_tokens - cache_write_tokens
            else input_tokens
        end as uncached_input_tokens,
        case
            when is_reasoning_in_output_tokens then output_tokens
            else output_tokens + reasoning_tokens
        end as billable_output_tokens

    from containment

),

price_periods as (

    select
        provider,
        model,
        effective_from,
        lead(effective_from) over (
            partition by provider, model order by effective_from
        ) as effective_to,
        input_usd_per_mtok,
        output_usd_per_mtok,
        cache_read_usd_per_mtok,
        cache_write_usd_per_mtok,
        reasoning_usd_per_mtok

    from model_prices

),

-- prices are matched once per distinct provider, models and day, not per call: 5,488 of them
-- for the 6.9 M calls of the default benchmark scale, where matching and ranking every call's
-- candidate prices made the model's query take 1.9x as long (55 s against 29 s)
price_keys as (

    select distinct
        provider_name,
        request_model,
        response_model,
        call_date
    from billable_tokens

),

price_candidates as (

    -- the price list names models without their dated snapshot suffix
    -- (`claude-sonnet-4-5` for `claude-sonnet-4-5-20250929`): the longest matching name wins
    select
        price_keys.provider_name,
        price_keys.request_model,
        price_keys.response_model,
        price_keys.call_date,
        price_periods.provider as priced_provider,
        price_periods.model as priced_model,
        price_periods.effective_from as price_effective_from,
        price_periods.input_usd_per_mtok,
        price_periods.output_usd_per_mtok,
        price_periods.cache_read_usd_per_mtok,
        price_periods.cache_write_usd_per_mtok,
        price_periods.reasoning_usd_per_mtok,
        length(price_periods.model) as model_name_length

    from price_keys
    inner join price_periods
        on
            (
                price_keys.provider_name is null
                or price_keys.provider_name = price_periods.provider
            )
            and (
                price_keys.response_model = price_periods.model
                or price_keys.request_model = price_periods.model
                or substr(price_keys.response_model, 1, length(price_periods.model) + 1)
                = price_periods.model || '-'
                or substr(price_keys.request_model, 1, length(price_periods.model) + 1)
                = price_periods.model || '-'
            )
            and price_keys.call_date >= price_periods.effective_from
            and (
                price_periods.effective_to is null
                or price_keys.call_date < price_periods.effective_to
            )

),

matched_prices as (

    {{ deduplicate(
        'price_candidates',
        'provider_name, request_model, response_model, call_date',
        'model_name_length desc, priced_provider, priced_model'
    ) }}

),

priced as (

    select
        billable_tokens.*,
        matched_prices.priced_model,
        matched_prices.price_effective_from,
        matched_prices.priced_model is not null as is_priced,
        billable_tokens.uncached_input_tokens
        + billable_tokens.cache_read_tokens
        + billable_tokens.cache_write_tokens as total_input_tokens,
        -- reasoning tokens are part of billable_output_tokens: billed apart when priced apart
        case
            when matched_prices.reasoning_usd_per_mtok is null then 0
            else billable_tokens.reasoning_tokens
        end as separately_priced_reasoning_tokens,
        matched_prices.input_usd_per_mtok,
        matched_prices.output_usd_per_mtok,
        matched_prices.cache_read_usd_per_mtok,
        matched_prices.cache_write_usd_per_mtok,
        matched_prices.reasoning_usd_per_mtok

    from billable_tokens
    left join matched_prices
        on
            billable_tokens.provider_name is not distinct from matched_prices.provider_name
            and billable_tokens.request_model is not distinct from matched_prices.request_model
            and billable_tokens.response_model is not distinct from matched_prices.response_model
            and billable_tokens.call_date = matched_prices.call_date

),

costed as (

    select
        *,
        cast(
            uncached_input_tokens * input_usd_per_mtok * 0.000001 as {{ money_type() }}
        ) as input_cost_usd,
        cast(
            cache_read_tokens * cache_read_usd_per_mtok * 0.000001 as {{ money_type() }}
        ) as cache_read_cost_usd,
        cast(
            cache_write_tokens * cache_write_usd_per_mtok * 0.000001 as {{ money_type() }}
        ) as cache_write_cost_usd,
        cast(
            (billable_output_tokens - separately_priced_reasoning_tokens)
            * output_usd_per_mtok * 0.000001
            + separately_priced_reasoning_tokens
            * coalesce(reasoning_usd_per_mtok, 0) * 0.000001
            as {{ money_type() }}
        ) as output_cost_usd

    from priced

),

final as (

    select
        * exclude (_file_sha256, _line_number, _loaded_at),
        total_input_tokens + billable_output_tokens as total_tokens,
        cast(
            input_cost_usd + cache_read_cost_usd + cache_write_cost_usd + output_cost_usd
            as {{ money_type() }}
        ) as ai_cost_usd,
        -- the incremental runs' bookkeeping, last: the span's winning raw line, the seed's content
        _file_sha256,
        _line_number,
        _loaded_at,
        {{ model_prices_fingerprint(ref('model_prices')) }} as _prices_fingerprint

    from costed

)

select * from final
