with

source as (

    select * from {{ source('factory', 'customers') }}

),

renamed as (

    select

        ----------  ids
        customer_id,
        organization_id,

        ---------- strings
        name as customer_name,
        plan as plan_name,

        ---------- timestamps
        created_at,

        ---------- lineage
        _source_file,
        _file_sha256,
        _line_number,
        _loaded_at,
        load_date

    from source

)

select * from renamed
