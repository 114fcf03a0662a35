{{ config(**incremental_by_input_days('cost_date')) }}
-- One row per cost object x cost component x UTC day (x billing currency, when a bill mixes
-- currencies): the cost allocated to each run, session or customer (dedicated resources), plus
-- the explicit `idle` rows (unused worker capacity, one per pool-day) and `unallocated` rows
-- (cost of a day without any driver). For every day, the sum of effective_cost over all rows
-- equals the FOCUS effective cost of that day (and billed_cost the billed cost), to the cent:
-- tests/assert_allocations_reconcile_with_focus.sql. AI cost not invoiced yet is carried apart
-- as estimated_cost_usd. Methods and rules: see the README ("Cost allocation").
-- Incremental by day: a refresh recomputes the days whose allocations, or the attributes of whose
-- runs and sessions, changed (input_digests.sql).
{%- set inputs = daily_inputs('fct_cost_allocations') %}
{%- set days = changed_input_days(inputs) %}
with

allocation_lines as (

    select * from {{ daily_input(inputs, 'allocations', days) }}

),

-- read whole, by ref: their digest ('attributes' in daily_inputs) is of the runs' and sessions'
-- columns joined below, on the days each object has an allocation
runs as (

    select * from {{ ref('fct_runs') }}

),

sessions as (

    select * from {{ ref('fct_sessions') }}

),

grouped as (

    select
        cost_date,
        cost_object_type,
        cost_object_id,
        cost_component,
        billing_currency,
        max(customer_id) as customer_id,
        max(project_id) as project_id,
        -- the methods behind the row, one bit each (allocation_methods.sql says why)
        bit_or({{ allocation_method_bit('allocation_method') }}) as allocation_methods_mask,
        {{ dbt.bool_or('is_estimated') }} as has_estimated_cost,
        sum(case when is_estimated then 0 else allocated_effective_cost end) as effective_cost,
        sum(case when is_estimated then 0 else allocated_billed_cost end) as billed_cost,
        sum(case when is_estimated then 0 else allocated_cost_usd end) as effective_cost_usd,
        sum(case when is_estimated then 0 else allocated_billed_cost_usd end)
            as billed_cost_usd,
        sum(case when is_estimated then allocated_cost_usd else 0 end) as estimated_cost_usd,
        sum(case when cost_class = 'fixed' then allocated_cost_usd else 0 end) as fixed_cost_usd,
        sum(case when cost_class = 'variable' then allocated_cost_usd else 0 end)
            as variable_cost_usd

    from allocation_lines
    group by cost_date, cost_object_type, cost_object_id, cost_component, billing_currency

),

final as (

    select
        ----------  ids
        {{ generate_surrogate_key([
            'grouped.cost_date', 'grouped.cost_object_type', 'grouped.cost_object_id',
            'grouped.cost_component', 'grouped.billing_currency'
        ]) }} as cost_allocation_id,
        grouped.cost_object_type,
        grouped.cost_object_id,
        case when grouped.cost_object_type = 'run' then grouped.cost_object_id end as run_id,
        case when grouped.cost_object_type = 'session' then grouped.cost_object_id end
            as session_id,
        coalesce(runs.customer_id, sessions.customer_id, grouped.customer_id) as customer_id,
        coalesce(runs.project_id, sessions.project_id, grouped.project_id) as project_id,

        ---------- strings
        grouped.cost_component,
        case
            when grouped.cost_component = 'ai_inference' then 'ai'
            else 'infrastructure'
        end as cost_category,
        case
            when grouped.cost_object_type = 'run' then coalesce(runs.run_type, 'unknown')
            when grouped.cost_object_type = 'session'
                then 'session:' || coalesce(sessions.session_mode, 'unknown')
            else '(' || grouped.cost_object_type || ')'
        end as run_type,
        case
            when grouped.cost_object_type = 'run' then coalesce(runs.template_key, 'unknown')
        end as template_key,
        {{ allocation_methods_of('grouped.allocation_methods_mask') }} as allocation_method,
        grouped.billing_currency,

        ---------- numerics
        cast(grouped.effective_cost as {{ money_type() }}) as effective_cost,
        cast(grouped.billed_cost as {{ money_type() }}) as billed_cost,
        cast(grouped.effective_cost_usd as {{ money_type() }}) as effective_cost_usd,
        cast(grouped.billed_cost_usd as {{ money_type() }}) as billed_cost_usd,
        cast(grouped.estimated_cost_usd as {{ money_type() }}) as estimated_cost_usd,
        cast(
            coalesce(grouped.effective_cost_usd, 0) + grouped.estimated_cost_usd
            as {{ money_type() }}
        ) as total_cost_usd,
        cast(grouped.fixed_cost_usd as {{ money_type() }}) as fixed_cost_usd,
        cast(grouped.variable_cost_usd as {{ money_type() }}) as variable_cost_usd,

        ---------- booleans
        grouped.has_estimated_cost,
        grouped.cost_object_type in ('run', 'session', 'customer') as is_allocated,

        ---------- dates
        grouped.cost_date

    from grouped
    left join runs
        on
            grouped.cost_object_type = 'run'
            and grouped.cost_object_id = runs.run_id
    left join sessions
        on
            grouped.cost_object_type = 'session'
            and grouped.cost_object_id = sessions.session_id

)

-- stored in day order (dbt_project/README.md: a refresh touches the newest row groups)
select * from final
order by cost_date
