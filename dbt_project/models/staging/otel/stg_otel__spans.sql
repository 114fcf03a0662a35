with

source as (

    select * from {{ source('otel', 'spans') }}

),

renamed as (

    select

        ----------  ids
        trace_id,
        span_id,
        parent_span_id,
        -- telemetry without a customer counts under one explicit customer in every total
        coalesce(customer_id, 'unattributed') as customer_id,
        project_id,
        run_id,
        session_id,
        user_id,

        ---------- strings
        span_name,
        span_kind,
        status_code,
        status_message,
        service_name,
        scope_name,
        operation_name,
        provider_name,
        request_model,
        response_model,
        error_type,
        tool_name,
        tool_risk_level,
        session_mode,
        team as team_name,
        repository as repository_name,
        template as template_name,
        attributes_json,

        ---------- numerics
        input_tokens,
        output_tokens,
        cache_read_input_tokens,
        cache_creation_input_tokens,
        reasoning_output_tokens,
        {{ dbt.datediff('start_at', 'end_at', 'microsecond') }} / 1000.0 as duration_ms,
        {{ dbt.safe_cast('run_attempt', dbt.type_int()) }} as run_attempt,
        coalesce({{ dbt.safe_cast('resend_count', dbt.type_int()) }}, 0) as resend_count,

        ---------- booleans
        -- a model call of its own; `invoke_agent` spans may carry the summed usage of the calls
        -- beneath them and are not calls, or tokens would count twice
        coalesce(
            operation_name in ('chat', 'text_completion', 'generate_content', 'embeddings'),
            false
        ) as is_llm_call,
        coalesce(operation_name = 'execute_tool', false) as is_tool_call,
        coalesce(status_code = 'ERROR' or error_type is not null, false) as is_error,
        customer_id is not null as is_attributed,

        ---------- timestamps
        start_at,
        end_at,

        ---------- lineage
        _source_file,
        _file_sha256,
        _line_number,
        _loaded_at,
        load_date

    from source

)

select * from renamed
