{{ config(**incremental_by_input_days('call_date')) }}
-- Tool usage per UTC day, customer, tool and risk level: invocations, success rate, execution
-- time (total and percentiles), and how many runs and sessions used it.
-- Incremental by day: a refresh recomputes the days whose tool calls changed
-- (input_digests.sql).
{%- set inputs = daily_inputs('tool_usage_daily') %}
{%- set days = changed_input_days(inputs) %}
with

tool_calls as (

    select * from {{ daily_input(inputs, 'tool_calls', days) }}

),

grouped as (

    select
        call_date,
        customer_id,
        tool_name,
        risk_level,
        count(*) as invocations,
        sum(case when is_succeeded then 1 else 0 end) as succeeded_invocations,
        sum(duration_ms) / 1000.0 as execution_seconds,
        {{ percentile_cont('duration_ms', 0.5) }} as duration_p50_ms,
        {{ percentile_cont('duration_ms', 0.95) }} as duration_p95_ms,
        count(distinct run_id) as runs,
        count(distinct session_id) as sessions

    from tool_calls
    group by call_date, customer_id, tool_name, risk_level

),

final as (

    select
        ----------  ids
        {{ generate_surrogate_key(['call_date', 'customer_id', 'tool_name', 'risk_level']) }}
            as tool_usage_id,
        customer_id,

        ---------- strings
        tool_name,
        risk_level,

        ---------- numerics
        cast(invocations as {{ dbt.type_bigint() }}) as invocations,
        cast(succeeded_invocations as {{ dbt.type_bigint() }}) as succeeded_invocations,
        cast(succeeded_invocations as {{ type_double() }}) / nullif(invocations, 0)
            as success_rate,
        cast(execution_seconds as {{ type_double() }}) as execution_seconds,
        cast(duration_p50_ms as {{ type_double() }}) as duration_p50_ms,
        cast(duration_p95_ms as {{ type_double() }}) as duration_p95_ms,
        cast(runs as {{ dbt.type_bigint() }}) as runs,
        cast(sessions as {{ dbt.type_bigint() }}) as sessions,

        ---------- booleans
        risk_level = 'high' as is_high_risk,

        ---------- dates
        call_date

    from grouped

)

-- stored in day order (dbt_project/README.md: a refresh touches the newest row groups)
select * from final
order by call_date
