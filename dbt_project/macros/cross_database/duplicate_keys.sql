{#-
    The values of `columns` that occur in more than one row of `model`, with their row counts:
    the failing rows of the uniqueness tests (`unique`, `unique_combination_of_columns`). Nulls
    compare equal, as in `group by`.

    DuckDB: two passes. The first groups one 64-bit hash per row and keeps the hashes seen more
    than once: a narrow aggregate, where grouping the keys themselves (md5 ids, file hashes) over
    tens of millions of rows spills past the memory limit (30 M four-column keys: 14 s against
    34 s). The second groups the keys of those rows only, so a hash collision fails nothing.
-#}
{% macro duplicate_keys(model, columns) -%}
    {{ adapter.dispatch('duplicate_keys', 'factory_warehouse')(model, columns) }}
{%- endmacro %}

{% macro default__duplicate_keys(model, columns) -%}
    select
        {{ columns | join(',\n        ') }},
        count(*) as number_of_rows
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{%- endmacro %}

{% macro duckdb__duplicate_keys(model, columns) -%}
    with repeated_hashes as (
        select hash({{ columns | join(', ') }}) as key_hash
        from {{ model }}
        group by 1
        having count(*) > 1
    )

    select
        {{ columns | join(',\n        ') }},
        count(*) as number_of_rows
    from {{ model }}
    where hash({{ columns | join(', ') }}) in (select key_hash from repeated_hashes)
    group by {{ columns | join(', ') }}
    having count(*) > 1
{%- endmacro %}
