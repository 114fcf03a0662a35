{#-
    The value of the top-level key `key` of the JSON object held as text in `json_column`, as
    text (null when absent). Keys with dots or colons (`factory:customer`, `factory.run.id`) are
    quoted for the engines that parse a JSON path.
-#}
{% macro json_extract_text(json_column, key) -%}
    {{ adapter.dispatch('json_extract_text', 'factory_warehouse')(json_column, key) }}
{%- endmacro %}

{% macro default__json_extract_text(json_column, key) -%}
    json_extract_path_text({{ json_column }}, '{{ key }}')
{%- endmacro %}

{% macro duckdb__json_extract_text(json_column, key) -%}
    json_extract_string({{ json_column }}, '$."{{ key }}"')
{%- endmacro %}
