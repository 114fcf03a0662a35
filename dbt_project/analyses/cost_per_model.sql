-- AI cost per provider and model per month: invoiced (allocated) or estimated.
select
    cast({{ dbt.date_trunc('month', 'call_date') }} as date) as month_start_date,
    provider_name,
    model_name,
    sum(llm_calls) as llm_calls,
    sum(ai_cost_usd) as ai_cost_usd,
    sum(estimated_cost_usd) as estimated_cost_usd
from {{ ref('llm_usage_daily') }}
group by 1, 2, 3
order by 1, ai_cost_usd desc
