-- Invariant: normalising the bill by day loses and adds nothing: per billing currency, the
-- daily FOCUS costs (fct_infra_costs) add up to the deduplicated FOCUS rows, to the cent.
{{ config(tags=['reconciliation']) }}

with

rows_total as (

    select
        coalesce(billing_currency, 'XXX') as billing_currency,
        sum(effective_cost) as effective_cost,
        sum(billed_cost) as billed_cost

    from {{ ref('int_focus_costs_deduplicated') }}
    group by coalesce(billing_currency, 'XXX')

),

daily_total as (

    select
        billing_currency,
        sum(effective_cost) as effective_cost,
        sum(billed_cost) as billed_cost

    from {{ ref('fct_infra_costs') }}
    group by billing_currency

)

select
    coalesce(rows_total.billing_currency, daily_total.billing_currency) as billing_currency,
    rows_total.effective_cost as rows_effective_cost,
    daily_total.effective_cost as daily_effective_cost,
    rows_total.billed_cost as rows_billed_cost,
    daily_total.billed_cost as daily_billed_cost

from rows_total
full outer join daily_total
    on rows_total.billing_currency = daily_total.billing_currency
where
    abs(coalesce(rows_total.effective_cost, 0) - coalesce(daily_total.effective_cost, 0)) >= 0.005
    or abs(coalesce(rows_total.billed_cost, 0) - coalesce(daily_total.billed_cost, 0)) >= 0.005
