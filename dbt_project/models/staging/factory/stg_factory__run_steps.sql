with

source as (

    select * from {{ source('factory', 'run_steps') }}

),

renamed as (

    select

        ----------  ids
        step_id,
        job_id,
        run_id,
        attempt,

        ---------- strings
        step_name,
        status as step_status,

        ---------- numerics
        {{ dbt.datediff('started_at', 'finished_at', 'second') }} as step_duration_seconds,

        ---------- timestamps
        started_at,
        finished_at,
        updated_at as run_updated_at,

        ---------- lineage
        _source_file,
        _file_sha256,
        _line_number,
        _loaded_at,
        load_date

    from source

)

select * from renamed
