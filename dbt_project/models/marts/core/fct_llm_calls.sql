{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='call_date',
    on_schema_change='append_new_columns',
    tags=['daily_partitioned'],
    pre_hook="{{ delete_partition_window('call_date', 'llm_call_id') }}"
) }}
-- One row per GenAI call (chat, text_completion, generate_content, embeddings): tokens by type,
-- latency, error and retry, and the estimated cost from the model_prices seed. The invoiced cost
-- (the provider's FOCUS invoice spread over its calls) is in fct_cost_allocations and
-- llm_usage_daily: invoices arrive a month late, this fact is loaded day by day.
with

llm_calls as (

    select * from {{ ref('int_llm_calls_priced') }}

),

window_calls as (

    select * from llm_calls
    where {{ incremental_window_filter('call_date') }}

),

final as (

    select
        ----------  ids
        {{ generate_surrogate_key(['trace_id', 'span_id']) }} as llm_call_id,
        trace_id,
        span_id,
        customer_id,
        project_id,
        run_id,
        cast(run_attempt as {{ dbt.type_int() }}) as run_attempt,
        coalesce(session_id, trace_id) as session_id,
        user_id,

        ---------- strings
        operation_name,
        coalesce(provider_name, 'unknown') as provider_name,
        request_model,
        response_model,
        coalesce(priced_model, response_model, request_model, 'unknown') as model_name,
        priced_model,
        session_mode,
        service_name,
        team_name,
        repository_name,
        template_name,
        error_type,

        ---------- numerics
        cast(total_input_tokens as {{ dbt.type_bigint() }}) as input_tokens,
        cast(uncached_input_tokens as {{ dbt.type_bigint() }}) as uncached_input_tokens,
        cast(cache_read_tokens as {{ dbt.type_bigint() }}) as cache_read_tokens,
        cast(cache_write_tokens as {{ dbt.type_bigint() }}) as cache_write_tokens,
        cast(billable_output_tokens as {{ dbt.type_bigint() }}) as output_tokens,
        cast(reasoning_tokens as {{ dbt.type_bigint() }}) as reasoning_tokens,
        cast(total_tokens as {{ dbt.type_bigint() }}) as total_tokens,
        cast(duration_ms as {{ type_double() }}) as duration_ms,
        cast(resend_count as {{ dbt.type_int() }}) as resend_count,
        cast(input_cost_usd as {{ money_type() }}) as input_cost_usd,
        cast(cache_read_cost_usd as {{ money_type() }}) as cache_read_cost_usd,
        cast(cache_write_cost_usd as {{ money_type() }}) as cache_write_cost_usd,
        cast(output_cost_usd as {{ money_type() }}) as output_cost_usd,
        cast(ai_cost_usd as {{ money_type() }}) as estimated_cost_usd,

        ---------- booleans
        is_priced,
        is_error,
        resend_count > 0 as is_retry,
        run_id is not null as is_run_call,

        ---------- dates
        call_date,

        ---------- timestamps
        start_at as started_at,
        end_at as ended_at

    from window_calls

)

-- stored in day order (dbt_project/README.md: a refresh touches the newest row groups)
select * from final
order by call_date
