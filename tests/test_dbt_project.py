"""The dbt project, built for real with `dbt build` on small hand-made raw zones.

Two warehouses are built side by side, once per module, each from a raw zone of Parquet files
registered as `raw.*` by ingestion's own `register_raw_views`: one with no file at all (a fresh
install must build), one with a few rows per table whose mart figures are worked out by hand
below: overlapping run exports, a span and a metric point exported twice, a cumulative
series with a reset, telemetry without a customer and a re-exported FOCUS file.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingestion.schemas import RAW_TABLES
from ingestion.settings import DBT_PROJECT_DIR
from ingestion.warehouse import register_raw_views

DBT = Path(sys.executable).with_name("dbt")  # the dbt of the interpreter running the tests
DAY_1 = date(2026, 10, 1)
DAY_2 = date(2026, 10, 2)


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _from_file(name: str, loaded_at: str, *records: dict) -> list[dict]:
    """Records as ingestion writes them from one inbox file: with lineage and load date."""
    loaded = _ts(loaded_at)
    return [
        {
            **record,
            "_source_file": name,
            "_file_sha256": hashlib.sha256(name.encode()).hexdigest(),
            "_line_number": line,
            "_loaded_at": loaded,
            "load_date": loaded.date(),
        }
        for line, record in enumerate(records, start=1)
    ]


def write_raw_zone(raw_dir: Path, rows: dict[str, list[dict]]) -> None:
    """Parquet files laid out as ingestion writes them: `<table>/load_date=<day>/<sha>.parquet`."""
    files: dict[tuple[str, date, str], list[dict]] = defaultdict(list)
    for table, table_rows in rows.items():
        for row in table_rows:
            files[(table, row["load_date"], row["_file_sha256"])].append(row)
    for (table, load_date, sha), file_rows in files.items():
        path = raw_dir / table / f"load_date={load_date.isoformat()}" / f"{sha}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(file_rows, schema=RAW_TABLES[table]), path)


def _run(run_id, attempt, customer, status, updated, started=None, finished=None) -> dict:
    return {
        "run_id": run_id,
        "attempt": attempt,
        "customer_id": customer,
        "project_id": "prj_1",
        "run_type": "microservice",
        "trigger": "manual" if attempt == 1 else "retry",
        "status": status,
        "queued_at": _ts(started or updated),
        "started_at": started and _ts(started),
        "finished_at": finished and _ts(finished),
        "updated_at": _ts(updated),
    }


RUNS_A = [
    _run("r1", 1, "cus_0001", "running", "2026-10-01 09:05", started="2026-10-01 09:00"),
    _run("r2", 1, "cus_0001", "running", "2026-10-01 11:05", started="2026-10-01 11:00"),
    _run("r3", 1, "cus_0002", "queued", "2026-10-01 12:00"),
]
# The next export repeats r1's first snapshot and moves every run on.
RUNS_B = [
    RUNS_A[0],
    _run("r1", 1, "cus_0001", "failed", "2026-10-01 09:31", "2026-10-01 09:00", "2026-10-01 09:30"),
    _run(
        "r1", 2, "cus_0001", "succeeded", "2026-10-01 10:21", "2026-10-01 10:00", "2026-10-01 10:20"
    ),
    _run(
        "r2", 1, "cus_0001", "succeeded", "2026-10-02 00:11", "2026-10-01 11:00", "2026-10-02 00:10"
    ),
    _run("r4", 1, "cus_0002", "running", "2026-10-02 08:05", started="2026-10-02 08:00"),
]


def _span(span_id, customer, operation="chat", provider=None, model=None, **tokens) -> dict:
    return {
        "trace_id": "0af7651916cd43dd8448eb211c80319c",
        "span_id": span_id,
        "span_name": f"{operation} {model or ''}".strip(),
        "span_kind": "CLIENT",
        "start_at": _ts("2026-10-01 10:00:00"),
        "end_at": _ts("2026-10-01 10:00:05"),
        "status_code": "OK",
        "operation_name": operation,
        "provider_name": provider,
        "request_model": model,
        "customer_id": customer,
        **tokens,
    }


# cus_0001: 10,000 input tokens of which 6,000 cache reads and 2,000 cache writes, 1,000 output
# tokens of which 200 reasoning, priced as claude-sonnet-4-5:
#   2,000 x 3.00 + 6,000 x 0.30 + 2,000 x 3.75 + 1,000 x 15.00 = 30,300 USD/M = 0.0303 USD
SONNET_CALL = {
    **_span("b7ad6b7169203331", "cus_0001", provider="anthropic", model="claude-sonnet-4-5"),
    "response_model": "claude-sonnet-4-5-20250929",
    "input_tokens": 10_000,
    "cache_read_input_tokens": 6_000,
    "cache_creation_input_tokens": 2_000,
    "output_tokens": 1_000,
    "reasoning_output_tokens": 200,
}
SPANS_A = [
    SONNET_CALL,
    # 2,000 x 1.25 + 500 x 10.00 = 7,500 USD/M = 0.0075 USD
    _span(
        "00f067aa0ba902b7",
        "cus_0001",
        provider="openai",
        model="gpt-5",
        input_tokens=2_000,
        output_tokens=500,
        reasoning_output_tokens=100,
    ),
    _span("1a2b3c4d5e6f7081", "cus_0001", operation="execute_tool"),
    # an agent span sums the usage of its calls: not a call itself
    _span("9f8e7d6c5b4a3921", "cus_0001", operation="invoke_agent", input_tokens=12_000),
    # no customer, claude-haiku-4-5 at its 2026-09-01 price: 1,000 x 0.80 + 100 x 4.00 = 0.0012
    _span(
        "aaaabbbbccccdddd",
        None,
        provider="anthropic",
        model="claude-haiku-4-5",
        input_tokens=1_000,
        output_tokens=100,
    ),
]
SPANS_B = [SONNET_CALL]  # the same span exported again


def _point(series, name, customer, temporality, start, time, value) -> dict:
    return {
        "metric_name": name,
        "metric_type": "sum",
        "temporality": temporality,
        "is_monotonic": True,
        "series_key": series,
        "start_at": _ts(start),
        "time_at": _ts(time),
        "value": value,
        "customer_id": customer,
    }


def _commits(start, time, value) -> dict:
    return _point("s-commits", "droid.git.commits", "cus_0001", "cumulative", start, time, value)


def _tools(time, value) -> dict:
    return _point("s-tools", "droid.tool.invocations", None, "delta", time, time, value)


# Cumulative commits 2, 5 | re-exported 2, 5, then 6 | reset 1, 3: 2 + 3 + 1 + 1 + 2 = 9.
METRICS_A = [
    _commits("2026-10-01 08:00", "2026-10-01 09:00", 2),
    _commits("2026-10-01 08:00", "2026-10-01 10:00", 5),
    _tools("2026-10-01 10:00", 4),
]
METRICS_B = [
    _commits("2026-10-01 08:00", "2026-10-01 09:00", 2),
    _commits("2026-10-01 08:00", "2026-10-01 10:00", 5),
    _commits("2026-10-01 08:00", "2026-10-01 11:00", 6),
    _commits("2026-10-01 12:00", "2026-10-01 13:00", 1),
    _commits("2026-10-01 12:00", "2026-10-01 14:00", 3),
    _tools("2026-10-01 10:00", 4),
    _tools("2026-10-01 11:00", 6),
]


def _cost(day: str, cost: str, tags: str | None, sku: str = "m5.large") -> dict:
    amount = Decimal(cost)
    return {
        "BilledCost": amount,
        "EffectiveCost": amount,
        "ListCost": amount,
        "BillingCurrency": "USD",
        "ChargePeriodStart": _ts(f"{day} 00:00:00"),
        "ChargePeriodEnd": _ts(f"{day} 01:00:00"),
        "ChargeCategory": "Usage",
        "ProviderName": "AWS",
        "ServiceCategory": "Compute",
        "SkuId": sku,
        "Tags": tags,
    }


# cus_0001 holds two identical 1.25 charges in one file (both count: 2.50), cus_0002 one 12.50;
# the re-exported file adds nothing, and untagged cost is not dedicated to anyone.
FOCUS_A = [
    _cost("2026-10-01", "1.250000000000", '{"factory:customer": "cus_0001"}'),
    _cost("2026-10-01", "1.250000000000", '{"factory:customer": "cus_0001"}'),
    _cost("2026-10-02", "12.500000000000", '{"factory:customer": "cus_0002"}', "c5.xlarge"),
    _cost("2026-10-02", "100.000000000000", '{"factory:component": "control-plane"}'),
]

RAW_ROWS = {
    "runs": _from_file("runs/a.jsonl", "2026-10-01 10:00", *RUNS_A)
    + _from_file("runs/b.jsonl", "2026-10-02 10:00", *RUNS_B),
    "spans": _from_file("telemetry/a.jsonl", "2026-10-01 12:00", *SPANS_A)
    + _from_file("telemetry/b.jsonl", "2026-10-02 12:00", *SPANS_B),
    "metric_points": _from_file("telemetry/a.jsonl", "2026-10-01 12:00", *METRICS_A)
    + _from_file("telemetry/c.jsonl", "2026-10-02 12:00", *METRICS_B),
    "focus_costs": _from_file("billing/a.csv", "2026-10-02 06:00", *FOCUS_A)
    + _from_file("billing/a-again.csv", "2026-10-03 06:00", *FOCUS_A),
    "customers": _from_file(
        "customers/a.csv", "2026-10-01 00:00", {"customer_id": "cus_0001", "name": "Acme"}
    )
    + _from_file(
        "customers/b.csv",
        "2026-10-02 00:00",
        {"customer_id": "cus_0001", "name": "Acme Corp", "plan": "team"},
        {"customer_id": "cus_0002", "name": "Globex", "plan": "free"},
    ),
    "projects": _from_file(
        "projects/a.csv", "2026-10-01 00:00", {"project_id": "prj_1", "customer_id": "cus_0001"}
    ),
}


def dbt_build(workdir: Path, warehouse: Path) -> int:
    """Runs the real `dbt build` on `warehouse`, its target, logs and output inside `workdir`."""
    env = {**os.environ, "FACTORY_WAREHOUSE_DB": str(warehouse), "DO_NOT_TRACK": "1"}
    args = [
        str(DBT),
        "build",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(workdir / "target"),
        "--log-path",
        str(workdir / "logs"),
    ]
    with (workdir / "dbt_build.out").open("w") as output:
        return subprocess.run(args, env=env, stdout=output, stderr=subprocess.STDOUT).returncode


@dataclass
class Build:
    """The outcome of one `dbt build`."""

    warehouse: Path
    returncode: int
    output: str

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Build]:
    """`dbt build` on an empty and on a populated raw zone, side by side (each takes ~13 s)."""
    warehouses = {}
    for name, rows in {"empty": {}, "populated": RAW_ROWS}.items():
        workdir = tmp_path_factory.mktemp(f"dbt_{name}")
        write_raw_zone(workdir / "raw", rows)
        register_raw_views(workdir / "warehouse.duckdb", workdir / "raw")
        warehouses[name] = workdir
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(warehouses)) as pool:
        returncodes = {
            name: pool.submit(dbt_build, workdir, workdir / "warehouse.duckdb")
            for name, workdir in warehouses.items()
        }
    print(f"\n2 x dbt build, side by side: {time.monotonic() - started:.1f} s")
    return {
        name: Build(
            workdir / "warehouse.duckdb",
            returncodes[name].result(),
            (workdir / "dbt_build.out").read_text(),
        )
        for name, workdir in warehouses.items()
    }


def _usage(build: Build) -> dict[tuple[str, date], dict]:
    columns = [
        "runs_started",
        "run_attempts_started",
        "runs_succeeded",
        "llm_calls",
        "unpriced_llm_calls",
        "input_tokens",
        "uncached_input_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "output_tokens",
        "total_tokens",
        "git_commits",
        "tool_invocations",
        "ai_cost_usd",
        "dedicated_infra_cost_usd",
    ]
    rows = build.query(
        f"select customer_id, usage_date, {', '.join(columns)} from marts.customer_daily_usage"
    )
    return {(row[0], row[1]): dict(zip(columns, row[2:], strict=True)) for row in rows}


def test_dbt_build_passes_on_empty_raw_tables(builds):
    build = builds["empty"]
    assert build.returncode == 0, build.output[-5000:]
    assert build.query("select count(*) from marts.customer_daily_usage") == [(0,)]
    assert build.query("select customer_id from marts.dim_customers") == [("unattributed",)]


def test_dbt_build_passes_on_sample_raw_tables(builds):
    build = builds["populated"]
    assert build.returncode == 0, build.output[-5000:]
    assert "ERROR=0" in build.output


def test_models_land_in_plain_layer_schemas(builds):
    schemas = builds["populated"].query(
        "select distinct table_schema from information_schema.tables"
        " where table_catalog = 'warehouse' order by 1"
    )
    assert [s for (s,) in schemas] == ["intermediate", "marts", "raw", "seeds", "staging"]


def test_mart_has_one_row_per_customer_and_active_day(builds):
    assert set(_usage(builds["populated"])) == {
        ("cus_0001", DAY_1),
        ("cus_0001", DAY_2),
        ("cus_0002", DAY_2),
        ("unattributed", DAY_1),
    }


def test_overlapping_run_exports_count_each_attempt_once(builds):
    usage = _usage(builds["populated"])
    # day 1: r1 (attempts 1 and 2) and r2 started; r1 succeeded on its retry
    assert usage[("cus_0001", DAY_1)]["runs_started"] == 2
    assert usage[("cus_0001", DAY_1)]["run_attempts_started"] == 3
    assert usage[("cus_0001", DAY_1)]["runs_succeeded"] == 1
    # r2 finished after midnight; r3 never started
    assert usage[("cus_0001", DAY_2)]["runs_succeeded"] == 1
    assert usage[("cus_0001", DAY_2)]["runs_started"] == 0
    assert usage[("cus_0002", DAY_2)]["runs_started"] == 1


def test_llm_tokens_and_cost_count_a_re_exported_span_once(builds):
    day = _usage(builds["populated"])[("cus_0001", DAY_1)]
    assert day["llm_calls"] == 2
    assert day["unpriced_llm_calls"] == 0
    assert day["input_tokens"] == 12_000
    assert day["uncached_input_tokens"] == 4_000
    assert day["cache_read_tokens"] == 6_000
    assert day["cache_write_tokens"] == 2_000
    assert day["output_tokens"] == 1_500  # reasoning tokens are inside output tokens
    assert day["total_tokens"] == 13_500
    assert day["ai_cost_usd"] == Decimal("0.0378")


def test_telemetry_without_customer_counts_as_unattributed(builds):
    day = _usage(builds["populated"])[("unattributed", DAY_1)]
    assert day["llm_calls"] == 1
    assert day["total_tokens"] == 1_100
    assert day["ai_cost_usd"] == Decimal("0.0012")
    assert day["tool_invocations"] == 10  # delta points, the one exported twice counted once


def test_cumulative_metrics_count_each_increase_once(builds):
    assert _usage(builds["populated"])[("cus_0001", DAY_1)]["git_commits"] == 9


def test_dedicated_infra_cost_counts_a_re_exported_file_once(builds):
    usage = _usage(builds["populated"])
    assert usage[("cus_0001", DAY_1)]["dedicated_infra_cost_usd"] == Decimal("2.5")
    assert usage[("cus_0002", DAY_2)]["dedicated_infra_cost_usd"] == Decimal("12.5")
    assert usage[("cus_0001", DAY_2)]["dedicated_infra_cost_usd"] == 0


def test_dim_customers_takes_the_latest_export(builds):
    rows = builds["populated"].query(
        "select customer_id, customer_name, plan_name, number_of_projects, is_unattributed"
        " from marts.dim_customers order by customer_id"
    )
    assert rows == [
        ("cus_0001", "Acme Corp", "team", 1, False),
        ("cus_0002", "Globex", "free", 0, False),
        ("unattributed", "Unattributed telemetry", None, 0, True),
    ]


def test_uniqueness_tests_fail_on_a_duplicated_key(builds, tmp_path: Path):
    """`unique` and `unique_combination_of_columns` (two passes through `duplicate_keys`) find a
    duplicated row and report its key once, with its count."""
    warehouse = tmp_path / "warehouse.duckdb"
    warehouse.write_bytes(builds["populated"].warehouse.read_bytes())
    with duckdb.connect(str(warehouse)) as con:
        for table in ("marts.fct_runs", "intermediate.int_run_attempts_deduplicated"):
            con.execute(f"insert into {table} select * from {table} limit 1")
    env = {**os.environ, "FACTORY_WAREHOUSE_DB": str(warehouse), "DO_NOT_TRACK": "1"}
    tests = [
        "unique_fct_runs_run_id",
        "unique_combination_of_columns_int_run_attempts_deduplicated_run_id__attempt",
    ]
    args = [str(DBT), "test", "--select", *tests]
    args += ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    args += ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stdout[-3000:]
    # PASS counts the project's three on-run hooks (data test coverage)
    assert "PASS=3 WARN=0 ERROR=2" in done.stdout, done.stdout[-3000:]
    assert done.stdout.count("Got 1 result, configured to fail if != 0") == 2
    compiled = list((tmp_path / "target" / "compiled").rglob("unique*.sql"))
    assert len(compiled) == 2
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for path in compiled:
            sql = path.read_text()
            assert "repeated_hashes" in sql, "the project's tests, not dbt's built-in unique"
            rows = con.execute(sql).fetchall()
            assert len(rows) == 1 and rows[0][-1] == 2, path.name


def test_an_allocation_method_missing_from_the_list_fails_the_build(builds, tmp_path: Path):
    """fct_cost_allocations lists each row's methods from a bitmask over allocation_methods()
    (macros/allocation/allocation_methods.sql): a method added to an allocation model but not to
    that list must stop the build by name, not vanish from the row."""
    warehouse = tmp_path / "warehouse.duckdb"
    warehouse.write_bytes(builds["populated"].warehouse.read_bytes())
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into intermediate.int_cost_allocations"
            " select * replace ('by_moon_phase' as allocation_method)"
            " from intermediate.int_cost_allocations limit 1"
        )
    env = {**os.environ, "FACTORY_WAREHOUSE_DB": str(warehouse), "DO_NOT_TRACK": "1"}
    args = [str(DBT), "run", "--select", "fct_cost_allocations", "--full-refresh"]
    args += ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    args += ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stdout[-3000:]
    assert "allocation method missing from allocation_methods(): by_moon_phase" in done.stdout
