-- FOCUS defines no row key, and a re-exported billing file repeats identical rows. The natural
-- key is the row's content (`focus_row_hash`: every FOCUS column, `Tags` and the extra columns
-- such as the sample's `Id`, without the file lineage) plus its occurrence number among the
-- identical rows of one file: a file may legitimately hold the same row twice (two equal
-- charges), and a re-export of that file holds it twice again. So a row counts as many times
-- as the file that holds it most often, and a re-export adds nothing.
with

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
