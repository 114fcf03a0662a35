{#-
    The cost pools an allocation method allocates (int_cost_pools_daily, by cost component), as
    a parenthesised select: the method's input `pools` in daily_inputs, which the model reads
    (daily_input) and digests. So a bill of one component recomputes the days of the method
    that allocates it: a month's LLM invoice restates the AI pools of every day of its month,
    and no longer the infrastructure methods' days with them.
-#}
{% macro allocated_cost_pools(model_name) -%}
    {%- set components = {
        'int_cost_allocations_ai': ['ai_inference'],
        'int_cost_allocations_data_plane': ['data_plane'],
        'int_cost_allocations_platform': ['control_plane', 'storage', 'network', 'dedicated'],
        'int_cost_allocations_shared': ['shared'],
    }[model_name] -%}
    (
        select * from {{ ref('int_cost_pools_daily') }}
        where cost_component in (
            {%- for component in components %}
            '{{ component }}'{{ ',' if not loop.last }}
            {%- endfor %}
        )
    )
{%- endmacro %}
