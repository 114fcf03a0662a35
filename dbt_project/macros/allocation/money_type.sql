{#-
    The type of every money column through allocation: FOCUS costs carry 10-12 decimals, and
    cents only reconcile if no step rounds. Round for presentation only.
-#}
{% macro money_type() -%}
    decimal(38, 12)
{%- endmacro %}
