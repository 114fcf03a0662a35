{{ config(**incremental_by_input_days('cost_date')) }}
-- Shared (untagged) cost per cost object: cost nobody tagged (monitoring, security, a bastion
-- host, every row of a bill without factory tags, data-plane rows without a pool, invoices of
-- AI services that are not an LLM provider of the factory) is never dropped. It is shared in
-- proportion to the infrastructure cost already allocated directly to each cost object that day
-- (data plane, control plane, storage, network, dedicated; idle and unallocated excluded), so
-- who uses more infrastructure carries more overhead. With `cost_allocation_mode:
-- fixed_variable` its fixed part goes by `fixed_cost_allocation_method` instead. A day without
-- any direct allocation (e.g. a bill without any factory activity) leaves it unallocated.
{%- set mode = var('cost_allocation_mode', 'standard') %}
{%- set fixed_method = var('fixed_cost_allocation_method', 'even_customers') %}
{%- set fixed_part_method = 'proportional_to_direct_cost' %}
{%- if mode == 'fixed_variable' %}{% set fixed_part_method = fixed_method %}{% endif %}
-- Incremental by day: a refresh recomputes the days whose inputs changed (input_digests.sql).
{%- set inputs = daily_inputs('int_cost_allocations_shared') %}
{%- set days = changed_input_days(inputs) %}
with

cost_pools as (

    select * from {{ daily_input(inputs, 'pools', days) }}

),

targets as (

    select * from {{ daily_input(inputs, 'targets', days) }}

),

data_plane_allocations as (

    select * from {{ daily_input(inputs, 'data_plane', days) }}

),

platform_allocations as (

    select * from {{ daily_input(inputs, 'platform', days) }}

),

direct_allocations as (

    select * from data_plane_allocations
    union all
    select * from platform_allocations

),

direct_cost_targets as (

    select
        cost_date,
        'proportional_to_direct_cost' as allocation_method,
        cost_object_type,
        cost_object_id,
        max(customer_id) as customer_id,
        max(project_id) as project_id,
        cast(
            sum(allocated_effective_cost * coalesce(usd_per_unit, 0)) as {{ type_double() }}
        ) as weight

    from direct_allocations
    where cost_object_type in ('run', 'session', 'customer')
    group by cost_date, cost_object_type, cost_object_id

),

all_targets as (

    select * from targets
    union all
    select * from direct_cost_targets

),

pool_methods as (

    select
        *,
        case
            when cost_class = 'fixed' then '{{ fixed_part_method }}'
            else 'proportional_to_direct_cost'
        end as allocation_method

    from cost_pools

),

pool_targets as (

    select
        pool_methods.*,
        all_targets.cost_object_type,
        all_targets.cost_object_id,
        all_targets.customer_id,
        all_targets.project_id,
        all_targets.weight

    from pool_methods
    inner join all_targets
        on
            pool_methods.cost_date = all_targets.cost_date
            and pool_methods.allocation_method = all_targets.allocation_method
    where all_targets.weight > 0

),

allocations as (

    {{ allocate_cost_pools('pool_methods', 'pool_targets') }}

)

-- stored in day order (dbt_project/README.md: a refresh touches the newest row groups)
select * from allocations
order by cost_date
