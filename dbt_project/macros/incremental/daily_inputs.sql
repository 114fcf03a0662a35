{#-
    The inputs of each day-by-day incremental model (the cost chain, and the daily marts whose
    day is their fact's day) and of each model incremental by key (input_keys.sql), digested
    per day by input_digests.sql: every relation the model reads, on the date column that puts
    a row on the day it feeds (and, by key, the column of its key), and the settings it reads
    (its own code and vars), so a change of any of them recomputes the days it touches. The
    model reads each input through daily_input (below) or keyed_input, so what it reads is what
    is digested (but fct_cost_allocations' `attributes`, a digest of the columns it joins: see
    the model). A relation may be a select of the rows and columns the model reads: the digest
    hashes less, and a change the model cannot see recomputes nothing. `upstream_digests`: the
    relation is a model incremental by input days, read whole on its own date column, and is
    digested by the digests that model stored (input_digests.sql).
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
    {%- elif model_name == 'int_data_plane_usage_daily' -%}
        {%- set attempt_days -%}
            (
                select usage_date, worker_pool, run_id, customer_id, project_id, busy_seconds
                from {{ ref('int_run_attempts_split_by_day') }}
                where worker_pool is not null and busy_seconds > 0
            )
        {%- endset -%}
        {%- set inputs = [
            {'name': 'attempt_days', 'relation': attempt_days, 'date_column': 'usage_date'}
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
            {'name': 'usage', 'relation': ref('int_data_plane_usage_daily'), 'date_column': 'usage_date', 'upstream_digests': true}
        ] -%}
    {%- elif model_name == 'int_cost_allocations_platform' -%}
        {%- set inputs = [
            {'name': 'pools', 'relation': allocated_cost_pools(model_name), 'date_column': 'cost_date'},
            {'name': 'targets', 'relation': ref('int_allocation_targets_daily'), 'date_column': 'cost_date', 'upstream_digests': true}
        ] -%}
    {%- elif model_name == 'int_cost_allocations_shared' -%}
        {%- set inputs = [
            {'name': 'pools', 'relation': allocated_cost_pools(model_name), 'date_column': 'cost_date'},
            {'name': 'targets', 'relation': ref('int_allocation_targets_daily'), 'date_column': 'cost_date', 'upstream_digests': true},
            {'name': 'data_plane', 'relation': ref('int_cost_allocations_data_plane'), 'date_column': 'cost_date', 'upstream_digests': true},
            {'name': 'platform', 'relation': ref('int_cost_allocations_platform'), 'date_column': 'cost_date', 'upstream_digests': true}
        ] -%}
    {%- elif model_name == 'int_cost_allocations' -%}
        {%- set inputs = [
            {'name': 'ai', 'relation': ref('int_cost_allocations_ai'), 'date_column': 'cost_date', 'upstream_digests': true},
            {'name': 'data_plane', 'relation': ref('int_cost_allocations_data_plane'), 'date_column': 'cost_date', 'upstream_digests': true},
            {'name': 'platform', 'relation': ref('int_cost_allocations_platform'), 'date_column': 'cost_date', 'upstream_digests': true},
            {'name': 'shared', 'relation': ref('int_cost_allocations_shared'), 'date_column': 'cost_date', 'upstream_digests': true}
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
            {'name': 'allocations', 'relation': ref('int_cost_allocations'), 'date_column': 'cost_date', 'upstream_digests': true},
            {'name': 'attributes', 'relation': attributes, 'date_column': 'cost_date'}
        ] -%}
    {%- elif model_name == 'cost_daily' -%}
        {%- set inputs = [
            {'name': 'allocations', 'relation': ref('fct_cost_allocations'), 'date_column': 'cost_date', 'upstream_digests': true}
        ] -%}
    {%- elif model_name == 'llm_usage_daily' -%}
        {%- set calls -%}
            (
                select
                    call_date, customer_id, project_id, provider_name, model_name, operation_name,
                    is_error, is_retry, is_priced, input_tokens, uncached_input_tokens,
                    cache_read_tokens, cache_write_tokens, output_tokens, reasoning_tokens,
                    total_tokens, estimated_cost_usd
                from {{ ref('fct_llm_calls') }}
            )
        {%- endset -%}
        {%- set invoiced -%}
            (
                select cost_date, cost_pool, allocated_cost_usd
                from {{ ref('int_cost_allocations') }}
                where
                    cost_component = 'ai_inference'
                    and not is_estimated
                    and cost_object_type != 'unallocated'
            )
        {%- endset -%}
        {%- set inputs = [
            {'name': 'llm_calls', 'relation': calls, 'date_column': 'call_date'},
            {'name': 'invoiced', 'relation': invoiced, 'date_column': 'cost_date'}
        ] -%}
    {%- elif model_name == 'llm_performance_daily' -%}
        {%- set calls -%}
            (
                select
                    call_date, provider_name, model_name, is_error, is_retry, input_tokens,
                    cache_read_tokens, total_tokens, duration_ms
                from {{ ref('fct_llm_calls') }}
            )
        {%- endset -%}
        {%- set inputs = [
            {'name': 'llm_calls', 'relation': calls, 'date_column': 'call_date'}
        ] -%}
    {%- elif model_name == 'workflow_usage_daily' -%}
        {%- set runs -%}
            (select run_date, customer_id, template_key, is_succeeded from {{ ref('fct_runs') }})
        {%- endset -%}
        {%- set points -%}
            (
                select
                    point_date, customer_id, session_id, metric_name, delta_value,
                    slash_command_name, skill_name, hook_name, mcp_server
                from {{ ref('int_metric_points_deltas') }}
                where metric_name in (
                    'droid.slash_command.invocations', 'droid.skill.invocations',
                    'droid.hook.invocations', 'droid.mcp.tool_invocations'
                )
            )
        {%- endset -%}
        {%- set inputs = [
            {'name': 'runs', 'relation': runs, 'date_column': 'run_date'},
            {'name': 'metric_points', 'relation': points, 'date_column': 'point_date'}
        ] -%}
    {%- elif model_name == 'cost_by_operation_daily' -%}
        {%- set llm_usage -%}
            (
                select call_date, customer_id, operation_name, llm_calls, ai_cost_usd
                from {{ ref('llm_usage_daily') }}
            )
        {%- endset -%}
        {%- set tool_calls -%}
            (
                select call_date, run_id, customer_id, duration_ms
                from {{ ref('fct_tool_calls') }}
                where run_id is not null
            )
        {%- endset -%}
        {%- set attempt_days -%}
            (select usage_date, run_id, busy_seconds from {{ ref('int_run_attempts_split_by_day') }})
        {%- endset -%}
        {%- set worker_costs -%}
            (
                select cost_date, run_id, total_cost_usd
                from {{ ref('fct_cost_allocations') }}
                where
                    cost_object_type = 'run'
                    and cost_component in ('data_plane', 'data_plane_idle')
            )
        {%- endset -%}
        {%- set inputs = [
            {'name': 'llm_usage', 'relation': llm_usage, 'date_column': 'call_date'},
            {'name': 'tool_calls', 'relation': tool_calls, 'date_column': 'call_date'},
            {'name': 'attempt_days', 'relation': attempt_days, 'date_column': 'usage_date'},
            {'name': 'worker_costs', 'relation': worker_costs, 'date_column': 'cost_date'}
        ] -%}
    {%- elif model_name == 'customer_daily_usage' -%}
        {#- a run attempt counts on the day it started, and when it succeeded on the day it
            finished: digested on each -#}
        {%- set started -%}
            (
                select started_at, customer_id, run_id
                from {{ ref('int_run_attempts_deduplicated') }}
                where started_at is not null
            )
        {%- endset -%}
        {%- set succeeded -%}
            (
                select finished_at, customer_id, run_id
                from {{ ref('int_run_attempts_deduplicated') }}
                where run_status = 'succeeded' and finished_at is not null
            )
        {%- endset -%}
        {%- set calls -%}
            (
                select
                    call_date, customer_id, is_priced, total_input_tokens, uncached_input_tokens,
                    cache_read_tokens, cache_write_tokens, billable_output_tokens, total_tokens,
                    ai_cost_usd
                from {{ ref('int_llm_calls_priced') }}
            )
        {%- endset -%}
        {%- set points -%}
            (
                select point_date, customer_id, metric_name, delta_value
                from {{ ref('int_metric_points_deltas') }}
                where metric_name in (
                    'droid.code.lines_modified', 'droid.git.commits', 'droid.git.pull_requests',
                    'droid.tool.invocations'
                )
            )
        {%- endset -%}
        {%- set dedicated -%}
            (
                select charge_date, tag_customer_id, effective_cost_usd
                from {{ ref('int_focus_costs_deduplicated') }}
                where tag_customer_id is not null and not is_ai_service
            )
        {%- endset -%}
        {%- set inputs = [
            {'name': 'attempts_started', 'relation': started, 'date_column': 'started_at'},
            {'name': 'attempts_succeeded', 'relation': succeeded, 'date_column': 'finished_at'},
            {'name': 'llm_calls', 'relation': calls, 'date_column': 'call_date'},
            {'name': 'metric_points', 'relation': points, 'date_column': 'point_date'},
            {'name': 'dedicated_costs', 'relation': dedicated, 'date_column': 'charge_date'}
        ] -%}
    {%- elif model_name == 'run_cost_distribution_daily' -%}
        {%- set run_costs -%}
            (
                select run_date, customer_id, run_type, total_cost_usd, ai_cost_usd, total_tokens
                from {{ ref('run_costs') }}
            )
        {%- endset -%}
        {%- set inputs = [
            {'name': 'run_costs', 'relation': run_costs, 'date_column': 'run_date'}
        ] -%}
    {%- elif model_name == 'fct_code_changes' -%}
        {%- set points -%}
            (
                select
                    point_date, customer_id, repository_name, team_name, session_id,
                    metric_name, delta_value
                from {{ ref('int_metric_points_deltas') }}
                where metric_name in (
                    'droid.code.files_modified', 'droid.code.lines_modified',
                    'droid.code.files_read', 'droid.git.commits', 'droid.git.pull_requests'
                )
            )
        {%- endset -%}
        {%- set file_tool_calls -%}
            (
                select start_at, customer_id, repository_name, team_name, tool_name
                from {{ ref('int_spans_deduplicated') }}
                where is_tool_call and not is_error
            )
        {%- endset -%}
        {%- set inputs = [
            {'name': 'metric_points', 'relation': points, 'date_column': 'point_date'},
            {'name': 'file_tool_calls', 'relation': file_tool_calls, 'date_column': 'start_at'}
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
    {%- elif model_name == 'fct_sessions' -%}
        {#- incremental by session (input_keys.sql): each input's rows by their session -#}
        {%- set spans -%}
            (
                select
                    coalesce(session_id, trace_id) as session_key, start_at, end_at,
                    session_mode, service_name, customer_id, project_id, user_id, team_name,
                    repository_name, run_id, run_attempt, template_name, operation_name,
                    is_llm_call, is_tool_call, is_error
                from {{ ref('int_spans_deduplicated') }}
            )
        {%- endset -%}
        {%- set calls -%}
            (
                select
                    coalesce(session_id, trace_id) as session_key, call_date, total_tokens,
                    cache_read_tokens, ai_cost_usd
                from {{ ref('int_llm_calls_priced') }}
            )
        {%- endset -%}
        {%- set allocations -%}
            (
                select cost_object_id as session_key, cost_date, allocated_cost_usd
                from {{ ref('int_cost_allocations') }}
                where cost_object_type = 'session'
            )
        {%- endset -%}
        {%- set inputs = [
            {'name': 'spans', 'relation': spans, 'date_column': 'start_at', 'key_column': 'session_key'},
            {'name': 'llm_calls', 'relation': calls, 'date_column': 'call_date', 'key_column': 'session_key'},
            {'name': 'allocations', 'relation': allocations, 'date_column': 'cost_date', 'key_column': 'session_key'}
        ] -%}
    {%- elif model_name == 'int_cost_objects_daily' -%}
        {#- incremental by cost object (input_keys.sql): attempts by run, spans by session -#}
        {%- set attempts -%}
            (
                select
                    run_id, attempt, customer_id, project_id, queued_at, started_at,
                    coalesce(started_at, queued_at) as activity_at
                from {{ ref('int_run_attempts_deduplicated') }}
            )
        {%- endset -%}
        {%- set session_spans -%}
            (
                select coalesce(session_id, trace_id) as session_key, start_at, customer_id, project_id
                from {{ ref('int_spans_deduplicated') }}
                where run_id is null
            )
        {%- endset -%}
        {%- set inputs = [
            {'name': 'attempts', 'relation': attempts, 'date_column': 'activity_at', 'key_column': 'run_id'},
            {'name': 'session_spans', 'relation': session_spans, 'date_column': 'start_at', 'key_column': 'session_key'}
        ] -%}
    {%- elif model_name == 'run_costs' -%}
        {#- incremental by run (input_keys.sql): each input's rows by their run -#}
        {%- set runs -%}
            (
                select
                    run_id, run_date, customer_id, project_id, run_type, template_key,
                    final_status, worker_pool, duration_seconds, execution_seconds, is_succeeded
                from {{ ref('fct_runs') }}
            )
        {%- endset -%}
        {%- set allocations -%}
            (
                select
                    run_id, cost_date, cost_component, total_cost_usd, estimated_cost_usd,
                    fixed_cost_usd, variable_cost_usd
                from {{ ref('fct_cost_allocations') }}
                where cost_object_type = 'run'
            )
        {%- endset -%}
        {%- set calls -%}
            (
                select
                    run_id, call_date, input_tokens, cache_read_tokens, output_tokens,
                    total_tokens
                from {{ ref('fct_llm_calls') }}
                where run_id is not null
            )
        {%- endset -%}
        {%- set tool_calls -%}
            (select run_id, call_date from {{ ref('fct_tool_calls') }} where run_id is not null)
        {%- endset -%}
        {%- set inputs = [
            {'name': 'runs', 'relation': runs, 'date_column': 'run_date', 'key_column': 'run_id'},
            {'name': 'allocations', 'relation': allocations, 'date_column': 'cost_date', 'key_column': 'run_id'},
            {'name': 'llm_calls', 'relation': calls, 'date_column': 'call_date', 'key_column': 'run_id'},
            {'name': 'tool_calls', 'relation': tool_calls, 'date_column': 'call_date', 'key_column': 'run_id'}
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


{#-
    One input of `inputs` (what daily_inputs returned), by name, as the model reads it: the
    relation or select its digest hashes, on the days to recompute (`days`, from
    changed_input_days; none: every day) and the run's partition window, spread by
    `before`/`after` days as in input_days_filter. An input digested whole (a seed: no date
    column) is read whole. What a model reads and what its digest hashes have one definition,
    the day filter included, and cannot drift apart.
-#}
{% macro daily_input(inputs, input_name, days, before=0, after=0) -%}
    {%- for input in inputs.inputs if input.name == input_name -%}
        {%- if input.date_column -%}
        (
            select * from {{ input.relation }} as {{ input.name }}
            where {{ input_days_filter(input_day(input), days, before=before, after=after) }}
        )
        {%- else -%}
        {{ input.relation }}
        {%- endif -%}
    {%- else -%}
        {%- do exceptions.raise_compiler_error('daily_input: no input named ' ~ input_name) -%}
    {%- endfor -%}
{%- endmacro %}


{#- The day an input's row feeds, as its digest groups it (a timestamp's UTC day; a cast of a
    date to date costs nothing and keeps DuckDB's pruning of row groups by day). -#}
{% macro input_day(input) -%}
    cast({{ input.date_column }} as date)
{%- endmacro %}
