{#-
    An expression that stops the query with `message` (a SQL string expression) when evaluated:
    for the value a model does not know how to handle, inside a CASE.
-#}
{% macro fail_query(message) -%}
    {{ adapter.dispatch('fail_query', 'factory_warehouse')(message) }}
{%- endmacro %}

{% macro default__fail_query(message) -%}
    {#- the cast of a text that is not a number fails, with the text in the error -#}
    cast({{ message }} as {{ dbt.type_int() }})
{%- endmacro %}

{% macro duckdb__fail_query(message) -%}
    error({{ message }})
{%- endmacro %}
