"""Each recommendation appears for a constructed case and not for its control."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration.insights import recommendations as R
from orchestration.insights.config import RecommendationConfig

DAYS = pd.date_range("2026-10-04", periods=28, freq="D")
MONTH = 30.4 / 28  # the last 28 days, scaled to a month


def _runs_of(template: str, model: str, runs: int, success: float, cost: float) -> list[dict]:
    return [
        {
            "run_id": f"{template}-{model}-{i}",
            "run_date": DAYS[i % len(DAYS)].date(),
            "template_key": template,
            "is_succeeded": i < round(success * runs),
            "model_name": model,
            "run_ai_cost_usd": cost,
        }
        for i in range(runs)
    ]


def test_model_selection_for_a_cheaper_model_as_good_not_for_a_worse_one():
    run_models = pd.DataFrame(
        _runs_of("fix", "big", 200, 0.90, 1.0)
        + _runs_of("fix", "small", 100, 0.89, 0.3)  # as good (within noise), 70 % cheaper
        + _runs_of("feature", "big", 200, 0.90, 1.0)
        + _runs_of("feature", "small", 100, 0.70, 0.3)  # cheaper, but fails more: control
    )
    recs = R.model_selection(run_models)
    assert [r["scope"] for r in recs] == ["template fix model big"]
    assert recs[0]["estimated_monthly_savings_usd"] == pytest.approx(0.7 * 200 * MONTH)


def _hours(pool: str, busy, provisioned, cost_per_worker_hour: float = 1.0) -> pd.DataFrame:
    index = pd.date_range(DAYS[0], periods=24 * len(DAYS), freq="h")
    busy = np.broadcast_to(np.asarray(busy, dtype=float), len(index))
    provisioned = np.broadcast_to(np.asarray(provisioned, dtype=float), len(index))
    return pd.DataFrame(
        {
            "worker_pool": pool,
            "usage_date": index.date,
            "hour_start_at": index,
            "busy_seconds": busy,
            "provisioned_seconds": provisioned,
            "effective_cost_usd": provisioned / 3600 * cost_per_worker_hour,
        }
    )


def test_right_sizing_for_a_mostly_idle_pool_not_for_a_busy_one():
    capacity = pd.concat([_hours("idle", 720, 3600), _hours("busy", 2520, 3600)])
    recs = R.right_sizing(capacity)
    assert [r["scope"] for r in recs] == ["worker_pool idle"]
    # 20 % busy against a 65 % target: the pool needs 0.2/0.65 of its capacity.
    monthly = 24 * 30.4
    assert recs[0]["estimated_monthly_savings_usd"] == pytest.approx(monthly * (1 - 0.2 / 0.65))


def _infra(pool: str, discount: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cost_date": DAYS.date,
            "worker_pool": pool,
            "effective_cost_usd": 48.0 * (1 - discount),
            "list_cost_usd": 48.0,
        }
    )


def test_committed_capacity_for_a_steady_on_demand_baseline_only():
    rng = np.random.default_rng(0)
    hours = 24 * len(DAYS)
    bursty = np.where(rng.random(hours) < 0.3, 3 * 3600.0, 0.0)  # idle 70 % of the hours
    capacity = pd.concat(
        [
            _hours("steady", 3600, 2 * 3600),  # two workers around the clock
            _hours("committed", 3600, 2 * 3600),  # as steady, but on a savings plan already
            _hours("bursty", bursty / 2, bursty),
        ]
    )
    infra = pd.concat([_infra("steady", 0.0), _infra("committed", 0.12), _infra("bursty", 0.0)])
    recs = R.committed_capacity(capacity, infra)
    assert [r["scope"] for r in recs] == ["worker_pool steady"]
    assert recs[0]["estimated_monthly_savings_usd"] == pytest.approx(2 * 24 * 30.4 * 0.28)


def test_auto_scaling_for_queue_peaks_by_hour_not_for_a_flat_queue():
    rows = []
    for day in DAYS:
        for hour in range(24):
            at = day + pd.Timedelta(hours=hour)
            peak = 9 <= hour <= 11
            rows.append(
                {"worker_pool": "peaky", "queued_at": at, "queue_seconds": 600.0 if peak else 20.0}
            )
            rows.append({"worker_pool": "flat", "queued_at": at, "queue_seconds": 30.0})
    runs = pd.DataFrame(rows)
    # peaky is busy at its peak and nearly idle at night: the night hours can be released.
    busy = np.tile([3000.0 if 8 <= h <= 18 else 300.0 for h in range(24)], len(DAYS))
    capacity = pd.concat([_hours("peaky", busy, 3600), _hours("flat", 2000, 3600)])
    recs = R.auto_scaling(runs, capacity)
    assert [r["scope"] for r in recs] == ["worker_pool peaky"]
    assert "09, 10, 11" in recs[0]["message"]
    # 13 quiet hours a day, 92 % idle, half of it released.
    assert recs[0]["estimated_monthly_savings_usd"] == pytest.approx(
        13 * (1 - 300 / 3600) * 0.5 * 30.4
    )


def test_prompt_caching_for_large_uncached_inputs_not_for_cached_or_small_ones():
    def usage(customer: str, per_call: float, share: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "call_date": DAYS.date,
                "customer_id": customer,
                "model_name": "m",
                "llm_calls": 10.0,
                "input_tokens": 10 * per_call,
                "cache_read_tokens": 10 * per_call * share,
                "ai_cost_usd": 5.0,
            }
        )

    llm = pd.concat(
        [usage("uncached", 50_000, 0.1), usage("cached", 50_000, 0.7), usage("small", 2_000, 0.1)]
    )
    models = pd.DataFrame(
        {"model_name": ["m"], "input_usd_per_mtok": [3.0], "cache_read_usd_per_mtok": [0.3]}
    )
    recs = R.prompt_caching(llm, models)
    assert [r["scope"] for r in recs] == ["customer uncached model m"]
    moved = 28 * 10 * 50_000 * (0.6 - 0.1)  # tokens a 60 % cache-read share would serve
    assert recs[0]["estimated_monthly_savings_usd"] == pytest.approx(moved * 2.7 / 1e6 * MONTH)


def test_thresholds_come_from_the_config():
    capacity = _hours("idle", 720, 3600)
    assert R.right_sizing(capacity, RecommendationConfig(low_utilisation=0.1)) == []
