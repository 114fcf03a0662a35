{#-
    In an incremental run of a model that rolls an append-only daily input up by day, a
    predicate on `date_column` keeping the days to recompute: the days whose number of input
    rows differs from the number this model has consumed (`count_column`, summed per day over
    `this`), plus the run's partition window when it has one.

    Sound when the input's rows are never changed or removed, only added (any day, however
    late: a re-export, a monthly invoice): then a day's input changed exactly when its row
    count did. It reads the input's date column only, and the days are looked up when the
    model is compiled and inlined as literals, so DuckDB prunes the input's scan to them.
    Outside an incremental run: every day.
-#}
{% macro changed_days_filter(input, input_date_column, date_column, count_column) -%}
    {%- if is_incremental() -%}
        {%- if execute -%}
            {%- set query -%}
                with input_days as (
                    select {{ input_date_column }} as day, count(*) as input_rows
                    from {{ input }}
                    group by {{ input_date_column }}
                ),
                kept_days as (
                    select {{ date_column }} as day, sum({{ count_column }}) as input_rows
                    from {{ this }}
                    group by {{ date_column }}
                )
                select cast(day as varchar) as day
                from input_days
                full outer join kept_days using (day)
                where input_days.input_rows is distinct from kept_days.input_rows
                order by day
            {%- endset -%}
            {%- set days = run_query(query).columns[0].values() -%}
        {%- else -%}
            {%- set days = [] -%}
        {%- endif -%}
        (
            {%- if days | length > 0 %}
            {{ date_column }} in (
                {%- for day in days %}
                cast('{{ day }}' as date){{ ',' if not loop.last }}
                {%- endfor %}
            )
            {%- else %}
            1 = 0
            {%- endif %}
            {%- if var('partition_start', none) and var('partition_end', none) %}
            or ({{ partition_window_predicate(date_column) }})
            {%- endif %}
        )
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}
