"""The alerts mart: stable ids, first-seen times kept across runs, constructed cases + controls."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from orchestration.insights import alerts as AL
from orchestration.insights.anomalies import ANOMALY_COLUMNS

DAYS = pd.date_range("2026-10-01", "2026-11-20", freq="D")


def _cost(daily: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "cost_date": d.date(),
                "customer_id": c,
                "project_id": "p",
                "cost_component": "x",
                "total_cost_usd": v,
            }
            for d in DAYS
            for c, v in daily.items()
        ]
    )


BUDGETS = pd.DataFrame(
    {"customer_id": ["hot", "cool"], "budget_month": ["2026-11-01"] * 2, "budget_usd": [500, 500]}
)


def _runs(success_trend: float = 0.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i, d in enumerate(DAYS):
        p = 0.95 - success_trend * i / len(DAYS)
        for j in range(40):
            rows.append(
                {
                    "run_id": f"r{i}_{j}",
                    "run_date": d.date(),
                    "customer_id": "hot",
                    "template_key": "t",
                    "worker_pool": "pool",
                    "is_finished": True,
                    "is_succeeded": rng.random() < p,
                    "duration_seconds": rng.lognormal(6, 0.3),
                    "queue_seconds": 10.0,
                }
            )
    return pd.DataFrame(rows)


RUN_COSTS = pd.DataFrame(
    {
        "run_id": ["cheap", "dear"],
        "customer_id": ["hot", "hot"],
        "template_key": ["t", "t"],
        "total_cost_usd": [1.0, 25.0],
        "run_date": [DAYS[-1].date()] * 2,
    }
)
NO_ANOMALIES = pd.DataFrame(columns=ANOMALY_COLUMNS)


def _build(previous=None, now=datetime(2026, 11, 21, 6), runs=None, cost=None):
    return AL.build_alerts(
        cost_daily=cost if cost is not None else _cost({"hot": 30.0, "cool": 5.0}),
        budgets=BUDGETS,
        run_costs=RUN_COSTS,
        runs=runs if runs is not None else _runs(),
        anomalies=NO_ANOMALIES,
        previous=previous,
        now=now,
    )


def test_budget_and_cost_per_run_alerts_fire_for_the_case_not_the_control():
    alerts = _build()
    budget = alerts[alerts["alert_kind"].str.startswith("budget")]
    # hot: 20 days x $30 = $600 of $500 (actual 100 %); cool: $100 + forecast $150 (30 %)
    assert set(budget["scope"]) == {"customer hot"}
    assert set(budget["alert_kind"]) == {"budget_actual", "budget_forecast"}
    actual = budget[budget["alert_kind"] == "budget_actual"]
    assert sorted(actual["severity"]) == ["critical", "warning"]  # 100 % and 80 %
    per_run = alerts[alerts["alert_kind"] == "cost_per_run"]
    assert len(per_run) == 1 and "dear" in per_run["message"].iloc[0]


def test_rerun_keeps_ids_and_first_seen_and_never_duplicates():
    first = _build()
    assert first["alert_id"].is_unique
    second = _build(previous=first, now=datetime(2026, 11, 22, 6))
    assert second["alert_id"].is_unique
    assert set(second["alert_id"]) == set(first["alert_id"])
    merged = second.merge(first, on="alert_id", suffixes=("", "_first"))
    assert (merged["first_seen_at"] == merged["first_seen_at_first"]).all()
    assert (merged["last_seen_at"] > merged["first_seen_at"]).all()
    # One more day of data: new day alerts appear once, the old ones keep their time.
    more = _cost({"hot": 30.0, "cool": 5.0})
    third = _build(previous=second, now=datetime(2026, 11, 23, 6), cost=more)
    assert third["alert_id"].is_unique
    kept = third[third["alert_id"].isin(first["alert_id"])]
    assert (kept["first_seen_at"] == pd.Timestamp(datetime(2026, 11, 21, 6))).all()


def test_anomaly_alert_id_is_the_same_for_a_date_and_a_timestamp():
    row = {
        "metric": "cost",
        "dimension": "customer",
        "dimension_value": "hot",
        "actual": 3.0,
        "expected": 1.0,
        "impact_pct": 2.0,
        "score": 9.0,
        "severity": "critical",
        "unit": "usd",
        "incident_id": "spend-day-3",
        "is_incident_root": True,
    }
    as_date = pd.DataFrame([{**row, "anomaly_date": DAYS[3].date()}])
    as_ts = pd.DataFrame([{**row, "anomaly_date": DAYS[3]}])
    assert AL.anomaly_alerts(as_date)[0]["alert_id"] == AL.anomaly_alerts(as_ts)[0]["alert_id"]
    assert AL.anomaly_alerts(as_date)[0]["severity"] == "critical"


def test_trend_alert_for_a_falling_success_rate_not_for_a_flat_one():
    falling = _build(runs=_runs(success_trend=0.5))
    flat = _build(runs=_runs(success_trend=0.0, seed=1))

    def trends(a):
        return set(a.loc[a["alert_kind"] == "trend", "message"].str.split(" for ").str[0])

    assert "success rate falling" in trends(falling)
    assert "success rate falling" not in trends(flat)


def test_cost_trend_needs_a_test_not_one_noisy_day():
    cost = _cost({"hot": 10.0})
    rng = np.random.default_rng(0)
    cost["total_cost_usd"] = 10 * (1 + rng.normal(0, 0.1, len(cost)))
    spiky = cost.copy()
    spiky.loc[spiky.index[-1], "total_cost_usd"] = 40.0  # one noisy day
    rising = cost.copy()
    rising["total_cost_usd"] *= np.linspace(1.0, 1.6, len(cost))
    assert not any(a["alert_kind"] == "trend" for a in AL.trend_alerts(_runs(), spiky))
    assert any(a["alert_kind"] == "trend" for a in AL.trend_alerts(_runs(), rising))


def test_budget_forecast_alert_uses_the_month_end_forecast_over_the_run_rate():
    # cool spends $5 a day: $100 by the 20th, run rate to month end $150 (30 % of $500). The
    # month-end forecast (a ramp the model saw coming) says $450: 90 %, over the 80 % threshold.
    month_end = pd.DataFrame(
        {
            "customer_id": ["cool"],
            "month_start_date": [pd.Timestamp("2026-11-01").date()],
            "forecast_month_total_usd": [450.0],
        }
    )
    alerts = AL.budget_alerts(_cost({"hot": 30.0, "cool": 5.0}), BUDGETS, month_end)
    forecast = {
        (a["scope"], a["condition_period"]) for a in alerts if a["alert_kind"] == "budget_forecast"
    }
    assert ("customer cool", "2026-11|0.8") in forecast
    assert ("customer cool", "2026-11|1") not in forecast
    # hot has no modelled forecast: its run rate still raises its forecast alerts.
    assert ("customer hot", "2026-11|1") in forecast
    without = AL.budget_alerts(_cost({"hot": 30.0, "cool": 5.0}), BUDGETS, None)
    assert not any(a["scope"] == "customer cool" for a in without)


def _detection(metric, dimension, value, impact_pct, score, severity, root):
    return {
        "metric": metric,
        "dimension": dimension,
        "dimension_value": value,
        "anomaly_date": DAYS[10].date(),
        "actual": 1 + impact_pct,
        "expected": 1.0,
        "impact_pct": impact_pct,
        "score": score,
        "severity": severity,
        "unit": "usd",
        "incident_id": "spend-day-10",
        "is_incident_root": root,
    }


def test_one_alert_per_incident_whatever_its_root_and_never_twice_across_runs():
    surge = _detection("tokens", "customer", "hot", 2.9, 12.0, "critical", True)
    cost = _detection("cost", "customer", "hot", 1.3, 6.0, "critical", False)
    project = _detection("cost", "project", "p", 0.4, 5.5, "major", False)
    first = AL.anomaly_alerts(pd.DataFrame([surge, cost, project]))
    assert len(first) == 1
    assert first[0]["scope"] == "customer hot" and first[0]["severity"] == "critical"
    assert "Related: cost of customer hot +130%; cost of project p +40%" in first[0]["message"]
    # A later run where the cost detection became the root (say the token data arrived late):
    # the same incident, the same alert id, so the mart keeps one alert with its first-seen time.
    later = AL.anomaly_alerts(pd.DataFrame([{**cost, "is_incident_root": True}, {**project}]))
    assert later[0]["alert_id"] == first[0]["alert_id"]
    now = datetime(2026, 11, 21, 6)
    mart = AL.merge_alerts(first, None, now)
    again = AL.merge_alerts(later, mart, datetime(2026, 11, 22, 6))
    assert len(again) == 1 and again["first_seen_at"].iloc[0] == pd.Timestamp(now)
