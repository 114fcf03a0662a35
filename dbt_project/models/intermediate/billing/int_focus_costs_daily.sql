{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='focus_cost_id',
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_all_if_inputs_changed(daily_inputs(this.identifier)) }}",
    post_hook="{{ store_input_digests(daily_inputs(this.identifier)) }}"
) }}
-- Every deduplicated FOCUS cost row, classified for allocation and normalised by day: a row
-- whose charge period spans several UTC days is spread over them in proportion to the time it
-- covers in each (hourly and daily rows stay on their day). Amounts keep every decimal and the
-- pieces of a row add up to it exactly (allocate_proportionally).
--   cost_component  dedicated (tag factory:customer) > ai_inference (an LLM provider invoice, by
--                   the llm_invoice_providers seed) > data_plane (tag factory:component
--                   data-plane with a factory:worker-pool) > control_plane, storage, network
--                   (tag factory:component) > shared (untagged, or tags the factory does not
--                   know, or data-plane without a pool)
--   cost_pool       the worker pool (data_plane), the LLM provider (ai_inference), the customer
--                   (dedicated), else 'all'
--   cost_class      fixed or variable, by the cost_classification seed (component and service
--                   name; '*' matches any service); unmatched: fixed
--   usd_per_unit    1 for USD, else the exchange_rates seed rate in force that day (null: none)
-- Incremental: only the deduplicated rows not here yet are spread (each row independently of
-- the others), so its rows are only ever added; a change of a seed above or of this code
-- spreads every row again (input_digests.sql).
{%- set inputs = daily_inputs('int_focus_costs_daily') %}
{%- set days = changed_input_days(inputs) %}
with

-- read by ref, not digested: its rows are added, never changed (below)
focus_costs as (

    select * from {{ ref('int_focus_costs_deduplicated') }}
    {% if days is not none -%}
        -- only rows not spread yet: a row's days depend on the row (and the seeds) alone, and a
        -- deduplicated row never changes content, so the rows already here stay right
        where focus_cost_id not in (select kept.focus_cost_id from {{ this }} as kept)
    {%- endif %}

),

invoice_providers as (

    select * from {{ daily_input(inputs, 'invoice_providers', days) }}

),

cost_classification as (

    select * from {{ daily_input(inputs, 'classification', days) }}

),

exchange_rates as (

    select * from {{ daily_input(inputs, 'exchange_rates', days) }}

),

provider_candidates as (

    select
        focus_costs.focus_cost_id,
        invoice_providers.provider as llm_provider,
        case when invoice_providers.focus_service_name = '*' then 1 else 0 end as is_wildcard

    from focus_costs
    inner join invoice_providers
        on
            focus_costs.provider_name = invoice_providers.focus_provider_name
            and (
                invoice_providers.focus_service_name = '*'
                or focus_costs.service_name = invoice_providers.focus_service_name
            )
    where focus_costs.is_ai_service

),

llm_providers as (

    {{ deduplicate('provider_candidates', 'focus_cost_id', 'is_wildcard, llm_provider') }}

),

components as (

    select
        focus_costs.*,
        llm_providers.llm_provider,
        case
            when focus_costs.tag_customer_id is not null then 'dedicated'
            when llm_providers.llm_provider is not null then 'ai_inference'
            when
                focus_costs.tag_component = 'data-plane'
                and focus_costs.tag_worker_pool is not null
                then 'data_plane'
            when focus_costs.tag_component = 'control-plane' then 'control_plane'
            when focus_costs.tag_component = 'storage' then 'storage'
            when focus_costs.tag_component = 'network' then 'network'
            else 'shared'
        end as cost_component,
        coalesce(focus_costs.billing_currency, 'XXX') as currency,
        coalesce(
            focus_costs.charge_period_end_at, focus_costs.charge_period_start_at
        ) as period_end_at

    from focus_costs
    left join llm_providers
        on focus_costs.focus_cost_id = llm_providers.focus_cost_id

),

class_candidates as (

    select
        components.focus_cost_id,
        cost_classification.cost_class,
        case when cost_classification.service_name = '*' then 1 else 0 end as is_wildcard

    from components
    inner join cost_classification
        on
            components.cost_component = cost_classification.cost_component
            and (
                cost_classification.service_name = '*'
                or components.service_name = cost_classification.service_name
            )

),

cost_classes as (

    {{ deduplicate('class_candidates', 'focus_cost_id', 'is_wildcard, cost_class') }}

),

classified as (

    select
        components.*,
        case components.cost_component
            when 'data_plane' then components.tag_worker_pool
            when 'ai_inference' then components.llm_provider
            when 'dedicated' then components.tag_customer_id
            else 'all'
        end as cost_pool,
        coalesce(cost_classes.cost_class, 'fixed') as cost_class

    from components
    left join cost_classes
        on components.focus_cost_id = cost_classes.focus_cost_id

),

days as (

    {{ date_series(
        '(select min(charge_period_start_at) from classified)',
        '(select max(period_end_at) from classified)'
    ) }}

),

line_days as (

    -- the days a row's charge period covers (end exclusive), weighted by the seconds covered;
    -- a row without a period length stays on its start day
    select
        classified.*,
        days.date_day as cost_date,
        case
            when classified.period_end_at <= classified.charge_period_start_at then 1
            else {{ dbt.datediff(
                'greatest(classified.charge_period_start_at, cast(days.date_day as ' ~ dbt.type_timestamp() ~ '))',
                'least(classified.period_end_at, ' ~ dbt.dateadd('day', 1, 'cast(days.date_day as ' ~ dbt.type_timestamp() ~ ')') ~ ')',
                'second'
            ) }}
        end as covered_seconds

    from classified
    inner join days
        on
            cast(classified.charge_period_start_at as date) <= days.date_day
            and (
                classified.period_end_at > days.date_day
                or cast(classified.charge_period_start_at as date) = days.date_day
            )

),

covered_days as (

    select * from line_days
    where covered_seconds > 0

),

spread as (

    {{ allocate_proportionally(
        'covered_days',
        ['focus_cost_id'],
        'covered_seconds',
        ['billed_cost', 'effective_cost', 'list_cost'],
        'cost_date'
    ) }}

),

rate_periods as (

    select
        currency,
        effective_from,
        lead(effective_from) over (partition by currency order by effective_from) as effective_to,
        usd_per_unit

    from exchange_rates

),

final as (

    select
        spread.focus_cost_id,
        spread.cost_date,
        spread.cost_component,
        spread.cost_pool,
        spread.cost_class,
        spread.currency as billing_currency,
        spread.llm_provider,
        case when spread.cost_component = 'data_plane' then spread.tag_worker_pool end
            as worker_pool,
        spread.tag_customer_id as dedicated_customer_id,
        spread.provider_name,
        spread.service_category,
        spread.service_name,
        spread.charge_category,
        spread.sku_id,
        spread.consumed_unit,
        case
            when spread.currency = 'USD' then cast(1 as {{ money_type() }})
            else cast(rate_periods.usd_per_unit as {{ money_type() }})
        end as usd_per_unit,
        spread.consumed_quantity * spread.covered_seconds
        / sum(spread.covered_seconds) over (partition by spread.focus_cost_id)
            as consumed_quantity,
        spread.allocated_billed_cost as billed_cost,
        spread.allocated_effective_cost as effective_cost,
        spread.allocated_list_cost as list_cost,
        spread.is_ai_service,
        spread.charge_period_start_at,
        spread.charge_period_end_at

    from spread
    left join rate_periods
        on
            spread.currency = rate_periods.currency
            and spread.cost_date >= rate_periods.effective_from
            and (spread.cost_date < rate_periods.effective_to or rate_periods.effective_to is null)

),

with_usd as (

    select
        *,
        -- instance hours of a data-plane row: the capacity the pool had provisioned
        case
            when cost_component = 'data_plane' and lower(consumed_unit) in ('hours', 'hrs', 'hour')
                then consumed_quantity * 3600
        end as provisioned_seconds,
        cast(billed_cost * usd_per_unit as {{ money_type() }}) as billed_cost_usd,
        cast(effective_cost * usd_per_unit as {{ money_type() }}) as effective_cost_usd,
        cast(list_cost * usd_per_unit as {{ money_type() }}) as list_cost_usd

    from final

)

select * from with_usd
