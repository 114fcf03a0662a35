{#-
    Data tests of the staging views that read only the raw files they have not passed on yet.
    Every staging test gets `where: untested_raw_files()` (dbt_project.yml; the argument names
    the view's file column when it is not `_file_sha256`: `untested_raw_files('file_sha256')`);
    a test then reads the rows of the files loaded since it last passed, if it had passed over
    the files before, and every row otherwise (a first run, a test that failed, a changed
    view).

    Why that still tests every row: a staging view's rows of a file depend on that file's raw
    rows alone (no join, no window across files), and a raw file never changes once loaded
    (ingestion/raw_zone.py), so a row that passed keeps passing while the view's SQL and the
    raw views' SQL stay the same. A row-level test (not_null, accepted_values) can then only
    fail on a new file's row, and a key test that holds the file's hash only on two rows of one
    file. Any other test (a relationship, a key without the file) reads every row:
    `narrows_by_raw_file` decides, so a new test cannot opt in by mistake.

    The state, in the `intermediate` schema:
    - `raw_files_at_run_start` (invocation_id, file_sha256): the files of the ingestion manifest
      when the run started (on-run-start; the file names, so no file is opened). A file loaded
      during the run is tested by the next run.
    - `data_test_raw_file_coverage` (test_unique_id, file_sha256, views_digest): the files each
      test passed on, with a digest of the SQL of its view and of the raw views; coverage under
      another digest does not count. The on-run-end hook adds the run's files to every test that
      passed and drops the coverage of a test that failed, warned or errored.
-#}
{% macro raw_files_at_run_start_relation() -%}
    {%- do return(intermediate_relation('raw_files_at_run_start')) -%}
{%- endmacro %}

{% macro raw_file_coverage_relation() -%}
    {%- do return(intermediate_relation('data_test_raw_file_coverage')) -%}
{%- endmacro %}

{#- The source `ingestion.ingest_manifest`, the view of the raw zone's manifest (found in the
    graph: hooks cannot call `source`). -#}
{% macro raw_manifest_relation() -%}
    {%- set manifest = graph.sources['source.' ~ project_name ~ '.ingestion.ingest_manifest'] -%}
    {%- do return(api.Relation.create(
        database=manifest.database, schema=manifest.schema, identifier=manifest.identifier
    )) -%}
{%- endmacro %}

{#- The glob of the raw zone's manifest files, from the manifest view's SQL; none without the
    view (a warehouse nothing was ingested into). -#}
{% macro raw_manifest_glob() -%}
    {%- set manifest = raw_manifest_relation() -%}
    {%- set query -%}
        select regexp_extract(sql, 'read_parquet\(''([^'']+)''', 1)
        from duckdb_views()
        where
            database_name = '{{ manifest.database }}'
            and schema_name = '{{ manifest.schema }}'
            and view_name = '{{ manifest.identifier }}'
    {%- endset -%}
    {%- set globs = run_query(query).columns[0].values() -%}
    {%- do return(globs[0] if globs | length == 1 and globs[0] else none) -%}
{%- endmacro %}

{#- on-run-start: the coverage table, and the files loaded when the run starts. -#}
{% macro snapshot_raw_files() -%}
    {%- set glob = raw_manifest_glob() if execute else none -%}
    create table if not exists {{ raw_file_coverage_relation() }} (
        test_unique_id varchar,
        file_sha256 varchar,
        views_digest ubigint
    );
    create or replace table {{ raw_files_at_run_start_relation() }} as
    {%- if glob %}
    select
        '{{ invocation_id }}' as invocation_id,
        regexp_extract(file, '([0-9a-f]{64})\.parquet$', 1) as file_sha256
    from glob('{{ glob | replace("'", "''") }}')
    {%- else %}
    select cast(null as varchar) as invocation_id, cast(null as varchar) as file_sha256
    where false
    {%- endif %}
{%- endmacro %}

{#- A digest of the SQL of `relation` (a staging view) and of every raw view. -#}
{% macro views_digest_sql(relation) -%}
    select views_digest from ({{ views_digests_sql([relation]) }}) as digests
{%- endmacro %}

{#- The same digest for each of `relations`, in one query: (view_schema, view_name,
    views_digest). -#}
{% macro views_digests_sql(relations) -%}
    with

    views as (
        select schema_name, view_name, sql
        from duckdb_views()
        where database_name = '{{ relations[0].database }}'
    ),

    digested as (
        {%- for relation in relations %}
        select '{{ relation.schema }}' as view_schema, '{{ relation.identifier }}' as view_name
        {{- ' union all' if not loop.last }}
        {%- endfor %}
    )

    select
        digested.view_schema,
        digested.view_name,
        hash(string_agg(
            views.schema_name || '.' || views.view_name || ':' || views.sql, ';'
            order by views.schema_name, views.view_name
        )) as views_digest
    from digested
    inner join views
        on
            views.schema_name = '{{ raw_manifest_relation().schema }}'
            or (
                views.schema_name = digested.view_schema
                and views.view_name = digested.view_name
            )
    group by digested.view_schema, digested.view_name
{%- endmacro %}

{#- The file column of a `where: untested_raw_files(...)` config, or none for another `where`.
    From the config rather than the view's columns: describing a view over the raw zone reads
    every file's schema (~50 ms a test at a year of files). -#}
{% macro untested_raw_files_column(where) -%}
    {%- set call = modules.re.fullmatch(
        "untested_raw_files\\(\\s*(?:'(\\w+)')?\\s*\\)", (where or '') | trim
    ) -%}
    {%- do return((call.group(1) or '_file_sha256') if call else none) -%}
{%- endmacro %}

{#- Whether the test `node` can read only the new files of `file_column`: a row-level test, or
    a key test whose key holds the file. -#}
{% macro narrows_by_raw_file(node, file_column) -%}
    {%- set test = node.test_metadata -%}
    {%- if not test -%}
        {%- do return(false) -%}
    {%- endif -%}
    {%- if test.name in ('not_null', 'accepted_values') -%}
        {%- do return(true) -%}
    {%- elif test.name == 'unique' -%}
        {%- do return(test.kwargs.column_name == file_column) -%}
    {%- elif test.name == 'unique_combination_of_columns' -%}
        {%- do return(file_column in test.kwargs.combination_of_columns) -%}
    {%- endif -%}
    {%- do return(false) -%}
{%- endmacro %}

{#- The predicate of the test being compiled on `relation`: its untested files of
    `file_column`, or none (every row). -#}
{% macro untested_raw_files(relation, file_column, max_literals=200) -%}
    {%- if not execute or not narrows_by_raw_file(model, file_column) -%}
        {%- do return(none) -%}
    {%- endif -%}
    {#- no on-run-start in this invocation (`dbt compile`, `docs generate`): every row -#}
    {%- if not table_exists(raw_files_at_run_start_relation()) -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set query -%}
        with

        run_files as (
            select file_sha256 from {{ raw_files_at_run_start_relation() }}
            where invocation_id = '{{ invocation_id }}'
        ),

        covered as (
            select file_sha256 from {{ raw_file_coverage_relation() }}
            where
                test_unique_id = '{{ model.unique_id }}'
                and views_digest = ({{ views_digest_sql(relation) }})
        )

        select
            (select count(*) from run_files) as run_files,
            (select count(*) from covered) as covered_files,
            untested.file_sha256
        from (select 1) as one
        left join (
            select file_sha256 from run_files
            where file_sha256 not in (select file_sha256 from covered)
        ) as untested on true
        order by untested.file_sha256
    {%- endset -%}
    {%- set rows = run_query(query).rows -%}
    {%- set untested = rows | map(attribute=2) | reject('none') | list -%}
    {%- if rows[0][0] == 0 or rows[0][1] == 0 or untested | length > max_literals -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- do return(raw_files_in(untested, file_column)) -%}
{%- endmacro %}

{#- on-run-end (from update_data_test_coverage): the run's files are covered by the staging
    tests that passed; the tests in `failed` cover none. No query while rendering: dbt would
    run this hook in the transaction the query opened and roll it back. A few statements for
    all the tests (two per test took 0.45 s of every run). -#}
{% macro update_raw_file_coverage(passed, failed) -%}
    {%- set coverage = raw_file_coverage_relation() -%}
    {%- if failed %}
    delete from {{ coverage }}
    where test_unique_id in (
        {%- for node in failed %}
        '{{ node.unique_id }}'{{ ',' if not loop.last }}
        {%- endfor %}
    );
    {%- endif %}
    {%- set tests, views, view_names = [], [], [] -%}
    {%- for node in passed if untested_raw_files_column(node.config.where) -%}
        {%- if narrows_by_raw_file(node, untested_raw_files_column(node.config.where)) -%}
            {%- set view = graph.nodes[node.attached_node] -%}
            {%- set relation = api.Relation.create(
                database=view.database, schema=view.schema, identifier=view.alias
            ) -%}
            {%- do tests.append((node.unique_id, relation)) -%}
            {%- if relation.render() not in view_names -%}
                {%- do view_names.append(relation.render()) -%}
                {%- do views.append(relation) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if tests %}
    create or replace temporary table passed_staging_tests as
    with

    tests (test_unique_id, view_schema, view_name) as (
        values
        {%- for test_id, relation in tests %}
        ('{{ test_id }}', '{{ relation.schema }}', '{{ relation.identifier }}')
        {{- ',' if not loop.last }}
        {%- endfor %}
    ),

    digests as ({{ views_digests_sql(views) }})

    select tests.test_unique_id, digests.views_digest
    from tests
    inner join digests
        on
            tests.view_schema = digests.view_schema
            and tests.view_name = digests.view_name;
    delete from {{ coverage }}
    using passed_staging_tests
    where
        {{ coverage }}.test_unique_id = passed_staging_tests.test_unique_id
        and {{ coverage }}.views_digest is distinct from passed_staging_tests.views_digest;
    insert into {{ coverage }}
    select passed_staging_tests.test_unique_id, run_files.file_sha256, passed_staging_tests.views_digest
    from passed_staging_tests
    cross join {{ raw_files_at_run_start_relation() }} as run_files
    where
        run_files.invocation_id = '{{ invocation_id }}'
        and not exists (
            select 1 from {{ coverage }} as covered
            where
                covered.test_unique_id = passed_staging_tests.test_unique_id
                and covered.file_sha256 = run_files.file_sha256
        );
    drop table passed_staging_tests;
    {%- endif %}
{%- endmacro %}
