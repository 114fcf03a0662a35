"""The `publish_serving_snapshot` asset: the "publish" of write–audit–publish.

It depends on every mart and seed, so in a run it starts only once dbt has built and tested them
and every blocking check on them (dbt tests of severity error, the Great Expectations suites) has
passed: a failed blocking check skips it and the previous snapshot stays. Run on its own (or in a
later run), it first looks up the latest evaluation of every blocking check upstream and refuses
to publish over a failure it finds.
"""

import time

import dagster as dg
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from orchestration.alerts.store import new_alert, record_alert
from orchestration.insights.assets import insights_assets
from orchestration.models.assets import dbt_model_assets
from orchestration.publishing.recovery import recovery_sensors
from orchestration.publishing.snapshot import (
    SERVING_STORAGE_VERSION,
    current_version,
    publish_snapshot,
)
from orchestration.resources import DUCKDB_WRITER_POOL, WarehouseResource

PUBLISHING_GROUP = "publishing"
PUBLISHED_GROUPS = ("marts", "seeds")


def published_asset_keys() -> list[dg.AssetKey]:
    """The assets copied into the snapshot: every dbt mart and seed, and the insights (anomalies,
    alerts) that Python writes into the marts schema."""
    keys = {
        spec.key
        for dbt_assets_def in dbt_model_assets
        for spec in dbt_assets_def.specs
        if spec.group_name in PUBLISHED_GROUPS
    }
    keys |= {key for assets_def in insights_assets for key in assets_def.keys}
    return sorted(keys, key=lambda key: key.to_user_string())


def failed_blocking_checks(context: dg.AssetExecutionContext) -> list[str]:
    """Blocking checks upstream of the snapshot that do not vouch for the work database: their
    latest evaluation failed with ERROR severity, or it was planned by another run that never
    got to it (killed or failed mid-build: what that run rewrote was never audited). Publishing
    over them would publish numbers known wrong or not known right."""
    try:
        graph = context.repository_def.asset_graph
    except Exception:  # executed outside a repository (execute_in_process of a job)
        from orchestration.definitions import defs

        graph = defs.resolve_asset_graph()
    upstream = graph.get_ancestor_asset_keys(context.asset_key)
    check_keys = [
        key
        for key in graph.asset_check_keys
        if key.asset_key in upstream and graph.get(key).blocking
    ]
    latest = context.instance.event_log_storage.get_latest_asset_check_execution_by_key(check_keys)
    failed = []
    for key in check_keys:
        record = latest.get(key)
        if record is None:
            continue  # never planned: nothing it checks was built by a run of this instance
        if record.status == AssetCheckExecutionRecordStatus.PLANNED:
            if record.run_id != context.run.run_id:
                failed.append(f"{key.to_user_string()} (not evaluated by run {record.run_id})")
            continue
        if record.status != AssetCheckExecutionRecordStatus.FAILED:
            continue
        evaluation = record.event.dagster_event.event_specific_data if record.event else None
        severity = getattr(evaluation, "severity", dg.AssetCheckSeverity.ERROR)
        if severity == dg.AssetCheckSeverity.ERROR:
            failed.append(key.to_user_string())
    return failed


@dg.asset(
    name="publish_serving_snapshot",
    group_name=PUBLISHING_GROUP,
    deps=published_asset_keys(),
    pool=DUCKDB_WRITER_POOL,
    kinds={"duckdb", "parquet"},
    owners=["team:data-platform"],
    description="Copies every mart, seed and insight table of the audited work database into a "
    "new read-only DuckDB snapshot (storage version readable by DuckDB 0.10 and later) and "
    "Parquet exports, then switches `serving/` to it atomically. Readers keep the version they "
    "have open.",
)
def publish_serving_snapshot(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    settings = warehouse.settings
    failed = failed_blocking_checks(context)
    if failed:
        kept = current_version(settings.serving_dir) or "none"
        message = (
            f"not publishing: {len(failed)} blocking check(s) failed or were not evaluated "
            f"({', '.join(failed[:10])}); the serving snapshot stays at version {kept}"
        )
        record_alert(
            settings.alerts_dir,
            new_alert(
                "publish_blocked", "asset publish_serving_snapshot", "critical", message, *failed
            ),
        )
        raise dg.Failure(description=message)
    previous = current_version(settings.serving_dir)
    started = time.perf_counter()
    manifest = publish_snapshot(
        settings.warehouse_path, settings.serving_dir, run_id=context.run_id
    )
    seconds = time.perf_counter() - started
    context.log.info(f"published version {manifest.version} in {seconds:.1f} s")
    return dg.MaterializeResult(
        metadata={
            "version": manifest.version,
            "previous_version": previous or "none",
            "path": dg.MetadataValue.path(str(settings.serving_path)),
            "storage_version": SERVING_STORAGE_VERSION,
            "tables": len(manifest.tables),
            "parquet_files": len(manifest.parquet),
            "rows": sum(manifest.tables.values()),
            "row_counts": dg.MetadataValue.json(manifest.tables),
            "publish_seconds": round(seconds, 2),
        }
    )


publishing_assets = [publish_serving_snapshot]
publishing_sensors = [*recovery_sensors]
