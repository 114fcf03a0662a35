-- A later customers export replaces earlier ones: one row per customer_id, latest load wins.
with

customers as (

    select * from {{ ref('stg_factory__customers') }}

),

latest_exports as (

    {{ deduplicate(
        'customers', 'customer_id', '_loaded_at desc, _file_sha256 desc, _line_number desc'
    ) }}

)

select * from latest_exports
