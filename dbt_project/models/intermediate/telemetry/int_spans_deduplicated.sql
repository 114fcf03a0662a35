-- The collector may export a span twice: one row per (trace_id, span_id), from the latest load.
with

spans as (

    select * from {{ ref('stg_otel__spans') }}

),

distinct_spans as (

    select *
    from spans
    qualify row_number() over (
        partition by trace_id, span_id
        order by _loaded_at desc, _file_sha256 desc, _line_number desc
    ) = 1

)

select * from distinct_spans
