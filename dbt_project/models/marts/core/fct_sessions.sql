-- One row per agent session (session.id; a span without one forms a session of its trace):
-- interactive droid sessions and headless ones (a run attempt's agent, internal evaluations),
-- with duration, calls, tokens and cost. A headless session of a run (run_id set) has its cost
-- allocated to the run (fct_cost_allocations); `allocated_cost_usd` is only set for sessions
-- that are cost objects of their own.
-- Added up from the session's days (int_sessions_daily), which a refresh recomputes only where
-- their spans, calls or allocations changed.
with

session_days as (

    select * from {{ ref('int_sessions_daily') }}

),

sessions as (

    select
        session_id,
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
        min(started_at) as started_at,
        max(ended_at) as ended_at,
        sum(llm_calls) as llm_calls,
        sum(tool_calls) as tool_calls,
        sum(llm_errors) as llm_errors,
        sum(tool_errors) as tool_errors,
        max(has_failed_agent) as has_failed_agent,
        sum(total_tokens) as total_tokens,
        sum(cache_read_tokens) as cache_read_tokens,
        sum(estimated_ai_cost_usd) as estimated_ai_cost_usd,
        sum(allocated_cost_usd) as allocated_cost_usd

    from session_days
    group by session_id
    -- a session is its spans: calls and allocations of no span of it make none
    having sum(spans) > 0

),

final as (

    select
        ----------  ids
        sessions.session_id,
        sessions.customer_id,
        sessions.project_id,
        sessions.user_id,
        sessions.run_id,
        cast(sessions.run_attempt as {{ dbt.type_int() }}) as run_attempt,

        ---------- strings
        coalesce(sessions.session_mode, 'unknown') as session_mode,
        sessions.service_name,
        sessions.team_name,
        sessions.repository_name,
        sessions.template_name,

        ---------- numerics
        cast(
            {{ dbt.datediff('sessions.started_at', 'sessions.ended_at', 'millisecond') }}
            / 1000.0 as {{ type_double() }}
        ) as duration_seconds,
        cast(sessions.llm_calls as {{ dbt.type_bigint() }}) as llm_calls,
        cast(sessions.tool_calls as {{ dbt.type_bigint() }}) as tool_calls,
        cast(sessions.llm_errors as {{ dbt.type_bigint() }}) as llm_errors,
        cast(sessions.tool_errors as {{ dbt.type_bigint() }}) as tool_errors,
        cast(coalesce(sessions.total_tokens, 0) as {{ dbt.type_bigint() }}) as total_tokens,
        cast(
            coalesce(sessions.cache_read_tokens, 0) as {{ dbt.type_bigint() }}
        ) as cache_read_tokens,
        cast(
            coalesce(sessions.estimated_ai_cost_usd, 0) as {{ money_type() }}
        ) as estimated_ai_cost_usd,
        cast(sessions.allocated_cost_usd as {{ money_type() }}) as allocated_cost_usd,

        ---------- booleans
        coalesce(sessions.session_mode = 'interactive', false) as is_interactive,
        sessions.run_id is not null as is_run_session,
        sessions.has_failed_agent = 1 as has_failed_agent,

        ---------- dates
        cast(sessions.started_at as date) as session_date,

        ---------- timestamps
        sessions.started_at,
        sessions.ended_at

    from sessions

)

select * from final
