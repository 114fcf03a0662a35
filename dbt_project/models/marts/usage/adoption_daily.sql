{{ config(**incremental_by_input_days('activity_date', after=29)) }}
-- Adoption per UTC day at three levels: the organisation (customer), its teams and its
-- repositories. Daily, weekly and monthly active users (distinct users with an interactive
-- session that day, in the 7 days, in the 30 days ending that day) and sessions by mode
-- (interactive, headless: runs' agents and internal sessions). A row exists for every day with
-- a session or with users active in the 30 days before it.
-- Incremental by day: a changed day of sessions changes the active users of the 29 days after
-- it too, so a refresh recomputes those days, from the sessions of the 29 days before each
-- (input_digests.sql).
{%- set inputs = daily_inputs('adoption_daily') %}
{%- set days = changed_input_days(inputs) %}
with

sessions as (

    select * from {{ daily_input(inputs, 'sessions', days, before=29, after=29) }}

),

-- the days to recompute (all in a full build): the rolling windows end on them
dates as (

    select * from {{ daily_input(inputs, 'dates', days, after=29) }}

),

session_groups as (

    select
        session_date as activity_date,
        customer_id,
        'organization' as adoption_level,
        customer_id as group_value,
        user_id,
        session_mode
    from sessions
    union all
    select
        session_date as activity_date,
        customer_id,
        'team' as adoption_level,
        coalesce(team_name, '(none)') as group_value,
        user_id,
        session_mode
    from sessions
    union all
    select
        session_date as activity_date,
        customer_id,
        'repository' as adoption_level,
        coalesce(repository_name, '(none)') as group_value,
        user_id,
        session_mode
    from sessions

),

daily_sessions as (

    select
        activity_date,
        customer_id,
        adoption_level,
        group_value,
        sum(case when session_mode = 'interactive' then 1 else 0 end) as interactive_sessions,
        sum(case when session_mode = 'headless' then 1 else 0 end) as headless_sessions,
        count(*) as sessions

    from session_groups
    group by activity_date, customer_id, adoption_level, group_value

),

user_days as (

    select distinct
        activity_date,
        customer_id,
        adoption_level,
        group_value,
        user_id

    from session_groups
    where user_id is not null

),

-- each user day counts towards the 30 days ending on it through the 29th after: repeated per
-- row over those days (linear in the rows; a join to the calendar on a range is an inequality join)
user_windows as (

    select
        activity_date,
        customer_id,
        adoption_level,
        group_value,
        user_id,
        {{ days_touched('activity_date', dbt.dateadd('day', 29, 'activity_date')) }} as window_day

    from user_days

),

rolling_users as (

    select
        dates.date_day as activity_date,
        user_windows.customer_id,
        user_windows.adoption_level,
        user_windows.group_value,
        count(distinct case
            when user_windows.activity_date = dates.date_day then user_windows.user_id
        end) as daily_active_users,
        count(distinct case
            when user_windows.activity_date > {{ dbt.dateadd('day', -7, 'dates.date_day') }}
                then user_windows.user_id
        end) as weekly_active_users,
        count(distinct user_windows.user_id) as monthly_active_users

    from user_windows
    inner join dates
        on user_windows.window_day = dates.date_day
    group by
        dates.date_day,
        user_windows.customer_id,
        user_windows.adoption_level,
        user_windows.group_value

),

keys as (

    select
        activity_date,
        customer_id,
        adoption_level,
        group_value
    from daily_sessions
    union
    select
        activity_date,
        customer_id,
        adoption_level,
        group_value
    from rolling_users

),

final as (

    select
        ----------  ids
        {{ generate_surrogate_key([
            'keys.activity_date', 'keys.customer_id', 'keys.adoption_level', 'keys.group_value'
        ]) }} as adoption_id,
        keys.customer_id,

        ---------- strings
        keys.adoption_level,
        keys.group_value,

        ---------- numerics
        cast(coalesce(rolling_users.daily_active_users, 0) as {{ dbt.type_bigint() }})
            as daily_active_users,
        cast(coalesce(rolling_users.weekly_active_users, 0) as {{ dbt.type_bigint() }})
            as weekly_active_users,
        cast(coalesce(rolling_users.monthly_active_users, 0) as {{ dbt.type_bigint() }})
            as monthly_active_users,
        cast(coalesce(daily_sessions.sessions, 0) as {{ dbt.type_bigint() }}) as sessions,
        cast(coalesce(daily_sessions.interactive_sessions, 0) as {{ dbt.type_bigint() }})
            as interactive_sessions,
        cast(coalesce(daily_sessions.headless_sessions, 0) as {{ dbt.type_bigint() }})
            as headless_sessions,

        ---------- dates
        keys.activity_date

    from keys
    left join daily_sessions
        on
            keys.activity_date = daily_sessions.activity_date
            and keys.customer_id = daily_sessions.customer_id
            and keys.adoption_level = daily_sessions.adoption_level
            and keys.group_value = daily_sessions.group_value
    left join rolling_users
        on
            keys.activity_date = rolling_users.activity_date
            and keys.customer_id = rolling_users.customer_id
            and keys.adoption_level = rolling_users.adoption_level
            and keys.group_value = rolling_users.group_value
    -- the sessions read reach 29 days either side of the recomputed days: days with a partial
    -- window are left as they are
    where {{ input_days_filter('keys.activity_date', days, after=29) }}

)

-- stored in day order (dbt_project/README.md: a refresh touches the newest row groups)
select * from final
order by activity_date
