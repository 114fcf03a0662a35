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
from orchestration.resources import DUCKDB_WRITER_POOL, WarehouseResource

INSIGHTS_GROUP = "insights"
KINDS = {"python", "duckdb"}
OWNERS = ["team:data-science"]

QUERIES = {
    "cost_daily": "select cost_date, customer_id, project_id, cost_component, "
    "total_cost_usd::double as total_cost_usd from marts.cost_daily",
    "infra_costs": "select cost_date, cost_component, worker_pool, "
    "effective_cost_usd::double as effective_cost_usd from marts.fct_infra_costs",
    "llm_usage": "select call_date, customer_id, model_name, total_tokens::double as total_tokens,"
    " ai_cost_usd::double as ai_cost_usd from marts.llm_usage_daily",
    "runs": "select run_id, run_date, customer_id, template_key, worker_pool, is_finished, "
    "is_succeeded, duration_seconds, queue_seconds from marts.fct_runs",
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


def write_frames(db_path: Path, tables: dict[str, pd.DataFrame]) -> None:
    """`create or replace table marts.<name>` for each frame, in one transaction."""
    with duckdb.connect(str(db_path)) as con:
        con.execute("begin transaction")
        try:
            con.execute("create schema if not exists marts")
            for name, frame in tables.items():
                con.register("insights_frame", frame)
                con.execute(f"create or replace table marts.{name} as select * from insights_frame")
                con.unregister("insights_frame")
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise


def truth_path(settings) -> Path | None:
    """The generator's labelled anomalies next to the inbox, when the data is generated."""
    for candidate in (settings.home / "truth" / "anomalies.csv",):
        if candidate.exists():
            return candidate
    return None


@dg.asset(
    name="anomalies",
    group_name=INSIGHTS_GROUP,
    kinds=KINDS,
    owners=OWNERS,
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


@dg.asset(
    name="alerts",
    group_name=INSIGHTS_GROUP,
    kinds=KINDS,
    owners=OWNERS,
    pool=DUCKDB_WRITER_POOL,
    deps=[
        anomalies_asset.key,
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


insights_assets = [anomalies_asset, alerts_asset]
