{{ config(**incremental_by_input_keys('cost_object_id', 'usage_date', 'usage_date')) }}
-- What cost is allocated to, per day: every run (on the day it was created and on each day one
-- of its attempts started) and every agent session that is not a run's (interactive sessions,
-- internal headless sessions), on each day it had spans. With the drivers read off them.
-- Incremental by cost object (input_keys.sql): a refresh recomputes the runs and sessions with
-- an attempt or span on a changed day. An attempt is digested on the day it started (queued,
-- if it has not), where its run has a row, so a stored row finds every object that lost input.
{%- set inputs = daily_inputs('int_cost_objects_daily') %}
{%- set days = changed_input_days(inputs) %}
with

run_attempts as (

    select * from {{ keyed_input(inputs, 'attempts', days) }}

),

spans as (

    select * from {{ keyed_input(inputs, 'session_spans', days) }}

),

first_attempts as (

    {{ deduplicate('run_attempts', 'run_id', 'attempt, queued_at') }}

),

runs_created as (

    select
        cast(queued_at as date) as usage_date,
        run_id,
        customer_id,
        project_id,
        1 as runs_created,
        0 as attempts_started

    from first_attempts

),

attempts_started as (

    select
        cast(run_attempts.started_at as date) as usage_date,
        run_attempts.run_id,
        first_attempts.customer_id,
        first_attempts.project_id,
        0 as runs_created,
        count(*) as attempts_started

    from run_attempts
    inner join first_attempts
        on run_attempts.run_id = first_attempts.run_id
    where run_attempts.started_at is not null
    group by
        cast(run_attempts.started_at as date),
        run_attempts.run_id,
        first_attempts.customer_id,
        first_attempts.project_id

),

run_days as (

    select
        usage_date,
        'run' as cost_object_type,
        run_id as cost_object_id,
        max(customer_id) as customer_id,
        max(project_id) as project_id,
        sum(runs_created) as runs_created,
        sum(attempts_started) as attempts_started,
        0 as session_spans

    from (
        select * from runs_created
        union all
        select * from attempts_started
    ) as run_activity
    group by usage_date, run_id

),

session_days as (

    select
        cast(start_at as date) as usage_date,
        'session' as cost_object_type,
        session_key as cost_object_id,
        max(customer_id) as customer_id,
        max(project_id) as project_id,
        0 as runs_created,
        0 as attempts_started,
        count(*) as session_spans

    from spans
    group by cast(start_at as date), session_key

),

cost_objects as (

    select * from run_days
    union all
    select * from session_days

)

select * from cost_objects
