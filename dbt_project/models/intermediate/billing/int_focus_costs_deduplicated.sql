{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='focus_cost_id',
    on_schema_change='append_new_columns'
) }}
-- FOCUS defines no row key, and a re-exported billing file repeats identical rows. The natural
-- key is the row's content (`focus_row_hash`: every FOCUS column, `Tags` and the extra columns
-- such as the sample's `Id`, without the file lineage) plus its occurrence number among the
-- identical rows of one file: a file may legitimately hold the same row twice (two equal
-- charges), and a re-export of that file holds it twice again. So a row counts as many times
-- as the file that holds it most often, and a re-export adds nothing.
-- Incremental: only the raw files not seen yet are read (whole files, so their occurrence
-- numbers are those of a full build); a key they hold is decided again between them and the
-- row kept for it, the first load of the older files, so the winner is a full rebuild's.
-- A key's content never changes, so rows are only ever added (or their lineage replaced).
with

{% if is_incremental() %}

    -- the raw files not seen yet, inlined as literals: DuckDB reads only their row groups
    new_costs as (

        select * from {{ ref('stg_focus__focus_costs') }}
        where {{ new_raw_files_filter(ref('stg_focus__focus_costs')) }}

    ),

    new_occurrences as (

        select
            *,
            row_number() over (
                partition by focus_row_hash, _file_sha256
                order by _line_number
            ) as occurrence_in_file

        from new_costs

    ),

    new_keys as (

        select distinct
            focus_row_hash,
            occurrence_in_file
        from new_occurrences

    ),

    kept_costs as (

        select kept.* exclude (kept.focus_cost_id)
        from {{ this }} as kept
        inner join new_keys
            on
                kept.focus_row_hash = new_keys.focus_row_hash
                and kept.occurrence_in_file = new_keys.occurrence_in_file

    ),

    occurrences as (

        select * from new_occurrences
        union all by name
        select * from kept_costs

    ),

{% else %}

    focus_costs as (

        select * from {{ ref('stg_focus__focus_costs') }}

    ),

    occurrences as (

        select
            *,
            row_number() over (
                partition by focus_row_hash, _file_sha256
                order by _line_number
            ) as occurrence_in_file

        from focus_costs

    ),

{% endif %}

first_loads as (

    {{ deduplicate(
        'occurrences',
        'focus_row_hash, occurrence_in_file',
        '_loaded_at, _file_sha256, _line_number'
    ) }}

),

keyed as (

    select
        {{ generate_surrogate_key(['focus_row_hash', 'occurrence_in_file']) }}
            as focus_cost_id,
        *

    from first_loads

)

select * from keyed
