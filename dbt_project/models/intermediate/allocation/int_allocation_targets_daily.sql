{{ config(**incremental_by_input_days('cost_date')) }}
-- For each day and allocation method, who gets a share and with which weight (the methods a
-- cost pool can be allocated by; int_cost_allocations_platform and _shared pick one by vars):
--   run_count         each run created that day, weight 1
--   attempts_started  each run, weight its attempts started that day (artifacts stored, clones)
--   even_customers    each customer active that day (a run created or started, a session) gets
--                     an equal share, split evenly over its cost objects of the day
--   fixed_weights     each customer of the control_plane_weights seed gets weight / total
--                     weight, split evenly over its cost objects of the day; a customer without
--                     activity that day takes its share as a customer-level row
-- Days without any cost object have no target: their cost is unallocated.
-- Incremental by day: a refresh recomputes the days whose inputs changed (input_digests.sql).
{%- set inputs = daily_inputs('int_allocation_targets_daily') %}
{%- set days = changed_input_days(inputs) %}
with

cost_objects as (

    select * from {{ daily_input(inputs, 'cost_objects', days) }}

),

control_plane_weights as (

    select * from {{ daily_input(inputs, 'weights', days) }}

),

run_count as (

    select
        usage_date as cost_date,
        'run_count' as allocation_method,
        cost_object_type,
        cost_object_id,
        customer_id,
        project_id,
        cast(runs_created as {{ type_double() }}) as weight

    from cost_objects
    where runs_created > 0

),

attempts_started as (

    select
        usage_date as cost_date,
        'attempts_started' as allocation_method,
        cost_object_type,
        cost_object_id,
        customer_id,
        project_id,
        cast(attempts_started as {{ type_double() }}) as weight

    from cost_objects
    where attempts_started > 0

),

customer_objects as (

    select
        *,
        count(*) over (partition by usage_date, customer_id) as customer_objects_that_day

    from cost_objects

),

even_customers as (

    select
        usage_date as cost_date,
        'even_customers' as allocation_method,
        cost_object_type,
        cost_object_id,
        customer_id,
        project_id,
        1.0 / customer_objects_that_day as weight

    from customer_objects

),

active_days as (

    select distinct usage_date from cost_objects

),

weighted_objects as (

    select
        customer_objects.usage_date as cost_date,
        'fixed_weights' as allocation_method,
        customer_objects.cost_object_type,
        customer_objects.cost_object_id,
        customer_objects.customer_id,
        customer_objects.project_id,
        cast(control_plane_weights.weight as {{ type_double() }})
        / customer_objects.customer_objects_that_day as weight

    from customer_objects
    inner join control_plane_weights
        on customer_objects.customer_id = control_plane_weights.customer_id
    where control_plane_weights.weight > 0

),

weighted_idle_customers as (

    select
        active_days.usage_date as cost_date,
        'fixed_weights' as allocation_method,
        'customer' as cost_object_type,
        control_plane_weights.customer_id as cost_object_id,
        control_plane_weights.customer_id,
        cast(null as {{ dbt.type_string() }}) as project_id,
        cast(control_plane_weights.weight as {{ type_double() }}) as weight

    from active_days
    cross join control_plane_weights
    where
        control_plane_weights.weight > 0
        and not exists (
            select 1
            from cost_objects
            where
                cost_objects.usage_date = active_days.usage_date
                and cost_objects.customer_id = control_plane_weights.customer_id
        )

),

targets as (

    select * from run_count
    union all
    select * from attempts_started
    union all
    select * from even_customers
    union all
    select * from weighted_objects
    union all
    select * from weighted_idle_customers

)

-- stored in day order (dbt_project/README.md: a refresh touches the newest row groups)
select * from targets
order by cost_date
