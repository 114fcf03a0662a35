{{ config(**incremental_by_input_days('cost_date')) }}
-- What there is to allocate: the FOCUS cost of each day, cost component, cost pool (worker pool,
-- LLM provider, dedicated customer, or 'all'), cost class and billing currency.
-- Incremental by day: a refresh recomputes whole the days whose FOCUS rows changed (a late or
-- re-exported file of any earlier day, a monthly invoice) and the partition window
-- (input_digests.sql).
{%- set inputs = daily_inputs('int_cost_pools_daily') %}
{%- set days = changed_input_days(inputs) %}
with

focus_costs_daily as (

    select * from {{ daily_input(inputs, 'focus_costs', days) }}

),

pools as (

    select
        cost_date,
        cost_component,
        cost_pool,
        cost_class,
        billing_currency,
        max(usd_per_unit) as usd_per_unit,
        count(*) as cost_lines,
        sum(provisioned_seconds) as provisioned_seconds,
        sum(billed_cost) as billed_cost,
        sum(effective_cost) as effective_cost

    from focus_costs_daily
    group by cost_date, cost_component, cost_pool, cost_class, billing_currency

)

-- stored in day order (dbt_project/README.md: a refresh touches the newest row groups)
select * from pools
order by cost_date
