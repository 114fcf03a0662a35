{#-
    Data tests that read only the rows the run rewrote, in a `dbt build` that refreshes an
    incremental model: a test configured with `where: "rewritten_rows()"` reads the rows of the
    predicate the model recorded for this invocation, and every row otherwise (a full build, a
    model that recorded nothing, a `dbt test` on its own).

    Why that still tests every row: the rows the run did not rewrite are the ones the tests of an
    earlier build passed on, unchanged since. A row-level test (not_null, accepted_values) can
    only fail on a rewritten row. A key test can only fail on two rows of one key, so the
    predicate must be a function of the key (both rows rewritten or neither): the model's day
    when the key holds the day, the run attempt when it holds (run_id, attempt), the key itself
    when the predicate lists keys. Opt a test in only when that holds.

    The record: `intermediate.<model>__rewritten_rows` (invocation_id, predicate), written by
    the model's pre-hook inside the model's transaction, so a failed model leaves none.
-#}
{% macro rewritten_rows_relation(relation) -%}
    {%- do return(api.Relation.create(
        database=relation.database,
        schema='intermediate',
        identifier=relation.identifier ~ '__rewritten_rows'
    )) -%}
{%- endmacro %}

{#- Pre-hook: record `predicate` (SQL on the model's columns) as the rows this run may write.
    Nothing in a full build, or when `predicate` is none (the tests then read every row). -#}
{% macro record_rewritten_rows(predicate) -%}
    {%- if is_incremental() and predicate is not none -%}
        create or replace table {{ rewritten_rows_relation(this) }} as
        select
            '{{ invocation_id }}' as invocation_id,
            '{{ predicate | replace("'", "''") }}' as predicate
    {%- endif -%}
{%- endmacro %}

{#- The predicate `relation` recorded in this invocation, or none. Read when the test compiles,
    which in a `dbt build` is after its model ran. -#}
{% macro recorded_rewritten_rows(relation) -%}
    {%- if not execute -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set record = rewritten_rows_relation(relation) -%}
    {%- if not table_exists(record) -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set query -%}
        select predicate from {{ record }} where invocation_id = '{{ invocation_id }}'
    {%- endset -%}
    {%- set predicates = run_query(query).columns[0].values() -%}
    {%- do return(predicates[0] if predicates | length == 1 else none) -%}
{%- endmacro %}

{#- The rows of the raw files `this` has not seen (as new_raw_files_filter), as a predicate on
    the model's `key_columns`: the keys those files hold, which the run rewrites whole. None
    past `max_literals` files, where the filter compares with `this` and would see nothing new
    once the run wrote them. -#}
{% macro keys_in_new_raw_files(key_columns, relation, max_literals=200) -%}
    {%- if not (execute and is_incremental()) -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set hashes = new_raw_file_hashes(relation) -%}
    {%- if hashes | length > max_literals -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set keys = '(' ~ key_columns | join(', ') ~ ')' -%}
    {%- set predicate -%}
        {{ keys }} in (
            select {{ key_columns | join(', ') }} from {{ relation }}
            where {{ raw_files_in(hashes) }}
        )
    {%- endset -%}
    {%- do return(predicate) -%}
{%- endmacro %}

{#- dbt's `where` test config, plus `rewritten_rows()`. Overrides dbt's get_where_subquery (the
    root project's macro wins). -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') or '' -%}
    {%- if where | trim == 'rewritten_rows()' -%}
        {%- set where = recorded_rewritten_rows(relation) or '' -%}
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
