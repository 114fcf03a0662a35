{{ config(**incremental_by_input_days('activity_date')) }}
-- Top workflows per UTC day and customer: run templates (runs created), slash commands, skills,
-- hooks and MCP servers (their droid.* invocation metrics, cumulative series counted once).
-- Incremental by day: a refresh recomputes the days whose runs or metric points changed
-- (input_digests.sql).
{%- set inputs = daily_inputs('workflow_usage_daily') %}
{%- set days = changed_input_days(inputs) %}
with

runs as (

    select * from {{ daily_input(inputs, 'runs', days) }}

),

-- the deltas of the four workflow invocation metrics
metric_deltas as (

    select * from {{ daily_input(inputs, 'metric_points', days) }}

),

templates as (

    select
        run_date as activity_date,
        customer_id,
        'template' as workflow_type,
        template_key as workflow_name,
        count(*) as invocations,
        sum(case when is_succeeded then 1 else 0 end) as succeeded,
        count(*) as runs_or_sessions

    from runs
    group by run_date, customer_id, template_key

),

metric_points as (

    select
        point_date as activity_date,
        customer_id,
        session_id,
        delta_value,
        case metric_name
            when 'droid.slash_command.invocations' then 'slash_command'
            when 'droid.skill.invocations' then 'skill'
            when 'droid.hook.invocations' then 'hook'
            when 'droid.mcp.tool_invocations' then 'mcp_server'
        end as workflow_type,
        coalesce(
            case metric_name
                when 'droid.slash_command.invocations' then slash_command_name
                when 'droid.skill.invocations' then skill_name
                when 'droid.hook.invocations' then hook_name
                when 'droid.mcp.tool_invocations' then mcp_server
            end,
            'unknown'
        ) as workflow_name

    from metric_deltas

),

metric_workflows as (

    select
        activity_date,
        customer_id,
        workflow_type,
        workflow_name,
        sum(delta_value) as invocations,
        cast(null as {{ dbt.type_bigint() }}) as succeeded,
        count(distinct session_id) as runs_or_sessions

    from metric_points
    group by activity_date, customer_id, workflow_type, workflow_name

),

workflows as (

    select * from templates
    union all
    select * from metric_workflows

),

final as (

    select
        ----------  ids
        {{ generate_surrogate_key([
            'activity_date', 'customer_id', 'workflow_type', 'workflow_name'
        ]) }} as workflow_usage_id,
        customer_id,

        ---------- strings
        workflow_type,
        workflow_name,

        ---------- numerics
        cast(invocations as {{ dbt.type_bigint() }}) as invocations,
        cast(succeeded as {{ dbt.type_bigint() }}) as succeeded,
        cast(runs_or_sessions as {{ dbt.type_bigint() }}) as runs_or_sessions,

        ---------- dates
        activity_date

    from workflows

)

-- stored in day order (dbt_project/README.md: a refresh touches the newest row groups)
select * from final
order by activity_date
