{#-
    Continuous percentile (linear interpolation) of `expression` as an aggregate, e.g.
    percentile_cont('duration_seconds', 0.95). DuckDB spells it quantile_cont; most other engines
    use the ordered-set aggregate of the SQL standard.
-#}
{% macro percentile_cont(expression, fraction) -%}
    {{ adapter.dispatch('percentile_cont', 'factory_warehouse')(expression, fraction) }}
{%- endmacro %}

{% macro default__percentile_cont(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__percentile_cont(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}
