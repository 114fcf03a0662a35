-- Tokens per customer, model and day, with the cache-read share.
select
    call_date,
    customer_id,
    model_name,
    sum(input_tokens) as input_tokens,
    sum(output_tokens) as output_tokens,
    sum(total_tokens) as total_tokens,
    sum(cache_read_tokens) * 1.0 / nullif(sum(input_tokens), 0) as cache_read_share
from {{ ref('llm_usage_daily') }}
group by call_date, customer_id, model_name
order by call_date, total_tokens desc
