"""The incremental billing and allocation chain, the daily marts built the same way and the
marts of sessions and runs that read it: a refresh recomputes only the days (or the sessions and
runs of the days) whose inputs changed, and its result equals a full rebuild of the same raw
zone.

A warehouse is built on 3 generated days; then the 4th day (and its month's invoices) arrives
with a corrected FOCUS file for day 1 and a re-export of day 2, and is refreshed with the
partition window of day 4 only (the Dagster/benchmark refresh); then another late FOCUS file for
day 2 arrives and is refreshed without a window (a plain `dbt build`, as Dagster's fact inputs).
After each refresh every incremental model equals a full rebuild (sorted rows, money to the
cent) and the reconciliation tests pass.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from benchmarks.scale import generate_held_back, release_held
from ingestion.pipeline import ingest_inbox
from ingestion.warehouse import register_raw_views
from tests.dbt_helpers import compiled_model, run_dbt

MODELS = {
    "intermediate": (
        "int_cost_objects_daily",
        "int_focus_costs_deduplicated",
        "int_focus_costs_daily",
        "int_data_plane_usage_daily",
        "int_cost_pools_daily",
        "int_allocation_targets_daily",
        "int_cost_allocations_ai",
        "int_cost_allocations_data_plane",
        "int_cost_allocations_platform",
        "int_cost_allocations_shared",
        "int_cost_allocations",
    ),
    "marts": (
        "fct_infra_costs",
        "fct_sessions",
        "fct_cost_allocations",
        "cost_daily",
        "run_performance_daily",
        "run_costs",
    ),
}
# the incremental models, their parents and the models and tests that check reconciliation
SELECTION = "+cost_daily +fct_infra_costs +run_performance_daily +run_costs"
ALLOCATION_METHODS = [m for m in MODELS["intermediate"] if m.startswith("int_cost_allocations_")]
CENT = Decimal("0.01")
SCENARIOS = ("with_window", "without_window")
ALL_MODELS = [(schema, model) for schema, models in MODELS.items() for model in models]


def dbt(home: Path, database: Path, *args: str, partition_window: str | None = None) -> str:
    return run_dbt(home, *args, database=database, partition_window=partition_window)


def build(home: Path, *args: str, partition_window: str | None = None) -> str:
    # cautious: only the tests whose parents are all selected
    selection = ("--select", SELECTION, "--indirect-selection", "cautious")
    database = home / "warehouse.duckdb"
    return dbt(home, database, "build", *selection, *args, partition_window=partition_window)


def ingest(home: Path) -> None:
    ingest_inbox(home / "inbox", home / "raw")
    register_raw_views(home / "warehouse.duckdb", home / "raw")


def _rounded(value: object) -> object:
    # money to the cent; a double to 9 significant digits (summation order)
    if isinstance(value, Decimal):
        return value.quantize(CENT)
    if isinstance(value, float):
        return float(f"{value:.9g}")
    return value


def rows(database: Path, schema: str, table: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        fetched = con.execute(f"select * from {schema}.{table}").fetchall()
    return sorted((tuple(_rounded(v) for v in row) for row in fetched), key=repr)


def rebuilt(home: Path, name: str, partition_window: str | None = None) -> Path:
    """A full rebuild of the same raw zone, in a copy of the warehouse file (same target: dbt
    reuses its parse)."""
    copy = home.parent / f"{name}.duckdb"
    shutil.copy(home / "warehouse.duckdb", copy)
    run = ("run", "--select", SELECTION, "--full-refresh")
    dbt(home, copy, *run, partition_window=partition_window)
    return copy


def focus_rows(path: Path) -> tuple[list[str], list[dict]]:
    text = gzip.decompress(path.read_bytes()).decode()
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


def write_focus(path: Path, columns: list[str], records: list[dict]) -> None:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(records)


def late_correction(billing: Path, day: date, label: str, factor: str) -> None:
    """A late FOCUS file for an earlier day: some of its rows again with other amounts (new
    charges), one of them spread over that day and the next."""
    columns, records = focus_rows(billing / f"focus-infra-{day}.csv.gz")
    corrected = []
    for record in records[:6]:
        record = dict(record)
        for column in ("BilledCost", "EffectiveCost", "ListCost"):
            if record[column] not in ("", "NULL"):
                record[column] = str(Decimal(record[column]) * Decimal(factor))
        corrected.append(record)
    corrected[0]["ChargePeriodEnd"] = f"{day + timedelta(days=2)} 00:00:00"
    write_focus(billing / f"focus-infra-{day}-{label}.csv", columns, corrected)


def listed_days(compiled_sql: str) -> set[str]:
    """The days a compiled model names: the days it recomputes, and its window's bounds."""
    return set(re.findall(r"cast\('(\d{4}-\d{2}-\d{2})' as date\)", compiled_sql))


def window(day: date) -> str:
    return f"{day}/{day + timedelta(1)}"


@pytest.fixture(scope="module")
def refreshes(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("incremental_allocation")
    home = tmp / "home"
    generated = generate_held_back(tmp / "generated", home, days=3, customers=1, scale=0.3, seed=7)
    first_day = date.fromisoformat(generated["first_day"])
    last_day = date.fromisoformat(generated["last_day"])
    ingest(home)
    build(home, "--exclude", "resource_type:test", "resource_type:unit_test")
    # the usage's SQL as a full build compiles it: every day
    usage_sql = compiled_model(home, "int_data_plane_usage_daily")
    # ingestion leaves the inbox files where they are: the late files are made from them
    billing = home / "inbox" / "billing"
    second_day = first_day + timedelta(days=1)

    # day 4 arrives, with a corrected file for day 1 and a re-export of day 2; refreshed with
    # the partition window of day 4 only
    release_held(tmp / "generated" / "held", home)
    late_correction(billing, first_day, "corrected", "-0.25")
    (billing / f"focus-infra-{second_day}-reexport.csv").write_bytes(
        gzip.decompress((billing / f"focus-infra-{second_day}.csv.gz").read_bytes())
    )
    ingest(home)
    with_window = build(home, partition_window=window(last_day))
    compiled_with_window = {model: compiled_model(home, model) for model in ALLOCATION_METHODS}
    incremental_1 = tmp / "incremental_1.duckdb"
    shutil.copy(home / "warehouse.duckdb", incremental_1)
    rebuilt_1 = rebuilt(home, "rebuilt_1", window(last_day))

    # another late file, for day 2; a plain build without a window
    late_correction(billing, second_day, "late", "1.5")
    ingest(home)
    log = home / "logs" / "dbt.log"  # dbt logs every statement it runs there
    logged_before = log.stat().st_size
    without_window = build(home)
    statements = log.read_bytes()[logged_before:].decode()
    compiled = {model: compiled_model(home, model) for _, model in ALL_MODELS}
    incremental_2 = tmp / "incremental_2.duckdb"
    shutil.copy(home / "warehouse.duckdb", incremental_2)
    rebuilt_2 = rebuilt(home, "rebuilt_2")
    return {
        "with_window": (incremental_1, rebuilt_1, with_window),
        "without_window": (incremental_2, rebuilt_2, without_window),
        "compiled": compiled,
        "compiled_with_window": compiled_with_window,
        "usage_sql": usage_sql,
        "statements": statements,
        "first_day": first_day,
        "second_day": second_day,
    }


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize(("schema", "model"), ALL_MODELS)
def test_a_refresh_equals_a_full_rebuild(refreshes, scenario, schema, model):
    incremental, full, output = refreshes[scenario]
    assert f"incremental model {schema}.{model}" in output, "built incrementally"
    assert rows(incremental, schema, model) == rows(full, schema, model)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_refresh_passes_the_reconciliation_tests(refreshes, scenario):
    output = refreshes[scenario][2]
    assert "assert_focus_costs_kept_whole_by_day" in output
    assert "ERROR=0" in output
    # and every day's allocated cost equals its FOCUS cost, to the cent
    with duckdb.connect(str(refreshes[scenario][0]), read_only=True) as con:
        differences = con.execute(
            """
            with focus as (
                select cost_date, billing_currency, sum(effective_cost) as effective,
                    sum(billed_cost) as billed
                from marts.fct_infra_costs group by all
            ),
            allocated as (
                select cost_date, billing_currency, sum(effective_cost) as effective,
                    sum(billed_cost) as billed
                from marts.fct_cost_allocations group by all
            )
            select focus.cost_date,
                greatest(
                    abs(focus.effective - coalesce(allocated.effective, 0)),
                    abs(focus.billed - coalesce(allocated.billed, 0))
                ) as difference
            from focus left join allocated using (cost_date, billing_currency)
            """
        ).fetchall()
    assert len(differences) >= 4
    assert all(difference < Decimal("0.005") for _, difference in differences), differences


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_late_files_of_earlier_days_changed_those_days(refreshes, scenario):
    """The late files did change earlier days (so the comparison above means something)."""
    day = refreshes["first_day"] if scenario == "with_window" else refreshes["second_day"]
    incremental = refreshes[scenario][0]
    with duckdb.connect(str(incremental), read_only=True) as con:
        [(lines,)] = con.execute(
            "select count(*) from intermediate.int_focus_costs_deduplicated"
            " where _source_file like ?",
            [f"%{day}-{'corrected' if scenario == 'with_window' else 'late'}%"],
        ).fetchall()
    assert lines == 6


# by row, session or run, not day
KEYED_MODELS = (
    "int_cost_objects_daily",
    "int_focus_costs_deduplicated",
    "int_focus_costs_daily",
    "fct_sessions",
    "run_costs",
)


# The pools each allocation method allocates (dbt_project/macros/allocation/).
ALLOCATED_COMPONENTS = {
    "int_cost_allocations_ai": {"ai_inference"},
    "int_cost_allocations_data_plane": {"data_plane"},
    "int_cost_allocations_platform": {"control_plane", "storage", "network", "dedicated"},
    "int_cost_allocations_shared": {"shared"},
}


def late_file_components(refreshes: dict) -> set[str]:
    """The cost components of the rows of the late file for day 2."""
    with duckdb.connect(str(refreshes["without_window"][0]), read_only=True) as con:
        found = con.execute(
            "select distinct daily.cost_component"
            " from intermediate.int_focus_costs_daily as daily"
            " inner join intermediate.int_focus_costs_deduplicated as focus using (focus_cost_id)"
            " where focus._source_file like '%-late.csv'"
        ).fetchall()
    return {component for (component,) in found}


# the daily models that read no bill: cost objects, runs, run attempts
READ_NO_BILL = {
    "int_allocation_targets_daily",
    "run_performance_daily",
    "int_data_plane_usage_daily",
}


@pytest.mark.parametrize("model", [m for _, m in ALL_MODELS if m not in KEYED_MODELS])
def test_the_refresh_recomputes_only_the_changed_days(refreshes, model):
    """Without a window, the late file for day 2 (one of its rows spread over days 2 and 3) changed
    those two days only: every daily model recomputed exactly them, but the allocation targets
    (cost objects only: no bill), the run performance and data-plane usage (run attempts only)
    and the allocation methods whose pools the file does not bill nothing (the shared costs also
    follow the data-plane and platform allocations, which they share out after)."""
    components = late_file_components(refreshes)
    assert components and "ai_inference" not in components  # an infrastructure bill
    billed = {m for m, allocated in ALLOCATED_COMPONENTS.items() if allocated & components}
    if billed & {"int_cost_allocations_data_plane", "int_cost_allocations_platform"}:
        billed.add("int_cost_allocations_shared")  # shares out after them
    day = refreshes["second_day"]
    if model in READ_NO_BILL or (model in ALLOCATED_COMPONENTS and model not in billed):
        assert "1 = 0" in refreshes["compiled"][model]
        day = None
    listed = listed_days(refreshes["compiled"][model])
    assert listed == ({str(day), str(day + timedelta(days=1))} if day else set())


@pytest.mark.parametrize("model", ALLOCATION_METHODS)
def test_an_invoice_recomputes_the_ai_allocation_only(refreshes, model):
    """With day 4 came its month's LLM invoices, which restate the AI pools of every day of the
    month. Day 3 changed in nothing else: the AI allocation recomputed it, the infrastructure
    methods (their pools, targets and usage unchanged on day 3) did not."""
    day_3 = refreshes["first_day"] + timedelta(days=2)
    listed = listed_days(refreshes["compiled_with_window"][model])
    assert (str(day_3) in listed) == (model == "int_cost_allocations_ai"), sorted(listed)


def test_the_billing_rows_are_read_once(refreshes):
    """The deduplication reads only the raw files it holds no row of (their hashes inlined): the
    new late file, and the re-export of day 2, whose rows all lost to the first load (read again
    at each refresh, and again adding nothing); the daily spread only the rows not spread yet."""
    compiled = refreshes["compiled"]
    with duckdb.connect(str(refreshes["without_window"][0]), read_only=True) as con:
        expected = {
            sha
            for (sha,) in con.execute(
                "select distinct _file_sha256 from raw.focus_costs"
                " where _source_file like '%-late.csv' or _source_file like '%-reexport.csv'"
            ).fetchall()
        }
    listed = set(re.findall(r"'([0-9a-f]{64})'", compiled["int_focus_costs_deduplicated"]))
    assert len(expected) == 2 and listed == expected
    assert "focus_cost_id not in" in compiled["int_focus_costs_daily"]


def logged_statements(refreshes: dict) -> list[str]:
    """The refresh's statements as dbt logged them: one entry each, "On model.<project>.<model>:"
    and its SQL."""
    return re.split(r"\n(?=\S*\d\d:\d\d:\d\d\.\d+ \[)", refreshes["statements"])


@pytest.mark.parametrize("model", [m for _, m in ALL_MODELS if m != "int_focus_costs_deduplicated"])
def test_a_refresh_reads_the_inputs_for_their_digests_once(refreshes, model):
    """The days to recompute (compilation), the delete (pre-hook) and the digests kept
    (post-hook) share one pass over the model's inputs, and no pass is left pending."""
    entries = logged_statements(refreshes)
    # (the digests of the inputs, hashed or read from their upstream's, are a pending table)
    passes = [
        e for e in entries if f".{model}: " in e and f'{model}__input_digests_pending" as' in e
    ]
    assert len(passes) == 1
    with duckdb.connect(str(refreshes["without_window"][0]), read_only=True) as con:
        tables = {
            name for (name,) in con.execute("select table_name from duckdb_tables()").fetchall()
        }
    assert f"{model}__input_digests" in tables
    assert f"{model}__input_digests_pending" not in tables


@pytest.mark.parametrize(
    ("model", "lookup"),
    [
        ("int_llm_costs_daily", "with priced_days as"),  # the days to recompute
        ("int_spans_deduplicated", "as file_hash from"),  # the raw files not seen yet
        ("int_llm_calls_priced", "as file_hash from"),
    ],
)
def test_a_lookup_before_the_model_writes_runs_once(refreshes, model, lookup):
    """The compilation and the pre-hooks render the same lookup; the first runs it, the others
    read what it found (lookup_once.sql)."""
    entries = logged_statements(refreshes)
    assert len([e for e in entries if f".{model}: " in e and lookup in e]) == 1


def test_a_model_digests_an_upstream_by_the_digests_it_stored(refreshes):
    """cost_daily reads fct_cost_allocations whole, on its day: the refresh digested it by the
    digests fct_cost_allocations stored (a row per input and day), not by hashing its rows."""
    entries = logged_statements(refreshes)
    [pending] = [e for e in entries if 'cost_daily__input_digests_pending" as' in e]
    assert '"fct_cost_allocations__input_digests"' in pending
    assert "hash(digested)" not in pending


def test_the_data_plane_usage_is_the_same_on_every_rebuild(refreshes, tmp_path):
    """The usage is digested per day by the data-plane allocation, which recomputes a day when
    any of its rows changed. A sum of doubles changes in its last bits with the order DuckDB's
    threads add them (at the default scale, 160 of the 366 days on a rebuild of the same rows);
    the usage's sum is exact, so computing a day again, or a full build, changes no row."""
    sql = refreshes["usage_sql"]
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:  # the compiled catalog
        con.execute("set threads = 4; create schema intermediate")
        # many attempts per day, pool and run, spread over every row group (so over threads)
        con.execute(
            """
            create table intermediate.int_run_attempts_split_by_day as
            select
                date '2026-01-01' + cast(i % 30 as integer) as usage_date,
                'pool-' || (i % 3) as worker_pool,
                'run-' || (i % 20000) as run_id,
                'customer' as customer_id,
                'project' as project_id,
                cast(1 + hash(i) % 3600000 as bigint) / 1000.0 as busy_seconds
            from range(2000000) as numbers (i)
            """
        )
        digest = f"select count(*), sum(cast(hash(usage) as hugeint)) from ({sql}) as usage"
        digests = {tuple(con.execute(digest).fetchall()) for _ in range(5)}
        keys = "select count(distinct (usage_date, worker_pool, run_id))"
        table = "intermediate.int_run_attempts_split_by_day"
        [(every_key,)] = con.execute(f"{keys} from {table}").fetchall()
    [[(rows, _)]] = digests
    assert rows == every_key  # a full build's SQL: every day
