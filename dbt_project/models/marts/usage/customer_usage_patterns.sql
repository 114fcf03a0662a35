-- When each customer uses the factory: runs and interactive sessions by ISO day of week and UTC
-- hour of day (when queued / started), over all the data, with each cell's share of the
-- customer's runs.
with

runs as (

    select * from {{ ref('fct_runs') }}

),

sessions as (

    select * from {{ ref('fct_sessions') }}
    where is_interactive

),

run_cells as (

    select
        customer_id,
        {{ iso_day_of_week('queued_at') }} as iso_day_of_week,
        {{ hour_of_day('queued_at') }} as hour_of_day,
        count(*) as runs

    from runs
    group by
        customer_id,
        {{ iso_day_of_week('queued_at') }},
        {{ hour_of_day('queued_at') }}

),

session_cells as (

    select
        customer_id,
        {{ iso_day_of_week('started_at') }} as iso_day_of_week,
        {{ hour_of_day('started_at') }} as hour_of_day,
        count(*) as interactive_sessions

    from sessions
    group by
        customer_id,
        {{ iso_day_of_week('started_at') }},
        {{ hour_of_day('started_at') }}

),

keys as (

    select
        customer_id,
        iso_day_of_week,
        hour_of_day
    from run_cells
    union
    select
        customer_id,
        iso_day_of_week,
        hour_of_day
    from session_cells

),

final as (

    select
        ----------  ids
        {{ generate_surrogate_key([
            'keys.customer_id', 'keys.iso_day_of_week', 'keys.hour_of_day'
        ]) }} as usage_pattern_id,
        keys.customer_id,

        ---------- numerics
        keys.iso_day_of_week,
        keys.hour_of_day,
        cast(coalesce(run_cells.runs, 0) as {{ dbt.type_bigint() }}) as runs,
        cast(coalesce(session_cells.interactive_sessions, 0) as {{ dbt.type_bigint() }})
            as interactive_sessions,
        cast(coalesce(run_cells.runs, 0) as {{ type_double() }})
        / nullif(sum(coalesce(run_cells.runs, 0)) over (partition by keys.customer_id), 0)
            as share_of_customer_runs

    from keys
    left join run_cells
        on
            keys.customer_id = run_cells.customer_id
            and keys.iso_day_of_week = run_cells.iso_day_of_week
            and keys.hour_of_day = run_cells.hour_of_day
    left join session_cells
        on
            keys.customer_id = session_cells.customer_id
            and keys.iso_day_of_week = session_cells.iso_day_of_week
            and keys.hour_of_day = session_cells.hour_of_day

)

select * from final
