{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='series_key',
    on_schema_change='append_new_columns'
) }}
-- Every metric data point as the increase it contributes over its own interval.
--   cumulative: within one series and one start time, ordered by time, a point contributes its
--               value minus the previous point's; the first point its full value. A new start
--               time is a reset that begins a new run of the series.
--   delta:      the point's value as it is.
--   gauge:      no increase (null deltas); the observed value stays in `point_value`.
-- The same point exported twice, (series_key, start_at, time_at), counts once.
-- Incremental: every series with a point in a raw file not seen yet is recomputed whole, from
-- its new points and the points already kept, and replaces its rows (series_key is the key as
-- start_at is null for gauges); a delta depends only on the points of its own series.
with

metric_points as (

    select * from {{ ref('stg_otel__metric_points') }}

),

{% if is_incremental() %}

    new_points as (

        select * from metric_points
        where _file_sha256 not in (select distinct kept._file_sha256 from {{ this }} as kept)

    ),

    kept_points as (

        select * exclude (delta_value, delta_histogram_count, delta_histogram_sum, point_date)
        from {{ this }}
        where series_key in (select new_points.series_key from new_points)

    ),

    candidates as (

        select * from new_points
        union all by name
        select * from kept_points

    ),

{% else %}

    candidates as (

        select * from metric_points

    ),

{% endif %}

-- occurrence_in_line completes the order: a point repeated within one line would otherwise
-- keep either copy, and a rebuild could differ from the refresh it stands for
distinct_points as (

    {{ deduplicate(
        'candidates',
        'series_key, start_at, time_at',
        '_loaded_at desc, _file_sha256 desc, _line_number desc, occurrence_in_line desc'
    ) }}

),

deltas as (

    select
        *,
        case
            when is_cumulative
                then point_value - coalesce(lag(point_value) over series_run, 0)
            when temporality = 'delta' then point_value
        end as delta_value,
        case
            when is_cumulative
                then histogram_count - coalesce(lag(histogram_count) over series_run, 0)
            when temporality = 'delta' then histogram_count
        end as delta_histogram_count,
        case
            when is_cumulative
                then histogram_sum - coalesce(lag(histogram_sum) over series_run, 0)
            when temporality = 'delta' then histogram_sum
        end as delta_histogram_sum,
        cast(time_at as date) as point_date

    from distinct_points
    window series_run as (partition by series_key, start_at order by time_at)

)

select * from deltas
