with

source as (

    select * from {{ source('factory', 'projects') }}

),

renamed as (

    select

        ----------  ids
        project_id,
        customer_id,

        ---------- strings
        name as project_name,
        team as team_name,
        repository as repository_name,

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
