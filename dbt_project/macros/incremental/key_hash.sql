{#-
    A 64-bit hash of an incremental model's key, stored beside it as `_key_hash`, for the large
    models a refresh looks a few thousand keys up in (the telemetry deduplication and deltas).
    Comparing the keys themselves reads every key string of the table; the hash reads 8 bytes
    a row (31 M series keys of 40 characters at the default benchmark scale: 0.13 s against
    0.7 s a lookup).

    The model reads its stored rows by hash and deletes by hash (`unique_key='_key_hash'`):
    another key with the same hash comes along whole, is computed again from all its rows and
    replaces itself, so a collision costs a few rows of work, never a wrong row.

    DuckDB's hash() is not promised stable across versions. The pre-hook `sync_key_hash`
    compares one stored row with hash() now; a difference (or a table from before the column)
    hashes the whole table again, once.
-#}
{% macro key_hash(key_columns, prefix='') -%}
    hash({% for column in key_columns %}{{ prefix }}{{ column }}{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{#- The rows of the model's table `relation` whose key hash is among `hashes` (a select of
    hashes): found on the hash column alone, then fetched by row id. Filtered on the hash
    directly, DuckDB decompresses every column of every row group (the deltas' lookup in 31 M
    points: 1.9 s, against 0.5 s this way). -#}
{% macro rows_with_key_hash(relation, hashes) -%}
    rowid in (
        select keyed.rowid from {{ relation }} as keyed
        where keyed._key_hash in ({{ hashes }})
    )
{%- endmacro %}

{% macro sync_key_hash(key_columns) -%}
    {%- if execute and is_incremental() -%}
        {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
        {%- if '_key_hash' not in columns %}
        alter table {{ this }} add column _key_hash ubigint;
        {%- endif %}
        update {{ this }} set _key_hash = {{ key_hash(key_columns) }}
        where (
            select stored._key_hash is distinct from {{ key_hash(key_columns, 'stored.') }}
            from {{ this }} as stored
            limit 1
        )
    {%- endif -%}
{%- endmacro %}
