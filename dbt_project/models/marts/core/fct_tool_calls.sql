{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='call_date',
    on_schema_change='append_new_columns',
    tags=['daily_partitioned'],
    pre_hook="{{ delete_partition_window('call_date', 'tool_call_id') }}"
) }}
-- One row per tool the agent executed (an `execute_tool` span): tool, risk level, outcome and
-- duration, with the run or session it served.
with

spans as (

    select * from {{ ref('int_spans_deduplicated') }}

),

tool_calls as (

    select
        *,
        cast(start_at as date) as call_date

    from spans
    where is_tool_call

),

window_calls as (

    select * from tool_calls
    where {{ incremental_window_filter('call_date') }}

),

final as (

    select
        ----------  ids
        {{ generate_surrogate_key(['trace_id', 'span_id']) }} as tool_call_id,
        trace_id,
        span_id,
        customer_id,
        project_id,
        run_id,
        coalesce(session_id, trace_id) as session_id,
        user_id,

        ---------- strings
        coalesce(tool_name, 'unknown') as tool_name,
        coalesce(tool_risk_level, 'unknown') as risk_level,
        case when is_error then 'failed' else 'succeeded' end as tool_status,
        error_type,
        session_mode,
        team_name,
        repository_name,

        ---------- numerics
        cast(duration_ms as {{ type_double() }}) as duration_ms,

        ---------- booleans
        not is_error as is_succeeded,
        run_id is not null as is_run_call,

        ---------- dates
        call_date,

        ---------- timestamps
        start_at as started_at,
        end_at as ended_at

    from window_calls

)

-- stored in day order (dbt_project/README.md: a refresh touches the newest row groups)
select * from final
order by call_date
