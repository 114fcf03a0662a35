"""The frames the business-invariant suites validate, queried from the work database's marts.

Each function takes an open (read-only) DuckDB connection and returns a pandas frame with the
columns its suite declares (`expectations/suites/<suite>.json`, `meta.frame_columns`); extra
columns travel along into the check metadata (sample values) and are allowed by the suites.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

# Marts that publish success rates; their columns named `*success_rate` are checked.
SUCCESS_RATE_MARTS = (
    "run_performance_daily",
    "tool_usage_daily",
    "kpi_trends_weekly",
    "kpi_trends_monthly",
    "customer_monthly_report",
    "project_monthly_report",
)
# Optional seed of days known to be quiet (holidays, planned outages): `day`, `reason`.
QUIET_DAYS_SEED = ("seeds", "expected_quiet_days")

# Per day and billing currency: everything fct_cost_allocations allocates (to runs, sessions and
# customers) plus idle and unallocated cost, against the FOCUS effective cost of the day as
# fct_infra_costs normalises it, and the same for the billed cost; the differences in USD
# (in the billing currency when no rate is known).
RECONCILIATION_QUERY = """\
with focus as (
    select
        cost_date,
        billing_currency,
        sum(effective_cost) as focus_effective_cost,
        sum(billed_cost) as focus_billed_cost,
        max(usd_per_unit) as usd_per_unit
    from marts.fct_infra_costs
    group by all
),
allocations as (
    select
        cost_date,
        billing_currency,
        sum(case when is_allocated then effective_cost else 0 end) as allocated_cost,
        sum(case when cost_object_type = 'idle' then effective_cost else 0 end) as idle_cost,
        sum(case when cost_object_type = 'unallocated' then effective_cost else 0 end)
            as unallocated_cost,
        sum(effective_cost) as total_cost,
        sum(billed_cost) as total_billed_cost
    from marts.fct_cost_allocations
    group by all
)
select
    coalesce(focus.cost_date, allocations.cost_date) as cost_date,
    coalesce(focus.billing_currency, allocations.billing_currency) as billing_currency,
    coalesce(focus.focus_effective_cost, 0)::double as focus_effective_cost,
    coalesce(allocations.allocated_cost, 0)::double as allocated_cost,
    coalesce(allocations.idle_cost, 0)::double as idle_cost,
    coalesce(allocations.unallocated_cost, 0)::double as unallocated_cost,
    (
        (coalesce(allocations.total_cost, 0) - coalesce(focus.focus_effective_cost, 0))
        * coalesce(focus.usd_per_unit, 1)
    )::double as effective_difference_usd,
    (
        (coalesce(allocations.total_billed_cost, 0) - coalesce(focus.focus_billed_cost, 0))
        * coalesce(focus.usd_per_unit, 1)
    )::double as billed_difference_usd
from focus
full outer join allocations
    on focus.cost_date = allocations.cost_date
    and focus.billing_currency = allocations.billing_currency
order by 1, 2"""


def reconciliation_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """`cost_date, billing_currency, …, effective_difference_usd, billed_difference_usd` for
    suite `allocation_reconciles`."""
    return con.execute(RECONCILIATION_QUERY).df()


def success_rate_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The `*success_rate` columns of `marts.<table>` (not the `*_change` deltas)."""
    rows = con.execute(
        "select column_name from duckdb_columns() "
        "where schema_name = 'marts' and table_name = ? and column_name like '%success_rate' "
        "order by column_index",
        [table],
    ).fetchall()
    return [name for (name,) in rows]


def success_rate_frame(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    """Every success rate of `marts.<table>`, one row per row and column:
    `rate_column, success_rate` for suite `success_rates_in_unit_interval`."""
    columns = success_rate_columns(con, table)
    if not columns:
        return pd.DataFrame({"rate_column": [], "success_rate": []})
    parts = [
        f"select '{column}' as rate_column, cast({_ident(column)} as double) as success_rate "
        f"from marts.{_ident(table)}"
        for column in columns
    ]
    return con.execute(" union all ".join(parts)).df()


def daily_volume_frame(con: duckdb.DuckDBPyConnection, today: date) -> pd.DataFrame:
    """Runs per UTC day (days without runs included) with the median of the 7 comparable days
    before: `run_date, runs, trailing_7d_median_runs, is_flagged` for
    `daily_volume_not_collapsing`.

    Comparable days: weekdays are compared with the 7 weekdays before, Saturdays and Sundays
    with the 7 weekend days before (the factory runs about a third of a weekday's volume on a
    weekend day, right at the 30% threshold of a plain 7-day median). A day without 7 comparable
    days before it has no baseline and is not judged. A day is flagged when it is today or later
    (its exports are still landing) or listed in the optional seed `seeds.expected_quiet_days`.
    """
    has_seed = con.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
        list(QUIET_DAYS_SEED),
    ).fetchall()[0][0]
    quiet_days = (
        f"select cast(day as date) as run_date from {QUIET_DAYS_SEED[0]}.{QUIET_DAYS_SEED[1]}"
        if has_seed
        else "select cast(null as date) as run_date where false"
    )
    return con.execute(
        f"""
        with counts as (
            select run_date, count(*) as runs from marts.fct_runs group by run_date
        ),
        days as (
            select cast(day as date) as run_date
            from (select min(run_date) as first_day, max(run_date) as last_day from counts),
                range(first_day, last_day + interval 1 day, interval 1 day) as days(day)
        ),
        daily as (
            select days.run_date, coalesce(counts.runs, 0) as runs
            from days left join counts on days.run_date = counts.run_date
        ),
        quiet as ({quiet_days}),
        with_baseline as (
            select
                run_date,
                runs,
                median(runs) over comparable_days as median_runs,
                count(*) over comparable_days as baseline_days
            from daily
            window comparable_days as (
                partition by isodow(run_date) >= 6
                order by run_date rows between 7 preceding and 1 preceding
            )
        )
        select
            run_date,
            runs,
            case when baseline_days = 7 then median_runs::double end as trailing_7d_median_runs,
            run_date >= ? or run_date in (select run_date from quiet) as is_flagged
        from with_baseline
        order by run_date
        """,
        [today],
    ).df()


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
