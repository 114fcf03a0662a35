"""Measure the insights on several generated warehouses (not part of the test run: minutes).

    .venv/bin/python -m orchestration.insights.evaluate --seeds 1 2 3 4 5 6 --days 120

Each seed is generated, ingested and built once (dbt seed + run of the models the insights
read) under `--cache`, so a second call only reads the marts and re-runs the detectors and the
backtest. Prints anomaly recall and precision against the
generator's labelled anomalies, and the forecast backtest (MASE and interval coverage against
the seasonal-naive baseline) per metric.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd

from ingestion.settings import DBT_PROJECT_DIR
from orchestration.insights import anomalies as anomaly_logic
from orchestration.insights import forecasting
from orchestration.insights.assets import QUERIES, read_frames

END_DATE = date(2026, 10, 31)
MODELS = (
    "+cost_daily +fct_infra_costs +llm_usage_daily +fct_runs +run_costs "
    "+capacity_utilisation_hourly +fct_llm_calls +dim_models"
)


def _run(command: list[str], env: dict, cwd: Path | None = None) -> None:
    completed = subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{completed.stdout[-3000:]}{completed.stderr}")


def prepare(cache: Path, seed: int, days: int, customers: int, scale: float) -> dict:
    """The frames of `QUERIES` for one generated warehouse (built on the first call)."""
    home = cache / f"seed{seed}-d{days}-c{customers}-s{scale:g}"
    built = home / "built"
    if not built.exists():
        home.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "FACTORY_WAREHOUSE_HOME": str(home),
            "FACTORY_WAREHOUSE_DB": str(home / "warehouse.duckdb"),
            "DO_NOT_TRACK": "1",
        }
        cli = str(Path(sys.executable).with_name("factory-warehouse"))
        dbt = str(Path(sys.executable).with_name("dbt"))
        # A target path of the cache's own: the project's manifest is what Dagster loads, keep
        # it untouched. dbt runs in the home on a relative database path, so every warehouse
        # has the same profile and reuses the first one's parse (a full parse: about 15 s).
        where = [
            *("--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)),
            *("--target-path", str(cache / "dbt-target")),
        ]
        dbt_env = {**env, "FACTORY_WAREHOUSE_DB": "warehouse.duckdb"}
        if not (home / "truth" / "anomalies.csv").exists():
            _run(
                [
                    cli,
                    "generate",
                    *("--days", str(days), "--customers", str(customers), "--seed", str(seed)),
                    *(
                        "--scale",
                        str(scale),
                        "--end-date",
                        END_DATE.isoformat(),
                        "--home",
                        str(home),
                    ),
                ],
                env,
            )
        _run([cli, "ingest", "--home", str(home)], env)
        # every seed (the queries read the budgets too) and the models, without their tests
        nodes = ["--select", MODELS, "resource_type:seed"]
        nodes += ["--resource-type", "seed", "--resource-type", "model"]
        _run([dbt, "build", *nodes, *where], dbt_env, cwd=home)
        built.touch()
    frames = read_frames(home / "warehouse.duckdb", list(QUERIES))
    frames["truth"] = pd.read_csv(home / "truth" / "anomalies.csv")
    return frames


def evaluate_anomalies(frames: dict) -> dict:
    """Recall and precision of the detector on one warehouse."""
    found = anomaly_logic.detect_anomalies(
        frames["cost_daily"], frames["infra_costs"], frames["llm_usage"], frames["runs"]
    )
    return anomaly_logic.evaluate(found, frames["truth"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6])
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--customers", type=int, default=8)
    parser.add_argument("--scale", type=float, default=0.5)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/insights-eval"))
    parser.add_argument("--skip", choices=("anomalies", "forecasts"), nargs="*", default=[])
    args = parser.parse_args()
    keys = ("labelled", "found", "detections", "incidents", "true_incidents")
    totals = dict.fromkeys(keys, 0)
    backtests = []
    for seed in args.seeds:
        frames = prepare(args.cache, seed, args.days, args.customers, args.scale)
        if "anomalies" not in args.skip:
            result = evaluate_anomalies(frames)
            for key in keys:
                totals[key] += result[key]
            print(
                f"seed {seed}: recall {result['found']}/{result['labelled']}, incident precision "
                f"{result['true_incidents']}/{result['incidents']}, detections "
                f"{result['detections']} (precision strict {result['precision_strict']:.2f}, "
                f"explained {result['precision_explained']:.2f}), "
                f"missed {result['missed']}",
                flush=True,
            )
        if "forecasts" not in args.skip:
            series = forecasting.forecast_series(frames)
            backtest = forecasting.backtest(series)
            backtests.append(backtest.assign(seed=seed))
            top = backtest[backtest["dimension"] == "total"]
            print(top.to_string(index=False), flush=True)
    if "anomalies" not in args.skip:
        print(
            f"all: recall {totals['found']}/{totals['labelled']} = "
            f"{totals['found'] / max(totals['labelled'], 1):.2f}, incident precision "
            f"{totals['true_incidents']}/{totals['incidents']} = "
            f"{totals['true_incidents'] / max(totals['incidents'], 1):.2f}"
        )
    if backtests:
        summary = forecasting.summarise_backtests(pd.concat(backtests, ignore_index=True))
        print(summary.to_string(index=False))


if __name__ == "__main__":
    main()
