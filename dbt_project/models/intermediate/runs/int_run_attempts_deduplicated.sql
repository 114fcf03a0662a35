-- Run exports overlap: one row per (run_id, attempt), the snapshot with the latest `updated_at`.
-- Ties (the same snapshot exported twice) go to the latest load, then the last line.
with

runs as (

    select * from {{ ref('stg_factory__runs') }}

),

latest_snapshots as (

    {{ deduplicate(
        'runs',
        'run_id, attempt',
        'updated_at desc, _loaded_at desc, _file_sha256 desc, _line_number desc'
    ) }}

)

select * from latest_snapshots
