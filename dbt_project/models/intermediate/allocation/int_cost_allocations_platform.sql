{{ config(**incremental_by_input_days('cost_date')) }}
-- Control-plane, storage, network and dedicated cost per cost object.
--   dedicated      a row tagged factory:customer goes straight to that customer (a
--                  customer-level cost object)
--   control_plane  by the var `control_plane_allocation_method`: run_count (default),
--                  even_customers or fixed_weights (int_allocation_targets_daily)
--   storage        attempts_started: each attempt stores its artifacts and logs
--   network        attempts_started: each attempt clones, downloads dependencies and pushes
-- With `cost_allocation_mode: fixed_variable` every part is allocated by its own driver: fixed
-- cost (cost_classification) by `fixed_cost_allocation_method` (even_customers by default, or
-- fixed_weights), variable cost by the component's usage driver (run_count for the control
-- plane). A pool without any target that day (no activity) stays unallocated.
{%- set mode = var('cost_allocation_mode', 'standard') %}
{%- set control_plane_method = var('control_plane_allocation_method', 'run_count') %}
{%- set fixed_method = var('fixed_cost_allocation_method', 'even_customers') %}
{%- do check_var_choice('cost_allocation_mode', mode, ['standard', 'fixed_variable']) %}
{%- do check_var_choice(
    'control_plane_allocation_method',
    control_plane_method,
    ['run_count', 'even_customers', 'fixed_weights']
) %}
{%- do check_var_choice(
    'fixed_cost_allocation_method', fixed_method, ['even_customers', 'fixed_weights']
) %}
{%- set is_fixed_variable = 'true' if mode == 'fixed_variable' else 'false' %}
{#- fixed + variable: the variable part of the control plane goes by its usage driver #}
{%- set variable_control_plane_method = 'run_count' if mode == 'fixed_variable'
    else control_plane_method %}
-- Incremental by day: a refresh recomputes the days whose inputs changed (input_digests.sql).
{%- set inputs = daily_inputs('int_cost_allocations_platform') %}
{%- set days = changed_input_days(inputs) %}
with

cost_pools as (

    select * from {{ daily_input(inputs, 'pools', days) }}

),

targets as (

    select * from {{ daily_input(inputs, 'targets', days) }}

),

pool_methods as (

    select
        *,
        case
            when cost_component = 'dedicated' then 'dedicated_to_customer'
            when {{ is_fixed_variable }} and cost_class = 'fixed' then '{{ fixed_method }}'
            when cost_component = 'control_plane' then '{{ variable_control_plane_method }}'
            else 'attempts_started'
        end as allocation_method

    from cost_pools

),

pool_targets as (

    select
        pool_methods.*,
        targets.cost_object_type,
        targets.cost_object_id,
        targets.customer_id,
        targets.project_id,
        targets.weight

    from pool_methods
    inner join targets
        on
            pool_methods.cost_date = targets.cost_date
            and pool_methods.allocation_method = targets.allocation_method
    where targets.weight > 0

    union all

    select
        pool_methods.*,
        'customer' as cost_object_type,
        pool_methods.cost_pool as cost_object_id,
        pool_methods.cost_pool as customer_id,
        cast(null as {{ dbt.type_string() }}) as project_id,
        1.0 as weight

    from pool_methods
    where pool_methods.allocation_method = 'dedicated_to_customer'

),

allocations as (

    {{ allocate_cost_pools('pool_methods', 'pool_targets') }}

)

-- stored in day order (dbt_project/README.md: a refresh touches the newest row groups)
select * from allocations
order by cost_date
