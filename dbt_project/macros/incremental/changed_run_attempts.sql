{#-
    The models built per run attempt from its winning snapshot (int_run_attempts_deduplicated):
    its jobs and steps, its busy time split by day and hour, and their facts. Each keeps the
    winning snapshot's `_loaded_at`; in an incremental run only the attempts whose winning
    snapshot was loaded after the newest `_loaded_at` the model holds are rebuilt. The pre-hook
    (`delete_changed_run_attempts`) first records those attempts' rows for the tests
    (rewritten_rows.sql) and deletes every row of those attempts, so an attempt whose new
    snapshot lists fewer jobs or steps loses the others; the model then appends their rows.

    Why that is every changed attempt: an attempt's winner only changes to a snapshot of a later
    load, each load stamps one `_loaded_at` later than the loads before it (the order the
    deduplication itself trusts), and no load is half done while dbt runs (the ingestion and dbt
    assets share Dagster's `duckdb_writer` pool of one; the CLI runs them one after the other).

    The watermark is read when the model is compiled and inlined as a literal: the pre-hook,
    rendered just before it runs on the same table, gets the same one, and DuckDB skips the
    older row groups and `load_date` partitions of the raw Parquet files.
-#}
{% macro changed_run_attempts_filter(loaded_at_column='_loaded_at') -%}
    {{ _loaded_after(_run_attempts_watermark(), loaded_at_column) }}
{%- endmacro %}

{% macro delete_changed_run_attempts() -%}
    {%- set watermark = _run_attempts_watermark() -%}
    {{ record_rewritten_rows(_loaded_after(watermark)) }}
    {%- if watermark is not none %};
        delete from {{ this }}
        where (run_id, attempt) in (
            select
                run_id,
                attempt
            from {{ ref('int_run_attempts_deduplicated') }}
            where {{ _loaded_after(watermark) }}
        )
    {%- endif -%}
{%- endmacro %}

{% macro _loaded_after(watermark, loaded_at_column='_loaded_at') -%}
    {%- if watermark is none -%}
        1 = 1
    {%- else -%}
        {{ loaded_at_column }} > cast('{{ watermark }}' as {{ dbt.type_timestamp() }})
    {%- endif -%}
{%- endmacro %}

{#- The newest `_loaded_at` of `this` in an incremental run; none in a full build, or when
    `this` is empty (everything is then built). -#}
{% macro _run_attempts_watermark() -%}
    {%- if not (execute and is_incremental()) -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set newest = run_query('select max(_loaded_at) from ' ~ this).columns[0].values()[0] -%}
    {%- do return(newest) -%}
{%- endmacro %}
