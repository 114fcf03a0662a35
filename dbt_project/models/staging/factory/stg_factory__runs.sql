with

source as (

    select * from {{ source('factory', 'runs') }}

),

renamed as (

    select

        ----------  ids
        run_id,
        attempt,
        customer_id,
        project_id,

        ---------- strings
        run_type,
        template as template_name,
        trigger as trigger_type,
        status as run_status,
        worker_pool,
        instance_type,
        error_code,

        ---------- numerics
        cpu_seconds,
        memory_gib_seconds,
        {{ dbt.datediff('started_at', 'finished_at', 'second') }} as run_duration_seconds,

        ---------- booleans
        attempt > 1 as is_retry,
        status in ('succeeded', 'failed', 'cancelled', 'timed_out') as is_finished,

        ---------- timestamps
        queued_at,
        started_at,
        finished_at,
        updated_at,

        ---------- lineage
        _source_file,
        _file_sha256,
        _line_number,
        _loaded_at,
        load_date

    from source

)

select * from renamed
