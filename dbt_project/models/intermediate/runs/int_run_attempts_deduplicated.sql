{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['run_id', 'attempt'],
    on_schema_change='append_new_columns'
) }}
-- Run exports overlap: one row per (run_id, attempt), the snapshot with the latest `updated_at`.
-- Ties (the same snapshot exported twice) go to the latest load, then the last line.
-- Incremental: the snapshots of raw files not seen yet, deduplicated together with the winners
-- already kept for the same attempts, replace those rows; the result equals a full rebuild's
-- because the raw zone only grows and the order below is total.
with

{% if is_incremental() %}

    -- the raw files not seen yet, inlined as literals: DuckDB reads only their row groups
    new_snapshots as (

        select * from {{ ref('stg_factory__runs') }}
        where {{ new_raw_files_filter(ref('stg_factory__runs')) }}

    ),

    new_keys as (

        select distinct
            run_id,
            attempt
        from new_snapshots

    ),

    kept_snapshots as (

        select kept.*
        from {{ this }} as kept
        inner join new_keys
            on
                kept.run_id = new_keys.run_id
                and kept.attempt = new_keys.attempt

    ),

    runs as (

        select * from new_snapshots
        union all by name
        select * from kept_snapshots

    ),

{% else %}

    runs as (

        select * from {{ ref('stg_factory__runs') }}

    ),

{% endif %}

latest_snapshots as (

    {{ deduplicate(
        'runs',
        'run_id, attempt',
        'updated_at desc, _loaded_at desc, _file_sha256 desc, _line_number desc'
    ) }}

)

select * from latest_snapshots
