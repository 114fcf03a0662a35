"""The Great Expectations suites and their engine, on small real Parquet raw zones and DuckDB files.

Raw tables are written with the schemas of `ingestion.schemas` (pyarrow), registered in a DuckDB
warehouse exactly as ingestion does it, and read back the way the engine reads them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from expectations.data_docs import build_data_docs
from expectations.suites import (
    ERROR,
    RAW_SUITE_TABLES,
    SUITE_NAMES,
    SUITES_DIR,
    WARN,
    build_suite,
    load_suite,
    raw_suite_name,
    suite_json,
    suite_severity,
    write_suites,
)
from expectations.validate import SuiteResult, validate_frame, validate_query, validate_raw_table
from ingestion.pipeline import ingest_source
from ingestion.schemas import RAW_TABLES
from ingestion.warehouse import register_raw_views

REPO_ROOT = Path(__file__).resolve().parents[1]
FOCUS_SAMPLE = REPO_ROOT.parent / "shared" / "fixtures" / "focus-1.0" / "focus_sample.csv"
LOADED_AT = datetime(2026, 11, 1, 6, 0, 0)
DAY = date(2026, 10, 31)


# --- Clean raw rows, one builder per table --------------------------------------------------------


def _hex(n: int, width: int) -> str:
    return f"{n:0{width}x}"


def _base(table: str, i: int) -> dict:
    """Every column of the table null, then the lineage columns filled."""
    row = dict.fromkeys(RAW_TABLES[table].names)
    row.update(
        _source_file=f"{table}/export.jsonl",
        _file_sha256="0" * 64,
        _line_number=i + 1,
        _loaded_at=LOADED_AT,
    )
    return row


def clean_row(table: str, i: int) -> dict:
    """Row `i` of a table that keeps every rule of its suite."""
    t0 = datetime(2026, 10, 31, 9, 0, 0) + timedelta(minutes=i)
    row = _base(table, i)
    if table == "runs":
        row.update(
            run_id=f"run_{i:04d}",
            attempt=1 + i % 2,
            customer_id="cus_0001",
            project_id="prj_0001",
            run_type="pipeline",
            trigger="webhook",
            status="succeeded",
            queued_at=t0,
            started_at=t0 + timedelta(seconds=30),
            finished_at=t0 + timedelta(minutes=5),
            updated_at=t0 + timedelta(minutes=5),
            worker_pool="standard",
            cpu_seconds=120.5,
            memory_gib_seconds=480.0,
        )
    elif table in ("run_jobs", "run_steps"):
        row.update(
            run_id=f"run_{i:04d}",
            attempt=1,
            updated_at=t0 + timedelta(minutes=5),
            job_id="build",
            status="skipped" if i % 3 == 0 else "succeeded",
            started_at=t0,
            finished_at=t0 + timedelta(minutes=2),
        )
        if table == "run_jobs":
            row["job_name"] = "Build"
        else:
            row.update(step_id="compile", step_name="Compile")
    elif table == "spans":
        row.update(
            trace_id=_hex(i // 3 + 1, 32),
            span_id=_hex(i + 1, 16),
            span_name="chat claude-haiku-4-5",
            span_kind="CLIENT",
            start_at=t0,
            end_at=t0 + timedelta(seconds=3),
            status_code="UNSET",
            operation_name="chat",
            provider_name="anthropic",
            request_model="claude-haiku-4-5",
            input_tokens=1000 + i,
            output_tokens=200,
            cache_read_input_tokens=0,
            tool_risk_level=["low", "medium", "high", None][i % 4],
            customer_id="cus_0001",
            session_mode="headless" if i % 2 else "interactive",
        )
    elif table == "metric_points":
        row.update(
            metric_name="droid.git.commits",
            metric_unit="1",
            metric_type="sum",
            temporality="cumulative",
            is_monotonic=True,
            series_key=_hex(i % 4, 16),
            start_at=t0 - timedelta(hours=1),
            time_at=t0,
            value=float(i),
            token_type=["input", "output", None][i % 3],
            session_mode="headless",
        )
    elif table == "focus_costs":
        category = ["Usage", "Usage", "Credit", "Tax"][i % 4]
        cost = Decimal("-2.5") if category == "Credit" else Decimal("1.250000000001")
        row.update(
            BilledCost=cost,
            EffectiveCost=cost,
            BillingCurrency="USD",
            BillingPeriodStart=datetime(2026, 10, 1),
            BillingPeriodEnd=datetime(2026, 11, 1),
            ChargePeriodStart=datetime(2026, 10, 31, i % 24),
            ChargePeriodEnd=datetime(2026, 10, 31, i % 24) + timedelta(hours=1),
            ChargeCategory=category,
            ServiceCategory="Compute",
            Tags=json.dumps({"factory:component": "data-plane"}),
        )
    elif table == "customers":
        row.update(customer_id=f"cus_{i:04d}", name=f"Customer {i}", plan="team")
    elif table == "projects":
        row.update(project_id=f"prj_{i:04d}", customer_id="cus_0001", name=f"Project {i}")
    return row


def clean_rows(table: str, n: int = 12) -> list[dict]:
    return [clean_row(table, i) for i in range(n)]


# --- Raw zone and warehouse on disk ---------------------------------------------------------------


def write_raw_file(raw_dir: Path, table: str, load_date: date, rows: list[dict]) -> str:
    """Write rows as one file of the raw zone (named after a hash, as ingestion does)."""
    sha = hashlib.sha256(f"{table}/{load_date}/{rows!r}".encode()).hexdigest()
    for row in rows:
        row["_file_sha256"] = sha
    path = raw_dir / table / f"load_date={load_date.isoformat()}" / f"{sha}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=RAW_TABLES[table]), path)
    return sha


def build_warehouse(home: Path, tables: dict[str, list[dict]]) -> Path:
    """A raw zone holding `tables` (one file each) and its DuckDB warehouse; returns the file."""
    raw_dir = home / "raw"
    for table, rows in tables.items():
        write_raw_file(raw_dir, table, DAY, rows)
    db = home / "warehouse.duckdb"
    register_raw_views(db, raw_dir)
    return db


def read_frame(db: Path, sql: str) -> pd.DataFrame:
    """A query result as the engine hands frames to GX (through Arrow)."""
    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.sql(sql).to_arrow_table().to_pandas()


@pytest.fixture(scope="module")
def clean_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse whose raw tables all keep their contracts."""
    home = tmp_path_factory.mktemp("clean")
    return build_warehouse(home, {t: clean_rows(t) for t in RAW_SUITE_TABLES})


def only_failure(result: SuiteResult):
    """The single failed expectation of a result (the test fails if there are others)."""
    assert result.failed_expectations == 1, result.to_metadata()
    return result.failures[0]


# --- Suites as files ------------------------------------------------------------------------------


def test_suites_rebuild_byte_identically_and_equal_the_committed_files(tmp_path: Path) -> None:
    first = write_suites(tmp_path / "a")
    second = write_suites(tmp_path / "b")
    assert [p.name for p in first] == [f"{name}.json" for name in SUITE_NAMES]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()
        committed = SUITES_DIR / a.name
        assert committed.read_bytes() == a.read_bytes(), (
            f"{committed} differs from the code: run `python -m expectations.suites`"
        )
    assert sorted(p.name for p in SUITES_DIR.glob("*.json")) == sorted(p.name for p in first)


def test_a_loaded_suite_is_the_suite_the_code_builds() -> None:
    for name in SUITE_NAMES:
        assert suite_json(load_suite(name)) == suite_json(build_suite(name))


def test_each_suite_declares_whether_it_blocks() -> None:
    assert {name: suite_severity(name) for name in SUITE_NAMES} == {
        **{raw_suite_name(t): ERROR for t in RAW_SUITE_TABLES},
        "allocation_reconciles": ERROR,
        "success_rates_in_unit_interval": ERROR,
        "daily_volume_not_collapsing": ERROR,
        "untagged_cost_share": WARN,
    }
    warning_suite = load_suite("untagged_cost_share")
    assert {e.severity.value for e in warning_suite.expectations} == {"warning"}


# --- Raw suites on frames -------------------------------------------------------------------------


@pytest.mark.parametrize("table", RAW_SUITE_TABLES)
def test_a_clean_raw_table_passes_its_suite(clean_warehouse: Path, table: str) -> None:
    frame = read_frame(clean_warehouse, f"select * from raw.{table}")
    result = validate_frame(raw_suite_name(table), frame)
    assert result.success, result.to_metadata()
    assert result.evaluated_expectations == len(load_suite(raw_suite_name(table)).expectations)
    assert result.rows == 12
    json.dumps(result.to_metadata())  # JSON-serialisable, for asset check metadata


def test_negative_tokens_in_spans_fail_the_token_rule(tmp_path: Path) -> None:
    rows = clean_rows("spans")
    rows[3]["input_tokens"] = -5
    rows[7]["input_tokens"] = -1
    frame = read_frame(build_warehouse(tmp_path, {"spans": rows}), "select * from raw.spans")
    failure = only_failure(validate_frame("raw_spans", frame))
    assert (failure.check, failure.column, failure.unexpected_count) == (
        "min:input_tokens",
        "input_tokens",
        2,
    )
    assert failure.unexpected_percent == pytest.approx(100 * 2 / 12)
    assert sorted(failure.sample_unexpected_values) == [-5, -1]


def test_an_unknown_run_status_fails_the_status_enum(tmp_path: Path) -> None:
    rows = clean_rows("runs")
    rows[4]["status"] = "exploded"
    frame = read_frame(build_warehouse(tmp_path, {"runs": rows}), "select * from raw.runs")
    result = validate_frame("raw_runs", frame)
    failure = only_failure(result)
    assert (failure.check, failure.unexpected_count, failure.sample_unexpected_values) == (
        "in_set:status",
        1,
        ["exploded"],
    )
    assert result.blocking_failure and result.check_severity == ERROR


def test_a_negative_cost_that_is_no_credit_fails_the_cost_rule_as_a_warning(
    tmp_path: Path,
) -> None:
    rows = clean_rows("focus_costs")  # rows 2, 6, 10 are credits of -2.5: allowed
    rows[1]["EffectiveCost"] = Decimal("-0.75")  # a usage row
    rows[5].update(ChargeClass="Correction", EffectiveCost=Decimal("-3"))  # a correction: allowed
    db = build_warehouse(tmp_path, {"focus_costs": rows})
    result = validate_frame("raw_focus_costs", read_frame(db, "select * from raw.focus_costs"))
    failure = only_failure(result)
    assert (failure.check, failure.unexpected_count, failure.sample_unexpected_values) == (
        "min:EffectiveCost",
        1,
        [-0.75],
    )
    assert failure.severity == "warning"
    # a failed warning is reported, but does not block the blocking suite
    assert not result.success and not result.blocking_failure and result.check_severity == "WARN"


def test_a_far_future_timestamp_fails_the_future_rule(tmp_path: Path) -> None:
    rows = clean_rows("runs")
    rows[2].update(
        finished_at=LOADED_AT + timedelta(days=3), updated_at=LOADED_AT + timedelta(hours=23)
    )
    frame = read_frame(build_warehouse(tmp_path, {"runs": rows}), "select * from raw.runs")
    failure = only_failure(validate_frame("raw_runs", frame))
    assert (failure.check, failure.column, failure.unexpected_count) == (
        "not_in_future:finished_at",
        "_load_horizon_at, finished_at",
        1,
    )
    horizon, finished = failure.sample_unexpected_values[0]
    assert (horizon, finished) == ("2026-11-02T06:00:00", "2026-11-04T06:00:00")


def test_a_missing_column_is_reported_not_hidden(clean_warehouse: Path) -> None:
    frame = read_frame(clean_warehouse, "select * exclude (status) from raw.runs")
    result = validate_frame("raw_runs", frame)
    failed = {f.check: f for f in result.failures}
    assert set(failed) == {"columns_present", "not_null:status", "in_set:status"}
    assert failed["in_set:status"].exception  # GX could not evaluate it: a failure, with why


def test_the_real_focus_sample_breaks_no_blocking_rule(tmp_path: Path) -> None:
    inbox, raw_dir = tmp_path / "inbox", tmp_path / "raw"
    (inbox / "billing").mkdir(parents=True)
    shutil.copy(FOCUS_SAMPLE, inbox / "billing" / FOCUS_SAMPLE.name)
    ingest_source("billing", inbox, raw_dir, now=datetime(2026, 11, 2, 12))
    result = validate_raw_table("focus_costs", raw_dir)
    assert result.rows == 1000
    # Azure exports negative Usage rows (usage reversals): a warning, never a blocking failure
    assert {f.check: f.unexpected_count for f in result.failures} == {
        "min:EffectiveCost": 12,
        "min:BilledCost": 12,
    }
    assert not result.blocking_failure


# --- Raw tables in chunks -------------------------------------------------------------------------


def test_validate_raw_table_sums_unexpected_counts_across_chunks(tmp_path: Path) -> None:
    raw_dir = tmp_path / "raw"
    for d, bad_rows in ((date(2026, 10, 29), [0]), (date(2026, 10, 30), [1, 2]), (DAY, [5])):
        for part in range(2):  # two files per load date
            rows = [clean_row("spans", 100 * part + i) for i in range(10)]
            if part == 0:
                for i in bad_rows:
                    rows[i]["output_tokens"] = -7
            write_raw_file(raw_dir, "spans", d, rows)
    db = tmp_path / "warehouse.duckdb"
    register_raw_views(db, raw_dir)

    # through the DuckDB views, 10-row files one per chunk
    chunked = validate_raw_table("spans", db, chunk_rows=15)
    assert (chunked.rows, chunked.chunks) == (60, 6)
    assert chunked.unexpected_counts == {"min:output_tokens": 4}
    assert chunked.failures[0].sample_unexpected_values == [-7] * 4
    # straight from the Parquet files, all in one chunk: the same totals
    whole = validate_raw_table("spans", raw_dir)
    assert (whole.rows, whole.chunks, whole.unexpected_counts) == (
        60,
        1,
        {"min:output_tokens": 4},
    )
    # one load date, its files larger than a chunk: split by line ranges, nothing lost or doubled
    split = validate_raw_table("spans", raw_dir, load_dates=[date(2026, 10, 30)], chunk_rows=6)
    assert (split.rows, split.chunks) == (20, 4)
    assert split.unexpected_counts == {"min:output_tokens": 2}


def test_an_empty_raw_table_passes(tmp_path: Path) -> None:
    db = build_warehouse(tmp_path, {"runs": clean_rows("runs")})  # spans has no file yet
    result = validate_raw_table("spans", db)
    assert result.success and result.rows == 0


# --- Business invariants --------------------------------------------------------------------------


def test_reconciliation_fails_on_a_one_cent_difference_and_passes_at_0_004(
    clean_warehouse: Path,
) -> None:
    query = """
        select * from (values
            (date '2026-10-30', ?::decimal(18, 6), ?::decimal(18, 6)),
            (date '2026-10-31', ?::decimal(18, 6), ?::decimal(18, 6))
        ) as t(cost_date, effective_difference_usd, billed_difference_usd)
    """
    within = ["0.004", "-0.004", "0.004", "0"]
    passing = validate_query("allocation_reconciles", clean_warehouse, query, within)
    assert passing.success, passing.to_metadata()
    for cent_off, column in [
        (["0.000", "0", "0.01", "0"], "effective_difference_usd"),
        (["0.000", "0", "0", "0.01"], "billed_difference_usd"),
    ]:
        failing = validate_query("allocation_reconciles", clean_warehouse, query, cent_off)
        failure = only_failure(failing)
        assert (failure.check, failure.unexpected_count, failure.sample_unexpected_values) == (
            f"between:{column}",
            1,
            [0.01],
        )
    assert failing.blocking_failure


def test_success_rates_stay_in_the_unit_interval() -> None:
    ok = validate_frame("success_rates_in_unit_interval", pd.DataFrame({"success_rate": [0, 1.0]}))
    assert ok.success
    bad = validate_frame(
        "success_rates_in_unit_interval", pd.DataFrame({"success_rate": [0.5, 1.2, None]})
    )
    assert only_failure(bad).unexpected_count == 1


def test_a_volume_collapse_fails_unless_the_day_is_flagged() -> None:
    frame = pd.DataFrame(
        {
            "run_date": [date(2026, 10, d) for d in (28, 29, 30, 31)],
            "runs": [100, 20, 35, 0],
            "trailing_7d_median_runs": [100.0, 100.0, 100.0, None],  # no baseline: not judged
            "is_flagged": [False, True, False, False],
        }
    )
    assert validate_frame("daily_volume_not_collapsing", frame).success
    frame.loc[2, "runs"] = 29  # 29% of the median, not flagged
    failure = only_failure(validate_frame("daily_volume_not_collapsing", frame))
    assert (failure.check, failure.unexpected_count) == ("min:volume_ratio", 1)


def test_untagged_cost_share_is_a_warning_computed_from_the_raw_zone(tmp_path: Path) -> None:
    rows = clean_rows("focus_costs", 8)
    assert validate_query("untagged_cost_share", build_warehouse(tmp_path / "a", {})).success
    rows[0]["Tags"] = json.dumps({"team": "x"})  # 1 of the 4 usage rows loses its tags
    result = validate_query(
        "untagged_cost_share", build_warehouse(tmp_path / "b", {"focus_costs": rows})
    )
    failure = only_failure(result)
    assert failure.check == "max:untagged_cost_share"
    assert failure.sample_unexpected_values == [pytest.approx(0.25)]
    assert result.severity == WARN and not result.blocking_failure


# --- Data Docs ------------------------------------------------------------------------------------


def test_data_docs_build_an_index_html(tmp_path: Path) -> None:
    rows = clean_rows("runs")
    rows[0]["status"] = "exploded"
    db = build_warehouse(tmp_path / "home", {"runs": rows})
    results = [
        validate_raw_table("runs", db, chunk_rows=5),
        validate_frame("success_rates_in_unit_interval", pd.DataFrame({"success_rate": [0.5]})),
    ]
    index = build_data_docs(results, tmp_path / "site")
    assert index == (tmp_path / "site" / "index.html").resolve()
    html = index.read_text(encoding="utf-8")
    assert "raw_runs" in html and "success_rates_in_unit_interval" in html
    pages = list((tmp_path / "site" / "validations").rglob("*.html"))
    assert len(pages) == 2
    raw_runs_page = next(p for p in pages if "raw_runs" in p.parts).read_text(encoding="utf-8")
    assert "exploded" in raw_runs_page
