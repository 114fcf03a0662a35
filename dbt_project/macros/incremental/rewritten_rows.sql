{#-
    Data tests that read only the rows the run rewrote, in a `dbt build` that refreshes an
    incremental model: a test configured with `where: "rewritten_rows()"` reads the rows of the
    predicate its model recorded in this invocation, if the test had passed over every row the
    model held before; otherwise every row (a full build, a model that recorded nothing, a `dbt
    test` on its own, a test that failed or did not run since the model last changed).

    Why that still tests every row: the rows the run did not rewrite are the ones the test
    passed on, unchanged since. A row-level test (not_null, accepted_values) can only fail on a
    rewritten row. A key test can only fail on two rows of one key, so the predicate must be a
    function of the key (both rows rewritten or neither): the model's day when the key holds the
    day, the run attempt when it holds (run_id, attempt), the key itself when the predicate lists
    keys. Opt a test in only when that holds.

    The state, in the `intermediate` schema:
    - `data_test_coverage` (test_unique_id, model_unique_id): the tests that passed over every
      row their model holds. The on-run-end hook adds the tests that passed and removes the ones
      that failed, warned or errored; the model's pre-hook removes its tests, as the run changes
      its rows (inside the model's transaction: a crash after the model leaves them removed).
    - `<model>__rewritten_rows` (invocation_id, predicate, covered_tests): written by the same
      pre-hook, before it removes them.
-#}
{% macro rewritten_rows_relation(relation) -%}
    {%- do return(intermediate_relation(relation.identifier ~ '__rewritten_rows')) -%}
{%- endmacro %}

{#- A bookkeeping table of the tests or the incremental models, in the `intermediate` schema. -#}
{% macro intermediate_relation(identifier) -%}
    {%- do return(api.Relation.create(
        database=target.database, schema='intermediate', identifier=identifier
    )) -%}
{%- endmacro %}

{% macro data_test_coverage_relation() -%}
    {%- do return(intermediate_relation('data_test_coverage')) -%}
{%- endmacro %}

{#- on-run-start: the coverage table, in a new warehouse too. -#}
{% macro create_data_test_coverage() -%}
    create schema if not exists {{ data_test_coverage_relation().without_identifier() }};
    create table if not exists {{ data_test_coverage_relation() }} (
        test_unique_id varchar,
        model_unique_id varchar
    )
{%- endmacro %}

{#- on-run-end: the tests that passed cover their model's rows; the others no longer do. -#}
{% macro update_data_test_coverage(results) -%}
    {%- set passed, failed = [], [] -%}
    {%- for result in results if result.node.resource_type == 'test' -%}
        {%- if result.status == 'pass' and result.node.attached_node -%}
            {%- do passed.append(result.node) -%}
        {%- elif result.status in ('fail', 'warn', 'error') -%}
            {%- do failed.append(result.node) -%}
        {%- endif -%}
    {%- endfor -%}
    {#- one statement each: a delete per test took 0.3 s of every run -#}
    {%- if passed + failed %}
    delete from {{ data_test_coverage_relation() }}
    where test_unique_id in (
        {%- for node in passed + failed %}
        '{{ node.unique_id }}'{{ ',' if not loop.last }}
        {%- endfor %}
    );
    {%- endif %}
    {%- if passed %}
    insert into {{ data_test_coverage_relation() }} values
        {%- for node in passed %}
        ('{{ node.unique_id }}', '{{ node.attached_node }}'){{ ',' if not loop.last }}
        {%- endfor %};
    {%- endif %}
    {{ update_raw_file_coverage(passed, failed) }}
{%- endmacro %}

{#- Pre-hook: record `predicate` (SQL on the model's columns, or its row ids) as the rows this
    run may write, with the tests that covered the model until now; then take those tests'
    coverage away. No record in a full build, or when `predicate` is none (the tests then read
    every row). -#}
{% macro record_rewritten_rows(predicate) -%}
    {%- if is_incremental() and predicate is not none -%}
        create or replace table {{ rewritten_rows_relation(this) }} as
        select
            '{{ invocation_id }}' as invocation_id,
            '{{ predicate | replace("'", "''") }}' as predicate,
            list(test_unique_id) as covered_tests
        from {{ data_test_coverage_relation() }}
        where model_unique_id = '{{ model.unique_id }}';
    {%- endif %}
        delete from {{ data_test_coverage_relation() }}
        where model_unique_id = '{{ model.unique_id }}'
{%- endmacro %}

{#- The predicate `relation` recorded in this invocation for the test being compiled, or none.
    Read when the test compiles, which in a `dbt build` is after its model ran. -#}
{% macro recorded_rewritten_rows(relation) -%}
    {%- if not execute -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set record = rewritten_rows_relation(relation) -%}
    {%- if not table_exists(record) -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set query -%}
        select predicate from {{ record }}
        where
            invocation_id = '{{ invocation_id }}'
            and list_contains(covered_tests, '{{ model.unique_id }}')
    {%- endset -%}
    {%- set predicates = run_query(query).columns[0].values() -%}
    {%- do return(predicates[0] if predicates | length == 1 else none) -%}
{%- endmacro %}

{#- The rows of the raw files `this` has not seen (as new_raw_files_filter), as a predicate on
    the model's `key_columns`: the keys those files hold, which the run rewrites whole; with
    `hashed`, the rows of `this` with their hash (key_hash.sql), found as the model finds and
    replaces them. None past `max_literals` files, where the filter compares with `this` and
    would see nothing new once the run wrote them. -#}
{% macro keys_in_new_raw_files(key_columns, relation, max_literals=200, hashed=false) -%}
    {%- if not (execute and is_incremental()) -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set hashes = new_raw_file_hashes(relation) -%}
    {%- if hashes | length > max_literals -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- if hashed -%}
        {%- set new_key_hashes -%}
            select {{ key_hash(key_columns) }} from {{ relation }}
            where {{ raw_files_in(hashes) }}
        {%- endset -%}
        {%- do return(rows_with_key_hash(this, new_key_hashes)) -%}
    {%- endif -%}
    {%- set predicate -%}
        ({{ key_columns | join(', ') }}) in (
            select {{ key_columns | join(', ') }} from {{ relation }}
            where {{ raw_files_in(hashes) }}
        )
    {%- endset -%}
    {%- do return(predicate) -%}
{%- endmacro %}

{#- dbt's `where` test config, plus `rewritten_rows()` and `untested_raw_files()`
    (untested_raw_files.sql). Overrides dbt's get_where_subquery (the root project's macro
    wins). -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') or '' -%}
    {%- if where | trim == 'rewritten_rows()' -%}
        {%- set where = recorded_rewritten_rows(relation) or '' -%}
    {%- elif untested_raw_files_column(where) -%}
        {%- set where = untested_raw_files(relation, untested_raw_files_column(where)) or '' -%}
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
