{{ config(**incremental_by_input_days('cost_date')) }}
-- Cost per UTC day, customer and agent operation: chat, text_completion and embeddings carry
-- their allocated AI cost (llm_usage_daily); execute_tool carries the share of its run's
-- data-plane cost (idle share included) that the run's tool executions took of the run's worker
-- time that day. The rest of a run's infrastructure cost belongs to no single operation and is
-- not in this mart (see cost_daily).
-- Incremental by day: a refresh recomputes the days whose LLM usage, tool calls, worker time or
-- worker cost changed (input_digests.sql).
{%- set inputs = daily_inputs('cost_by_operation_daily') %}
{%- set days = changed_input_days(inputs) %}
with

llm_usage as (

    select * from {{ daily_input(inputs, 'llm_usage', days) }}

),

-- the tool calls of runs
tool_calls as (

    select * from {{ daily_input(inputs, 'tool_calls', days) }}

),

attempt_days as (

    select * from {{ daily_input(inputs, 'attempt_days', days) }}

),

-- the runs' data-plane cost, idle share included
worker_costs as (

    select * from {{ daily_input(inputs, 'worker_costs', days) }}

),

llm_operations as (

    select
        call_date as cost_date,
        customer_id,
        operation_name,
        sum(llm_calls) as calls,
        sum(ai_cost_usd) as cost_usd

    from llm_usage
    group by call_date, customer_id, operation_name

),

run_tool_seconds as (

    select
        call_date as cost_date,
        run_id,
        max(customer_id) as customer_id,
        count(*) as calls,
        sum(duration_ms) / 1000.0 as tool_seconds

    from tool_calls
    group by call_date, run_id

),

run_busy_seconds as (

    select
        usage_date as cost_date,
        run_id,
        sum(busy_seconds) as busy_seconds

    from attempt_days
    group by usage_date, run_id

),

run_worker_costs as (

    select
        cost_date,
        run_id,
        sum(total_cost_usd) as worker_cost_usd

    from worker_costs
    group by cost_date, run_id

),

tool_operations as (

    select
        run_tool_seconds.cost_date,
        run_tool_seconds.customer_id,
        'execute_tool' as operation_name,
        sum(run_tool_seconds.calls) as calls,
        sum(
            coalesce(run_worker_costs.worker_cost_usd, 0)
            * case
                when coalesce(run_busy_seconds.busy_seconds, 0) <= 0 then 0
                when run_tool_seconds.tool_seconds >= run_busy_seconds.busy_seconds then 1
                else run_tool_seconds.tool_seconds / run_busy_seconds.busy_seconds
            end
        ) as cost_usd

    from run_tool_seconds
    left join run_busy_seconds
        on
            run_tool_seconds.cost_date = run_busy_seconds.cost_date
            and run_tool_seconds.run_id = run_busy_seconds.run_id
    left join run_worker_costs
        on
            run_tool_seconds.cost_date = run_worker_costs.cost_date
            and run_tool_seconds.run_id = run_worker_costs.run_id
    group by run_tool_seconds.cost_date, run_tool_seconds.customer_id

),

operations as (

    select * from llm_operations
    union all
    select * from tool_operations

),

final as (

    select
        ----------  ids
        {{ generate_surrogate_key(['cost_date', 'customer_id', 'operation_name']) }}
            as cost_by_operation_id,
        customer_id,

        ---------- strings
        operation_name,
        case
            when operation_name = 'execute_tool' then 'worker_time_share'
            else 'llm_invoice'
        end as cost_basis,

        ---------- numerics
        cast(calls as {{ dbt.type_bigint() }}) as calls,
        cast(cost_usd as {{ money_type() }}) as cost_usd,

        ---------- dates
        cost_date

    from operations

)

-- stored in day order (dbt_project/README.md: a refresh touches the newest row groups)
select * from final
order by cost_date
