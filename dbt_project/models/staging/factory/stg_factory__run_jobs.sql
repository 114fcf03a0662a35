with

source as (

    select * from {{ source('factory', 'run_jobs') }}

),

renamed as (

    select

        ----------  ids
        job_id,
        run_id,
        attempt,

        ---------- strings
        job_name,
        status as job_status,

        ---------- numerics
        {{ dbt.datediff('started_at', 'finished_at', 'second') }} as job_duration_seconds,

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
