{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='run_date',
    on_schema_change='append_new_columns',
    tags=['daily_partitioned'],
    pre_hook="{{ delete_partition_window('run_date', 'run_id') }}"
) }}
-- One row per run: its attempts rolled up. The final status is the status of its latest attempt
-- (after automatic retries); the duration runs from the first attempt's start to the final
-- attempt's finish (retries, back-off and queueing between them included). Partitioned by
-- run_date, the UTC day the run was first queued.
with

run_attempts as (

    select * from {{ ref('int_run_attempts_deduplicated') }}

),

expected_durations as (

    select * from {{ ref('template_expected_durations') }}

),

run_dates as (

    select
        run_id,
        cast(min(queued_at) as date) as run_date

    from run_attempts
    group by run_id

),

runs_in_window as (

    select * from run_dates
    where {{ incremental_window_filter('run_date') }}

),

window_attempts as (

    select run_attempts.*
    from run_attempts
    inner join runs_in_window
        on run_attempts.run_id = runs_in_window.run_id

),

first_attempts as (

    {{ deduplicate('window_attempts', 'run_id', 'attempt, updated_at desc') }}

),

final_attempts as (

    {{ deduplicate('window_attempts', 'run_id', 'attempt desc, updated_at desc') }}

),

attempt_totals as (

    select
        run_id,
        count(*) as attempts,
        sum(
            {{ dbt.datediff('queued_at', 'coalesce(started_at, updated_at)', 'millisecond') }}
        ) / 1000.0 as total_queue_seconds,
        sum(
            case
                when started_at is not null
                    then {{ dbt.datediff(
                        'started_at', 'coalesce(finished_at, updated_at)', 'millisecond'
                    ) }}
            end
        ) / 1000.0 as execution_seconds,
        sum(cpu_seconds) as cpu_seconds,
        sum(memory_gib_seconds) as memory_gib_seconds,
        max(updated_at) as last_updated_at

    from window_attempts
    group by run_id

),

joined as (

    select
        first_attempts.run_id,
        first_attempts.customer_id,
        first_attempts.project_id,
        runs_in_window.run_date,
        first_attempts.run_type,
        first_attempts.template_name,
        coalesce(first_attempts.template_name, 'ad-hoc') as template_key,
        first_attempts.trigger_type,
        coalesce(final_attempts.worker_pool, first_attempts.worker_pool) as worker_pool,
        coalesce(final_attempts.instance_type, first_attempts.instance_type) as instance_type,
        first_attempts.run_status as first_attempt_status,
        final_attempts.run_status as final_status,
        final_attempts.error_code as final_error_code,
        final_attempts.attempt as final_attempt,
        attempt_totals.attempts,
        first_attempts.queued_at,
        first_attempts.started_at,
        case when final_attempts.is_finished then final_attempts.finished_at end as finished_at,
        attempt_totals.last_updated_at,
        {{ dbt.datediff(
            'first_attempts.queued_at', 'first_attempts.started_at', 'millisecond'
        ) }} / 1000.0 as queue_seconds,
        attempt_totals.total_queue_seconds,
        attempt_totals.execution_seconds,
        case
            when final_attempts.is_finished and first_attempts.started_at is not null
                then {{ dbt.datediff(
                    'first_attempts.started_at', 'final_attempts.finished_at', 'millisecond'
                ) }} / 1000.0
        end as duration_seconds,
        case
            when final_attempts.is_finished and final_attempts.started_at is not null
                then {{ dbt.datediff(
                    'final_attempts.started_at', 'final_attempts.finished_at', 'millisecond'
                ) }} / 1000.0
        end as final_attempt_duration_seconds,
        expected_durations.expected_duration_minutes * 60 as expected_duration_seconds,
        attempt_totals.cpu_seconds,
        attempt_totals.memory_gib_seconds,
        final_attempts.is_finished

    from first_attempts
    inner join final_attempts
        on first_attempts.run_id = final_attempts.run_id
    inner join attempt_totals
        on first_attempts.run_id = attempt_totals.run_id
    inner join runs_in_window
        on first_attempts.run_id = runs_in_window.run_id
    left join expected_durations
        on coalesce(first_attempts.template_name, 'ad-hoc') = expected_durations.template_name

),

final as (

    select
        ----------  ids
        run_id,
        customer_id,
        project_id,

        ---------- strings
        run_type,
        template_name,
        template_key,
        trigger_type,
        worker_pool,
        instance_type,
        first_attempt_status,
        final_status,
        final_error_code,

        ---------- numerics
        cast(attempts as {{ dbt.type_int() }}) as attempts,
        cast(attempts - 1 as {{ dbt.type_int() }}) as automatic_retries,
        cast(final_attempt as {{ dbt.type_int() }}) as final_attempt,
        cast(queue_seconds as {{ type_double() }}) as queue_seconds,
        cast(total_queue_seconds as {{ type_double() }}) as total_queue_seconds,
        cast(execution_seconds as {{ type_double() }}) as execution_seconds,
        cast(duration_seconds as {{ type_double() }}) as duration_seconds,
        cast(final_attempt_duration_seconds as {{ type_double() }})
            as final_attempt_duration_seconds,
        cast(expected_duration_seconds as {{ type_double() }}) as expected_duration_seconds,
        cast(cpu_seconds as {{ type_double() }}) as cpu_seconds,
        cast(memory_gib_seconds as {{ type_double() }}) as memory_gib_seconds,

        ---------- booleans
        is_finished,
        coalesce(final_status = 'succeeded', false) as is_succeeded,
        coalesce(first_attempt_status = 'succeeded', false) as is_first_attempt_succeeded,
        attempts > 1 as was_retried,
        case
            when duration_seconds is null or expected_duration_seconds is null then null
            else duration_seconds <= expected_duration_seconds
        end as is_within_expected_duration,

        ---------- dates
        run_date,

        ---------- timestamps
        queued_at,
        started_at,
        finished_at,
        last_updated_at

    from joined

)

-- stored in day order (dbt_project/README.md: a refresh touches the newest row groups)
select * from final
order by run_date
