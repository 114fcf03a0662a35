"""Serving query latency: 10 typical analyst and BI queries on the published serving snapshot.

    .venv/bin/python -m benchmarks.queries data/serving/warehouse.duckdb [--repeat 30]

Each query runs once to warm DuckDB's caches (a BI tool keeps its connection open), then
`--repeat` times; p50 and p95 are over those repetitions, in milliseconds, on one read-only
connection as a BI tool holds it. Parameters (a month, a customer) are picked from the data so
every query has rows to return.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import duckdb

# name -> (what an analyst asks, SQL). `$month` and `$customer` are bound from the data.
QUERIES: dict[str, tuple[str, str]] = {
    "customer_monthly_report": (
        "one customer's monthly report",
        """
        select * from marts.customer_monthly_report
        where customer_id = $customer and month_start_date = $month
        """,
    ),
    "cost_per_project_month": (
        "cost per project for a month",
        """
        select project_id, sum(total_cost_usd) as cost_usd, sum(ai_cost_usd) as ai_cost_usd
        from marts.project_monthly_report
        where month_start_date = $month
        group by project_id
        order by cost_usd desc
        """,
    ),
    "top_models_by_cost": (
        "top 10 models by LLM cost over the last 30 days",
        """
        select provider_name, model_name, sum(estimated_cost_usd) as cost_usd,
            sum(total_tokens) as tokens
        from marts.llm_usage_daily
        where call_date > (select max(call_date) - 30 from marts.llm_usage_daily)
        group by provider_name, model_name
        order by cost_usd desc
        limit 10
        """,
    ),
    "success_rate_trend": (
        "weekly success-rate trend of one customer",
        """
        select period_start_date, runs, success_rate, success_rate_change
        from marts.kpi_trends_weekly
        where customer_id = $customer
        order by period_start_date
        """,
    ),
    "daily_cost_by_component": (
        "daily cost by component over the last 90 days (a stacked area chart)",
        """
        select cost_date, cost_component, sum(total_cost_usd) as cost_usd
        from marts.cost_daily
        where cost_date > (select max(cost_date) - 90 from marts.cost_daily)
        group by cost_date, cost_component
        order by cost_date, cost_component
        """,
    ),
    "budget_consumption": (
        "customers over or near budget this month",
        """
        select customer_id, customer_name, total_cost_usd, budget_usd, budget_consumed_share
        from marts.customer_monthly_report
        where month_start_date = $month
        order by budget_consumed_share desc nulls last
        """,
    ),
    "slowest_templates": (
        "templates by p95 duration over the last 30 days",
        """
        select template_key, sum(runs) as runs, max(duration_p95_seconds) as worst_p95_seconds,
            sum(succeeded_runs) / nullif(sum(finished_runs), 0) as success_rate
        from marts.run_performance_daily
        where run_date > (select max(run_date) - 30 from marts.run_performance_daily)
        group by template_key
        order by worst_p95_seconds desc
        """,
    ),
    "customer_usage_month": (
        "a customer's daily usage in a month (tokens, calls, commits)",
        """
        select usage_date, runs_started, llm_calls, total_tokens, git_commits, ai_cost_usd
        from marts.customer_daily_usage
        where customer_id = $customer
            and usage_date >= $month and usage_date < $month + interval 1 month
        order by usage_date
        """,
    ),
    "most_expensive_runs": (
        "the 20 most expensive runs of a month",
        """
        select run_id, customer_id, template_key, total_cost_usd, ai_cost_usd, duration_seconds
        from marts.run_costs
        where run_date >= $month and run_date < $month + interval 1 month
        order by total_cost_usd desc
        limit 20
        """,
    ),
    "tool_risk_summary": (
        "high-risk tool invocations per customer over the last 30 days",
        """
        select customer_id, tool_name, sum(invocations) as invocations,
            sum(succeeded_invocations) / nullif(sum(invocations), 0) as success_rate
        from marts.tool_usage_daily
        where is_high_risk
            and call_date > (select max(call_date) - 30 from marts.tool_usage_daily)
        group by customer_id, tool_name
        order by invocations desc
        """,
    ),
}


def _parameters(con: duckdb.DuckDBPyConnection) -> dict:
    """The latest complete month and the customer with the most runs: realistic, non-empty."""
    month, customer = con.execute(
        """
        select month_start_date, customer_id
        from marts.customer_monthly_report
        order by month_start_date desc, runs desc
        limit 1
        """
    ).fetchone()
    return {"month": month, "customer": customer}


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    # nearest-rank: the p95 of 30 samples is the 29th, a value that was actually observed
    rank = max(1, round(share * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


def run_queries(serving_db: Path, repeat: int = 30) -> dict[str, dict]:
    """Latency per query (ms: p50, p95, max) and the rows it returned."""
    results = {}
    with duckdb.connect(str(serving_db), read_only=True) as con:
        params = _parameters(con)
        for name, (question, sql) in QUERIES.items():
            used = {key: value for key, value in params.items() if f"${key}" in sql}
            rows = len(con.execute(sql, used).fetchall())  # warm-up
            samples = []
            for _ in range(repeat):
                started = time.perf_counter()
                con.execute(sql, used).fetchall()
                samples.append((time.perf_counter() - started) * 1000)
            results[name] = {
                "question": question,
                "rows": rows,
                "p50_ms": round(statistics.median(samples), 2),
                "p95_ms": round(_percentile(samples, 0.95), 2),
                "max_ms": round(max(samples), 2),
            }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("serving_db", type=Path)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    print(json.dumps(run_queries(args.serving_db, args.repeat), indent=2, default=str))


if __name__ == "__main__":
    main()
