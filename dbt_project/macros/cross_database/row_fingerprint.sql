{#-
    md5 of the content of a row of `relation`: every column but those in `exclude`. Equal rows
    have equal fingerprints. DuckDB serialises the row as JSON; the default concatenates the
    columns read from the relation's catalog.
-#}
{% macro row_fingerprint(relation, exclude) -%}
    {{ adapter.dispatch('row_fingerprint', 'factory_warehouse')(relation, exclude) }}
{%- endmacro %}

{% macro default__row_fingerprint(relation, exclude) -%}
    {%- set columns = adapter.get_columns_in_relation(relation) if execute else [] -%}
    {%- set kept = [] -%}
    {%- for column in columns if column.name not in exclude -%}
        {%- do kept.append(column.quoted) -%}
    {%- endfor -%}
    {{ generate_surrogate_key(kept) }}
{%- endmacro %}

{% macro duckdb__row_fingerprint(relation, exclude) -%}
    md5(to_json(struct_pack(*columns(* exclude ({{ exclude | join(', ') }})))))
{%- endmacro %}
