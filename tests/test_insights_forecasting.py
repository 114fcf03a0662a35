"""Forecasts on synthetic series with known noise: interval coverage, the backtest against the
seasonal-naive baseline, the marts' shape and the month-end cost forecast."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration.insights import forecasting as F

WEEKLY = np.array([1.0, 1.1, 1.05, 1.0, 0.95, 0.4, 0.35])  # Monday .. Sunday
START = pd.Timestamp("2026-06-01")  # a Monday


def _series(seed: int, days: int, level: float = 200.0, noise: float = 0.15) -> pd.Series:
    """Weekly season x a slowly wandering level x lognormal noise (sd `noise` in log space)."""
    rng = np.random.default_rng(seed)
    index = pd.date_range(START, periods=days, freq="D")
    walk = np.cumsum(rng.normal(0, 0.01, days))
    values = level * WEEKLY[index.dayofweek] * np.exp(walk + rng.normal(0, noise, days))
    return pd.Series(values, index=index)


# Five weeks is where the degrees-of-freedom widening matters: without it 80 % intervals cover
# about 0.68 of the truth, and 95 % ones 0.87.
@pytest.mark.parametrize("history", [35, 84])
def test_intervals_cover_the_truth_close_to_their_nominal_rate(history: int):
    horizon = 28
    hits = {80: [], 95: []}
    for seed in range(12):
        full = _series(seed, history + horizon)
        f = F.ets_forecast(full.iloc[:history], horizon)
        truth = full.iloc[history:].to_numpy()
        for level in (80, 95):
            hits[level].append((truth >= f[f"lower_{level}"]) & (truth <= f[f"upper_{level}"]))
    # 12 x 28 = 336 days (correlated within a series): allow a few points either side.
    assert 0.72 <= np.mean(hits[80]) <= 0.90
    assert 0.90 <= np.mean(hits[95]) <= 0.99


def test_backtest_beats_seasonal_naive_on_a_noisy_weekly_series():
    wins = [
        F.backtest_series(_series(seed, 112, noise=0.25))["beats_seasonal_naive"]
        for seed in range(4)
    ]
    assert all(wins)


def test_backtest_needs_four_weeks_before_its_first_origin():
    assert F.backtest_series(_series(0, 50)) is None  # 50 - 28 < 28 days of history
    result = F.backtest_series(_series(0, 56))
    assert result["points"] == 28 and result["origins"] == 4


def _long(series: dict[str, pd.Series], metric="cost", dimension="customer") -> pd.DataFrame:
    return pd.concat(
        [
            pd.DataFrame({"date": s.index, "value": s.to_numpy()}).assign(
                metric=metric, dimension=dimension, dimension_value=name
            )
            for name, s in series.items()
        ],
        ignore_index=True,
    )


def test_forecasts_mart_has_ordered_intervals_for_90_days_and_skips_short_series():
    long = _long({"long": _series(1, 60), "short": _series(2, 60).iloc[-20:]})
    out = F.build_forecasts(long)
    assert set(out["dimension_value"]) == {"long"}
    assert list(out["horizon_days"]) == list(range(1, 91))
    assert out["forecast_date"].iloc[0] == (START + pd.Timedelta(days=60)).date()
    ordered = out[["lower_95", "lower_80", "forecast", "upper_80", "upper_95"]].to_numpy()
    assert (np.diff(ordered, axis=1) >= 0).all() and (ordered >= 0).all()
    # A 90-day interval is wider than a 1-day one.
    width = out["upper_95"] - out["lower_95"]
    assert width.iloc[-1] > width.iloc[0]


def test_only_the_largest_series_of_a_dimension_are_forecast():
    config = F.ForecastConfig(max_series_per_dimension=2)
    long = _long({f"c{i}": _series(i, 35, level=10.0 * (i + 1)) for i in range(4)})
    picked = {value for _, _, value, _ in F.selected_series(long, config)}
    assert picked == {"c3", "c2"}


def _cost_daily(values: dict[str, pd.Series]) -> pd.DataFrame:
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "cost_date": s.index.date,
                    "customer_id": c,
                    "project_id": "p",
                    "cost_component": "x",
                    "total_cost_usd": s.to_numpy(),
                }
            )
            for c, s in values.items()
        ],
        ignore_index=True,
    )


def test_month_end_cost_is_month_to_date_plus_the_rest_of_the_month():
    # 70 days from June 1st end on August 9th: 9 days of August spent, 22 to forecast.
    steady = pd.Series(100.0, index=pd.date_range(START, periods=70, freq="D"))
    steady *= np.exp(np.random.default_rng(0).normal(0, 0.05, 70))
    new = steady.iloc[-10:] * 0 + 50.0  # 10 days of history: run rate, no interval
    out = F.month_end_cost_forecast(_cost_daily({"steady": steady, "new": new})).set_index(
        "customer_id"
    )
    s = out.loc["steady"]
    assert s["month_start_date"] == pd.Timestamp("2026-08-01").date()
    assert s["actual_to_date_usd"] == pytest.approx(steady.iloc[-9:].sum())
    assert s["forecast_month_total_usd"] == pytest.approx(3100, rel=0.05)
    assert s["lower_95_usd"] < s["lower_80_usd"] < s["forecast_month_total_usd"]
    assert s["forecast_month_total_usd"] < s["upper_80_usd"] < s["upper_95_usd"]
    assert s["method"] == "ets_simulation"
    n = out.loc["new"]
    assert n["method"] == "run_rate_7d"
    assert n["forecast_month_total_usd"] == pytest.approx(50.0 * 31)


def test_marts_of_a_short_history_are_empty_but_typed(tmp_path):
    import duckdb

    from orchestration.insights.assets import write_frames

    # Three weeks of history: nothing to forecast yet.
    long = _long({"short": _series(0, 21)})
    db = tmp_path / "w.duckdb"
    write_frames(db, {"forecasts": F.build_forecasts(long), "forecast_backtest": F.backtest(long)})
    with duckdb.connect(str(db), read_only=True) as con:
        types = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_name = 'forecasts'"
            ).fetchall()
        )
        assert con.execute("select count(*) from marts.forecasts").fetchone()[0] == 0
    assert types["forecast_date"] == "DATE" and types["upper_95"] == "DOUBLE"
