{#-
    The body of kpi_trends_weekly and kpi_trends_monthly: per period (`week` or `month`) and
    customer, plus `__all__` for the whole factory, the headline KPIs and their change versus the
    previous period (week-over-week, month-over-month). Runs count in the period they were
    created; cost in the period it was incurred.
-#}
{% macro kpi_trends_sql(period) -%}
{%- set step = 7 if period == 'week' else 1 -%}
{%- set step_part = 'day' if period == 'week' else 'month' -%}
with

runs as (

    select * from {{ ref('fct_runs') }}

),

cost_daily as (

    select * from {{ ref('cost_daily') }}

),

run_scopes as (

    select
        cast({{ dbt.date_trunc(period, 'run_date') }} as date) as period_start_date,
        customer_id,
        is_finished,
        is_succeeded,
        duration_seconds
    from runs
    union all
    select
        cast({{ dbt.date_trunc(period, 'run_date') }} as date) as period_start_date,
        '__all__' as customer_id,
        is_finished,
        is_succeeded,
        duration_seconds
    from runs

),

run_kpis as (

    select
        period_start_date,
        customer_id,
        count(*) as runs,
        sum(case when is_finished then 1 else 0 end) as finished_runs,
        sum(case when is_succeeded then 1 else 0 end) as succeeded_runs,
        {{ percentile_cont('duration_seconds', 0.5) }} as duration_p50_seconds,
        {{ percentile_cont('duration_seconds', 0.95) }} as duration_p95_seconds

    from run_scopes
    group by period_start_date, customer_id

),

cost_scopes as (

    select
        cast({{ dbt.date_trunc(period, 'cost_date') }} as date) as period_start_date,
        customer_id,
        total_cost_usd,
        case when is_ai_cost then total_cost_usd else 0 end as ai_cost_usd
    from cost_daily
    union all
    select
        cast({{ dbt.date_trunc(period, 'cost_date') }} as date) as period_start_date,
        '__all__' as customer_id,
        total_cost_usd,
        case when is_ai_cost then total_cost_usd else 0 end as ai_cost_usd
    from cost_daily

),

cost_kpis as (

    select
        period_start_date,
        customer_id,
        sum(total_cost_usd) as total_cost_usd,
        sum(ai_cost_usd) as ai_cost_usd

    from cost_scopes
    group by period_start_date, customer_id

),

keys as (

    select
        period_start_date,
        customer_id
    from run_kpis
    union
    select
        period_start_date,
        customer_id
    from cost_kpis

),

kpis as (

    select
        keys.period_start_date,
        keys.customer_id,
        coalesce(run_kpis.runs, 0) as runs,
        coalesce(run_kpis.finished_runs, 0) as finished_runs,
        cast(run_kpis.succeeded_runs as {{ type_double() }})
        / nullif(run_kpis.finished_runs, 0) as success_rate,
        run_kpis.duration_p50_seconds,
        run_kpis.duration_p95_seconds,
        coalesce(cost_kpis.total_cost_usd, 0) as total_cost_usd,
        coalesce(cost_kpis.ai_cost_usd, 0) as ai_cost_usd

    from keys
    left join run_kpis
        on
            keys.period_start_date = run_kpis.period_start_date
            and keys.customer_id = run_kpis.customer_id
    left join cost_kpis
        on
            keys.period_start_date = cost_kpis.period_start_date
            and keys.customer_id = cost_kpis.customer_id

),

final as (

    select
        ----------  ids
        {{ generate_surrogate_key(['current_period.period_start_date', 'current_period.customer_id']) }}
            as kpi_trend_id,
        current_period.customer_id,

        ---------- numerics
        cast(current_period.runs as {{ dbt.type_bigint() }}) as runs,
        cast(current_period.finished_runs as {{ dbt.type_bigint() }}) as finished_runs,
        cast(current_period.success_rate as {{ type_double() }}) as success_rate,
        cast(current_period.duration_p50_seconds as {{ type_double() }})
            as duration_p50_seconds,
        cast(current_period.duration_p95_seconds as {{ type_double() }})
            as duration_p95_seconds,
        cast(current_period.total_cost_usd as {{ money_type() }}) as total_cost_usd,
        cast(current_period.ai_cost_usd as {{ money_type() }}) as ai_cost_usd,
        cast(previous_period.runs as {{ dbt.type_bigint() }}) as previous_runs,
        cast(previous_period.success_rate as {{ type_double() }}) as previous_success_rate,
        cast(previous_period.duration_p50_seconds as {{ type_double() }})
            as previous_duration_p50_seconds,
        cast(previous_period.total_cost_usd as {{ money_type() }}) as previous_total_cost_usd,
        cast(current_period.runs as {{ type_double() }})
        / nullif(previous_period.runs, 0) - 1 as runs_change,
        cast(current_period.success_rate - previous_period.success_rate as {{ type_double() }})
            as success_rate_change,
        cast(current_period.duration_p50_seconds as {{ type_double() }})
        / nullif(previous_period.duration_p50_seconds, 0) - 1 as duration_p50_change,
        cast(current_period.total_cost_usd as {{ type_double() }})
        / nullif(cast(previous_period.total_cost_usd as {{ type_double() }}), 0) - 1
            as total_cost_change,

        ---------- booleans
        previous_period.period_start_date is not null as has_previous_period,

        ---------- dates
        current_period.period_start_date

    from kpis as current_period
    left join kpis as previous_period
        on
            current_period.customer_id = previous_period.customer_id
            and previous_period.period_start_date = cast(
                {{ dbt.dateadd(step_part, -step, 'current_period.period_start_date') }} as date
            )

)

select * from final
{%- endmacro %}
