"""The quality gates in Dagster: the GX suites as asset checks (blocking where a failure means
wrong numbers), the quarantine gate, source freshness, and the Data Docs they leave behind."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from expectations.suites import RAW_SUITE_TABLES, SUITE_NAMES, load_suite, suite_severity
from ingestion.schemas import INGEST_MANIFEST, SOURCE_TABLES
from orchestration.quality import checks as quality
from orchestration.quality.freshness import SOURCE_SLAS, source_freshness
from orchestration.resources import WarehouseResource
from tests.test_expectations import clean_rows, write_raw_file
from tests.test_publishing import (
    check_evaluations,
    copy_home,
    materialized,
    run_job,
)


def _graph():
    from orchestration.definitions import defs

    return defs.resolve_asset_graph()


# --- Wiring ---------------------------------------------------------------------------------------


def test_every_suite_loads_from_its_file_and_runs_as_a_check_blocking_by_severity():
    graph = _graph()
    checks = {key.to_user_string(): graph.get(key) for key in graph.asset_check_keys}
    assert quality.RAW_SUITE_TABLES == RAW_SUITE_TABLES
    for name in SUITE_NAMES:
        assert load_suite(name).expectations  # parsed by GX from expectations/suites/<name>.json
    for table in RAW_SUITE_TABLES:
        node = checks[f"raw/{table}:gx_raw_{table}"]
        assert node.blocking == (suite_severity(f"raw_{table}") == "ERROR")
    assert not checks["raw/focus_costs:gx_untagged_cost_share"].blocking  # a WARN suite
    assert checks["raw/quarantine:quarantine_gate"].blocking
    assert checks["fct_cost_allocations:gx_allocation_reconciles"].blocking
    assert checks["fct_runs:gx_daily_volume_not_collapsing"].blocking
    assert checks["run_performance_daily:gx_success_rates_in_unit_interval"].blocking
    for tables in SOURCE_TABLES.values():
        for table in tables:
            assert not checks[f"raw/{table}:source_freshness"].blocking


def test_the_publish_waits_for_every_mart_and_seed_and_the_checks_split_no_dbt_step():
    from dagster._core.execution.api import create_execution_plan

    from orchestration.definitions import defs

    graph = _graph()
    publish = dg.AssetKey(["publish_serving_snapshot"])
    marts = {k for k in graph.get_all_asset_keys() if graph.get(k).group_name in ("marts", "seeds")}
    assert marts and marts <= set(graph.get(publish).parent_keys)
    plan = create_execution_plan(defs.resolve_job_def("refresh_warehouse"))
    steps = {step.key: step for step in plan.get_all_steps_in_topo_order()}
    # one step per dbt assets definition: a check op spanning dbt steps would make Dagster split
    # them (and run part of dbt before ingestion)
    assert not [key for key in steps if key.startswith("dbt_") and key[-2:-1] == "_"]
    publish_deps = steps["publish_serving_snapshot"].get_execution_dependency_keys()
    assert {key for key in steps if key.startswith("business_invariants_")} <= publish_deps
    dbt_first = next(key for key in steps if key.startswith("dbt_"))
    assert "raw_source_checks" in steps[dbt_first].get_execution_dependency_keys()


# --- Freshness ------------------------------------------------------------------------------------


def _write_manifest(raw_dir: Path, rows: list[dict]) -> None:
    path = raw_dir / "ingest_manifest" / "load_date=2026-11-01" / "m.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    full = [{name: row.get(name) for name in INGEST_MANIFEST.names} for row in rows]
    pq.write_table(pa.Table.from_pylist(full, schema=INGEST_MANIFEST), path)


def test_a_source_past_its_sla_is_stale_and_alerts_once(tmp_path: Path):
    from orchestration.alerts.store import read_alerts

    now = datetime(2026, 11, 2, 12, 0)
    _write_manifest(
        tmp_path / "raw",
        [
            {"source": "runs", "status": "loaded", "loaded_at": now - timedelta(hours=2)},
            {"source": "billing", "status": "loaded", "loaded_at": now - timedelta(hours=40)},
            {"source": "billing", "status": "rejected", "loaded_at": now - timedelta(hours=1)},
            {"source": "customers", "status": "loaded", "loaded_at": now - timedelta(days=3)},
        ],
    )
    freshness = source_freshness(tmp_path / "raw", now.replace(tzinfo=UTC))
    assert {s: f.is_stale for s, f in freshness.items()} == {
        "runs": False,
        "telemetry": True,  # never delivered
        "billing": True,  # 40 h > 36 h: a rejected file does not count as a delivery
        "customers": False,
        "projects": True,
    }
    assert freshness["billing"].to_metadata()["age_hours"] == 40.0
    assert set(SOURCE_SLAS) == set(SOURCE_TABLES)

    settings = WarehouseResource(home=str(tmp_path)).settings
    assert quality._record_stale_alerts(settings, now.replace(tzinfo=UTC)) == [
        "telemetry",
        "billing",
        "projects",
    ]
    quality._record_stale_alerts(settings, now.replace(tzinfo=UTC) + timedelta(hours=1))
    alerts = read_alerts(tmp_path / "alerts")
    assert sorted(a.scope for a in alerts) == [
        "source billing",
        "source projects",
        "source telemetry",
    ]
    assert {a.kind for a in alerts} == {"stale_source"} and {a.severity for a in alerts} == {
        "warning"
    }


def test_the_stale_sources_sensor_raises_alerts_between_runs(tmp_path: Path):
    from orchestration.alerts.store import read_alerts

    warehouse = WarehouseResource(home=str(tmp_path))
    context = dg.build_sensor_context(resources={"warehouse": warehouse})
    result = quality.stale_sources_sensor(context)
    assert isinstance(result, dg.SkipReason)
    assert "stale sources" in result.skip_message
    assert len(read_alerts(tmp_path / "alerts")) == len(SOURCE_SLAS)  # nothing ever arrived


# --- GX checks in Dagster -------------------------------------------------------------------------


def test_negative_tokens_in_the_raw_zone_fail_the_blocking_spans_check(tmp_path: Path):
    """Ingestion rejects negative token counts itself; the suite is the second line, for rows
    that reach the raw zone another way (a backfill, a loader regression)."""
    rows = clean_rows("spans")
    rows[2]["input_tokens"] = -7
    write_raw_file(tmp_path / "raw", "spans", date(2026, 11, 1), rows)
    spans_check = dg.AssetCheckKey(dg.AssetKey(["raw", "spans"]), "gx_raw_spans")
    with dg.DagsterInstance.ephemeral() as instance:
        result = run_job(tmp_path, instance, checks={spans_check})
    evaluation = check_evaluations(result)["raw/spans:gx_raw_spans"]
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    metadata = {key: value.value for key, value in evaluation.metadata.items()}
    assert metadata["unexpected_counts"] == {"min:input_tokens": 1}
    assert metadata["failures"][0]["sample_unexpected_values"] == [-7]
    assert metadata["blocking_failure"] is True
    assert (tmp_path / "data_docs" / "index.html").is_file()


def _broken_telemetry_export(inbox: Path) -> Path:
    """A telemetry export (OTLP JSON lines) whose first LLM call reports negative input tokens."""
    source = sorted((inbox / "telemetry").glob("traces-*.jsonl.gz"))[0]
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        request = json.loads(handle.readline())
    spans = request["resourceSpans"][0]["scopeSpans"][0]["spans"]
    for span in spans:
        for attribute in span.get("attributes", []):
            if attribute["key"] == "gen_ai.usage.input_tokens":
                attribute["value"] = {"intValue": "-1500"}
                break
        else:
            continue
        break
    target = inbox / "telemetry" / "traces-2026-10-31-resent.jsonl.gz"
    with gzip.open(target, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps(request) + "\n")
    return target


@pytest.mark.slow
def test_an_export_with_negative_tokens_fails_the_quarantine_gate_and_keeps_the_snapshot(
    baseline: Path, tmp_path: Path
):
    from orchestration.alerts.store import read_alerts
    from orchestration.publishing.snapshot import current_version

    home = copy_home(baseline, tmp_path / "home")
    before = current_version(home / "serving")
    broken = _broken_telemetry_export(home / "inbox")

    with dg.DagsterInstance.ephemeral() as instance:
        result = run_job(home, instance)

    gate = check_evaluations(result)["raw/quarantine:quarantine_gate"]
    assert not gate.passed and gate.severity == dg.AssetCheckSeverity.ERROR
    by_file = gate.metadata["by_file_and_reason"].value
    assert {(row["source_file"], row["reason"]) for row in by_file} == {
        (f"telemetry/{broken.name}", "negative_value")
    }
    # the raw suites passed: the bad record never reached the raw zone
    assert check_evaluations(result)["raw/spans:gx_raw_spans"].passed
    done = materialized(result)
    assert "publish_serving_snapshot" not in done
    assert "fct_cost_allocations" not in done  # the marts downstream of the gate waited
    assert current_version(home / "serving") == before
    alerts = [a for a in read_alerts(home / "alerts") if a.kind == "check_failure"]
    assert any("quarantine_gate" in a.scope and broken.name in a.message for a in alerts)
    shutil.rmtree(home)
