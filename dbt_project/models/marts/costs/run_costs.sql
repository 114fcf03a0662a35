{{ config(**incremental_by_input_keys('run_id', 'first_activity_date', 'last_activity_date')) }}
-- One row per run with everything it cost, by component (allocated, all days of the run) and
-- its token usage: the base of cost per run (average and distribution) and tokens per run.
-- Incremental by run: a refresh recomputes the runs with a row, cost or call on a changed day
-- (input_keys.sql); [first_activity_date, last_activity_date] spans the days of all of them.
{%- set inputs = daily_inputs('run_costs') %}
{%- set days = changed_input_days(inputs) %}
with

runs as (

    select * from {{ keyed_input(inputs, 'runs', days) }}

),

allocations as (

    select * from {{ keyed_input(inputs, 'allocations', days) }}

),

llm_calls as (

    select * from {{ keyed_input(inputs, 'llm_calls', days) }}

),

tool_calls as (

    select * from {{ keyed_input(inputs, 'tool_calls', days) }}

),

run_allocations as (

    select
        run_id,
        sum(total_cost_usd) as total_cost_usd,
        sum(estimated_cost_usd) as estimated_cost_usd,
        sum(fixed_cost_usd) as fixed_cost_usd,
        sum(variable_cost_usd) as variable_cost_usd,
        sum(case when cost_component = 'ai_inference' then total_cost_usd else 0 end)
            as ai_cost_usd,
        min(cost_date) as first_cost_date,
        max(cost_date) as last_cost_date,
        {{ sum_by_cost_component([
            'data_plane', 'data_plane_idle', 'control_plane', 'storage', 'network', 'shared',
        ]) }}

    from allocations
    group by run_id

),

run_tokens as (

    select
        run_id,
        count(*) as llm_calls,
        sum(input_tokens) as input_tokens,
        sum(cache_read_tokens) as cache_read_tokens,
        sum(output_tokens) as output_tokens,
        sum(total_tokens) as total_tokens,
        min(call_date) as first_call_date,
        max(call_date) as last_call_date

    from llm_calls
    group by run_id

),

run_tools as (

    select
        run_id,
        count(*) as tool_calls,
        min(call_date) as first_call_date,
        max(call_date) as last_call_date

    from tool_calls
    group by run_id

),

final as (

    select
        ----------  ids
        runs.run_id,
        runs.customer_id,
        coalesce(runs.project_id, '(none)') as project_id,

        ---------- strings
        coalesce(runs.run_type, 'unknown') as run_type,
        runs.template_key,
        runs.final_status,
        runs.worker_pool,

        ---------- numerics
        cast(coalesce(run_tokens.llm_calls, 0) as {{ dbt.type_bigint() }}) as llm_calls,
        cast(coalesce(run_tools.tool_calls, 0) as {{ dbt.type_bigint() }}) as tool_calls,
        cast(coalesce(run_tokens.input_tokens, 0) as {{ dbt.type_bigint() }}) as input_tokens,
        cast(coalesce(run_tokens.cache_read_tokens, 0) as {{ dbt.type_bigint() }})
            as cache_read_tokens,
        cast(coalesce(run_tokens.output_tokens, 0) as {{ dbt.type_bigint() }}) as output_tokens,
        cast(coalesce(run_tokens.total_tokens, 0) as {{ dbt.type_bigint() }}) as total_tokens,
        runs.duration_seconds,
        runs.execution_seconds,
        cast(coalesce(run_allocations.total_cost_usd, 0) as {{ money_type() }}) as total_cost_usd,
        cast(coalesce(run_allocations.estimated_cost_usd, 0) as {{ money_type() }})
            as estimated_cost_usd,
        cast(coalesce(run_allocations.fixed_cost_usd, 0) as {{ money_type() }})
            as fixed_cost_usd,
        cast(coalesce(run_allocations.variable_cost_usd, 0) as {{ money_type() }})
            as variable_cost_usd,
        cast(coalesce(run_allocations.ai_cost_usd, 0) as {{ money_type() }}) as ai_cost_usd,
        cast(
            coalesce(run_allocations.total_cost_usd, 0) - coalesce(run_allocations.ai_cost_usd, 0)
            as {{ money_type() }}
        ) as infrastructure_cost_usd,
        cast(coalesce(run_allocations.data_plane_cost_usd, 0) as {{ money_type() }})
            as data_plane_cost_usd,
        cast(coalesce(run_allocations.data_plane_idle_cost_usd, 0) as {{ money_type() }})
            as data_plane_idle_cost_usd,
        cast(coalesce(run_allocations.control_plane_cost_usd, 0) as {{ money_type() }})
            as control_plane_cost_usd,
        cast(coalesce(run_allocations.storage_cost_usd, 0) as {{ money_type() }})
            as storage_cost_usd,
        cast(coalesce(run_allocations.network_cost_usd, 0) as {{ money_type() }})
            as network_cost_usd,
        cast(coalesce(run_allocations.shared_cost_usd, 0) as {{ money_type() }})
            as shared_cost_usd,

        ---------- booleans
        runs.is_succeeded,
        coalesce(run_allocations.estimated_cost_usd, 0) != 0 as has_estimated_cost,

        ---------- dates
        runs.run_date,
        -- least/greatest skip nulls: a run without costs or calls spans its run_date
        least(
            runs.run_date, run_allocations.first_cost_date, run_tokens.first_call_date,
            run_tools.first_call_date
        ) as first_activity_date,
        greatest(
            runs.run_date, run_allocations.last_cost_date, run_tokens.last_call_date,
            run_tools.last_call_date
        ) as last_activity_date

    from runs
    left join run_allocations
        on runs.run_id = run_allocations.run_id
    left join run_tokens
        on runs.run_id = run_tokens.run_id
    left join run_tools
        on runs.run_id = run_tools.run_id

)

select * from final
