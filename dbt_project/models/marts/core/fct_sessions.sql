{{ config(**incremental_by_input_keys('session_id', 'session_date', 'ended_at')) }}
-- One row per agent session (session.id; a span without one forms a session of its trace):
-- interactive droid sessions and headless ones (a run attempt's agent, internal evaluations),
-- with duration, calls, tokens and cost. A headless session of a run (run_id set) has its cost
-- allocated to the run (fct_cost_allocations); `allocated_cost_usd` is only set for sessions
-- that are cost objects of their own.
-- Incremental by session: a refresh recomputes the sessions with spans, calls or allocations on
-- a changed day (input_keys.sql); a session's allocations are on days it had spans
-- (int_cost_objects_daily), so its stored [session_date, ended_at] covers all its inputs' days.
{%- set inputs = daily_inputs('fct_sessions') %}
{%- set days = changed_input_days(inputs) %}
with

spans as (

    select * from {{ keyed_input(inputs, 'spans', days) }}

),

llm_calls as (

    select * from {{ keyed_input(inputs, 'llm_calls', days) }}

),

allocations as (

    select * from {{ keyed_input(inputs, 'allocations', days) }}

),

session_spans as (

    select
        session_key as session_id,
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
        sum(case when is_llm_call then 1 else 0 end) as llm_calls,
        sum(case when is_tool_call then 1 else 0 end) as tool_calls,
        sum(case when is_llm_call and is_error then 1 else 0 end) as llm_errors,
        sum(case when is_tool_call and is_error then 1 else 0 end) as tool_errors,
        max(case when operation_name = 'invoke_agent' and is_error then 1 else 0 end)
            as has_failed_agent

    from spans
    group by session_key

),

session_tokens as (

    select
        session_key as session_id,
        sum(total_tokens) as total_tokens,
        sum(cache_read_tokens) as cache_read_tokens,
        sum(coalesce(ai_cost_usd, 0)) as estimated_ai_cost_usd

    from llm_calls
    group by session_key

),

session_allocations as (

    select
        session_key as session_id,
        sum(allocated_cost_usd) as allocated_cost_usd

    from allocations
    group by session_key

),

final as (

    select
        ----------  ids
        session_spans.session_id,
        session_spans.customer_id,
        session_spans.project_id,
        session_spans.user_id,
        session_spans.run_id,
        cast(session_spans.run_attempt as {{ dbt.type_int() }}) as run_attempt,

        ---------- strings
        coalesce(session_spans.session_mode, 'unknown') as session_mode,
        session_spans.service_name,
        session_spans.team_name,
        session_spans.repository_name,
        session_spans.template_name,

        ---------- numerics
        cast(
            {{ dbt.datediff('session_spans.started_at', 'session_spans.ended_at', 'millisecond') }}
            / 1000.0 as {{ type_double() }}
        ) as duration_seconds,
        cast(session_spans.llm_calls as {{ dbt.type_bigint() }}) as llm_calls,
        cast(session_spans.tool_calls as {{ dbt.type_bigint() }}) as tool_calls,
        cast(session_spans.llm_errors as {{ dbt.type_bigint() }}) as llm_errors,
        cast(session_spans.tool_errors as {{ dbt.type_bigint() }}) as tool_errors,
        cast(coalesce(session_tokens.total_tokens, 0) as {{ dbt.type_bigint() }}) as total_tokens,
        cast(
            coalesce(session_tokens.cache_read_tokens, 0) as {{ dbt.type_bigint() }}
        ) as cache_read_tokens,
        cast(
            coalesce(session_tokens.estimated_ai_cost_usd, 0) as {{ money_type() }}
        ) as estimated_ai_cost_usd,
        cast(session_allocations.allocated_cost_usd as {{ money_type() }}) as allocated_cost_usd,

        ---------- booleans
        coalesce(session_spans.session_mode = 'interactive', false) as is_interactive,
        session_spans.run_id is not null as is_run_session,
        session_spans.has_failed_agent = 1 as has_failed_agent,

        ---------- dates
        cast(session_spans.started_at as date) as session_date,

        ---------- timestamps
        session_spans.started_at,
        session_spans.ended_at

    from session_spans
    left join session_tokens
        on session_spans.session_id = session_tokens.session_id
    left join session_allocations
        on session_spans.session_id = session_allocations.session_id

)

select * from final
