{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='_key_hash',
    on_schema_change='append_new_columns',
    pre_hook=[
        "{{ sync_key_hash(['series_key']) }}",
        "{{ record_rewritten_rows(keys_in_new_raw_files(['series_key'], ref('stg_otel__metric_points'), hashed=true)) }}"
    ]
) }}
-- Every metric data point as the increase it contributes over its own interval.
--   cumulative: within one series and one start time, ordered by time, a point contributes its
--               value minus the previous point's; the first point its full value. A new start
--               time is a reset that begins a new run of the series.
--   delta:      the point's value as it is.
--   gauge:      no increase (null deltas); the observed value stays in `point_value`.
-- The same point exported twice, (series_key, start_at, time_at), counts once.
-- Incremental: every series with a point in a raw file not seen yet is recomputed whole, from
-- its new points and the points already kept, and replaces its rows (the series is the key as
-- start_at is null for gauges); a delta depends only on the points of its own series. The kept
-- points are found, and replaced, by the series key's hash (`_key_hash`, key_hash.sql).
--
-- Cost: nearly every series has one point per start time (29.6 M series in 32 M points at the
-- default benchmark scale), and such a point needs no window: its increase is its value. A
-- first pass over 64-bit hashes of (series_key, start_at) finds the other runs, and only their
-- points go through the windows (occurrence in the line, the winner of a point, the previous
-- point), which carry the narrow keys and values; the winners are joined back to their row.
-- The table keeps what its readers use, the key, the lineage and what the deltas are computed
-- from; the other staging columns stay in staging. Writing the 32 M points of the default
-- benchmark scale, the attribute bag doubled the CPU time, the other columns took 1.6x more.
{%- set point_columns = [
    'series_key', 'start_at', 'time_at',
    'metric_name', 'temporality', 'is_cumulative', 'point_value', 'histogram_count',
    'histogram_sum',
    'customer_id', 'session_id', 'team_name', 'repository_name', 'skill_name', 'mcp_server',
    'slash_command_name', 'hook_name',
    '_file_sha256', '_line_number', '_loaded_at',
] %}
{%- set new_series = 'select ' ~ key_hash(['new_points.series_key']) ~ ' from new_points' %}
with

{% if is_incremental() %}

    -- the raw files not seen yet, inlined as literals: DuckDB reads only their row groups
    new_points as (

        select
            {{ point_columns | join(', ') }},
            occurrence_in_line
        from {{ ref('stg_otel__metric_points') }}
        where {{ new_raw_files_filter(ref('stg_otel__metric_points')) }}

    ),

    kept_points as (

        select
            * exclude (
                delta_value, delta_histogram_count, delta_histogram_sum, point_date, _key_hash
            )
        from {{ this }}
        where {{ rows_with_key_hash(this, new_series) }}

    ),

    candidates as (

        select * from new_points
        union all by name
        select * from kept_points

    ),

{% else %}

    -- not materialised: its readers (the hash pass, the single points, the multi points) each
    -- read only the columns they need from the Parquet files; the staging view's occurrence
    -- window over whole rows is not computed at all (the narrow one below numbers the repeated
    -- points the same way), the column keeps its place
    candidates as not materialized (

        select
            {{ point_columns | join(', ') }},
            cast(null as bigint) as occurrence_in_line
        from {{ ref('stg_otel__metric_points') }}

    ),

{% endif %}

-- hash collisions only send a few more points through the windows
multi_point_runs as materialized (

    select hash(series_key, start_at) as run_hash
    from candidates
    group by run_hash
    having count(*) > 1

),

single_points as (

    select
        -- the only copy of its point
        * replace (coalesce(occurrence_in_line, 1) as occurrence_in_line),
        case when is_cumulative or temporality = 'delta' then point_value end as delta_value,
        case
            when is_cumulative or temporality = 'delta' then histogram_count
        end as delta_histogram_count,
        case
            when is_cumulative or temporality = 'delta' then histogram_sum
        end as delta_histogram_sum,
        cast(time_at as date) as point_date
    from candidates
    where hash(series_key, start_at) not in (select multi_point_runs.run_hash from multi_point_runs)

),

multi_points as (

    select * from candidates
    where hash(series_key, start_at) in (select multi_point_runs.run_hash from multi_point_runs)

),

candidate_keys as (

    select
        series_key,
        start_at,
        time_at,
        _file_sha256,
        _line_number,
        _loaded_at,
        point_value,
        histogram_count,
        histogram_sum,
        is_cumulative,
        temporality,
        {% if is_incremental() -%}
            -- new points numbered by the staging view, kept points as they were loaded
            occurrence_in_line,
        {% endif -%}
        count(*) over (partition by series_key, start_at, time_at) as copies
    from multi_points

),

-- nearly every point is exported once: only the others need numbering and ordering
repeated_keys as (

    select
        * exclude (copies),
        {% if not is_incremental() -%}
            -- as stg_otel__metric_points numbers them
            row_number() over (
                partition by _file_sha256, _line_number, series_key, start_at, time_at
                order by point_value, histogram_count, histogram_sum
            ) as occurrence_in_line,
        {% endif -%}
        -- copies of a point in its line that nothing tells apart (the join below finds each)
        count(*) over (
            partition by
                _file_sha256, _line_number, series_key, start_at, time_at,
                point_value, histogram_count, histogram_sum
        ) as identical_in_line
    from candidate_keys
    where copies > 1

),

distinct_keys as (

    select
        * exclude (copies),
        {% if not is_incremental() -%}
            cast(1 as bigint) as occurrence_in_line,
        {% endif -%}
        cast(1 as bigint) as identical_in_line
    from candidate_keys
    where copies = 1

    union all by name

    -- occurrence_in_line completes the order: a point repeated within one line would otherwise
    -- keep either copy, and a rebuild could differ from the refresh it stands for
    select * from repeated_keys
    qualify row_number() over (
        partition by series_key, start_at, time_at
        order by _loaded_at desc, _file_sha256 desc, _line_number desc, occurrence_in_line desc
    ) = 1

),

key_deltas as (

    select
        series_key,
        start_at,
        time_at,
        _file_sha256,
        _line_number,
        point_value,
        histogram_count,
        histogram_sum,
        occurrence_in_line,
        identical_in_line,
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
        end as delta_histogram_sum

    from distinct_keys
    window series_run as (partition by series_key, start_at order by time_at)

),

deltas as (

    select
        multi_points.* replace (key_deltas.occurrence_in_line as occurrence_in_line),
        key_deltas.identical_in_line,
        key_deltas.delta_value,
        key_deltas.delta_histogram_count,
        key_deltas.delta_histogram_sum,
        cast(multi_points.time_at as date) as point_date

    from multi_points
    inner join key_deltas
        on
            multi_points._file_sha256 = key_deltas._file_sha256
            and multi_points._line_number = key_deltas._line_number
            and multi_points.series_key = key_deltas.series_key
            and multi_points.start_at is not distinct from key_deltas.start_at
            and multi_points.time_at = key_deltas.time_at
            and multi_points.point_value is not distinct from key_deltas.point_value
            and multi_points.histogram_count is not distinct from key_deltas.histogram_count
            and multi_points.histogram_sum is not distinct from key_deltas.histogram_sum

),

final as (

    select * from single_points

    union all by name

    select * exclude (identical_in_line) from deltas
    where identical_in_line = 1

    union all by name

    -- a point repeated within its line: one of its identical copies
    select * exclude (identical_in_line) from deltas
    where identical_in_line > 1
    qualify row_number() over (partition by series_key, start_at, time_at) = 1

)

select
    *,
    {{ key_hash(['series_key']) }} as _key_hash
from final
