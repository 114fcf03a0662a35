with

source as (

    select * from {{ source('ingestion', 'quarantine') }}

),

renamed as (

    select

        ----------  ids
        {{ generate_surrogate_key(['file_sha256', 'line_number', 'reason', 'payload']) }}
            as quarantined_record_id,
        file_sha256,

        ---------- strings
        source as source_name,
        source_file,
        -- `reason` is a machine-readable code, then ': ' and the detail
        {{ dbt.split_part('reason', "': '", 1) }} as reason_code,
        nullif(
            substr(reason, length({{ dbt.split_part('reason', "': '", 1) }}) + 3), ''
        ) as reason_detail,
        payload,

        ---------- numerics
        line_number,

        ---------- booleans
        line_number is null as is_whole_file,

        ---------- dates
        load_date,

        ---------- timestamps
        quarantined_at

    from source

)

select * from renamed
