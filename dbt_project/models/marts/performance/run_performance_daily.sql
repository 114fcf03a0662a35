{{ config(**incremental_by_input_days('run_date')) }}
-- Run performance per UTC day (the day a run was first queued), customer, project, run type and
-- template: volume, success rate after automatic retries (target 95 %), first-attempt success,
-- duration percentiles, the share of runs within their expected duration (target 90 %) and
-- queue latency. Rates are over finished runs; in-flight runs only count in `runs`.
-- Incremental by day: a refresh recomputes the days whose runs changed (input_digests.sql).
{%- set inputs = daily_inputs('run_performance_daily') %}
{%- set days = changed_input_days(inputs) %}
with

runs as (

    select * from {{ daily_input(inputs, 'runs', days) }}

),

grouped as (

    select
        run_date,
        customer_id,
        coalesce(project_id, '(none)') as project_id,
        coalesce(run_type, 'unknown') as run_type,
        template_key,
        count(*) as runs,
        sum(case when is_finished then 1 else 0 end) as finished_runs,
        sum(case when is_succeeded then 1 else 0 end) as succeeded_runs,
        sum(case when is_finished and is_first_attempt_succeeded then 1 else 0 end)
            as first_attempt_succeeded_runs,
        sum(case when was_retried then 1 else 0 end) as retried_runs,
        sum(case when is_within_expected_duration then 1 else 0 end) as within_expected_runs,
        sum(case when is_within_expected_duration is not null then 1 else 0 end)
            as runs_with_expectation,
        {{ percentile_cont('duration_seconds', 0.5) }} as duration_p50_seconds,
        {{ percentile_cont('duration_seconds', 0.9) }} as duration_p90_seconds,
        {{ percentile_cont('duration_seconds', 0.95) }} as duration_p95_seconds,
        {{ percentile_cont('duration_seconds', 0.99) }} as duration_p99_seconds,
        avg(duration_seconds) as duration_avg_seconds,
        {{ percentile_cont('queue_seconds', 0.5) }} as queue_p50_seconds,
        {{ percentile_cont('queue_seconds', 0.95) }} as queue_p95_seconds

    from runs
    group by
        run_date,
        customer_id,
        coalesce(project_id, '(none)'),
        coalesce(run_type, 'unknown'),
        template_key

),

final as (

    select
        ----------  ids
        {{ generate_surrogate_key([
            'run_date', 'customer_id', 'project_id', 'run_type', 'template_key'
        ]) }} as run_performance_id,
        customer_id,
        project_id,

        ---------- strings
        run_type,
        template_key,

        ---------- numerics
        cast(runs as {{ dbt.type_bigint() }}) as runs,
        cast(finished_runs as {{ dbt.type_bigint() }}) as finished_runs,
        cast(succeeded_runs as {{ dbt.type_bigint() }}) as succeeded_runs,
        cast(first_attempt_succeeded_runs as {{ dbt.type_bigint() }})
            as first_attempt_succeeded_runs,
        cast(retried_runs as {{ dbt.type_bigint() }}) as retried_runs,
        cast(within_expected_runs as {{ dbt.type_bigint() }}) as within_expected_runs,
        cast(runs_with_expectation as {{ dbt.type_bigint() }}) as runs_with_expectation,
        cast(succeeded_runs as {{ type_double() }}) / nullif(finished_runs, 0)
            as success_rate,
        cast(first_attempt_succeeded_runs as {{ type_double() }}) / nullif(finished_runs, 0)
            as first_attempt_success_rate,
        cast(within_expected_runs as {{ type_double() }}) / nullif(runs_with_expectation, 0)
            as within_expected_share,
        cast(duration_p50_seconds as {{ type_double() }}) as duration_p50_seconds,
        cast(duration_p90_seconds as {{ type_double() }}) as duration_p90_seconds,
        cast(duration_p95_seconds as {{ type_double() }}) as duration_p95_seconds,
        cast(duration_p99_seconds as {{ type_double() }}) as duration_p99_seconds,
        cast(duration_avg_seconds as {{ type_double() }}) as duration_avg_seconds,
        cast(queue_p50_seconds as {{ type_double() }}) as queue_p50_seconds,
        cast(queue_p95_seconds as {{ type_double() }}) as queue_p95_seconds,
        cast(0.95 as {{ type_double() }}) as success_rate_target,
        cast(0.90 as {{ type_double() }}) as within_expected_target,

        ---------- booleans
        cast(succeeded_runs as {{ type_double() }}) / nullif(finished_runs, 0) >= 0.95
            as meets_success_rate_target,
        cast(within_expected_runs as {{ type_double() }}) / nullif(runs_with_expectation, 0)
        >= 0.90 as meets_within_expected_target,

        ---------- dates
        run_date

    from grouped

)

-- stored in day order (dbt_project/README.md: a refresh touches the newest row groups)
select * from final
order by run_date
