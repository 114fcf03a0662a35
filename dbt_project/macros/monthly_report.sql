{#-
    The body of customer_monthly_report (level `customer`) and project_monthly_report (level
    `project`): one row per customer (project) and month with everything the monthly report
    shows. Runs count in the month they were created, cost in the month it was incurred; the
    idle and unallocated rows belong to no customer and are not in these reports.
-#}
{% macro monthly_report_sql(level) -%}
{%- set keys = ['customer_id'] if level == 'customer' else ['customer_id', 'project_id'] -%}
{%- set key_list = keys | join(', ') -%}
{%- set report_key = ['current_month.month_start_date'] -%}
{%- for key in keys %}{% do report_key.append('current_month.' ~ key) %}{% endfor -%}
with

runs as (

    select
        *,
        coalesce(project_id, '(none)') as project_key,
        cast({{ dbt.date_trunc('month', 'run_date') }} as date) as month_start_date
    from {{ ref('fct_runs') }}

),

cost_daily as (

    select * from {{ ref('cost_daily') }}
    where customer_id not in ('__idle__', '__unallocated__')

),

llm_usage as (

    select
        *,
        cast({{ dbt.date_trunc('month', 'call_date') }} as date) as month_start_date
    from {{ ref('llm_usage_daily') }}

),

sessions as (

    select
        *,
        coalesce(project_id, '(none)') as project_key,
        cast({{ dbt.date_trunc('month', 'session_date') }} as date) as month_start_date
    from {{ ref('fct_sessions') }}
    where not is_run_session

),

budgets as (

    select * from {{ ref('monthly_budgets') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

{%- if level == 'project' %}

projects as (

    select * from {{ ref('dim_projects') }}

),

{%- endif %}

run_kpis as (

    select
        month_start_date,
        customer_id,
        {%- if level == 'project' %}
        project_key as project_id,
        {%- endif %}
        count(*) as runs,
        sum(case when is_finished then 1 else 0 end) as finished_runs,
        sum(case when is_succeeded then 1 else 0 end) as succeeded_runs,
        sum(case when is_finished and is_first_attempt_succeeded then 1 else 0 end)
            as first_attempt_succeeded_runs,
        sum(case when is_within_expected_duration then 1 else 0 end) as within_expected_runs,
        sum(case when is_within_expected_duration is not null then 1 else 0 end)
            as runs_with_expectation,
        {{ percentile_cont('duration_seconds', 0.5) }} as duration_p50_seconds,
        {{ percentile_cont('duration_seconds', 0.95) }} as duration_p95_seconds

    from runs
    group by month_start_date, customer_id{% if level == 'project' %}, project_key{% endif %}

),

template_counts as (

    select
        month_start_date,
        customer_id,
        {%- if level == 'project' %}
        project_key as project_id,
        {%- endif %}
        template_key,
        count(*) as runs

    from runs
    group by month_start_date, customer_id, {% if level == 'project' %}project_key, {% endif %}template_key

),

ranked_templates as (

    select
        *,
        row_number() over (
            partition by month_start_date, {{ key_list }}
            order by runs desc, template_key
        ) as template_rank

    from template_counts

),

top_templates as (

    select
        month_start_date,
        {{ key_list }},
        {{ dbt.listagg(
            "template_key || ' (' || cast(runs as " ~ dbt.type_string() ~ ") || ')'",
            "', '",
            'order by template_rank'
        ) }} as top_templates

    from ranked_templates
    where template_rank <= 3
    group by month_start_date, {{ key_list }}

),

costs as (

    select
        month_start_date,
        {{ key_list }},
        sum(total_cost_usd) as total_cost_usd,
        sum(estimated_cost_usd) as estimated_cost_usd,
        sum(fixed_cost_usd) as fixed_cost_usd,
        sum(variable_cost_usd) as variable_cost_usd,
        sum(case when is_ai_cost then total_cost_usd else 0 end) as ai_cost_usd,
        {{ sum_by_cost_component([
            'data_plane', 'data_plane_idle', 'control_plane', 'storage', 'network',
            'dedicated', 'shared',
        ]) }}

    from cost_daily
    group by month_start_date, {{ key_list }}

),

model_costs as (

    select
        month_start_date,
        {{ key_list }},
        model_name,
        sum(ai_cost_usd) as ai_cost_usd,
        sum(llm_calls) as llm_calls,
        sum(input_tokens) as input_tokens,
        sum(cache_read_tokens) as cache_read_tokens,
        sum(output_tokens) as output_tokens,
        sum(total_tokens) as total_tokens

    from llm_usage
    group by month_start_date, {{ key_list }}, model_name

),

tokens as (

    select
        month_start_date,
        {{ key_list }},
        sum(llm_calls) as llm_calls,
        sum(input_tokens) as input_tokens,
        sum(cache_read_tokens) as cache_read_tokens,
        sum(output_tokens) as output_tokens,
        sum(total_tokens) as total_tokens,
        {{ dbt.listagg(
            "model_name || ': ' || cast(cast(round(ai_cost_usd, 2) as decimal(18, 2)) as "
            ~ dbt.type_string() ~ ")",
            "'; '",
            'order by ai_cost_usd desc, model_name'
        ) }} as cost_by_model

    from model_costs
    group by month_start_date, {{ key_list }}

),

session_kpis as (

    select
        month_start_date,
        customer_id,
        {%- if level == 'project' %}
        project_key as project_id,
        {%- endif %}
        sum(case when is_interactive then 1 else 0 end) as interactive_sessions,
        count(distinct user_id) as active_users

    from sessions
    group by month_start_date, customer_id{% if level == 'project' %}, project_key{% endif %}

),

report_keys as (

    select
        month_start_date,
        {{ key_list }}
    from run_kpis
    union
    select
        month_start_date,
        {{ key_list }}
    from costs
    union
    select
        month_start_date,
        {{ key_list }}
    from tokens

),

scoped_keys as (

    select * from report_keys
    {%- if level == 'project' %}
    where project_id != '(none)'
    {%- endif %}

),

monthly as (

    select
        scoped_keys.month_start_date,
        {%- for key in keys %}
        scoped_keys.{{ key }},
        {%- endfor %}
        coalesce(run_kpis.runs, 0) as runs,
        coalesce(run_kpis.finished_runs, 0) as finished_runs,
        coalesce(run_kpis.succeeded_runs, 0) as succeeded_runs,
        cast(run_kpis.succeeded_runs as {{ type_double() }})
        / nullif(run_kpis.finished_runs, 0) as success_rate,
        cast(run_kpis.first_attempt_succeeded_runs as {{ type_double() }})
        / nullif(run_kpis.finished_runs, 0) as first_attempt_success_rate,
        cast(run_kpis.within_expected_runs as {{ type_double() }})
        / nullif(run_kpis.runs_with_expectation, 0) as within_expected_share,
        run_kpis.duration_p50_seconds,
        run_kpis.duration_p95_seconds,
        top_templates.top_templates,
        coalesce(session_kpis.interactive_sessions, 0) as interactive_sessions,
        coalesce(session_kpis.active_users, 0) as active_users,
        coalesce(costs.total_cost_usd, 0) as total_cost_usd,
        coalesce(costs.estimated_cost_usd, 0) as estimated_cost_usd,
        coalesce(costs.fixed_cost_usd, 0) as fixed_cost_usd,
        coalesce(costs.variable_cost_usd, 0) as variable_cost_usd,
        coalesce(costs.ai_cost_usd, 0) as ai_cost_usd,
        coalesce(costs.total_cost_usd, 0) - coalesce(costs.ai_cost_usd, 0)
            as infrastructure_cost_usd,
        coalesce(costs.data_plane_cost_usd, 0) as data_plane_cost_usd,
        coalesce(costs.data_plane_idle_cost_usd, 0) as data_plane_idle_cost_usd,
        coalesce(costs.control_plane_cost_usd, 0) as control_plane_cost_usd,
        coalesce(costs.storage_cost_usd, 0) as storage_cost_usd,
        coalesce(costs.network_cost_usd, 0) as network_cost_usd,
        coalesce(costs.dedicated_cost_usd, 0) as dedicated_cost_usd,
        coalesce(costs.shared_cost_usd, 0) as shared_cost_usd,
        tokens.cost_by_model,
        coalesce(tokens.llm_calls, 0) as llm_calls,
        coalesce(tokens.input_tokens, 0) as input_tokens,
        coalesce(tokens.cache_read_tokens, 0) as cache_read_tokens,
        coalesce(tokens.output_tokens, 0) as output_tokens,
        coalesce(tokens.total_tokens, 0) as total_tokens

    from scoped_keys
    {%- for joined in ['run_kpis', 'top_templates', 'session_kpis', 'costs', 'tokens'] %}
    left join {{ joined }}
        on
            scoped_keys.month_start_date = {{ joined }}.month_start_date
            {%- for key in keys %}
            and scoped_keys.{{ key }} = {{ joined }}.{{ key }}
            {%- endfor %}
    {%- endfor %}

),

customer_month_costs as (

    select
        month_start_date,
        customer_id,
        sum(total_cost_usd) as customer_total_cost_usd

    from costs
    group by month_start_date, customer_id

),

final as (

    select
        ----------  ids
        {{ generate_surrogate_key(report_key) }} as monthly_report_id,
        {%- for key in keys %}
        current_month.{{ key }},
        {%- endfor %}

        ---------- strings
        customers.customer_name,
        customers.plan_name,
        {%- if level == 'project' %}
        projects.project_name,
        projects.team_name,
        projects.repository_name,
        {%- endif %}
        current_month.top_templates,
        current_month.cost_by_model,

        ---------- numerics
        cast(current_month.runs as {{ dbt.type_bigint() }}) as runs,
        cast(current_month.finished_runs as {{ dbt.type_bigint() }}) as finished_runs,
        cast(current_month.succeeded_runs as {{ dbt.type_bigint() }}) as succeeded_runs,
        cast(current_month.success_rate as {{ type_double() }}) as success_rate,
        cast(current_month.first_attempt_success_rate as {{ type_double() }})
            as first_attempt_success_rate,
        cast(current_month.within_expected_share as {{ type_double() }})
            as within_expected_share,
        cast(current_month.duration_p50_seconds as {{ type_double() }})
            as duration_p50_seconds,
        cast(current_month.duration_p95_seconds as {{ type_double() }})
            as duration_p95_seconds,
        cast(current_month.interactive_sessions as {{ dbt.type_bigint() }})
            as interactive_sessions,
        cast(current_month.active_users as {{ dbt.type_bigint() }}) as active_users,
        cast(current_month.llm_calls as {{ dbt.type_bigint() }}) as llm_calls,
        cast(current_month.input_tokens as {{ dbt.type_bigint() }}) as input_tokens,
        cast(current_month.cache_read_tokens as {{ dbt.type_bigint() }}) as cache_read_tokens,
        cast(current_month.output_tokens as {{ dbt.type_bigint() }}) as output_tokens,
        cast(current_month.total_tokens as {{ dbt.type_bigint() }}) as total_tokens,
        cast(current_month.cache_read_tokens as {{ type_double() }})
        / nullif(current_month.input_tokens, 0) as cache_read_share,
        cast(current_month.total_cost_usd as {{ money_type() }}) as total_cost_usd,
        cast(current_month.estimated_cost_usd as {{ money_type() }}) as estimated_cost_usd,
        cast(current_month.fixed_cost_usd as {{ money_type() }}) as fixed_cost_usd,
        cast(current_month.variable_cost_usd as {{ money_type() }}) as variable_cost_usd,
        cast(current_month.ai_cost_usd as {{ money_type() }}) as ai_cost_usd,
        cast(current_month.infrastructure_cost_usd as {{ money_type() }})
            as infrastructure_cost_usd,
        cast(current_month.data_plane_cost_usd as {{ money_type() }}) as data_plane_cost_usd,
        cast(current_month.data_plane_idle_cost_usd as {{ money_type() }})
            as data_plane_idle_cost_usd,
        cast(current_month.control_plane_cost_usd as {{ money_type() }})
            as control_plane_cost_usd,
        cast(current_month.storage_cost_usd as {{ money_type() }}) as storage_cost_usd,
        cast(current_month.network_cost_usd as {{ money_type() }}) as network_cost_usd,
        cast(current_month.dedicated_cost_usd as {{ money_type() }}) as dedicated_cost_usd,
        cast(current_month.shared_cost_usd as {{ money_type() }}) as shared_cost_usd,
        cast(current_month.total_cost_usd / nullif(current_month.runs, 0) as {{ type_double() }})
            as cost_per_run_usd,
        cast(previous_month.runs as {{ dbt.type_bigint() }}) as previous_month_runs,
        cast(previous_month.success_rate as {{ type_double() }})
            as previous_month_success_rate,
        cast(previous_month.total_cost_usd as {{ money_type() }})
            as previous_month_total_cost_usd,
        cast(current_month.runs as {{ type_double() }})
        / nullif(previous_month.runs, 0) - 1 as runs_change,
        cast(current_month.success_rate - previous_month.success_rate as {{ type_double() }})
            as success_rate_change,
        cast(current_month.total_cost_usd as {{ type_double() }})
        / nullif(cast(previous_month.total_cost_usd as {{ type_double() }}), 0) - 1
            as total_cost_change,
        cast(budgets.budget_usd as {{ money_type() }}) as budget_usd,
        {%- if level == 'customer' %}
        cast(current_month.total_cost_usd as {{ type_double() }})
        / nullif(cast(budgets.budget_usd as {{ type_double() }}), 0) as budget_consumed_share,
        {%- else %}
        cast(current_month.total_cost_usd as {{ type_double() }})
        / nullif(cast(budgets.budget_usd as {{ type_double() }}), 0) as budget_consumed_share,
        cast(current_month.total_cost_usd as {{ type_double() }})
        / nullif(cast(customer_month_costs.customer_total_cost_usd as {{ type_double() }}), 0)
            as share_of_customer_cost,
        {%- endif %}

        ---------- booleans
        coalesce(current_month.total_cost_usd > budgets.budget_usd, false) as is_over_budget,

        ---------- dates
        current_month.month_start_date

    from monthly as current_month
    left join monthly as previous_month
        on
            previous_month.month_start_date
            = cast({{ dbt.dateadd('month', -1, 'current_month.month_start_date') }} as date)
            {%- for key in keys %}
            and current_month.{{ key }} = previous_month.{{ key }}
            {%- endfor %}
    left join customers
        on current_month.customer_id = customers.customer_id
    {%- if level == 'project' %}
    left join projects
        on current_month.project_id = projects.project_id
    {%- endif %}
    left join budgets
        on
            current_month.customer_id = budgets.customer_id
            and current_month.month_start_date = budgets.budget_month
    left join customer_month_costs
        on
            current_month.customer_id = customer_month_costs.customer_id
            and current_month.month_start_date = customer_month_costs.month_start_date

)

select * from final
{%- endmacro %}
