-- One row per run with everything it cost, by component (allocated, all days of the run) and
-- its token usage: the base of cost per run (average and distribution) and tokens per run.
-- Added up from the run's days (run_costs_daily), which a refresh recomputes only where their
-- allocations or calls changed.
with

runs as (

    select * from {{ ref('fct_runs') }}

),

run_days as (

    select * from {{ ref('run_costs_daily') }}

),

run_totals as (

    select
        run_id,
        sum(llm_calls) as llm_calls,
        sum(tool_calls) as tool_calls,
        sum(input_tokens) as input_tokens,
        sum(cache_read_tokens) as cache_read_tokens,
        sum(output_tokens) as output_tokens,
        sum(total_tokens) as total_tokens,
        sum(total_cost_usd) as total_cost_usd,
        sum(estimated_cost_usd) as estimated_cost_usd,
        sum(fixed_cost_usd) as fixed_cost_usd,
        sum(variable_cost_usd) as variable_cost_usd,
        sum(ai_inference_cost_usd) as ai_cost_usd,
        sum(data_plane_cost_usd) as data_plane_cost_usd,
        sum(data_plane_idle_cost_usd) as data_plane_idle_cost_usd,
        sum(control_plane_cost_usd) as control_plane_cost_usd,
        sum(storage_cost_usd) as storage_cost_usd,
        sum(network_cost_usd) as network_cost_usd,
        sum(shared_cost_usd) as shared_cost_usd

    from run_days
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
        cast(coalesce(run_totals.llm_calls, 0) as {{ dbt.type_bigint() }}) as llm_calls,
        cast(coalesce(run_totals.tool_calls, 0) as {{ dbt.type_bigint() }}) as tool_calls,
        cast(coalesce(run_totals.input_tokens, 0) as {{ dbt.type_bigint() }}) as input_tokens,
        cast(coalesce(run_totals.cache_read_tokens, 0) as {{ dbt.type_bigint() }})
            as cache_read_tokens,
        cast(coalesce(run_totals.output_tokens, 0) as {{ dbt.type_bigint() }}) as output_tokens,
        cast(coalesce(run_totals.total_tokens, 0) as {{ dbt.type_bigint() }}) as total_tokens,
        runs.duration_seconds,
        runs.execution_seconds,
        cast(coalesce(run_totals.total_cost_usd, 0) as {{ money_type() }}) as total_cost_usd,
        cast(coalesce(run_totals.estimated_cost_usd, 0) as {{ money_type() }})
            as estimated_cost_usd,
        cast(coalesce(run_totals.fixed_cost_usd, 0) as {{ money_type() }})
            as fixed_cost_usd,
        cast(coalesce(run_totals.variable_cost_usd, 0) as {{ money_type() }})
            as variable_cost_usd,
        cast(coalesce(run_totals.ai_cost_usd, 0) as {{ money_type() }}) as ai_cost_usd,
        cast(
            coalesce(run_totals.total_cost_usd, 0) - coalesce(run_totals.ai_cost_usd, 0)
            as {{ money_type() }}
        ) as infrastructure_cost_usd,
        cast(coalesce(run_totals.data_plane_cost_usd, 0) as {{ money_type() }})
            as data_plane_cost_usd,
        cast(coalesce(run_totals.data_plane_idle_cost_usd, 0) as {{ money_type() }})
            as data_plane_idle_cost_usd,
        cast(coalesce(run_totals.control_plane_cost_usd, 0) as {{ money_type() }})
            as control_plane_cost_usd,
        cast(coalesce(run_totals.storage_cost_usd, 0) as {{ money_type() }})
            as storage_cost_usd,
        cast(coalesce(run_totals.network_cost_usd, 0) as {{ money_type() }})
            as network_cost_usd,
        cast(coalesce(run_totals.shared_cost_usd, 0) as {{ money_type() }})
            as shared_cost_usd,

        ---------- booleans
        runs.is_succeeded,
        coalesce(run_totals.estimated_cost_usd, 0) != 0 as has_estimated_cost,

        ---------- dates
        runs.run_date

    from runs
    left join run_totals
        on runs.run_id = run_totals.run_id

)

select * from final
