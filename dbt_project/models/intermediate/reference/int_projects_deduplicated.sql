-- A later projects export replaces earlier ones: one row per project_id, latest load wins.
with

projects as (

    select * from {{ ref('stg_factory__projects') }}

),

latest_exports as (

    {{ deduplicate(
        'projects', 'project_id', '_loaded_at desc, _file_sha256 desc, _line_number desc'
    ) }}

)

select * from latest_exports
