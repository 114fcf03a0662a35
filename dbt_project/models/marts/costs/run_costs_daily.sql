{{ config(**incremental_by_input_days('activity_date')) }}
-- One row per run and UTC day it cost or used something: what was allocated to it that day by
-- component, and its LLM calls, tokens and tool calls of that day. run_costs adds the days up.
-- Incremental by day: a refresh recomputes the days whose allocations or calls changed
-- (input_digests.sql), where run_costs itself would read every call of the history.
{%- set inputs = daily_inputs('run_costs_daily') %}
{%- set days = changed_input_days(inputs) %}
with

allocations as (

    select * from {{ daily_input(inputs, 'allocations') }}
    where {{ input_days_filter('cost_date', days) }}

),

llm_calls as (

    select * from {{ daily_input(inputs, 'llm_calls') }}
    where {{ input_days_filter('call_date', days) }}

),

tool_calls as (

    select * from {{ daily_input(inputs, 'tool_calls') }}
    where {{ input_days_filter('call_date', days) }}

),

allocation_days as (

    select
        run_id,
        cost_date as activity_date,
        sum(total_cost_usd) as total_cost_usd,
        sum(estimated_cost_usd) as estimated_cost_usd,
        sum(fixed_cost_usd) as fixed_cost_usd,
        sum(variable_cost_usd) as variable_cost_usd,
        {{ sum_by_cost_component([
            'ai_inference', 'data_plane', 'data_plane_idle', 'control_plane', 'storage',
            'network', 'shared',
        ]) }}

    from allocations
    group by run_id, cost_date

),

call_days as (

    select
        run_id,
        call_date as activity_date,
        count(*) as llm_calls,
        sum(input_tokens) as input_tokens,
        sum(cache_read_tokens) as cache_read_tokens,
        sum(output_tokens) as output_tokens,
        sum(total_tokens) as total_tokens

    from llm_calls
    group by run_id, call_date

),

tool_days as (

    select
        run_id,
        call_date as activity_date,
        count(*) as tool_calls

    from tool_calls
    group by run_id, call_date

),

run_days as (

    select
        run_id,
        activity_date
    from allocation_days
    union
    select
        run_id,
        activity_date
    from call_days
    union
    select
        run_id,
        activity_date
    from tool_days

),

final as (

    select
        ----------  ids
        {{ generate_surrogate_key(['run_days.run_id', 'run_days.activity_date']) }}
            as run_cost_day_id,
        run_days.run_id,

        ---------- numerics
        cast(coalesce(call_days.llm_calls, 0) as {{ dbt.type_bigint() }}) as llm_calls,
        cast(coalesce(tool_days.tool_calls, 0) as {{ dbt.type_bigint() }}) as tool_calls,
        cast(coalesce(call_days.input_tokens, 0) as {{ dbt.type_bigint() }}) as input_tokens,
        cast(coalesce(call_days.cache_read_tokens, 0) as {{ dbt.type_bigint() }})
            as cache_read_tokens,
        cast(coalesce(call_days.output_tokens, 0) as {{ dbt.type_bigint() }}) as output_tokens,
        cast(coalesce(call_days.total_tokens, 0) as {{ dbt.type_bigint() }}) as total_tokens,
        cast(coalesce(allocation_days.total_cost_usd, 0) as {{ money_type() }}) as total_cost_usd,
        cast(coalesce(allocation_days.estimated_cost_usd, 0) as {{ money_type() }})
            as estimated_cost_usd,
        cast(coalesce(allocation_days.fixed_cost_usd, 0) as {{ money_type() }}) as fixed_cost_usd,
        cast(coalesce(allocation_days.variable_cost_usd, 0) as {{ money_type() }})
            as variable_cost_usd,
        cast(coalesce(allocation_days.ai_inference_cost_usd, 0) as {{ money_type() }})
            as ai_inference_cost_usd,
        cast(coalesce(allocation_days.data_plane_cost_usd, 0) as {{ money_type() }})
            as data_plane_cost_usd,
        cast(coalesce(allocation_days.data_plane_idle_cost_usd, 0) as {{ money_type() }})
            as data_plane_idle_cost_usd,
        cast(coalesce(allocation_days.control_plane_cost_usd, 0) as {{ money_type() }})
            as control_plane_cost_usd,
        cast(coalesce(allocation_days.storage_cost_usd, 0) as {{ money_type() }})
            as storage_cost_usd,
        cast(coalesce(allocation_days.network_cost_usd, 0) as {{ money_type() }})
            as network_cost_usd,
        cast(coalesce(allocation_days.shared_cost_usd, 0) as {{ money_type() }}) as shared_cost_usd,

        ---------- dates
        run_days.activity_date

    from run_days
    left join allocation_days
        on
            run_days.run_id = allocation_days.run_id
            and run_days.activity_date = allocation_days.activity_date
    left join call_days
        on
            run_days.run_id = call_days.run_id
            and run_days.activity_date = call_days.activity_date
    left join tool_days
        on
            run_days.run_id = tool_days.run_id
            and run_days.activity_date = tool_days.activity_date

)

-- stored in day order (dbt_project/README.md: a refresh touches the newest row groups)
select * from final
order by activity_date
