{{ config(**incremental_by_input_days('activity_date')) }}
-- One row per agent session (session.id, else its trace) and UTC day it was active: what its
-- spans, LLM calls and cost allocations of that day add up to, which fct_sessions adds up per
-- session. Incremental by day: a refresh recomputes the days whose spans, calls or allocations
-- changed (input_digests.sql), where fct_sessions itself would read every span of the year.
{%- set inputs = daily_inputs('int_sessions_daily') %}
{%- set days = changed_input_days(inputs) %}
with

spans as (

    select * from {{ daily_input(inputs, 'spans') }}
    where {{ input_days_filter('cast(start_at as date)', days) }}

),

llm_calls as (

    select * from {{ daily_input(inputs, 'llm_calls') }}
    where {{ input_days_filter('call_date', days) }}

),

allocations as (

    select * from {{ daily_input(inputs, 'allocations') }}
    where {{ input_days_filter('cost_date', days) }}

),

span_days as (

    select
        coalesce(session_id, trace_id) as session_id,
        cast(start_at as date) as activity_date,
        max(session_mode) as session_mode,
        max(service_name) as service_name,
        max(customer_id) as customer_id,
        max(project_id) as project_id,
        max(user_id) as user_id,
        max(team_name) as team_name,
        max(repository_name) as repository_name,
        max(run_id) as run_id,
        max(run_attempt) as run_attempt,
        max(template_name) as template_name,
        min(start_at) as started_at,
        max(end_at) as ended_at,
        count(*) as spans,
        sum(case when is_llm_call then 1 else 0 end) as llm_calls,
        sum(case when is_tool_call then 1 else 0 end) as tool_calls,
        sum(case when is_llm_call and is_error then 1 else 0 end) as llm_errors,
        sum(case when is_tool_call and is_error then 1 else 0 end) as tool_errors,
        max(case when operation_name = 'invoke_agent' and is_error then 1 else 0 end)
            as has_failed_agent

    from spans
    group by coalesce(session_id, trace_id), cast(start_at as date)

),

call_days as (

    select
        coalesce(session_id, trace_id) as session_id,
        call_date as activity_date,
        sum(total_tokens) as total_tokens,
        sum(cache_read_tokens) as cache_read_tokens,
        sum(coalesce(ai_cost_usd, 0)) as estimated_ai_cost_usd

    from llm_calls
    group by coalesce(session_id, trace_id), call_date

),

allocation_days as (

    select
        cost_object_id as session_id,
        cost_date as activity_date,
        sum(allocated_cost_usd) as allocated_cost_usd

    from allocations
    group by cost_object_id, cost_date

),

session_days as (

    select
        session_id,
        activity_date
    from span_days
    union
    select
        session_id,
        activity_date
    from call_days
    union
    select
        session_id,
        activity_date
    from allocation_days

),

final as (

    select
        ----------  ids
        session_days.session_id,
        span_days.customer_id,
        span_days.project_id,
        span_days.user_id,
        span_days.run_id,
        span_days.run_attempt,

        ---------- strings
        span_days.session_mode,
        span_days.service_name,
        span_days.team_name,
        span_days.repository_name,
        span_days.template_name,

        ---------- numerics: null when the session had no span, call or allocation that day
        cast(span_days.spans as {{ dbt.type_bigint() }}) as spans,
        cast(span_days.llm_calls as {{ dbt.type_bigint() }}) as llm_calls,
        cast(span_days.tool_calls as {{ dbt.type_bigint() }}) as tool_calls,
        cast(span_days.llm_errors as {{ dbt.type_bigint() }}) as llm_errors,
        cast(span_days.tool_errors as {{ dbt.type_bigint() }}) as tool_errors,
        cast(span_days.has_failed_agent as {{ dbt.type_int() }}) as has_failed_agent,
        cast(call_days.total_tokens as {{ dbt.type_bigint() }}) as total_tokens,
        cast(call_days.cache_read_tokens as {{ dbt.type_bigint() }}) as cache_read_tokens,
        cast(call_days.estimated_ai_cost_usd as {{ money_type() }}) as estimated_ai_cost_usd,
        cast(allocation_days.allocated_cost_usd as {{ money_type() }}) as allocated_cost_usd,

        ---------- dates
        session_days.activity_date,

        ---------- timestamps
        span_days.started_at,
        span_days.ended_at

    from session_days
    left join span_days
        on
            session_days.session_id = span_days.session_id
            and session_days.activity_date = span_days.activity_date
    left join call_days
        on
            session_days.session_id = call_days.session_id
            and session_days.activity_date = call_days.activity_date
    left join allocation_days
        on
            session_days.session_id = allocation_days.session_id
            and session_days.activity_date = allocation_days.activity_date

)

-- stored in day order (dbt_project/README.md: a refresh touches the newest row groups)
select * from final
order by activity_date
