{#-
    One `<component>_cost_usd` column per cost component: the sum of `amount` over the rows of
    that component (0 when none). Used where a report pivots its cost rows by component.
-#}
{% macro sum_by_cost_component(components, amount='total_cost_usd') -%}
    {%- for component in components %}
        sum(case when cost_component = '{{ component }}' then {{ amount }} else 0 end)
            as {{ component }}_cost_usd{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
