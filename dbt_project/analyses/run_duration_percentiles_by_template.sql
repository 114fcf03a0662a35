-- Duration percentiles and share of runs within their expected duration (target 90 %) per
-- template, over the last 30 days of data (percentiles recomputed from the runs).
select
    template_key,
    count(*) as runs,
    {{ percentile_cont('duration_seconds', 0.5) }} as p50_seconds,
    {{ percentile_cont('duration_seconds', 0.9) }} as p90_seconds,
    {{ percentile_cont('duration_seconds', 0.95) }} as p95_seconds,
    {{ percentile_cont('duration_seconds', 0.99) }} as p99_seconds,
    avg(case when is_within_expected_duration then 1.0 else 0.0 end) as within_expected_share
from {{ ref('fct_runs') }}
where
    is_finished
    and run_date > (
        select {{ dbt.dateadd('day', -30, 'max(run_date)') }}
        from {{ ref('fct_runs') }}
    )
group by template_key
order by runs desc
