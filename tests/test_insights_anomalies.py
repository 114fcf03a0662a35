"""Anomaly detection on synthetic series and runs with known noise and injected anomalies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration.insights import anomalies as A

DAYS = pd.date_range("2026-09-01", periods=56, freq="D")
WEEKLY = np.array([1.0, 1.05, 1.0, 0.95, 1.0, 0.35, 0.3])  # Monday .. Sunday


def _series(seed: int, level: float = 100.0, noise: float = 0.05) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    season = WEEKLY[DAYS.dayofweek]
    return pd.DataFrame(
        {"date": DAYS, "value": level * season * (1 + rng.normal(0, noise, len(DAYS)))}
    )


def _long(series: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(
        [
            s.assign(metric="cost", dimension="customer", dimension_value=k)
            for k, s in series.items()
        ]
    )


@pytest.mark.parametrize("seed", range(5))
def test_spike_is_found_and_controls_stay_quiet(seed: int):
    spiked = _series(seed)
    spike_day = DAYS[40]
    spiked.loc[spiked["date"] == spike_day, "value"] *= 3.0
    controls = {f"control_{i}": _series(100 + 10 * seed + i) for i in range(5)}
    scored = A.detect_additive(_long({"spiked": spiked, **controls}))
    found = A.anomalies_from_scored(scored)
    assert set(zip(found["dimension_value"], found["anomaly_date"], strict=True)) == {
        ("spiked", spike_day.date())
    }
    row = found.iloc[0]
    assert row["severity"] == "critical" and row["direction"] == "up"
    assert row["impact_pct"] == pytest.approx(2.0, abs=0.3)
    assert row["expected_lower"] <= row["expected"] <= row["expected_upper"] < row["actual"]


def test_weekend_dip_is_expected_not_anomalous():
    # A strong weekly pattern: a naive "yesterday" baseline would flag every Saturday.
    scored = A.detect_additive(_long({"weekly": _series(1, noise=0.02)}))
    assert not scored["is_anomaly"].any()
    assert scored["score"].dropna().max() < 4


@pytest.mark.parametrize(
    ("impact", "severity"), [(0.1, "minor"), (-0.2, "major"), (0.49, "major"), (0.5, "critical")]
)
def test_severity_grades(impact: float, severity: str):
    assert A.severity_of(impact) == severity


def _runs(seed: int, drop: tuple[str, list] | None = None, slow: tuple[str, list] | None = None):
    rng = np.random.default_rng(seed)
    rows = []
    for day in DAYS:
        for template, per_day in (("busy", 25), ("steady", 10)):
            for _ in range(rng.poisson(per_day)):
                p_fail = 0.1
                factor = 1.0
                if drop and template == drop[0] and day in drop[1]:
                    p_fail = 0.4  # the generator: failure rate x 4
                if slow and template == slow[0] and day in slow[1]:
                    factor = 2.0
                rows.append(
                    {
                        "run_date": day.date(),
                        "template_key": template,
                        "worker_pool": "pool-standard",
                        "customer_id": "cus_1",
                        "is_finished": True,
                        "is_succeeded": rng.random() > p_fail,
                        "duration_seconds": factor * rng.lognormal(6.0, 0.5),
                        "queue_seconds": rng.exponential(30),
                    }
                )
    return pd.DataFrame(rows)


def test_success_rate_drop_and_duration_regression_are_found():
    window = list(DAYS[44:47])
    slow_window = list(DAYS[30:34])
    runs = _runs(3, drop=("busy", window), slow=("steady", slow_window))
    found = A.anomalies_from_scored(A.detect_performance(runs))
    drops = found[(found["metric"] == "success_rate") & (found["dimension"] == "template")]
    assert set(drops["dimension_value"]) == {"busy"}
    assert set(drops["anomaly_date"]) <= {d.date() for d in window}
    slow = found[(found["metric"] == "duration_p95") & (found["dimension"] == "template")]
    assert set(slow["dimension_value"]) == {"steady"}
    assert set(slow["anomaly_date"]) <= {d.date() for d in slow_window}


@pytest.mark.parametrize("seed", range(3))
def test_performance_controls_stay_quiet(seed: int):
    found = A.anomalies_from_scored(A.detect_performance(_runs(seed)))
    assert found.empty, found


def test_evaluation_counts_hits_misses_and_false_positives():
    truth = pd.DataFrame(
        [
            ["a1", "cost_spike", "worker_pool", "pool-a", "2026-10-02", "2026-10-02"],
            ["a2", "success_rate_drop", "template", "t1", "2026-10-05", "2026-10-06"],
        ],
        columns=["anomaly_id", "kind", "dimension", "dimension_value", "start_date", "end_date"],
    )
    d = pd.Timestamp
    found = pd.DataFrame(
        {
            "metric": ["cost", "cost", "cost"],
            "dimension": ["worker_pool", "customer", "customer"],
            "dimension_value": ["pool-a", "__idle__", "cus_9"],
            "anomaly_date": [
                d("2026-10-02").date(),
                d("2026-10-02").date(),
                d("2026-10-20").date(),
            ],
        }
    )
    result = A.evaluate(found, truth)
    assert result["recall"] == 0.5 and result["missed"] == ["a2"]
    assert result["precision_strict"] == pytest.approx(1 / 3)
    assert result["precision_explained"] == pytest.approx(2 / 3)


def _llm_usage(seed: int, surge_day=None, busy_day=None) -> pd.DataFrame:
    """Daily LLM usage of two customers: ~200 calls of ~50k tokens on weekdays, fewer at the
    weekend; `surge_day`: cus_a's calls use 4x the tokens; `busy_day`: cus_b makes 3x the calls."""
    rng = np.random.default_rng(seed)
    rows = []
    for day in DAYS:
        for customer in ("cus_a", "cus_b"):
            calls = rng.poisson(200 * WEEKLY[day.dayofweek])
            per_call = 50_000 * np.exp(rng.normal(0, 0.1))
            if customer == "cus_a" and day == surge_day:
                per_call *= 4
            if customer == "cus_b" and day == busy_day:
                calls *= 3
            rows.append(
                {
                    "call_date": day.date(),
                    "customer_id": customer,
                    "model_name": "m",
                    "llm_calls": float(calls),
                    "total_tokens": calls * per_call,
                    "ai_cost_usd": calls * per_call * 3e-6,
                }
            )
    return pd.DataFrame(rows)


def _empty_cost() -> tuple[pd.DataFrame, pd.DataFrame]:
    cost = pd.DataFrame(
        columns=["cost_date", "customer_id", "project_id", "cost_component", "total_cost_usd"]
    )
    infra = pd.DataFrame(
        columns=["cost_date", "cost_component", "worker_pool", "effective_cost_usd"]
    )
    return cost, infra


def test_token_surge_is_scored_per_call_and_a_busy_day_is_not_a_surge():
    surge, busy = DAYS[40], DAYS[45]
    long = A.additive_series(*_empty_cost(), _llm_usage(0, surge_day=surge, busy_day=busy))
    found = A.anomalies_from_scored(A.detect_additive(long))
    tokens = found[found["metric"] == "tokens"]
    assert set(
        zip(tokens["dimension"], tokens["dimension_value"], tokens["anomaly_date"], strict=True)
    ) == {
        ("customer", "cus_a", surge.date()),
        ("model", "m", surge.date()),
    }
    # cus_b's busy day (3x the calls) moved its token total, not its tokens per call.
    assert busy.date() not in set(tokens["anomaly_date"])
    # One incident per day: the surge's root is the customer's tokens per call, not its cost.
    roots = found[found["is_incident_root"]].set_index("anomaly_date")
    assert roots.loc[surge.date(), "metric"] == "tokens"
    assert roots.loc[surge.date(), "dimension"] == "customer"
    assert found.groupby("anomaly_date")["incident_id"].nunique().eq(1).all()


def test_a_series_with_regular_bursts_is_quiet_but_a_step_out_of_its_tail_is_found():
    # Every fifth day a few expensive runs double the day: the series' normal tail, which a MAD
    # alone (the median day is quiet) would call a 10-sigma event every week.
    rng = np.random.default_rng(4)
    base = 100 * WEEKLY[DAYS.dayofweek] * np.exp(rng.normal(0, 0.05, len(DAYS)))
    bursty = np.where(np.arange(len(DAYS)) % 5 == 0, base * 2.0, base)
    quiet = A.detect_additive(_long({"bursty": pd.DataFrame({"date": DAYS, "value": bursty})}))
    assert not quiet["is_anomaly"].any()
    spiked = bursty.copy()
    spiked[41] = base[41] * 8  # far beyond the bursts
    found = A.anomalies_from_scored(
        A.detect_additive(_long({"bursty": pd.DataFrame({"date": DAYS, "value": spiked})}))
    )
    assert list(found["anomaly_date"]) == [DAYS[41].date()]


def test_a_token_surge_in_the_third_week_of_history_is_already_found():
    # Tokens per call need days, not weeks, of history (the generator injects from day 14 on).
    surge = DAYS[16]
    long = A.additive_series(*_empty_cost(), _llm_usage(1, surge_day=surge))
    found = A.anomalies_from_scored(A.detect_additive(long))
    tokens = found[(found["metric"] == "tokens") & (found["dimension"] == "customer")]
    assert list(zip(tokens["dimension_value"], tokens["anomaly_date"], strict=True)) == [
        ("cus_a", surge.date())
    ]


def test_a_cost_spike_in_the_third_week_of_history_is_found_and_its_control_is_quiet():
    spiked = _series(7)
    spiked.loc[spiked["date"] == DAYS[15], "value"] *= 3.0
    found = A.anomalies_from_scored(
        A.detect_additive(_long({"spiked": spiked, "control": _series(8)}))
    )
    assert list(zip(found["dimension_value"], found["anomaly_date"], strict=True)) == [
        ("spiked", DAYS[15].date())
    ]
