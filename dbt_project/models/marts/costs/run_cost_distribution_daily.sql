{{ config(**incremental_by_input_days('run_date')) }}
-- Cost per run per UTC day (the day the run was created), customer and run type: average and
-- distribution (percentiles) of what a run costs, and of its tokens.
-- Incremental by day: a refresh recomputes the days whose run costs changed (input_digests.sql).
{%- set inputs = daily_inputs('run_cost_distribution_daily') %}
{%- set days = changed_input_days(inputs) %}
with

run_costs as (

    select * from {{ daily_input(inputs, 'run_costs', days) }}

),

grouped as (

    select
        run_date,
        customer_id,
        run_type,
        count(*) as runs,
        sum(total_cost_usd) as total_cost_usd,
        sum(ai_cost_usd) as ai_cost_usd,
        avg(cast(total_cost_usd as {{ type_double() }})) as avg_cost_per_run_usd,
        {{ percentile_cont('cast(total_cost_usd as ' ~ type_double() ~ ')', 0.5) }}
            as p50_cost_per_run_usd,
        {{ percentile_cont('cast(total_cost_usd as ' ~ type_double() ~ ')', 0.9) }}
            as p90_cost_per_run_usd,
        {{ percentile_cont('cast(total_cost_usd as ' ~ type_double() ~ ')', 0.95) }}
            as p95_cost_per_run_usd,
        {{ percentile_cont('cast(total_cost_usd as ' ~ type_double() ~ ')', 0.99) }}
            as p99_cost_per_run_usd,
        max(cast(total_cost_usd as {{ type_double() }})) as max_cost_per_run_usd,
        avg(cast(total_tokens as {{ type_double() }})) as avg_tokens_per_run,
        {{ percentile_cont('total_tokens', 0.5) }} as p50_tokens_per_run,
        {{ percentile_cont('total_tokens', 0.95) }} as p95_tokens_per_run

    from run_costs
    group by run_date, customer_id, run_type

),

final as (

    select
        ----------  ids
        {{ generate_surrogate_key(['run_date', 'customer_id', 'run_type']) }}
            as run_cost_distribution_id,
        customer_id,

        ---------- strings
        run_type,

        ---------- numerics
        cast(runs as {{ dbt.type_bigint() }}) as runs,
        cast(total_cost_usd as {{ money_type() }}) as total_cost_usd,
        cast(ai_cost_usd as {{ money_type() }}) as ai_cost_usd,
        cast(avg_cost_per_run_usd as {{ type_double() }}) as avg_cost_per_run_usd,
        cast(p50_cost_per_run_usd as {{ type_double() }}) as p50_cost_per_run_usd,
        cast(p90_cost_per_run_usd as {{ type_double() }}) as p90_cost_per_run_usd,
        cast(p95_cost_per_run_usd as {{ type_double() }}) as p95_cost_per_run_usd,
        cast(p99_cost_per_run_usd as {{ type_double() }}) as p99_cost_per_run_usd,
        cast(max_cost_per_run_usd as {{ type_double() }}) as max_cost_per_run_usd,
        cast(avg_tokens_per_run as {{ type_double() }}) as avg_tokens_per_run,
        cast(p50_tokens_per_run as {{ type_double() }}) as p50_tokens_per_run,
        cast(p95_tokens_per_run as {{ type_double() }}) as p95_tokens_per_run,

        ---------- dates
        run_date

    from grouped

)

-- stored in day order (dbt_project/README.md: a refresh touches the newest row groups)
select * from final
order by run_date
