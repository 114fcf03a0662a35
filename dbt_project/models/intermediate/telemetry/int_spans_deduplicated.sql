{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['trace_id', 'span_id'],
    on_schema_change='append_new_columns'
) }}
-- The collector may export a span twice: one row per (trace_id, span_id), from the latest load.
-- Incremental: the spans of raw files not seen yet, deduplicated together with the rows already
-- kept for the same spans, replace those rows; the result equals a full rebuild's because the
-- raw zone only grows and the winner of a key is decided by a total order.
-- Cost: DuckDB's window operator carries every column of its input and a span row is wide, so
-- the winner of each key is chosen over the key and lineage columns only, then joined back to
-- its full row.
with

{% if is_incremental() %}

    -- the raw files not seen yet, inlined as literals: DuckDB reads only their row groups
    new_spans as (

        select * from {{ ref('stg_otel__spans') }}
        where {{ new_raw_files_filter(ref('stg_otel__spans')) }}

    ),

    new_keys as (

        select distinct
            trace_id,
            span_id
        from new_spans

    ),

    kept_spans as (

        select kept.*
        from {{ this }} as kept
        inner join new_keys
            on
                kept.trace_id = new_keys.trace_id
                and kept.span_id = new_keys.span_id

    ),

    candidates as (

        select * from new_spans
        union all by name
        select * from kept_spans

    ),

{% else %}

    -- not materialised: the narrow reader below reads only its columns from the Parquet files
    candidates as not materialized (

        select * from {{ ref('stg_otel__spans') }}

    ),

{% endif %}

winning_lines as (

    select
        trace_id,
        span_id,
        _file_sha256,
        _line_number,
        -- rows of one span in one line that the order cannot tell apart (either copy is kept)
        count(*) over (partition by trace_id, span_id, _file_sha256, _line_number) as copies
    from candidates
    qualify row_number() over (
        partition by trace_id, span_id
        order by _loaded_at desc, _file_sha256 desc, _line_number desc
    ) = 1

),

winners as (

    select
        candidates.*,
        winning_lines.copies
    from candidates
    inner join winning_lines
        on
            candidates.trace_id = winning_lines.trace_id
            and candidates.span_id = winning_lines.span_id
            and candidates._file_sha256 = winning_lines._file_sha256
            and candidates._line_number = winning_lines._line_number

),

distinct_spans as (

    select * exclude (copies) from winners
    where copies = 1

    union all

    select * exclude (copies) from winners
    where copies > 1
    qualify row_number() over (partition by trace_id, span_id) = 1

)

select * from distinct_spans
