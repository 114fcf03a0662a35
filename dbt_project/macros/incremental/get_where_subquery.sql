{#-
    dbt's `where` test config, plus one form of our own: `where: "partition_window(<column>)"`
    restricts a test to the rows whose `<column>` falls in the run's partition window
    (`partition_start` / `partition_end`, as incremental_window_filter), and tests every row when
    the run has none (a full build, the daily rebuild). For the few tests that read a staging view
    over the whole raw zone and whose key contains `<column>`, so that a restricted run still
    tests every key of the refreshed days whole; DuckDB pushes the constant filter into the
    Parquet scan. Overrides dbt's get_where_subquery (the root project's macro wins).
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set window = modules.re.fullmatch('partition_window\\((\\w+)\\)', (where or '') | trim) -%}
    {%- if window -%}
        {%- if var('partition_start', none) and var('partition_end', none) -%}
            {%- set where = partition_window_predicate(window.group(1)) -%}
        {%- else -%}
            {%- set where = '' -%}
        {%- endif -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
