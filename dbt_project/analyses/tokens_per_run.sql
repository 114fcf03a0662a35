-- Tokens per run: average and distribution per template.
select
    template_key,
    count(*) as runs,
    avg(total_tokens) as avg_tokens,
    {{ percentile_cont('total_tokens', 0.5) }} as p50_tokens,
    {{ percentile_cont('total_tokens', 0.95) }} as p95_tokens,
    sum(cache_read_tokens) * 1.0 / nullif(sum(input_tokens), 0) as cache_read_share
from {{ ref('run_costs') }}
group by template_key
order by avg_tokens desc
