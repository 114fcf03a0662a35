{#-
    The allocation methods, and the set of them behind a row of fct_cost_allocations as a
    bitmask: one bit per method, in alphabetical order.

    At the default benchmark scale a `string_agg(distinct allocation_method ...)` per cost object
    made DuckDB group the 14.6 M allocation lines twice more and join the two back (85 of the
    model's 260 s of CPU); `bit_or` of the methods' bits is one more integer in the one group by.
-#}
{% macro allocation_methods() -%}
    {{ return([
        'ai_estimated_not_invoiced', 'ai_invoice_by_call_count', 'ai_invoice_by_estimated_cost',
        'ai_invoice_without_calls', 'attempts_started', 'dedicated_to_customer', 'even_customers',
        'fixed_weights', 'idle_capacity', 'idle_shared_by_usage', 'proportional_to_direct_cost',
        'run_count', 'usage_instance_seconds',
    ]) }}
{%- endmacro %}

{#- The method's bit; a method missing from allocation_methods() fails the query, by name. -#}
{% macro allocation_method_bit(column) -%}
    case {{ column }}
        {%- for method in allocation_methods() %}
        when '{{ method }}' then {{ 2 ** loop.index0 }}
        {%- endfor %}
        else {{ fail_query("'allocation method missing from allocation_methods(): ' || " ~ column) }}
    end
{%- endmacro %}

{#- The methods of a bitmask, joined by '+' in alphabetical order. -#}
{% macro allocation_methods_of(mask) -%}
    concat_ws(
        '+'
        {%- for method in allocation_methods() %},
        case when {{ mask }} & {{ 2 ** loop.index0 }} <> 0 then '{{ method }}' end
        {%- endfor %}
    )
{%- endmacro %}
