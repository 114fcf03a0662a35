-- Every metric data point as the increase it contributes over its own interval.
--   cumulative: within one series and one start time, ordered by time, a point contributes its
--               value minus the previous point's; the first point its full value. A new start
--               time is a reset that begins a new run of the series.
--   delta:      the point's value as it is.
--   gauge:      no increase (null deltas); the observed value stays in `point_value`.
-- The same point exported twice, (series_key, start_at, time_at), counts once.
with

metric_points as (

    select * from {{ ref('stg_otel__metric_points') }}

),

distinct_points as (

    {{ deduplicate(
        'metric_points',
        'series_key, start_at, time_at',
        '_loaded_at desc, _file_sha256 desc, _line_number desc'
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
