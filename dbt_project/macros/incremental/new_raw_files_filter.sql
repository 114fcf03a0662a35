{#-
    In an incremental run, a predicate on `file_column` keeping the rows of raw files that
    `this` has not seen yet (`relation`: the staging model the incremental model reads).

    The hashes are looked up when the model is compiled and inlined as literals: DuckDB pushes a
    constant `in (...)` filter through the staging view into the Parquet scan and skips the row
    groups of every other file (each raw file holds one `_file_sha256`), where a
    `not in (select ... from this)` would read every raw row first. Past `max_literals` new
    files (a first incremental run after a large backfill) it falls back to that subquery.
-#}
{% macro new_raw_files_filter(relation, file_column='_file_sha256', max_literals=200) -%}
    {%- set hashes = new_raw_file_hashes(relation, file_column) -%}
    {%- if hashes | length <= max_literals -%}
        {{ raw_files_in(hashes, file_column) }}
    {%- else -%}
        {{ file_column }} not in (select distinct kept.{{ file_column }} from {{ this }} as kept)
    {%- endif -%}
{%- endmacro %}

{#- The hashes of the files in `relation` that `this` holds no row of, sorted (none when
    parsing); looked up once per run of the model (lookup_once.sql). -#}
{% macro new_raw_file_hashes(relation, file_column='_file_sha256') -%}
    {%- if not execute -%}
        {%- do return([]) -%}
    {%- endif -%}
    {%- set query -%}
        select distinct {{ file_column }} as file_hash from {{ relation }}
        where {{ file_column }} is not null
        except
        select distinct {{ file_column }} from {{ this }}
        order by file_hash
    {%- endset -%}
    {%- do return(lookup_once('new_files_of_' ~ relation.identifier, query)) -%}
{%- endmacro %}

{% macro raw_files_in(hashes, file_column='_file_sha256') -%}
    {%- if hashes | length == 0 -%}
        1 = 0
    {%- else -%}
        {{ file_column }} in (
            {%- for hash in hashes %}
            '{{ hash }}'{{ ',' if not loop.last }}
            {%- endfor %}
        )
    {%- endif -%}
{%- endmacro %}
