{{ config(**incremental_by_input_days('call_date')) }}
-- LLM reliability and latency per UTC day, provider and model: calls, error and retry rates,
-- latency percentiles of the successful calls, tokens and the cache-read share.
-- Incremental by day: a refresh recomputes the days whose calls changed (input_digests.sql).
{%- set inputs = daily_inputs('llm_performance_daily') %}
{%- set days = changed_input_days(inputs) %}
with

llm_calls as (

    select * from {{ daily_input(inputs, 'llm_calls', days) }}

),

grouped as (

    select
        call_date,
        provider_name,
        model_name,
        count(*) as llm_calls,
        sum(case when is_error then 1 else 0 end) as failed_calls,
        sum(case when is_retry then 1 else 0 end) as retried_calls,
        sum(input_tokens) as input_tokens,
        sum(cache_read_tokens) as cache_read_tokens,
        sum(total_tokens) as total_tokens,
        {{ percentile_cont('case when not is_error then duration_ms end', 0.5) }}
            as latency_p50_ms,
        {{ percentile_cont('case when not is_error then duration_ms end', 0.9) }}
            as latency_p90_ms,
        {{ percentile_cont('case when not is_error then duration_ms end', 0.95) }}
            as latency_p95_ms,
        {{ percentile_cont('case when not is_error then duration_ms end', 0.99) }}
            as latency_p99_ms,
        avg(case when not is_error then duration_ms end) as latency_avg_ms

    from llm_calls
    group by call_date, provider_name, model_name

),

final as (

    select
        ----------  ids
        {{ generate_surrogate_key(['call_date', 'provider_name', 'model_name']) }}
            as llm_performance_id,

        ---------- strings
        provider_name,
        model_name,

        ---------- numerics
        cast(llm_calls as {{ dbt.type_bigint() }}) as llm_calls,
        cast(failed_calls as {{ dbt.type_bigint() }}) as failed_calls,
        cast(retried_calls as {{ dbt.type_bigint() }}) as retried_calls,
        cast(failed_calls as {{ type_double() }}) / nullif(llm_calls, 0) as error_rate,
        cast(retried_calls as {{ type_double() }}) / nullif(llm_calls, 0) as retry_rate,
        cast(latency_p50_ms as {{ type_double() }}) as latency_p50_ms,
        cast(latency_p90_ms as {{ type_double() }}) as latency_p90_ms,
        cast(latency_p95_ms as {{ type_double() }}) as latency_p95_ms,
        cast(latency_p99_ms as {{ type_double() }}) as latency_p99_ms,
        cast(latency_avg_ms as {{ type_double() }}) as latency_avg_ms,
        cast(input_tokens as {{ dbt.type_bigint() }}) as input_tokens,
        cast(cache_read_tokens as {{ dbt.type_bigint() }}) as cache_read_tokens,
        cast(total_tokens as {{ dbt.type_bigint() }}) as total_tokens,
        cast(cache_read_tokens as {{ type_double() }}) / nullif(input_tokens, 0)
            as cache_read_share,

        ---------- dates
        call_date

    from grouped

)

-- stored in day order (dbt_project/README.md: a refresh touches the newest row groups)
select * from final
order by call_date
