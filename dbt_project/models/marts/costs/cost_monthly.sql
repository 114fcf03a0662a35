-- Allocated cost per month, customer, project, run type and cost component (cost_daily by
-- month), with the customer's budget consumption (monthly_budgets seed) on every row of the
-- customer-month.
with

cost_daily as (

    select * from {{ ref('cost_daily') }}

),

budgets as (

    select * from {{ ref('monthly_budgets') }}

),

grouped as (

    select
        month_start_date,
        customer_id,
        project_id,
        run_type,
        cost_component,
        max(cost_category) as cost_category,
        sum(billed_cost_usd) as billed_cost_usd,
        sum(estimated_cost_usd) as estimated_cost_usd,
        sum(total_cost_usd) as total_cost_usd,
        sum(fixed_cost_usd) as fixed_cost_usd,
        sum(variable_cost_usd) as variable_cost_usd,
        count(distinct cost_date) as days_with_cost

    from cost_daily
    group by month_start_date, customer_id, project_id, run_type, cost_component

),

customer_months as (

    select
        month_start_date,
        customer_id,
        sum(total_cost_usd) as customer_month_cost_usd

    from grouped
    group by month_start_date, customer_id

),

final as (

    select
        ----------  ids
        {{ generate_surrogate_key([
            'grouped.month_start_date', 'grouped.customer_id', 'grouped.project_id',
            'grouped.run_type', 'grouped.cost_component'
        ]) }} as cost_monthly_id,
        grouped.customer_id,
        grouped.project_id,

        ---------- strings
        grouped.run_type,
        grouped.cost_component,
        grouped.cost_category,

        ---------- numerics
        cast(grouped.days_with_cost as {{ dbt.type_bigint() }}) as days_with_cost,
        cast(grouped.billed_cost_usd as {{ money_type() }}) as billed_cost_usd,
        cast(grouped.estimated_cost_usd as {{ money_type() }}) as estimated_cost_usd,
        cast(grouped.total_cost_usd as {{ money_type() }}) as total_cost_usd,
        cast(grouped.fixed_cost_usd as {{ money_type() }}) as fixed_cost_usd,
        cast(grouped.variable_cost_usd as {{ money_type() }}) as variable_cost_usd,
        cast(customer_months.customer_month_cost_usd as {{ money_type() }})
            as customer_month_cost_usd,
        cast(budgets.budget_usd as {{ money_type() }}) as customer_budget_usd,
        cast(customer_months.customer_month_cost_usd as {{ type_double() }})
        / nullif(budgets.budget_usd, 0) as customer_budget_consumed_share,

        ---------- booleans
        grouped.cost_category = 'ai' as is_ai_cost,

        ---------- dates
        grouped.month_start_date

    from grouped
    inner join customer_months
        on
            grouped.month_start_date = customer_months.month_start_date
            and grouped.customer_id = customer_months.customer_id
    left join budgets
        on
            grouped.customer_id = budgets.customer_id
            and grouped.month_start_date = budgets.budget_month

)

select * from final
