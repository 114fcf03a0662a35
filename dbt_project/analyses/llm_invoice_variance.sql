-- Estimated versus invoiced AI cost per provider and day.
select
    cost_date,
    provider_name,
    sum(estimated_cost_usd) as estimated_cost_usd,
    sum(invoiced_cost_usd) as invoiced_cost_usd,
    sum(invoiced_cost_usd) - sum(estimated_cost_usd) as variance_usd,
    (sum(invoiced_cost_usd) - sum(estimated_cost_usd)) / nullif(sum(estimated_cost_usd), 0)
        as variance_share
from {{ ref('llm_invoice_reconciliation') }}
where is_provider_day_invoiced
group by cost_date, provider_name
order by cost_date, provider_name
