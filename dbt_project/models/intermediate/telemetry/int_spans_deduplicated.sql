-- The collector may export a span twice: one row per (trace_id, span_id), from the latest load.
with

spans as (

    select * from {{ ref('stg_otel__spans') }}

),

distinct_spans as (

    {{ deduplicate(
        'spans', 'trace_id, span_id', '_loaded_at desc, _file_sha256 desc, _line_number desc'
    ) }}

)

select * from distinct_spans
