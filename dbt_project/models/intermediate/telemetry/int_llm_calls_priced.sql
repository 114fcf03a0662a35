-- Every LLM call (a deduplicated span with is_llm_call) with its estimated cost, from the price
-- in force on the day of the call (model_prices seed, USD per million tokens):
--   cost = uncached input x input price + cache reads x cache-read price
--        + cache writes x cache-write price + billable output x output price
-- Token containment follows the OTel GenAI conventions: `input_tokens` includes the cache read
-- and cache creation tokens, and `output_tokens` includes the reasoning tokens. A sub-count
-- larger than its total cannot be contained in it: that provider reported it disjointly, and it
-- is added instead. Nothing is counted twice either way.
with

spans as (

    select * from {{ ref('int_spans_deduplicated') }}

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
        session_id,
        user_id,
        operation_name,
        provider_name,
        request_model,
        response_model,
        start_at,
        cast(start_at as date) as call_date,
        coalesce(input_tokens, 0) as input_tokens,
        coalesce(output_tokens, 0) as output_tokens,
        coalesce(cache_read_input_tokens, 0) as cache_read_tokens,
        coalesce(cache_creation_input_tokens, 0) as cache_write_tokens,
        coalesce(reasoning_output_tokens, 0) as reasoning_tokens

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
        cache_write_usd_per_mtok

    from model_prices

),

matched_prices as (

    -- the price list names models without their dated snapshot suffix
    -- (`claude-sonnet-4-5` for `claude-sonnet-4-5-20250929`): the longest matching name wins
    select
        billable_tokens.trace_id,
        billable_tokens.span_id,
        price_periods.model as priced_model,
        price_periods.effective_from as price_effective_from,
        price_periods.input_usd_per_mtok,
        price_periods.output_usd_per_mtok,
        price_periods.cache_read_usd_per_mtok,
        price_periods.cache_write_usd_per_mtok

    from billable_tokens
    inner join price_periods
        on
            (
                billable_tokens.provider_name is null
                or lower(billable_tokens.provider_name) = price_periods.provider
            )
            and (
                billable_tokens.response_model = price_periods.model
                or billable_tokens.request_model = price_periods.model
                or starts_with(billable_tokens.response_model, price_periods.model || '-')
                or starts_with(billable_tokens.request_model, price_periods.model || '-')
            )
            and billable_tokens.call_date >= price_periods.effective_from
            and (
                price_periods.effective_to is null
                or billable_tokens.call_date < price_periods.effective_to
            )
    qualify row_number() over (
        partition by billable_tokens.trace_id, billable_tokens.span_id
        order by length(price_periods.model) desc, price_periods.provider
    ) = 1

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
        billable_tokens.uncached_input_tokens
        * matched_prices.input_usd_per_mtok * 0.000001 as input_cost_usd,
        billable_tokens.cache_read_tokens
        * matched_prices.cache_read_usd_per_mtok * 0.000001 as cache_read_cost_usd,
        billable_tokens.cache_write_tokens
        * matched_prices.cache_write_usd_per_mtok * 0.000001 as cache_write_cost_usd,
        billable_tokens.billable_output_tokens
        * matched_prices.output_usd_per_mtok * 0.000001 as output_cost_usd

    from billable_tokens
    left join matched_prices
        on
            billable_tokens.trace_id = matched_prices.trace_id
            and billable_tokens.span_id = matched_prices.span_id

),

final as (

    select
        *,
        total_input_tokens + billable_output_tokens as total_tokens,
        cast(
            input_cost_usd + cache_read_cost_usd + cache_write_cost_usd + output_cost_usd
            as decimal(38, 12)
        ) as ai_cost_usd

    from priced

)

select * from final
