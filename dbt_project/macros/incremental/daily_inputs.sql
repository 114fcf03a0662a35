{#-
    The inputs of each day-by-day incremental model (the cost chain, and the daily marts whose
    day is their fact's day), digested per day by input_digests.sql: every relation the model
    reads, on the date column that puts a row on the day it feeds, and the settings it reads
    (its own code and vars), so a change of any of them recomputes the days it touches.
    `model_name`: the model (this).
-#}
{% macro daily_inputs(model_name) -%}
    {#- each branch refs only its own inputs: a ref here is a dependency of the model -#}
    {#- the model's code, quoted for the SQL literal the digest hashes -#}
    {%- set code = (model.raw_code if model is mapping and model.raw_code else '') | replace("'", "''") -%}
    {%- set modes = [
        var('cost_allocation_mode', 'standard'),
        var('control_plane_allocation_method', 'run_count'),
        var('fixed_cost_allocation_method', 'even_customers'),
        var('share_idle_cost', false)
    ] | join('|') -%}
    {%- set settings = model_name ~ '|' ~ code ~ '|' ~ modes -%}
    {%- if model_name == 'int_focus_costs_daily' -%}
        {#- its rows depend on the FOCUS row alone, and the seeds: a seed change redoes them all -#}
        {%- set inputs = [
            {'name': 'invoice_providers', 'relation': ref('llm_invoice_providers'), 'date_column': none},
            {'name': 'classification', 'relation': ref('cost_classification'), 'date_column': none},
            {'name': 'exchange_rates', 'relation': ref('exchange_rates'), 'date_column': none}
        ] -%}
    {%- elif model_name in ('int_cost_pools_daily', 'fct_infra_costs') -%}
        {%- set inputs = [
            {'name': 'focus_costs', 'relation': ref('int_focus_costs_daily'), 'date_column': 'cost_date'}
        ] -%}
    {%- elif model_name == 'int_allocation_targets_daily' -%}
        {%- set inputs = [
            {'name': 'cost_objects', 'relation': ref('int_cost_objects_daily'), 'date_column': 'usage_date'},
            {'name': 'weights', 'relation': ref('control_plane_weights'), 'date_column': none}
        ] -%}
    {%- elif model_name == 'int_cost_allocations_ai' -%}
        {%- set inputs = [
            {'name': 'pools', 'relation': allocated_cost_pools(model_name), 'date_column': 'cost_date'},
            {'name': 'llm_costs', 'relation': ref('int_llm_costs_daily'), 'date_column': 'call_date'}
        ] -%}
    {%- elif model_name == 'int_cost_allocations_data_plane' -%}
        {%- set inputs = [
            {'name': 'pools', 'relation': allocated_cost_pools(model_name), 'date_column': 'cost_date'},
            {'name': 'usage', 'relation': ref('int_data_plane_usage_daily'), 'date_column': 'usage_date'}
        ] -%}
    {%- elif model_name == 'int_cost_allocations_platform' -%}
        {%- set inputs = [
            {'name': 'pools', 'relation': allocated_cost_pools(model_name), 'date_column': 'cost_date'},
            {'name': 'targets', 'relation': ref('int_allocation_targets_daily'), 'date_column': 'cost_date'}
        ] -%}
    {%- elif model_name == 'int_cost_allocations_shared' -%}
        {%- set inputs = [
            {'name': 'pools', 'relation': allocated_cost_pools(model_name), 'date_column': 'cost_date'},
            {'name': 'targets', 'relation': ref('int_allocation_targets_daily'), 'date_column': 'cost_date'},
            {'name': 'data_plane', 'relation': ref('int_cost_allocations_data_plane'), 'date_column': 'cost_date'},
            {'name': 'platform', 'relation': ref('int_cost_allocations_platform'), 'date_column': 'cost_date'}
        ] -%}
    {%- elif model_name == 'int_cost_allocations' -%}
        {%- set inputs = [
            {'name': 'ai', 'relation': ref('int_cost_allocations_ai'), 'date_column': 'cost_date'},
            {'name': 'data_plane', 'relation': ref('int_cost_allocations_data_plane'), 'date_column': 'cost_date'},
            {'name': 'platform', 'relation': ref('int_cost_allocations_platform'), 'date_column': 'cost_date'},
            {'name': 'shared', 'relation': ref('int_cost_allocations_shared'), 'date_column': 'cost_date'}
        ] -%}
    {%- elif model_name == 'fct_cost_allocations' -%}
        {#- the run and session attributes it joins, on each day the object has an allocation -#}
        {%- set objects -%}
            select distinct cost_date, cost_object_type, cost_object_id
            from {{ ref('int_cost_allocations') }}
            where cost_object_type in ('run', 'session')
        {%- endset -%}
        {%- set attributes -%}
            (
                select
                    objects.cost_date,
                    objects.cost_object_type,
                    objects.cost_object_id,
                    runs.customer_id as run_customer_id,
                    runs.project_id as run_project_id,
                    runs.run_type,
                    runs.template_key,
                    sessions.customer_id as session_customer_id,
                    sessions.project_id as session_project_id,
                    sessions.session_mode
                from ({{ objects }}) as objects
                left join {{ ref('fct_runs') }} as runs
                    on objects.cost_object_type = 'run' and objects.cost_object_id = runs.run_id
                left join {{ ref('fct_sessions') }} as sessions
                    on
                        objects.cost_object_type = 'session'
                        and objects.cost_object_id = sessions.session_id
            )
        {%- endset -%}
        {%- set inputs = [
            {'name': 'allocations', 'relation': ref('int_cost_allocations'), 'date_column': 'cost_date'},
            {'name': 'attributes', 'relation': attributes, 'date_column': 'cost_date'}
        ] -%}
    {%- elif model_name == 'cost_daily' -%}
        {%- set inputs = [
            {'name': 'allocations', 'relation': ref('fct_cost_allocations'), 'date_column': 'cost_date'}
        ] -%}
    {%- elif model_name == 'tool_usage_daily' -%}
        {%- set inputs = [
            {'name': 'tool_calls', 'relation': ref('fct_tool_calls'), 'date_column': 'call_date'}
        ] -%}
    {%- elif model_name == 'adoption_daily' -%}
        {#- the session columns it reads (a session's new calls or cost change no adoption day),
            and the calendar, which bounds its rolling windows -#}
        {%- set sessions -%}
            (
                select session_date, customer_id, team_name, repository_name, user_id, session_mode
                from {{ ref('fct_sessions') }}
            )
        {%- endset -%}
        {%- set inputs = [
            {'name': 'sessions', 'relation': sessions, 'date_column': 'session_date'},
            {'name': 'dates', 'relation': ref('dim_dates'), 'date_column': 'date_day'}
        ] -%}
    {%- elif model_name == 'run_performance_daily' -%}
        {%- set inputs = [
            {'name': 'runs', 'relation': ref('fct_runs'), 'date_column': 'run_date'}
        ] -%}
    {%- else -%}
        {%- do exceptions.raise_compiler_error('daily_inputs: unknown model ' ~ model_name) -%}
    {%- endif -%}
    {%- do return({'inputs': inputs, 'settings': settings}) -%}
{%- endmacro %}
