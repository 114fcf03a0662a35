with

source as (

    select * from {{ source('ingestion', 'ingest_manifest') }}

),

renamed as (

    select

        ----------  ids
        file_sha256,

        ---------- strings
        source as source_name,
        source_file,
        status as file_status,

        ---------- numerics
        file_bytes,
        rows_in,
        rows_loaded,
        rows_quarantined,

        ---------- booleans
        status = 'rejected' as is_rejected,

        ---------- dates
        load_date,

        ---------- timestamps
        {{ epoch_us_to_timestamp('file_mtime_ns // 1000') }} as file_modified_at,
        loaded_at

    from source

)

select * from renamed
