-- Error and retry rates and latency percentiles by provider and model (last 7 days of data).
select
    provider_name,
    model_name,
    sum(llm_calls) as llm_calls,
    sum(failed_calls) * 1.0 / nullif(sum(llm_calls), 0) as error_rate,
    sum(retried_calls) * 1.0 / nullif(sum(llm_calls), 0) as retry_rate,
    max(latency_p50_ms) as worst_daily_p50_ms,
    max(latency_p95_ms) as worst_daily_p95_ms,
    max(latency_p99_ms) as worst_daily_p99_ms,
    sum(cache_read_tokens) * 1.0 / nullif(sum(input_tokens), 0) as cache_read_share
from {{ ref('llm_performance_daily') }}
where call_date > (
    select {{ dbt.dateadd('day', -7, 'max(call_date)') }}
    from {{ ref('llm_performance_daily') }}
)
group by provider_name, model_name
order by llm_calls desc
