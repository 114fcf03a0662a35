-- Run exports overlap: one row per (run_id, attempt), the snapshot with the latest `updated_at`.
-- Ties (the same snapshot exported twice) go to the latest load, then the last line.
with

runs as (

    select * from {{ ref('stg_factory__runs') }}

),

latest_snapshots as (

    select *
    from runs
    qualify row_number() over (
        partition by run_id, attempt
        order by updated_at desc, _loaded_at desc, _file_sha256 desc, _line_number desc
    ) = 1

)

select * from latest_snapshots
