-- When each started run attempt held its worker: from its start to its finish (to its latest
-- snapshot while still running). One instance per attempt, as the pools run them. Split by day
-- (data-plane allocation) and by hour (capacity utilisation) downstream.
-- A view: each split reads it once, a table would only copy it.
{{ config(materialized='view') }}

with

run_attempts as (

    select * from {{ ref('int_run_attempts_deduplicated') }}

),

busy_intervals as (

    select
        run_id,
        attempt,
        customer_id,
        project_id,
        worker_pool,
        started_at as busy_from_at,
        coalesce(finished_at, updated_at) as busy_to_at,
        _loaded_at

    from run_attempts
    where started_at is not null and coalesce(finished_at, updated_at) >= started_at

)

select * from busy_intervals
