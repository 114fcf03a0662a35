{#-
    The window of an incremental fact, on its date column.

    - `dbt run --vars '{partition_start: 2026-10-01, partition_end: 2026-10-02}'` (ISO dates,
      end exclusive; Dagster daily partitions): an incremental run (re)processes exactly these
      days. `delete_partition_window` (a pre-hook) first deletes the window's rows, so a day that
      lost its rows upstream is emptied too; `delete+insert` on the date column writes the rest.
    - no partition vars: the days from the newest day already loaded minus
      `incremental_lookback_days` (default 3) on, for late data.
    - full refresh or first build: everything (the partition vars are ignored).
-#}
{% macro incremental_window_filter(date_column) -%}
    {%- if is_incremental() -%}
        {%- if var('partition_start', none) and var('partition_end', none) -%}
            {{ partition_window_predicate(date_column) }}
        {%- else -%}
            {{ date_column }} >= (
                select
                    cast({{ dbt.dateadd(
                        'day',
                        -1 * (var('incremental_lookback_days', 3) | int),
                        'coalesce(max(' ~ date_column ~ "), cast('1900-01-01' as date))"
                    ) }} as date)
                from {{ this }}
            )
        {%- endif -%}
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{% macro delete_partition_window(date_column) -%}
    {%- if is_incremental() and var('partition_start', none) and var('partition_end', none) -%}
        delete from {{ this }}
        where
            {{ partition_window_predicate(date_column) }}
    {%- endif -%}
{%- endmacro %}

{#- The rows of the partition window on `date_column` (end exclusive): the incremental facts'
    window and their pre-hook's delete. -#}
{% macro partition_window_predicate(date_column) -%}
    {{ date_column }} >= cast('{{ var("partition_start") }}' as date)
            and {{ date_column }} < cast('{{ var("partition_end") }}' as date)
{%- endmacro %}
