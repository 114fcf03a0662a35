"""Quality gates as Dagster asset checks: the Great Expectations suites, the quarantine gate and
source freshness.

- `raw_source_checks`: one check per raw suite (`gx_raw_<table>` on `raw/<table>`), blocking when
  the suite's severity is ERROR, validated from the raw zone's Parquet (no DuckDB lock), only
  the load-date partitions added since the last evaluation without a blocking failure (the first
  run, and every run after a blocking failure, validate everything). Also `gx_untagged_cost_share`
  (WARN) on `raw/focus_costs`, and the blocking `quarantine_gate` on `raw/quarantine`: records
  rejected by ingestion in this run mean the marts would silently miss data.
- `business_invariant_checks`: the cross-table suites on the marts, read from the work database
  (in the writer pool: a reader would lock dbt out): allocations reconcile with the FOCUS cost per
  day (`fct_cost_allocations`), success rates lie in [0, 1] (each mart that has them), daily run
  volume does not collapse (`fct_runs`). All blocking.
- `source_freshness_checks` (WARN, never blocking) and the `stale_sources_sensor`: each source
  against its SLA (`orchestration.quality.freshness`), raising `stale_source` alerts.

A blocking failure stops every asset downstream in the run, the serving snapshot included, and
records a `check_failure` alert; each evaluation's metadata holds the failing expectations, their
unexpected counts and sample values, and the GX Data Docs site is rebuilt.
"""

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import duckdb

import expectations
from ingestion.schemas import SOURCE_TABLES
from ingestion.settings import Settings
from orchestration.alerts.store import new_alert, record_alert
from orchestration.inbox.assets import raw_asset_key
from orchestration.models import assets as model_assets
from orchestration.quality import invariants
from orchestration.quality.freshness import source_freshness, stale_alert_condition
from orchestration.resources import DUCKDB_WRITER_POOL, WarehouseResource

if TYPE_CHECKING:
    from expectations.validate import SuiteResult

# Great Expectations takes seconds to import: definitions read the suites' JSON files directly
# (the same files the engine runs), and the engine is imported when a check runs.
SUITES_DIR = Path(expectations.__file__).resolve().parent / "suites"
# Mirrors expectations.suites.RAW_SUITE_TABLES (a test keeps them equal).
RAW_SUITE_TABLES = [
    "runs",
    "run_jobs",
    "run_steps",
    "spans",
    "metric_points",
    "focus_costs",
    "customers",
    "projects",
]

# A run tag that makes raw checks validate every partition, not only the new ones.
FULL_VALIDATION_TAG = "factory-warehouse/full-validation"
HISTORY_DEPTH = 50  # evaluations looked back through for the last one without blocking failure


@cache
def _suite_meta(suite: str) -> dict:
    return json.loads((SUITES_DIR / f"{suite}.json").read_text(encoding="utf-8"))["meta"]


def _suite_description(suite: str) -> str:
    return str(_suite_meta(suite).get("description", suite))


def _is_blocking(suite: str) -> bool:
    """A suite of severity ERROR is a blocking check; WARN reports only."""
    return _suite_meta(suite)["severity"] == "ERROR"


def raw_suite_name(table: str) -> str:
    return f"raw_{table}"


def _check_metadata(result: "SuiteResult", **extra) -> dict:
    """Dagster metadata of a suite result: counts as numbers, failures as JSON."""
    metadata: dict = {}
    for key, value in {**result.to_metadata(), **extra}.items():
        if isinstance(value, dict | list):
            metadata[key] = dg.MetadataValue.json(value)
        elif value is None:
            metadata[key] = dg.MetadataValue.null()
        else:
            metadata[key] = value
    return metadata


def _failure_summary(result: "SuiteResult") -> str:
    parts = [
        f"{f.check} ({f.unexpected_count} unexpected)"
        if f.unexpected_count is not None
        else f"{f.check} ({f.exception or f.observed_value})"
        for f in result.failures
    ]
    return "; ".join(parts)


def _alert_on_failure(
    settings: Settings, check_key: dg.AssetCheckKey, result: "SuiteResult"
) -> None:
    """A failed check raises an alert: critical when it blocks, a warning otherwise. The same
    failures (same expectations, same counts) raise it once."""
    if result.success:
        return
    scope = f"check {check_key.asset_key.to_user_string()}:{check_key.name}"
    blocking = result.blocking_failure
    effect = "blocking: the serving snapshot was not published" if blocking else "warning"
    message = f"{scope} failed ({effect}): {_failure_summary(result)}"
    condition = json.dumps(result.unexpected_counts, sort_keys=True)
    record_alert(
        settings.alerts_dir,
        new_alert(
            "check_failure", scope, "critical" if blocking else "warning", message, condition
        ),
    )


def _check_result(
    settings: Settings, check_key: dg.AssetCheckKey, result: "SuiteResult", **extra
) -> dg.AssetCheckResult:
    _alert_on_failure(settings, check_key, result)
    return dg.AssetCheckResult(
        asset_key=check_key.asset_key,
        check_name=check_key.name,
        passed=result.success,
        severity=dg.AssetCheckSeverity(result.check_severity),
        metadata=_check_metadata(result, **extra),
        description=None if result.success else _failure_summary(result)[:1000],
    )


# --- Raw suites -----------------------------------------------------------------------------------

RAW_CHECK_NAMES = {table: f"gx_{raw_suite_name(table)}" for table in RAW_SUITE_TABLES}
UNTAGGED_COST_CHECK = dg.AssetCheckKey(raw_asset_key("focus_costs"), "gx_untagged_cost_share")
QUARANTINE_CHECK = dg.AssetCheckKey(raw_asset_key("quarantine"), "quarantine_gate")


def _raw_specs() -> list[dg.AssetCheckSpec]:
    specs = [
        dg.AssetCheckSpec(
            name=RAW_CHECK_NAMES[table],
            asset=raw_asset_key(table),
            blocking=_is_blocking(raw_suite_name(table)),
            description=f"Great Expectations suite {raw_suite_name(table)}: "
            + _suite_description(raw_suite_name(table)),
        )
        for table in RAW_SUITE_TABLES
    ]
    specs.append(
        dg.AssetCheckSpec(
            name=UNTAGGED_COST_CHECK.name,
            asset=UNTAGGED_COST_CHECK.asset_key,
            blocking=_is_blocking("untagged_cost_share"),
            description="Great Expectations suite untagged_cost_share: "
            + _suite_description("untagged_cost_share"),
        )
    )
    return specs


def _last_clean_window_start(
    instance: dg.DagsterInstance, check_key: dg.AssetCheckKey, run_id: str
) -> date | None:
    """The newest load date validated by the latest evaluation (of another run) that had no
    blocking failure: partitions from that date on are validated again, older ones not."""
    from dagster._core.storage.asset_check_execution_record import (
        COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES,
    )

    records = instance.event_log_storage.get_asset_check_execution_history(
        check_key, limit=HISTORY_DEPTH, status=set(COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES)
    )
    for record in records:
        if record.run_id == run_id or record.event is None or record.event.dagster_event is None:
            continue
        evaluation = record.event.dagster_event.event_specific_data
        metadata = getattr(evaluation, "metadata", {}) or {}
        blocking = metadata.get("blocking_failure")
        newest = metadata.get("validated_through_load_date")
        if blocking is None or newest is None or blocking.value:
            return None  # a blocking failure (or an unknown result): validate everything
        return date.fromisoformat(newest.value) if newest.value else None
    return None


def _load_dates(settings: Settings, table: str) -> list[date]:
    directory = settings.raw_dir / table
    if not directory.is_dir():
        return []
    return sorted(
        date.fromisoformat(p.name.split("=", 1)[1])
        for p in directory.glob("load_date=*")
        if p.is_dir() and any(p.glob("*.parquet"))
    )


def _quarantined_in_run(settings: Settings, since: datetime) -> dict:
    """Records quarantined at or after `since` (naive UTC), by file and reason, with samples."""
    files = list((settings.raw_dir / "quarantine").glob("*/*.parquet"))
    if not files:
        return {"records": 0, "by_file": [], "samples": []}
    glob = str(settings.raw_dir / "quarantine" / "*" / "*.parquet")
    with duckdb.connect() as con:
        by_file = con.execute(
            "select source, source_file, split_part(reason, ':', 1) as reason_code, "
            "count(*) as records from read_parquet(?, union_by_name = true) "
            "where quarantined_at >= ? group by all order by records desc, source_file",
            [glob, since],
        ).fetchall()
        samples = con.execute(
            "select source_file, line_number, reason from read_parquet(?, union_by_name = true) "
            "where quarantined_at >= ? order by source_file, line_number limit 5",
            [glob, since],
        ).fetchall()
    return {
        "records": sum(row[3] for row in by_file),
        "by_file": [
            {"source": s, "source_file": f, "reason": r, "records": n} for s, f, r, n in by_file
        ],
        "samples": [{"source_file": f, "line_number": n, "reason": r} for f, n, r in samples],
    }


def _run_started_at(context: dg.AssetCheckExecutionContext) -> datetime:
    record = context.instance.get_run_record_by_id(context.run.run_id)
    started = record.start_time if record is not None else None
    moment = datetime.fromtimestamp(started, UTC) if started else datetime.now(UTC)
    return moment.replace(tzinfo=None)


@dg.asset_check(
    asset=QUARANTINE_CHECK.asset_key,
    name=QUARANTINE_CHECK.name,
    blocking=True,
    description="No record of the files loaded in this run was quarantined: a rejected record is "
    "data the marts would silently miss (a negative token count, a broken row). The rows stay in "
    "raw.quarantine and a critical alert names the files; re-running publishes without them.",
)
def quarantine_gate(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> dg.AssetCheckResult:
    """Blocks the publish of a load that brought rejected records (a separate op: in the raw
    suites' multi-check it would make Dagster split the dbt op around ingestion bookkeeping)."""
    settings = warehouse.settings
    since = _run_started_at(context)
    found = _quarantined_in_run(settings, since)
    passed = found["records"] == 0
    if not passed:
        files = ", ".join(sorted({f["source_file"] for f in found["by_file"]}))
        scope = f"check {QUARANTINE_CHECK.asset_key.to_user_string()}:{QUARANTINE_CHECK.name}"
        record_alert(
            settings.alerts_dir,
            new_alert(
                "check_failure",
                scope,
                "critical",
                f"{found['records']} records of {files} were quarantined in run "
                f"{context.run.run_id}"
                " (see raw.quarantine); the serving snapshot was not published",
                context.run.run_id,
            ),
        )
    return dg.AssetCheckResult(
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "quarantined_records": found["records"],
            "since": since.isoformat(),
            "by_file_and_reason": dg.MetadataValue.json(found["by_file"]),
            "samples": dg.MetadataValue.json(found["samples"]),
        },
    )


@dg.multi_asset_check(
    name="raw_source_checks",
    specs=_raw_specs(),
    can_subset=True,
    description="Great Expectations suites on what arrived (the raw zone's Parquet), and the "
    "quarantine gate.",
)
def raw_source_checks(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.AssetCheckResult]:
    from expectations.validate import validate_query, validate_raw_table
    from orchestration.quality.data_docs import record_and_render

    settings = warehouse.settings
    full = context.run.tags.get(FULL_VALIDATION_TAG, "").lower() in ("1", "true", "yes")
    results: list[SuiteResult] = []
    for check_key in sorted(context.selected_asset_check_keys, key=lambda k: k.to_user_string()):
        if check_key == UNTAGGED_COST_CHECK:
            result = validate_query("untagged_cost_share", settings.raw_dir)
            results.append(result)
            yield _check_result(settings, check_key, result)
            continue
        table = check_key.asset_key.path[-1]
        all_dates = _load_dates(settings, table)
        start = (
            None
            if full
            else _last_clean_window_start(context.instance, check_key, context.run.run_id)
        )
        window = [d for d in all_dates if start is None or d >= start]
        if all_dates and not window:
            window = all_dates[-1:]  # nothing new: re-check the newest partition
        result = validate_raw_table(table, settings.raw_dir, load_dates=window or None)
        results.append(result)
        context.log.info(
            f"{check_key.name}: {result.rows} rows of {len(window)} load dates, "
            f"{'passed' if result.success else _failure_summary(result)}"
        )
        yield _check_result(
            settings,
            check_key,
            result,
            validated_load_dates=[d.isoformat() for d in window],
            validated_through_load_date=window[-1].isoformat() if window else None,
        )
    if results:
        index = record_and_render(settings, results)
        context.log.info(f"Data Docs: {index}")


# --- Business invariants on the marts -------------------------------------------------------------

RECONCILIATION_MART = "fct_cost_allocations"
VOLUME_MART = "fct_runs"


def dbt_assets_definitions() -> list[dg.AssetsDefinition]:
    """The dbt assets definitions (one per dbt step) of `orchestration.models.assets`."""
    found = getattr(model_assets, "dbt_model_assets", None)
    return list(found) if found else [model_assets.dbt_warehouse_models]


def _invariant_specs(models: set[str]) -> list[dg.AssetCheckSpec]:
    """The business-invariant checks whose marts are among `models`."""
    specs = []
    if RECONCILIATION_MART in models:
        specs.append(
            dg.AssetCheckSpec(
                name="gx_allocation_reconciles",
                asset=dg.AssetKey([RECONCILIATION_MART]),
                additional_deps=[dg.AssetKey(["fct_infra_costs"])],
                blocking=_is_blocking("allocation_reconciles"),
                description="Great Expectations suite allocation_reconciles: "
                + _suite_description("allocation_reconciles"),
            )
        )
    for mart in invariants.SUCCESS_RATE_MARTS:
        if mart in models:
            specs.append(
                dg.AssetCheckSpec(
                    name="gx_success_rates_in_unit_interval",
                    asset=dg.AssetKey([mart]),
                    blocking=_is_blocking("success_rates_in_unit_interval"),
                    description="Great Expectations suite success_rates_in_unit_interval on "
                    "every *success_rate column: "
                    + _suite_description("success_rates_in_unit_interval"),
                )
            )
    if VOLUME_MART in models:
        specs.append(
            dg.AssetCheckSpec(
                name="gx_daily_volume_not_collapsing",
                asset=dg.AssetKey([VOLUME_MART]),
                blocking=_is_blocking("daily_volume_not_collapsing"),
                description="Great Expectations suite daily_volume_not_collapsing: "
                + _suite_description("daily_volume_not_collapsing"),
            )
        )
    return specs


def invariant_result(
    con: duckdb.DuckDBPyConnection, check_key: dg.AssetCheckKey, today: date
) -> "SuiteResult":
    """Validate the frame of one business-invariant check (plain function, for tests too)."""
    from expectations.validate import validate_frame

    mart = check_key.asset_key.path[-1]
    if check_key.name == "gx_allocation_reconciles":
        return validate_frame("allocation_reconciles", invariants.reconciliation_frame(con))
    if check_key.name == "gx_success_rates_in_unit_interval":
        return validate_frame(
            "success_rates_in_unit_interval", invariants.success_rate_frame(con, mart)
        )
    if check_key.name == "gx_daily_volume_not_collapsing":
        return validate_frame(
            "daily_volume_not_collapsing", invariants.daily_volume_frame(con, today)
        )
    raise KeyError(f"no business invariant for {check_key.to_user_string()}")


def _build_invariant_checks(name: str, specs: list[dg.AssetCheckSpec]) -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(
        name=name,
        specs=specs,
        can_subset=True,
        pool=DUCKDB_WRITER_POOL,
        retry_policy=dg.RetryPolicy(max_retries=3, delay=5, backoff=dg.Backoff.EXPONENTIAL),
        description="Great Expectations suites on business invariants across the marts.",
    )
    def _checks(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[dg.AssetCheckResult]:
        from orchestration.quality.data_docs import data_docs_dir, record_and_render

        settings = warehouse.settings
        today = datetime.now(UTC).date()
        keys = sorted(context.selected_asset_check_keys, key=lambda k: k.to_user_string())
        results = []
        # read everything, then close: the work database must not stay open
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            for check_key in keys:
                results.append((check_key, invariant_result(con, check_key, today)))
        for check_key, result in results:
            yield _check_result(settings, check_key, result)
        # one suite on several marts: Data Docs show the worst result of each suite
        by_suite = {}
        for _, result in results:
            kept = by_suite.get(result.suite_name)
            if kept is None or (kept.success and not result.success):
                by_suite[result.suite_name] = result
        if by_suite:
            record_and_render(settings, by_suite.values())
            context.log.info(f"Data Docs: {data_docs_dir(settings) / 'index.html'}")

    return _checks


def business_invariant_checks() -> list[dg.AssetChecksDefinition]:
    """One multi-check per dbt step, on the marts that step builds: a single check op spanning
    marts of several dbt steps would sit between them and make Dagster split the dbt ops."""
    checks = []
    for definition in dbt_assets_definitions():
        models = {key.path[-1] for key in definition.keys}
        specs = _invariant_specs(models)
        if specs:
            checks.append(
                _build_invariant_checks(f"business_invariants_{definition.node_def.name}", specs)
            )
    return checks


# --- Freshness ------------------------------------------------------------------------------------

FRESHNESS_CHECK_NAME = "source_freshness"
_TABLE_SOURCE = {table: source for source, tables in SOURCE_TABLES.items() for table in tables}


def _record_stale_alerts(settings: Settings, now: datetime | None = None) -> list[str]:
    """Raise a `stale_source` warning per stale source (once per episode); returns the sources."""
    stale = []
    for source, freshness in source_freshness(settings.raw_dir, now).items():
        if freshness.is_stale:
            stale.append(source)
            record_alert(
                settings.alerts_dir,
                new_alert(
                    "stale_source",
                    f"source {source}",
                    "warning",
                    freshness.message,
                    *stale_alert_condition(freshness),
                ),
            )
    return stale


@dg.multi_asset_check(
    name="source_freshness_checks",
    specs=[
        dg.AssetCheckSpec(
            name=FRESHNESS_CHECK_NAME,
            asset=raw_asset_key(table),
            blocking=False,
            description=f"The {source} source delivered a file within its SLA "
            "(orchestration/quality/freshness.py); stale sources warn, they never block.",
        )
        for source, tables in SOURCE_TABLES.items()
        for table in tables
    ],
    can_subset=True,
    description="Each inbox source against its freshness SLA.",
)
def source_freshness_checks(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.AssetCheckResult]:
    settings = warehouse.settings
    freshness = source_freshness(settings.raw_dir)
    _record_stale_alerts(settings)
    for check_key in context.selected_asset_check_keys:
        item = freshness[_TABLE_SOURCE[check_key.asset_key.path[-1]]]
        yield dg.AssetCheckResult(
            asset_key=check_key.asset_key,
            check_name=check_key.name,
            passed=not item.is_stale,
            severity=dg.AssetCheckSeverity.WARN,
            description=item.message,
            metadata={
                key: dg.MetadataValue.null() if value is None else value
                for key, value in item.to_metadata().items()
            },
        )


@dg.sensor(
    name="stale_sources_sensor",
    description="Every 15 minutes, raises a stale_source alert for each inbox source past its "
    "freshness SLA (between runs too: a silent source starts no run).",
    minimum_interval_seconds=15 * 60,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def stale_sources_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    stale = _record_stale_alerts(warehouse.settings)
    return dg.SkipReason(
        f"stale sources: {', '.join(stale)}" if stale else "every source within its SLA"
    )


quality_checks = [
    raw_source_checks,
    quarantine_gate,
    *business_invariant_checks(),
    source_freshness_checks,
]
quality_sensors = [stale_sources_sensor]
