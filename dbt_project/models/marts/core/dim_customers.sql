-- One row per customer: the latest reference export, plus the explicit `unattributed` customer
-- under which telemetry without a customer is counted.
with

customers as (

    select * from {{ ref('int_customers_deduplicated') }}

),

projects as (

    select * from {{ ref('int_projects_deduplicated') }}

),

project_counts as (

    select
        customer_id,
        count(*) as number_of_projects

    from projects
    group by customer_id

),

customers_and_unattributed as (

    select
        customer_id,
        organization_id,
        customer_name,
        plan_name,
        false as is_unattributed,
        created_at

    from customers

    union all

    select
        'unattributed' as customer_id,
        null as organization_id,
        'Unattributed telemetry' as customer_name,
        null as plan_name,
        true as is_unattributed,
        null as created_at

),

final as (

    select
        customers_and_unattributed.customer_id,
        customers_and_unattributed.organization_id,
        customers_and_unattributed.customer_name,
        customers_and_unattributed.plan_name,
        cast(coalesce(project_counts.number_of_projects, 0) as bigint) as number_of_projects,
        customers_and_unattributed.is_unattributed,
        customers_and_unattributed.created_at

    from customers_and_unattributed
    left join project_counts
        on customers_and_unattributed.customer_id = project_counts.customer_id

)

select * from final
