with

source as (

    select * from {{ source('otel', 'metric_points') }}

),

renamed as (

    select

        ----------  ids
        series_key,
        coalesce(customer_id, 'unattributed') as customer_id,
        project_id,
        run_id,
        session_id,
        user_id,

        ---------- strings
        metric_name,
        metric_unit,
        metric_type,
        temporality,
        service_name,
        session_mode,
        team as team_name,
        repository as repository_name,
        tool_name,
        mcp_server,
        skill_name,
        slash_command_name,
        hook_name,
        operation_name,
        provider_name,
        request_model,
        token_type,
        attributes_json,

        ---------- numerics
        value as point_value,
        histogram_count,
        histogram_sum,
        histogram_min,
        histogram_max,

        ---------- booleans
        is_monotonic,
        coalesce(temporality = 'cumulative', false) as is_cumulative,
        customer_id is not null as is_attributed,

        ---------- timestamps
        start_at,
        time_at,

        ---------- lineage
        -- an exporter may repeat a point within one request line: its occurrence in the line
        -- completes the row's key
        row_number() over (
            partition by _file_sha256, _line_number, series_key, start_at, time_at
            order by value, histogram_count, histogram_sum
        ) as occurrence_in_line,
        _source_file,
        _file_sha256,
        _line_number,
        _loaded_at,
        load_date

    from source

)

select * from renamed
