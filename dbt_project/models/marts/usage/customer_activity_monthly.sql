-- How often each customer uses the factory, per month: active days (a run queued or a session
-- started), runs, runs per active day, sessions, active users, first and last active day.
with

runs as (

    select * from {{ ref('fct_runs') }}

),

sessions as (

    select * from {{ ref('fct_sessions') }}
    where not is_run_session

),

activity as (

    select
        customer_id,
        run_date as activity_date,
        1 as runs,
        0 as sessions,
        cast(null as {{ dbt.type_string() }}) as user_id
    from runs
    union all
    select
        customer_id,
        session_date as activity_date,
        0 as runs,
        1 as sessions,
        user_id
    from sessions

),

grouped as (

    select
        customer_id,
        cast({{ dbt.date_trunc('month', 'activity_date') }} as date) as month_start_date,
        count(distinct activity_date) as active_days,
        count(distinct case when runs = 1 then activity_date end) as days_with_runs,
        sum(runs) as runs,
        sum(sessions) as sessions,
        count(distinct user_id) as active_users,
        min(activity_date) as first_active_date,
        max(activity_date) as last_active_date

    from activity
    group by customer_id, cast({{ dbt.date_trunc('month', 'activity_date') }} as date)

),

final as (

    select
        ----------  ids
        {{ generate_surrogate_key(['customer_id', 'month_start_date']) }}
            as customer_activity_id,
        customer_id,

        ---------- numerics
        cast(active_days as {{ dbt.type_bigint() }}) as active_days,
        cast(days_with_runs as {{ dbt.type_bigint() }}) as days_with_runs,
        cast(runs as {{ dbt.type_bigint() }}) as runs,
        cast(runs as {{ type_double() }}) / nullif(days_with_runs, 0)
            as runs_per_active_day,
        cast(sessions as {{ dbt.type_bigint() }}) as sessions,
        cast(active_users as {{ dbt.type_bigint() }}) as active_users,

        ---------- dates
        month_start_date,
        first_active_date,
        last_active_date

    from grouped

)

select * from final
