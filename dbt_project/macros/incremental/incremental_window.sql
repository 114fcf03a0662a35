{#-
    The window of an incremental fact, on its date column.

    - `FACTORY_WAREHOUSE_PARTITION_WINDOW=2026-10-01/2026-10-02 dbt build ...` (ISO dates, end
      exclusive; Dagster daily partitions): an incremental run (re)processes exactly these
      days. `delete_partition_window` (a pre-hook) first deletes the window's rows, so a day that
      lost its rows upstream is emptied too; `delete+insert` on the date column writes the rest.
    - no partition window: the days from the newest day already loaded minus
      `incremental_lookback_days` (default 3) on, for late data.
    - full refresh or first build: everything (the partition window is ignored).

    An environment variable, not `--vars`: dbt parses the whole project again whenever the
    `--vars` differ from the last parse's (5-6 s), which a window that changes every hour would
    pay on every run. The variable is read only when a node executes, so dbt's parse never sees
    it and keeps its partial parse.
-#}
{#- The run's partition window, {'start': ISO date, 'end': ISO date (exclusive)}, or none. -#}
{% macro partition_window() -%}
    {%- set text = env_var('FACTORY_WAREHOUSE_PARTITION_WINDOW', '') if execute else '' -%}
    {%- if not text -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set bounds = text.split('/') | map('trim') | list -%}
    {%- set iso_date = '[0-9]{4}-[0-9]{2}-[0-9]{2}' -%}
    {%- if not (
        bounds | length == 2
        and modules.re.fullmatch(iso_date, bounds[0])
        and modules.re.fullmatch(iso_date, bounds[1])
        and bounds[0] < bounds[1]
    ) -%}
        {%- do exceptions.raise_compiler_error(
            'FACTORY_WAREHOUSE_PARTITION_WINDOW must be START/END, two ISO dates with START before'
            ~ ' END (exclusive), got "' ~ text ~ '"'
        ) -%}
    {%- endif -%}
    {%- do return({'start': bounds[0], 'end': bounds[1]}) -%}
{%- endmacro %}

{#- Without a partition window, the first day an incremental fact reloads: its newest day
    minus `incremental_lookback_days` (a select on `this`; every day of an empty table). -#}
{% macro lookback_first_day(date_column) -%}
    select
        cast({{ dbt.dateadd(
            'day',
            -1 * (var('incremental_lookback_days', 3) | int),
            'coalesce(max(' ~ date_column ~ "), cast('1900-01-01' as date))"
        ) }} as date)
    from {{ this }}
{%- endmacro %}

{% macro incremental_window_filter(date_column) -%}
    {%- if is_incremental() -%}
        {%- if partition_window() -%}
            {{ partition_window_predicate(date_column) }}
        {%- else -%}
            {{ date_column }} >= ({{ lookback_first_day(date_column) }})
        {%- endif -%}
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of an incremental fact: the rows it writes recorded for its data tests (by their
    `key_column`, rewritten_rows.sql), then the partition window's rows deleted. -#}
{% macro delete_partition_window(date_column, key_column) -%}
    {{ record_rewritten_rows(incremental_window_keys(key_column, date_column)) }}
    {%- if is_incremental() and partition_window() %};
        delete from {{ this }}
        where
            {{ partition_window_predicate(date_column) }}
    {%- endif -%}
{%- endmacro %}

{#- The rows an incremental run of a fact writes, as a predicate on its key: the keys of its
    rows on the window's days (incremental_window_filter), the lookback's first day fixed now,
    before the run adds days. A function of the key, so a key test still sees every row of a
    duplicated key. None in a full build. -#}
{% macro incremental_window_keys(key_column, date_column) -%}
    {%- if not (execute and is_incremental()) -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- if partition_window() -%}
        {%- set days = partition_window_predicate(date_column) -%}
    {%- else -%}
        {%- set first_day = run_query(lookback_first_day(date_column)).columns[0].values()[0] -%}
        {%- set days = date_column ~ " >= cast('" ~ first_day ~ "' as date)" -%}
    {%- endif -%}
    {%- do return(
        key_column ~ ' in (select ' ~ key_column ~ ' from ' ~ this ~ ' where ' ~ days ~ ')'
    ) -%}
{%- endmacro %}

{#- The rows of the partition window on `date_column` (end exclusive): the incremental facts'
    window and their pre-hook's delete. -#}
{% macro partition_window_predicate(date_column) -%}
    {%- set window = partition_window() -%}
    {{ date_column }} >= cast('{{ window.start }}' as date)
            and {{ date_column }} < cast('{{ window.end }}' as date)
{%- endmacro %}
