-- One row per run template (runs without one count as `ad-hoc`): its expected duration from the
-- template_expected_durations seed and what the runs show.
with

expected_durations as (

    select * from {{ ref('template_expected_durations') }}

),

run_attempts as (

    select * from {{ ref('int_run_attempts_deduplicated') }}

),

seen_templates as (

    select
        coalesce(template_name, 'ad-hoc') as template_key,
        count(distinct run_id) as runs,
        count(distinct run_type) as run_types,
        min(queued_at) as first_run_at

    from run_attempts
    group by coalesce(template_name, 'ad-hoc')

),

template_keys as (

    select template_name as template_key from expected_durations
    union
    select template_key from seen_templates

),

final as (

    select
        ----------  ids
        template_keys.template_key,

        ---------- strings
        expected_durations.description,

        ---------- numerics
        cast(expected_durations.expected_duration_minutes * 60 as {{ type_double() }})
            as expected_duration_seconds,
        cast(coalesce(seen_templates.runs, 0) as {{ dbt.type_bigint() }}) as runs,
        cast(coalesce(seen_templates.run_types, 0) as {{ dbt.type_bigint() }}) as run_types,

        ---------- booleans
        template_keys.template_key = 'ad-hoc' as is_ad_hoc,
        expected_durations.template_name is not null as has_expected_duration,

        ---------- timestamps
        seen_templates.first_run_at

    from template_keys
    left join expected_durations
        on template_keys.template_key = expected_durations.template_name
    left join seen_templates
        on template_keys.template_key = seen_templates.template_key

)

select * from final
