"""Thin Dagster wrappers: read the marts from the DuckDB work file, compute, write `marts.*`.

Each asset opens the work database, reads every input into pandas, closes it, computes with the
plain functions of this package, then writes its tables in one transaction
(`create or replace table marts.<name> as select * from frame`). They run in the DuckDB writer
pool (one writer per file) and are unpartitioned: each run recomputes from the whole history.
"""

import time
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd

from orchestration.insights import alerts as alerts_logic
from orchestration.insights import anomalies as anomaly_logic
from orchestration.insights import forecasting
from orchestration.insights import recommendations as recommendation_logic
from orchestration.resources import DUCKDB_WRITER_POOL, WarehouseResource

INSIGHTS_GROUP = "insights"
KINDS = {"python", "duckdb"}
OWNERS = ["team:data-science"]
# what every insights table declares (each is one asset of the group, written by the writer pool)
INSIGHTS_TABLE = {"group_name": INSIGHTS_GROUP, "kinds": KINDS, "owners": OWNERS}

QUERIES = {
    "cost_daily": "select cost_date, customer_id, project_id, cost_component, "
    "total_cost_usd::double as total_cost_usd from marts.cost_daily",
    "infra_costs": "select cost_date, cost_component, worker_pool, "
    "effective_cost_usd::double as effective_cost_usd, list_cost_usd::double as list_cost_usd "
    "from marts.fct_infra_costs",
    "llm_usage": "select call_date, customer_id, model_name, llm_calls::double as llm_calls, "
    "input_tokens::double as input_tokens, cache_read_tokens::double as cache_read_tokens, "
    "total_tokens::double as total_tokens, ai_cost_usd::double as ai_cost_usd "
    "from marts.llm_usage_daily",
    "runs": "select run_id, run_date, customer_id, template_key, worker_pool, is_finished, "
    "is_succeeded, final_status, duration_seconds, final_attempt_duration_seconds, queue_seconds, "
    "queued_at from marts.fct_runs",
    "capacity_hourly": "select worker_pool, usage_date, hour_start_at, busy_seconds, "
    "provisioned_seconds, effective_cost_usd::double as effective_cost_usd "
    "from marts.capacity_utilisation_hourly",
    # The model of a run is the one that cost it most (runs mostly use one chat model).
    "run_models": "with calls as (select run_id, model_name, sum(estimated_cost_usd)::double as "
    "cost from marts.fct_llm_calls where run_id is not null group by all), ranked as (select *, "
    "row_number() over (partition by run_id order by cost desc, model_name) as rank, "
    "sum(cost) over (partition by run_id) as run_ai_cost_usd from calls) select r.run_id, "
    "r.run_date, r.template_key, r.is_succeeded, k.model_name, k.run_ai_cost_usd from ranked as k "
    "inner join marts.fct_runs as r on k.run_id = r.run_id where k.rank = 1 and r.is_finished",
    "models": "select model_name, input_usd_per_mtok::double as input_usd_per_mtok, "
    "cache_read_usd_per_mtok::double as cache_read_usd_per_mtok from marts.dim_models",
    "run_costs": "select run_id, customer_id, template_key, total_cost_usd::double as "
    "total_cost_usd, run_date from marts.run_costs",
    "budgets": "select customer_id, budget_month, budget_usd::double as budget_usd "
    "from seeds.monthly_budgets",
}


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    rows = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return rows[0][0] > 0


def read_frames(db_path: Path, names: list[str], optional: tuple[str, ...] = ()) -> dict:
    """The frames of `QUERIES[names]` and of the optional `marts.<table>` (None if absent)."""
    frames: dict[str, pd.DataFrame | None] = {}
    with duckdb.connect(str(db_path), read_only=True) as con:
        for name in names:
            frames[name] = con.execute(QUERIES[name]).df()
        for table in optional:
            frames[table] = (
                con.execute(f"select * from marts.{table}").df()
                if _exists(con, "marts", table)
                else None
            )
    return frames


# Column types of the marts whose frame can be empty (short history): an empty pandas column
# has no type, and a table of NULL-typed columns breaks the readers' queries and the Parquet
# export. Columns are written in this order and cast to these types.
SCHEMAS = {
    "anomalies": anomaly_logic.ANOMALY_SCHEMA,
    "forecasts": forecasting.FORECAST_SCHEMA,
    "forecast_backtest": forecasting.BACKTEST_SCHEMA,
    "month_end_cost_forecast": forecasting.MONTH_END_SCHEMA,
    "recommendations": recommendation_logic.RECOMMENDATION_SCHEMA,
}


def write_frames(db_path: Path, tables: dict[str, pd.DataFrame]) -> None:
    """`create or replace table marts.<name>` for each frame, in one transaction (columns cast
    to their `SCHEMAS` types where the mart has one)."""
    with duckdb.connect(str(db_path)) as con:
        con.execute("begin transaction")
        try:
            con.execute("create schema if not exists marts")
            for name, frame in tables.items():
                con.register("insights_frame", frame)
                columns = "*"
                if name in SCHEMAS:
                    columns = ", ".join(
                        f'cast("{col}" as {kind}) as "{col}"' for col, kind in SCHEMAS[name].items()
                    )
                con.execute(
                    f"create or replace table marts.{name} as select {columns} from insights_frame"
                )
                con.unregister("insights_frame")
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise


def truth_path(settings) -> Path | None:
    """The generator's labelled anomalies next to the inbox, when the data is generated."""
    candidate = settings.home / "truth" / "anomalies.csv"
    return candidate if candidate.exists() else None


@dg.asset(
    name="anomalies",
    **INSIGHTS_TABLE,
    pool=DUCKDB_WRITER_POOL,
    deps=[
        dg.AssetKey(["cost_daily"]),
        dg.AssetKey(["fct_infra_costs"]),
        dg.AssetKey(["llm_usage_daily"]),
        dg.AssetKey(["fct_runs"]),
    ],
    description="Daily anomalies of cost (customer, project, component, worker pool, model), "
    "token usage (customer, model) and run performance (p95 duration, success rate per template "
    "and pool; queue latency per pool): expected value and range, impact, score and severity "
    "(minor < 20 %, major 20-50 %, critical >= 50 %). Writes marts.anomalies, and "
    "marts.anomaly_detection_evaluation when labelled anomalies (truth/anomalies.csv) exist.",
)
def anomalies_asset(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """marts.anomalies (and marts.anomaly_detection_evaluation with labelled anomalies)."""
    settings = warehouse.settings
    started = time.perf_counter()
    f = read_frames(settings.warehouse_path, ["cost_daily", "infra_costs", "llm_usage", "runs"])
    found = anomaly_logic.detect_anomalies(
        f["cost_daily"], f["infra_costs"], f["llm_usage"], f["runs"]
    )
    tables = {"anomalies": found}
    metadata: dict = {"anomalies": len(found)}
    truth = truth_path(settings)
    if truth is not None:
        evaluation = anomaly_logic.evaluate(found, pd.read_csv(truth))
        tables["anomaly_detection_evaluation"] = pd.DataFrame(
            [{**evaluation, "missed": ",".join(evaluation["missed"])}]
        )
        metadata.update({k: v for k, v in evaluation.items() if k != "missed"})
    write_frames(settings.warehouse_path, tables)
    metadata["seconds"] = round(time.perf_counter() - started, 2)
    context.log.info(f"anomalies: {metadata}")
    return dg.MaterializeResult(metadata=metadata)


FORECAST_DEPS = [
    dg.AssetKey(["cost_daily"]),
    dg.AssetKey(["llm_usage_daily"]),
    dg.AssetKey(["fct_runs"]),
    dg.AssetKey(["capacity_utilisation_hourly"]),
]


# One computation, three tables: each is its own asset, so lineage, publishing and the alerts'
# dependency on the month-end forecast name the table they use.
@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "forecasts",
            deps=FORECAST_DEPS,
            **INSIGHTS_TABLE,
            description="Daily forecasts 1-90 days ahead, median with 80 % and 95 % intervals, of "
            "run volume, cost (total, per customer, component and model; the 15 largest of "
            "each) and capacity (busy worker seconds per pool); ETS on log(1 + value) with "
            "weekly season (statsmodels).",
        ),
        dg.AssetSpec(
            "forecast_backtest",
            deps=FORECAST_DEPS,
            **INSIGHTS_TABLE,
            description="Rolling-origin backtest of every forecast series over the last 4 weeks "
            "(4 weekly origins, 7 days ahead): MASE and 80 % / 95 % interval coverage of the "
            "model next to the seasonal-naive baseline.",
        ),
        dg.AssetSpec(
            "month_end_cost_forecast",
            deps=FORECAST_DEPS,
            **INSIGHTS_TABLE,
            description="Per customer: month-to-date cost plus the forecast of the rest of the "
            "month, with 80 % and 95 % intervals from simulated paths (7-day run rate for "
            "customers with under 4 weeks of history). The budget alerts read it.",
        ),
    ],
    pool=DUCKDB_WRITER_POOL,
)
def forecasts_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """marts.forecasts, marts.forecast_backtest and marts.month_end_cost_forecast."""
    settings = warehouse.settings
    started = time.perf_counter()
    f = read_frames(settings.warehouse_path, ["cost_daily", "llm_usage", "runs", "capacity_hourly"])
    long = forecasting.forecast_series(f)
    tables = {
        "forecasts": forecasting.build_forecasts(long),
        "forecast_backtest": forecasting.backtest(long),
        "month_end_cost_forecast": forecasting.month_end_cost_forecast(f["cost_daily"]),
    }
    write_frames(settings.warehouse_path, tables)
    seconds = round(time.perf_counter() - started, 2)
    backtest = tables["forecast_backtest"]
    summary = {}
    if not backtest.empty:
        summary = {
            "median_mase": float(backtest["mase"].median()),
            "median_mase_seasonal_naive": float(backtest["mase_seasonal_naive"].median()),
            "coverage_80": float(backtest["coverage_80"].mean()),
            "coverage_95": float(backtest["coverage_95"].mean()),
        }
    context.log.info(f"forecasts: {seconds} s, {summary}")
    for name, frame in tables.items():
        metadata = {"rows": len(frame), "seconds": seconds}
        if name == "forecast_backtest":
            metadata.update(summary)
        yield dg.MaterializeResult(asset_key=name, metadata=metadata)


@dg.asset(
    name="recommendations",
    **INSIGHTS_TABLE,
    pool=DUCKDB_WRITER_POOL,
    deps=[
        dg.AssetKey(["cost_daily"]),
        dg.AssetKey(["fct_infra_costs"]),
        dg.AssetKey(["llm_usage_daily"]),
        dg.AssetKey(["fct_llm_calls"]),
        dg.AssetKey(["fct_runs"]),
        dg.AssetKey(["capacity_utilisation_hourly"]),
        dg.AssetKey(["dim_models"]),
    ],
    description="Cost recommendations with estimated monthly savings (marts.recommendations): "
    "model selection, right-sizing, committed capacity, auto-scaling and prompt caching, judged "
    "on the last 4 weeks (thresholds in orchestration/insights/config.py).",
)
def recommendations_asset(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    settings = warehouse.settings
    f = read_frames(
        settings.warehouse_path,
        [
            "cost_daily",
            "infra_costs",
            "llm_usage",
            "runs",
            "capacity_hourly",
            "run_models",
            "models",
        ],
    )
    table = recommendation_logic.build_recommendations(f)
    write_frames(settings.warehouse_path, {"recommendations": table})
    counts = table.groupby("recommendation_kind").size().to_dict()
    savings = float(table["estimated_monthly_savings_usd"].sum())
    return dg.MaterializeResult(
        metadata={"recommendations": len(table), "monthly_savings_usd": savings, **counts}
    )


@dg.asset(
    name="alerts",
    **INSIGHTS_TABLE,
    pool=DUCKDB_WRITER_POOL,
    deps=[
        anomalies_asset.key,
        dg.AssetKey(["month_end_cost_forecast"]),
        dg.AssetKey(["cost_daily"]),
        dg.AssetKey(["run_costs"]),
        dg.AssetKey(["fct_runs"]),
        dg.AssetKey(["monthly_budgets"]),
    ],
    description="The alerts mart (marts.alerts, read by the alert delivery): budget thresholds "
    "(80 % and 100 %, actual and forecast to month end), cost per run over a threshold, "
    "anomalies, trends (judged by a test over 4 weeks), run failures and daily run summaries. "
    "Stable ids per (kind, scope, condition period); first_seen_at kept across runs.",
)
def alerts_asset(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    settings = warehouse.settings
    f = read_frames(
        settings.warehouse_path,
        ["cost_daily", "budgets", "run_costs", "runs"],
        optional=("alerts", "anomalies", "month_end_cost_forecast"),
    )
    anomalies = f["anomalies"]
    if anomalies is None:
        anomalies = pd.DataFrame(columns=anomaly_logic.ANOMALY_COLUMNS)
    table = alerts_logic.build_alerts(
        cost_daily=f["cost_daily"],
        budgets=f["budgets"],
        run_costs=f["run_costs"],
        runs=f["runs"],
        anomalies=anomalies,
        month_end=f["month_end_cost_forecast"],
        previous=f["alerts"],
    )
    write_frames(settings.warehouse_path, {"alerts": table})
    previous = 0 if f["alerts"] is None else len(f["alerts"])
    counts = table.groupby("alert_kind").size().to_dict()
    return dg.MaterializeResult(
        metadata={"alerts": len(table), "new": len(table) - previous, **counts}
    )


insights_assets = [anomalies_asset, forecasts_asset, recommendations_asset, alerts_asset]
