-- One row per UTC day from the first to the last day any fact or bill has (today when there is
-- no data yet), with its week (ISO, Monday), month and calendar attributes.
with

run_attempts as (

    select * from {{ ref('int_run_attempts_deduplicated') }}

),

spans as (

    select * from {{ ref('int_spans_deduplicated') }}

),

focus_costs_daily as (

    select * from {{ ref('int_focus_costs_daily') }}

),

bounds as (

    select cast(queued_at as date) as bound_date from run_attempts
    union all
    select cast(coalesce(finished_at, updated_at) as date) from run_attempts
    union all
    select cast(start_at as date) from spans
    union all
    select cast(end_at as date) from spans
    union all
    select cost_date from focus_costs_daily

),

days as (

    {{ date_series(
        'coalesce((select min(bound_date) from bounds), ' ~ dbt.current_timestamp() ~ ')',
        'coalesce((select max(bound_date) from bounds), ' ~ dbt.current_timestamp() ~ ')'
    ) }}

),

final as (

    select
        date_day,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start_date,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start_date,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start_date,
        cast({{ dbt.date_trunc('year', 'date_day') }} as date) as year_start_date,
        cast(extract(year from date_day) as {{ dbt.type_int() }}) as year_number,
        cast(extract(month from date_day) as {{ dbt.type_int() }}) as month_number,
        cast(extract(day from date_day) as {{ dbt.type_int() }}) as day_of_month,
        {{ iso_day_of_week('date_day') }} as iso_day_of_week,
        {{ iso_day_of_week('date_day') }} >= 6 as is_weekend

    from days

)

select * from final
