{#-
    Allocates cost pools over their targets and keeps every cent.

    `targets` (a CTE): one row per (pool, target) with the pool's columns (cost_date,
    cost_component, cost_pool, cost_class, billing_currency, usd_per_unit, allocation_method,
    effective_cost, billed_cost) and the target's (cost_object_type, cost_object_id, customer_id,
    project_id, weight > 0). `pools` (a CTE): one row per pool with the same pool columns.

    A pool with targets is split by weight (allocate_proportionally: the shares add up to the
    pool's cost exactly); a pool without any target that day stays whole as one explicit
    `unallocated` row, whose allocation_method is the pool's or, when given,
    `unallocated_method`. Returns a select statement with the columns of int_cost_allocations_*.
-#}
{% macro allocate_cost_pools(pools, targets, unallocated_method=none) -%}
    {%- set pool_key = ['cost_date', 'cost_component', 'cost_pool', 'cost_class', 'billing_currency'] -%}
    with

    allocated as (

        {{ allocate_proportionally(
            targets, pool_key, 'weight', ['effective_cost', 'billed_cost'], 'cost_object_id'
        ) }}

    )

    select
        cost_date,
        cost_component,
        cost_pool,
        cost_class,
        billing_currency,
        usd_per_unit,
        cost_object_type,
        cost_object_id,
        customer_id,
        project_id,
        allocation_method,
        false as is_estimated,
        weight as driver_quantity,
        allocated_effective_cost,
        allocated_billed_cost

    from allocated

    union all

    select
        cost_date,
        cost_component,
        cost_pool,
        cost_class,
        billing_currency,
        usd_per_unit,
        'unallocated' as cost_object_type,
        '__unallocated__' as cost_object_id,
        '__unallocated__' as customer_id,
        cast(null as {{ dbt.type_string() }}) as project_id,
        {%- if unallocated_method is none %}
        allocation_method,
        {%- else %}
        '{{ unallocated_method }}' as allocation_method,
        {%- endif %}
        false as is_estimated,
        cast(null as {{ type_double() }}) as driver_quantity,
        effective_cost as allocated_effective_cost,
        billed_cost as allocated_billed_cost

    from {{ pools }}
    where not exists (
        select 1
        from {{ targets }}
        where
            {%- for column in pool_key %}
            {{ targets }}.{{ column }} = {{ pools }}.{{ column }}{{ " and" if not loop.last }}
            {%- endfor %}
    )
{%- endmacro %}
