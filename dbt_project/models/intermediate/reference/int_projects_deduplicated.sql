-- A later projects export replaces earlier ones: one row per project_id, latest load wins.
with

projects as (

    select * from {{ ref('stg_factory__projects') }}

),

latest_exports as (

    select *
    from projects
    qualify row_number() over (
        partition by project_id
        order by _loaded_at desc, _file_sha256 desc, _line_number desc
    ) = 1

)

select * from latest_exports
