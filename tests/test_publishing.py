"""Write–audit–publish: the serving snapshot, its versions, and what a failed check does to it.

The unit tests publish a small hand-made work database. The pipeline tests share one clean,
published warehouse built from the generated inbox (`publish_baseline`, built once per test run
and copied by each test that changes it) and run Dagster on copies of it.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import stat
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ingestion.settings import DBT_PROJECT_DIR, warehouse_environment
from orchestration.publishing import snapshot
from orchestration.publishing.snapshot import (
    SERVING_STORAGE_VERSION,
    PublishError,
    current_version,
    previous_version,
    publish_snapshot,
    read_manifest,
    recover_serving,
    rollback,
)

FIRST_EXPORT_DAY = date(2026, 10, 1)  # monthly invoices are dated the 1st
# Columns that legitimately differ between two builds of the same data: the time a realtime mart
# was computed, the time an alert was first and last seen, the time the raw files were loaded
# (`_loaded_at` of fct_run_jobs and fct_run_steps).
VOLATILE_COLUMNS = {"as_of_at", "first_seen_at", "last_seen_at", "_loaded_at"}


# --- Helpers shared with test_crash_safety and test_quality_checks -------------------------------


def refresh_tags() -> dict[str, str]:
    """Run tags covering every export day of the generated inbox, through today (files without
    a date in their name, like reference exports, belong to the day they were written)."""
    from orchestration.partitions import partition_range_tags

    return partition_range_tags(FIRST_EXPORT_DAY, datetime.now(UTC).date())


def run_job(
    home: Path,
    instance: dg.DagsterInstance,
    *,
    assets: set[dg.AssetKey] | None = None,
    checks: set[dg.AssetCheckKey] | None = None,
) -> dg.ExecuteInProcessResult:
    """Run `refresh_warehouse` (or a subset: `assets` and `checks`) on the warehouse at `home`."""
    from orchestration.definitions import build_definitions
    from orchestration.resources import WarehouseResource

    defs = build_definitions(WarehouseResource(home=str(home)))
    old_env = {name: os.environ.get(name) for name in warehouse_environment(home)}
    os.environ.update(warehouse_environment(home))
    try:
        if assets is None and checks is None:
            job = defs.resolve_job_def("refresh_warehouse")
            return job.execute_in_process(
                instance=instance, raise_on_error=False, tags=refresh_tags()
            )
        job = defs.resolve_implicit_global_asset_job_def().get_subset(
            asset_selection=assets or set(), asset_check_selection=checks or set()
        )
        return job.execute_in_process(instance=instance, raise_on_error=False)
    finally:
        for name, value in old_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def check_evaluations(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    """`<asset>:<check>` -> evaluation, for every check the run evaluated."""
    evaluations = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    return {f"{e.asset_key.to_user_string()}:{e.check_name}": e for e in evaluations}


def materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {
        e.asset_key.to_user_string()
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    }


def publish_baseline(home: Path, inbox_root: Path) -> None:
    """Make `home` a warehouse where one clean `refresh_warehouse` run ingested the generated
    inbox, built every model and published the snapshot; `.baseline-done` records what the run
    materialised and which checks it evaluated. The `baseline` fixture builds it once per test
    run; copy it to change it."""
    shutil.copytree(inbox_root / "inbox", home / "inbox")
    with dg.DagsterInstance.ephemeral() as instance:
        result = run_job(home, instance)
    failures = [e.message for e in result.all_events if e.is_failure]
    assert result.success, failures
    evaluations = check_evaluations(result)
    record = {
        "run_id": result.run_id,
        "materialized": sorted(materialized(result)),
        "checks_evaluated": len(evaluations),
        "dbt_nodes_run": dbt_nodes_run(result.run_id),
        "checks_failed_with_error": sorted(
            name
            for name, evaluation in evaluations.items()
            if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
        ),
    }
    (home / ".baseline-done").write_text(json.dumps(record, indent=1))


def dbt_nodes_run(run_id: str) -> dict[str, int]:
    """What the dbt invocations of a Dagster run executed, by resource type, from the
    run_results.json of each (dagster-dbt names their target folders `<op>-<run id[:7]>-<n>`)."""
    counts: dict[str, int] = {}
    for path in (DBT_PROJECT_DIR / "target").glob(f"*-{run_id[:7]}-*/run_results.json"):
        for node in json.loads(path.read_text())["results"]:
            kind = node["unique_id"].split(".")[0]
            counts[kind] = counts.get(kind, 0) + 1
    return counts


def copy_home(source: Path, target: Path) -> Path:
    """A copy of a warehouse home (symlinks of the serving directory kept as symlinks)."""
    shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns(".baseline-done"))
    return target


def warehouse_fingerprint(database: Path) -> dict[str, tuple]:
    """Per published table: row count, a hash of every non-float column's values (order-free)
    and the sums of its float columns. Compare two with `fingerprint_differences`: parallel
    float sums vary in the last bits, so no rounding makes them reliably equal."""
    fingerprint: dict[str, tuple] = {}
    with duckdb.connect(str(database), read_only=True) as con:
        columns = con.execute(
            "select schema_name, table_name, column_name, data_type from duckdb_columns() "
            "where schema_name in ('marts', 'seeds') order by schema_name, table_name, "
            "column_index"
        ).fetchall()
        tables: dict[str, list[tuple[str, str]]] = {}
        for schema, table, column, data_type in columns:
            if column not in VOLATILE_COLUMNS:
                tables.setdefault(f"{schema}.{table}", []).append((column, data_type))
        for name, cols in tables.items():
            exact = [f'"{c}"' for c, t in cols if t not in ("FLOAT", "DOUBLE")]
            floats = [f'sum("{c}")' for c, t in cols if t in ("FLOAT", "DOUBLE")]
            row_hash = f"sum(hash(row({', '.join(exact)})))" if exact else "0"
            query = f"select count(*), {row_hash}{''.join(', ' + f for f in floats)} from {name}"
            fingerprint[name] = tuple(con.execute(query).fetchall()[0])
    return fingerprint


def fingerprint_differences(actual: dict[str, tuple], expected: dict[str, tuple]) -> list[str]:
    """Tables whose fingerprints differ: counts and hashes exactly, float sums to 1e-9 relative."""

    def same(a, b) -> bool:
        if isinstance(a, float) and isinstance(b, float):
            return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
        return a == b

    return [
        f"{name}: {actual.get(name)} != {expected.get(name)}"
        for name in sorted(actual.keys() | expected.keys())
        if name not in actual
        or name not in expected
        or len(actual[name]) != len(expected[name])
        or not all(same(a, b) for a, b in zip(actual[name], expected[name], strict=True))
    ]


# --- The snapshot on a small work database --------------------------------------------------------


def make_work_db(path: Path, rows: int = 3) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create schema seeds; create schema staging")
        con.execute(
            "create table marts.fct_costs as select range as id, range * 1.25::decimal(38, 12) "
            f"as cost_usd, date '2026-10-01' + range::int as cost_date from range({rows})"
        )
        con.execute("create table marts.dim_customers as select 'cus_1' as customer_id")
        con.execute("create table seeds.model_prices as select 'gpt' as model, 1.5 as price")
        con.execute("create view staging.stg_x as select 1 as x")
    return path


def test_publish_writes_an_old_format_snapshot_with_parquet_and_manifest(tmp_path: Path):
    work = make_work_db(tmp_path / "work.duckdb")
    serving = tmp_path / "serving"

    manifest = publish_snapshot(work, serving, run_id="run-1")

    assert current_version(serving) == manifest.version
    assert manifest.tables == {
        "marts.dim_customers": 1,
        "marts.fct_costs": 3,
        "seeds.model_prices": 1,
    }
    assert read_manifest(serving) == manifest
    assert json.loads((serving / "manifest.json").read_text())["run_id"] == "run-1"
    with duckdb.connect(str(serving / "warehouse.duckdb"), read_only=True) as con:
        tags = con.execute(
            "select tags['storage_version'] from duckdb_databases() "
            "where database_name = 'warehouse'"
        ).fetchall()
        assert tags == [(SERVING_STORAGE_VERSION + "+",)]  # readable by DuckDB 0.10 and later
        assert con.execute("select version, run_id from snapshot").fetchall() == [
            (manifest.version, "run-1")
        ]
        # staging and intermediate stay in the work database
        schemas = {r[0] for r in con.execute("select schema_name from duckdb_tables()").fetchall()}
        assert schemas == {"main", "marts", "seeds"}
        assert con.execute("select sum(cost_usd) from marts.fct_costs").fetchall()[0][0] == 3.75
    assert sorted(p.name for p in (serving / "parquet").iterdir()) == [
        "dim_customers.parquet",
        "fct_costs.parquet",
    ]
    rows = duckdb.sql(f"select count(*) from '{serving}/parquet/fct_costs.parquet'").fetchall()
    assert rows == [(3,)]
    # nobody writes a snapshot by mistake: the file is read-only
    mode = (serving / "warehouse.duckdb").resolve().stat().st_mode
    assert not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def test_publish_keeps_the_previous_version_and_rolls_back(tmp_path: Path):
    work = make_work_db(tmp_path / "work.duckdb")
    serving = tmp_path / "serving"
    first = publish_snapshot(work, serving, run_id="run-1").version
    with duckdb.connect(str(work)) as con:
        con.execute("insert into marts.fct_costs values (99, 1, date '2026-10-31')")
    second = publish_snapshot(work, serving, run_id="run-2").version
    third = publish_snapshot(work, serving, run_id="run-3").version

    assert (current_version(serving), previous_version(serving)) == (third, second)
    # two versions kept: the first is gone
    assert sorted(p.name for p in (serving / "snapshots").iterdir()) == sorted([second, third])
    assert first not in {p.name for p in (serving / "snapshots").iterdir()}
    assert read_manifest(serving).tables["marts.fct_costs"] == 4

    assert rollback(serving) == second
    assert (current_version(serving), previous_version(serving)) == (second, third)


def test_publish_refuses_a_work_database_without_marts(tmp_path: Path):
    work = tmp_path / "work.duckdb"
    with duckdb.connect(str(work)) as con:
        con.execute("create schema seeds; create table seeds.x as select 1 as x")
    with pytest.raises(PublishError, match="no table in schema marts"):
        publish_snapshot(work, tmp_path / "serving", run_id="run-1")
    assert current_version(tmp_path / "serving") is None


def test_recover_removes_leftovers_of_a_crashed_publish_and_keeps_current(tmp_path: Path):
    work = make_work_db(tmp_path / "work.duckdb")
    serving = tmp_path / "serving"
    version = publish_snapshot(work, serving, run_id="run-1").version
    (serving / "snapshots" / "20990101T000000000000Z-dead.tmp").mkdir()
    (serving / "snapshots" / "20990101T000000000000Z-orphan").mkdir()
    os.symlink("snapshots/x", serving / ".link-abc")

    removed = recover_serving(serving)

    assert {p.name for p in removed} == {
        "20990101T000000000000Z-dead.tmp",
        "20990101T000000000000Z-orphan",
        ".link-abc",
    }
    assert current_version(serving) == version
    assert [p.name for p in (serving / "snapshots").iterdir()] == [version]


def test_crash_points_are_inert_without_the_test_variable(tmp_path: Path, monkeypatch):
    monkeypatch.delenv(snapshot.CRASH_POINT_ENV, raising=False)
    snapshot.crash_point("publish_before_switch")  # returns: no variable, no kill


# --- The pipeline ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_clean_run_publishes_every_mart_and_seed(baseline: Path):
    from orchestration.publishing.assets import published_asset_keys

    serving = baseline / "serving"
    manifest = read_manifest(serving)
    assert manifest is not None and previous_version(serving) is None
    with duckdb.connect(str(baseline / "warehouse.duckdb"), read_only=True) as con:
        work_tables = {
            f"{schema}.{table}": con.execute(f'select count(*) from {schema}."{table}"').fetchall()[
                0
            ][0]
            for schema, table in con.execute(
                "select schema_name, table_name from duckdb_tables() "
                "where schema_name in ('marts', 'seeds')"
            ).fetchall()
        }
    assert manifest.tables == work_tables
    # every mart and seed asset (dbt models, insights) is in the snapshot, and nothing else
    published = {key.path[-1] for key in published_asset_keys()}
    assert {name.split(".", 1)[1] for name in manifest.tables} == published
    marts = sorted(name.split(".", 1)[1] for name in manifest.tables if name.startswith("marts."))
    assert sorted(manifest.parquet) == marts
    for mart in marts:
        assert (serving / "parquet" / f"{mart}.parquet").is_file()
    assert manifest.storage_version == SERVING_STORAGE_VERSION
    # the GX Data Docs site of the run's validations
    assert (baseline / "data_docs" / "index.html").is_file()


@pytest.mark.slow
def test_a_cost_lost_in_allocation_fails_reconciliation_and_keeps_the_snapshot(
    baseline: Path, tmp_path: Path
):
    """A FOCUS cost that allocation drops (here: a day's bill row with no allocation, written
    into the work database as a faulty allocation model would leave it) fails the blocking
    `gx_allocation_reconciles` check; the publish does not happen and an alert is raised."""
    from orchestration.alerts.store import read_alerts

    home = copy_home(baseline, tmp_path / "home")
    before = current_version(home / "serving")
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute(
            "insert into marts.fct_infra_costs by name select * replace "
            "(12.34::decimal(38, 12) as effective_cost, 12.34::decimal(38, 12) as billed_cost, "
            "'lost-row' as infra_cost_id) from marts.fct_infra_costs "
            "where cost_date = date '2026-10-25' limit 1"
        )
    reconcile = dg.AssetCheckKey(dg.AssetKey(["fct_cost_allocations"]), "gx_allocation_reconciles")
    with dg.DagsterInstance.ephemeral() as instance:
        result = run_job(
            home, instance, assets={dg.AssetKey(["publish_serving_snapshot"])}, checks={reconcile}
        )
    evaluation = check_evaluations(result)["fct_cost_allocations:gx_allocation_reconciles"]
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    failures = evaluation.metadata["failures"].value
    by_check = {failure["check"]: failure for failure in failures}
    # the row is in the bill (effective and billed cost) and in no allocation
    assert set(by_check) == {"between:effective_difference_usd", "between:billed_difference_usd"}
    for failure in by_check.values():
        assert failure["unexpected_count"] == 1
        assert failure["sample_unexpected_values"] == [pytest.approx(-12.34)]
    assert "publish_serving_snapshot" not in materialized(result)
    assert current_version(home / "serving") == before
    alerts = [a for a in read_alerts(home / "alerts") if a.kind == "check_failure"]
    assert any("gx_allocation_reconciles" in a.scope and a.severity == "critical" for a in alerts)


@pytest.mark.slow
def test_publish_alone_refuses_while_a_blocking_check_is_failing(baseline: Path, tmp_path: Path):
    """Run later on its own, the publish looks up the latest evaluation of every blocking check
    upstream: a failure recorded by an earlier run stops it too."""
    home = copy_home(baseline, tmp_path / "home")
    before = current_version(home / "serving")
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("update marts.run_performance_daily set success_rate = 1.5")
    rates = dg.AssetCheckKey(
        dg.AssetKey(["run_performance_daily"]), "gx_success_rates_in_unit_interval"
    )
    publish = dg.AssetKey(["publish_serving_snapshot"])
    with dg.DagsterInstance.ephemeral() as instance:
        checked = run_job(home, instance, checks={rates})
        assert not check_evaluations(checked)[f"run_performance_daily:{rates.name}"].passed
        result = run_job(home, instance, assets={publish})
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure).step_failure_data
    assert "run_performance_daily:gx_success_rates_in_unit_interval" in (
        failure.user_failure_data.description
    )
    assert current_version(home / "serving") == before


def test_fingerprints_differ_on_rows_not_on_float_summation_order():
    built = {"marts.t": (3, 12345, 231403678.710999)}
    assert fingerprint_differences({"marts.t": (3, 12345, 231403678.711)}, built) == []
    assert fingerprint_differences({"marts.t": (3, 12346, 231403678.711)}, built) != []
    assert fingerprint_differences({"marts.t": (3, 12345, 231403679.5)}, built) != []
    assert fingerprint_differences({}, built) == ["marts.t: None != (3, 12345, 231403678.710999)"]
