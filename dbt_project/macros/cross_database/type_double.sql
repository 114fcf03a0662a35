{#-
    A double-precision float. dbt.type_float() is `float`, which is double precision on Postgres
    and Snowflake but a 4-byte REAL on DuckDB: ratios and weights would keep 7 digits only.
-#}
{% macro type_double() -%}
    {{ adapter.dispatch('type_double', 'factory_warehouse')() }}
{%- endmacro %}

{% macro default__type_double() -%}
    {{ dbt.type_float() }}
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}
