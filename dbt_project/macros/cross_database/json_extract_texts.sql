{#-
    The top-level keys `keys` of the JSON object held as text in `json_column`, parsed once: a
    record with one text field per key (null when absent), each read with json_field(record,
    key). One parse for all the keys a model reads, not one per extraction. Keys with dots or
    colons (`factory:customer`, `factory.run.id`) are quoted.
-#}
{% macro json_extract_texts(json_column, keys) -%}
    {{ adapter.dispatch('json_extract_texts', 'factory_warehouse')(json_column, keys) }}
{%- endmacro %}

{% macro default__json_extract_texts(json_column, keys) -%}
    cast({{ json_column }} as json)
{%- endmacro %}

{% macro duckdb__json_extract_texts(json_column, keys) -%}
    {%- set fields = [] -%}
    {%- for key in keys -%}
        {%- do fields.append('"' ~ key ~ '": "VARCHAR"') -%}
    {%- endfor -%}
    json_transform({{ json_column }}, '{{ "{" ~ fields | join(", ") ~ "}" }}')
{%- endmacro %}

{#- The text of `key` in a record made by json_extract_texts. -#}
{% macro json_field(record, key) -%}
    {{ adapter.dispatch('json_field', 'factory_warehouse')(record, key) }}
{%- endmacro %}

{% macro default__json_field(record, key) -%}
    {{ record }} ->> '{{ key }}'
{%- endmacro %}

{% macro duckdb__json_field(record, key) -%}
    struct_extract({{ record }}, '{{ key }}')
{%- endmacro %}
