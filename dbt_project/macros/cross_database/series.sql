{#-
    A select statement generating one row per day (`date_day`) from `start_expression` to
    `end_expression` inclusive. The bounds are SQL expressions, scalar subqueries included; null
    bounds give no row. The default joins a numbers table of 2^17 rows (359 years).
-#}
{% macro date_series(start_expression, end_expression) -%}
    {{ adapter.dispatch('date_series', 'factory_warehouse')(start_expression, end_expression) }}
{%- endmacro %}

{% macro default__date_series(start_expression, end_expression) -%}
    select cast({{ dbt.dateadd('day', 'numbers.generated_number - 1', 'bounds.start_day') }} as date)
        as date_day
    from (
        select
            cast({{ start_expression }} as date) as start_day,
            cast({{ end_expression }} as date) as end_day
    ) as bounds
    cross join ({{ dbt.generate_series(131072) }}) as numbers
    where
        numbers.generated_number - 1
        <= {{ dbt.datediff('bounds.start_day', 'bounds.end_day', 'day') }}
{%- endmacro %}

{% macro duckdb__date_series(start_expression, end_expression) -%}
    select cast(unnest(generate_series(bounds.start_day, bounds.end_day, interval 1 day)) as date)
        as date_day
    from (
        select
            cast({{ start_expression }} as date) as start_day,
            cast({{ end_expression }} as date) as end_day
    ) as bounds
    where bounds.start_day <= bounds.end_day
{%- endmacro %}

{#-
    In a select list: the row repeated once per full UTC hour that [`start_expression`,
    `end_expression`) touches, as that hour's start (the hours h with date_trunc(hour, start) <= h
    < end; none when end <= the start's hour). Generated per row, so its cost is linear in the
    rows: a join of intervals to an hour spine is an inequality join.
-#}
{% macro hours_touched(start_expression, end_expression) -%}
    {{ adapter.dispatch('hours_touched', 'factory_warehouse')(start_expression, end_expression) }}
{%- endmacro %}

{% macro default__hours_touched(start_expression, end_expression) -%}
    generate_series(
        {{ dbt.date_trunc('hour', start_expression) }},
        {{ end_expression }} - interval '1 microsecond',
        interval '1 hour'
    )
{%- endmacro %}

{% macro duckdb__hours_touched(start_expression, end_expression) -%}
    unnest(range(
        date_trunc('hour', cast({{ start_expression }} as timestamp)),
        cast({{ end_expression }} as timestamp),
        interval 1 hour
    ))
{%- endmacro %}

{#-
    In a select list: the row repeated once per UTC day from `start_expression`'s date to
    `end_expression`'s date inclusive, as that date (none when the end's date is before the
    start's). Linear in the rows, as hours_touched.
-#}
{% macro days_touched(start_expression, end_expression) -%}
    {{ adapter.dispatch('days_touched', 'factory_warehouse')(start_expression, end_expression) }}
{%- endmacro %}

{% macro default__days_touched(start_expression, end_expression) -%}
    cast(generate_series(
        cast({{ start_expression }} as date), cast({{ end_expression }} as date), interval '1 day'
    ) as date)
{%- endmacro %}

{% macro duckdb__days_touched(start_expression, end_expression) -%}
    cast(unnest(generate_series(
        cast({{ start_expression }} as date), cast({{ end_expression }} as date), interval 1 day
    )) as date)
{%- endmacro %}
