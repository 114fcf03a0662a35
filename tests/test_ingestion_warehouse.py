"""`register_raw_views`: the raw zone as the `raw` schema of the DuckDB warehouse."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingestion.errors import IngestionError
from ingestion.schemas import RAW_TABLES
from ingestion.warehouse import register_raw_views
from tests.ingestion_helpers import (
    FOCUS_SAMPLE,
    NOW,
    ingest,
    run_record,
    span,
    trace_request,
    write_jsonl,
)

KINDS = "select table_name, table_type from information_schema.tables where table_schema = 'raw'"
FOCUS_COLUMNS = (
    "select column_name, data_type from information_schema.columns "
    "where table_schema = 'raw' and table_name = 'focus_costs'"
)


def query(db: Path, sql: str) -> list[tuple]:
    connection = duckdb.connect(str(db), read_only=True)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def test_every_raw_table_exists_even_without_files(tmp_path: Path):
    db = tmp_path / "warehouse.duckdb"

    counts = register_raw_views(db, tmp_path / "raw")

    assert counts == dict.fromkeys(RAW_TABLES, 0)
    kinds = dict(query(db, KINDS))
    assert kinds == dict.fromkeys(RAW_TABLES, "BASE TABLE")
    columns = dict(query(db, FOCUS_COLUMNS))
    assert columns["BilledCost"] == "DECIMAL(38,12)"
    assert columns["ChargePeriodStart"] == "TIMESTAMP"
    assert columns["load_date"] == "DATE"


def test_views_over_loaded_tables_with_counts_and_exact_costs(tmp_path: Path):
    inbox, raw, db = tmp_path / "inbox", tmp_path / "raw", tmp_path / "warehouse.duckdb"
    register_raw_views(db, raw)  # first all empty tables, then views replace them
    (inbox / "billing").mkdir(parents=True)
    shutil.copy(FOCUS_SAMPLE, inbox / "billing/focus.csv")
    write_jsonl(inbox / "runs/r.jsonl", [run_record(), run_record(attempt="two")])
    ingest(inbox, raw, "billing")
    ingest(inbox, raw, "runs")

    counts = register_raw_views(db, raw)

    assert counts["focus_costs"] == 1000
    assert (counts["runs"], counts["run_jobs"], counts["run_steps"]) == (1, 1, 2)
    assert (counts["quarantine"], counts["ingest_manifest"]) == (1, 2)
    assert counts["spans"] == 0
    (total,) = query(
        db, "select sum(BilledCost), sum(EffectiveCost), min(load_date) from raw.focus_costs"
    )
    assert total == (Decimal("20.520226728990"), Decimal("14.976514185860"), NOW.date())
    kinds = dict(query(db, KINDS))
    assert kinds["focus_costs"] == "VIEW" and kinds["spans"] == "BASE TABLE"
    (row,) = query(db, "select typeof(load_date), typeof(queued_at), _source_file from raw.runs")
    assert row == ("DATE", "TIMESTAMP", "runs/r.jsonl")


def test_registering_a_subset_returns_its_counts(tmp_path: Path):
    inbox, raw, db = tmp_path / "inbox", tmp_path / "raw", tmp_path / "warehouse.duckdb"
    write_jsonl(inbox / "runs/r.jsonl", [run_record()])
    ingest(inbox, raw, "runs")

    assert register_raw_views(db, raw, ["runs", "ingest_manifest"]) == {
        "runs": 1,
        "ingest_manifest": 1,
    }
    assert query(db, "select count(*) from raw.runs where load_date = date '2026-11-02'") == [(1,)]
    assert date(2026, 11, 2) == NOW.date()
    with pytest.raises(IngestionError, match="unknown raw table"):
        register_raw_views(db, raw, ["invoices"])


def test_a_raw_dir_with_a_quote_in_its_path(tmp_path: Path):
    inbox, raw, db = tmp_path / "inbox", tmp_path / "o'brien" / "raw", tmp_path / "w.duckdb"
    write_jsonl(inbox / "runs/r.jsonl", [run_record()])
    ingest(inbox, raw, "runs")

    assert register_raw_views(db, raw, ["runs"]) == {"runs": 1}


def test_a_warehouse_locked_by_another_process_is_a_clear_error(tmp_path: Path):
    db = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True);"
            " time.sleep(60)",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(IngestionError, match="DuckDB allows one writer"):
            register_raw_views(db, tmp_path / "raw")
    finally:
        holder.kill()
        holder.wait()


def _view_sql(db: Path, table: str) -> str:
    [(sql,)] = query(
        db, f"select sql from duckdb_views() where schema_name = 'raw' and view_name = '{table}'"
    )
    return sql


def test_files_of_one_schema_are_read_by_it_and_of_two_by_column_name(tmp_path):
    """A view over files of one schema binds from one footer; once a file of another schema
    lands (written before the raw table gained a column, say), the view reads every file by
    column name, and the rows of both stay readable."""
    inbox, raw, db = tmp_path / "inbox", tmp_path / "raw", tmp_path / "warehouse.duckdb"
    write_jsonl(inbox / "runs/a.jsonl", [run_record()])
    write_jsonl(inbox / "runs/b.jsonl", [run_record(run_id="run-2")])
    ingest(inbox, raw, "runs")

    assert register_raw_views(db, raw, ["runs"]) == {"runs": 2}
    assert "union_by_name" not in _view_sql(db, "runs")

    older = RAW_TABLES["runs"].remove(RAW_TABLES["runs"].get_field_index("trigger"))
    partition = raw / "runs" / "load_date=2026-10-01"
    partition.mkdir()
    rows = query(db, "select * exclude (load_date, trigger) from raw.runs limit 1")
    older_file = pa.Table.from_pylist([dict(zip(older.names, rows[0], strict=True))], older)
    pq.write_table(older_file, partition / f"{'0' * 64}.parquet")

    assert register_raw_views(db, raw, ["runs"]) == {"runs": 3}
    assert "union_by_name = true" in _view_sql(db, "runs")
    assert query(db, "select count(*) from raw.runs where trigger is null") == [(1,)]


def test_files_written_before_an_attribute_column_get_it_from_their_attributes_json(tmp_path):
    """Spans files from before `template`, `run_attempt` and `resend_count` were columns keep
    them only in `attributes_json`: the view fills the columns from it for those files alone,
    whether every file is older or only some."""
    inbox, raw, db = tmp_path / "inbox", tmp_path / "raw", tmp_path / "warehouse.duckdb"
    attrs = {"factory.template": "fix-flaky-test", "factory.run.attempt": 2}
    write_jsonl(inbox / "telemetry/t.jsonl", [trace_request([span(attrs=attrs)])])
    ingest(inbox, raw, "telemetry")
    [new_file] = (raw / "spans").glob("*/*.parquet")
    added = ["template", "run_attempt", "resend_count"]
    older = pq.read_table(new_file).drop_columns(added)
    older_file = new_file.parent / f"{'0' * 64}.parquet"
    new_file.rename(tmp_path / "new.parquet")
    pq.write_table(
        older.set_column(
            older.schema.get_field_index("span_id"), "span_id", pa.array(["0000000000000001"])
        ),
        older_file,
    )
    columns = "select span_id, template, run_attempt, resend_count from raw.spans order by 1"

    register_raw_views(db, raw, ["spans"])
    assert query(db, columns) == [("0000000000000001", "fix-flaky-test", "2", None)]
    [(names,)] = query(
        db,
        "select list(column_name) from information_schema.columns "
        "where table_schema = 'raw' and table_name = 'spans'",
    )
    assert names == [*RAW_TABLES["spans"].names, "load_date"]

    (tmp_path / "new.parquet").rename(new_file)
    register_raw_views(db, raw, ["spans"])
    assert query(db, columns) == [
        ("0000000000000001", "fix-flaky-test", "2", None),
        ("00f067aa0ba902b7", "fix-flaky-test", "2", None),
    ]

    older_file.unlink()
    register_raw_views(db, raw, ["spans"])
    assert "attributes_json" not in _view_sql(db, "spans")
