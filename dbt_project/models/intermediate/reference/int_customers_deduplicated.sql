-- A later customers export replaces earlier ones: one row per customer_id, latest load wins.
with

customers as (

    select * from {{ ref('stg_factory__customers') }}

),

latest_exports as (

    select *
    from customers
    qualify row_number() over (
        partition by customer_id
        order by _loaded_at desc, _file_sha256 desc, _line_number desc
    ) = 1

)

select * from latest_exports
