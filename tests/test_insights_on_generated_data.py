"""The insights on warehouses built from the generator's exports with their labelled anomalies
(seeds 1-3, 56 days, 8 customers, scale 0.5: generate, ingest, dbt seed + run of the marts the
insights read; about a minute each).

Pooled over the three seeds, as the issue states its targets: the detector finds at least 90 %
of the injected anomalies and at least 80 % of the incidents it raises are injected ones (every
other day of every series is a clean control); the forecasts beat the seasonal-naive baseline
on run volume and total cost (mean MASE of the rolling-origin backtest). One seed alone is too
few labels to judge: seed 1 misses a duration regression, seed 2's run-volume forecast loses to
seasonal naive on this short history. `python -m orchestration.insights.evaluate` measures the
same on more and longer histories (figures in orchestration/insights/README.md).
"""

from __future__ import annotations

import pandas as pd
import pytest

from orchestration.insights import evaluate, forecasting

SEEDS = (1, 2, 3)


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    cache = tmp_path_factory.mktemp("insights-warehouses")
    return [evaluate.prepare(cache, seed, days=56, customers=8, scale=0.5) for seed in SEEDS]


@pytest.mark.slow
def test_the_detector_meets_its_recall_and_precision_targets(warehouses: list[dict]):
    results = [evaluate.evaluate_anomalies(frames) for frames in warehouses]
    labelled = sum(r["labelled"] for r in results)
    kinds = set(pd.concat([frames["truth"] for frames in warehouses])["kind"])
    assert labelled == 4 * len(SEEDS)
    assert {"cost_spike", "token_surge", "success_rate_drop", "duration_regression"} <= kinds
    recall = sum(r["found"] for r in results) / labelled
    precision = sum(r["true_incidents"] for r in results) / sum(r["incidents"] for r in results)
    assert recall >= 0.9, [r["missed"] for r in results]
    assert precision >= 0.8, results


@pytest.mark.slow
def test_forecasts_beat_seasonal_naive_on_run_volume_and_total_cost(warehouses: list[dict]):
    backtests = pd.concat(
        forecasting.backtest(forecasting.forecast_series(frames)) for frames in warehouses
    )
    totals = backtests[backtests["dimension"] == "total"]
    assert (totals["origins"] == 4).all() and (totals["points"] == 28).all()
    means = totals.groupby("metric")[["mase", "mase_seasonal_naive"]].mean()
    for metric in ("run_volume", "cost"):
        assert means.loc[metric, "mase"] < means.loc[metric, "mase_seasonal_naive"], means
