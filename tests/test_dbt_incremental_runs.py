"""The run models built per attempt are incremental: a refresh rebuilds only the attempts whose
winning snapshot is new, and its tables equal a full rebuild.

The refresh brings a new day, an earlier day's export sent again (its snapshots win their ties
as the later load), a later snapshot of a finished attempt that lists no jobs (its jobs and steps
must go) and a later snapshot of another that finished later (its busy time grows).
"""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from benchmarks.scale import generate_held_back, release_held
from tests.dbt_helpers import ingest_home, run_dbt

MODELS = {
    "int_run_attempts_deduplicated": "intermediate",
    "int_run_jobs_deduplicated": "intermediate",
    "int_run_steps_deduplicated": "intermediate",
    "int_run_attempts_split_by_day": "intermediate",
    "int_run_attempts_split_by_hour": "intermediate",
    "fct_run_jobs": "marts",
    "fct_run_steps": "marts",
}
STEP_TABLES = ("intermediate.int_run_steps_deduplicated", "marts.fct_run_steps")


def dbt_run(home: Path, *args: str) -> str:
    return run_dbt(home, "run", "--select", " ".join(f"+{model}" for model in MODELS), *args)


def ingest(home: Path) -> None:
    ingest_home(home, ("runs", "customers", "projects"))


def snapshots(path: Path) -> list[dict]:
    return [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]


def later(timestamp: str, **delta: float) -> str:
    moved = datetime.fromisoformat(timestamp.replace("Z", "+00:00")) + timedelta(**delta)
    return moved.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def table_rows(database: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return sorted(con.execute(f"select * from {table}").fetchall(), key=repr)


def finished_with_jobs(lines: list[dict], exclude: set[str]) -> list[dict]:
    return [
        s for s in lines if s["status"] == "succeeded" and s["jobs"] and s["run_id"] not in exclude
    ]


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("incremental-runs")
    home = tmp / "home"
    generated = generate_held_back(tmp / "generated", home, days=3, customers=1, scale=0.3, seed=5)
    ingest(home)
    dbt_run(home)

    runs = home / "inbox" / "runs"
    first_day, second_day = sorted(runs.glob("runs-*.jsonl.gz"))[:2]
    held = (tmp / "generated" / "held").rglob("runs-*")
    held_ids = {s["run_id"] for path in held for s in snapshots(path)}
    first_ids = {s["run_id"] for s in snapshots(first_day)}
    # corrections of two finished attempts of the second day: one lost its jobs, one ran longer
    lost, longer = finished_with_jobs(snapshots(second_day), held_ids | first_ids)[:2]
    lost = {**lost, "updated_at": later(lost["updated_at"], hours=1), "jobs": []}
    longer = {
        **longer,
        "finished_at": later(longer["finished_at"], hours=3),
        "updated_at": later(longer["updated_at"], hours=3),
    }
    touched = held_ids | first_ids | {lost["run_id"], longer["run_id"]}
    # an attempt no new file mentions: the refresh must leave its rows alone
    untouched = finished_with_jobs(snapshots(second_day), touched)[0]["run_id"]
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        before = {
            run_id: [
                con.execute(f"select count(*) from {t} where run_id = ?", [run_id]).fetchall()[0][0]
                for t in STEP_TABLES
            ]
            for run_id in (lost["run_id"], untouched)
        }
        for table in STEP_TABLES:
            con.execute(f"update {table} set step_name = 'untouched' where run_id = ?", [untouched])

    release_held(tmp / "generated" / "held", home)
    last_day = generated["last_day"]
    (runs / f"runs-{last_day}-resent.jsonl").write_bytes(gzip.decompress(first_day.read_bytes()))
    corrections = "\n".join(json.dumps(s) for s in (lost, longer)) + "\n"
    (runs / f"runs-{last_day}-corrections.jsonl").write_text(corrections)
    ingest(home)
    output = dbt_run(home)

    incremental = tmp / "incremental.duckdb"
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        kept = [
            con.execute(
                f"select count(*) from {t} where run_id = ? and step_name = 'untouched'",
                [untouched],
            ).fetchall()[0][0]
            for t in STEP_TABLES
        ]
    shutil.copyfile(home / "warehouse.duckdb", incremental)
    dbt_run(home, "--full-refresh")
    return {
        "incremental": incremental,
        "rebuilt": home / "warehouse.duckdb",
        "output": output,
        "before": before,
        "kept": kept,
        "lost": lost["run_id"],
        "longer": longer,
        "untouched": untouched,
    }


def test_every_model_is_refreshed_incrementally(refreshed):
    for model, schema in MODELS.items():
        assert f"incremental model {schema}.{model}" in refreshed["output"]


# the step tables: test_only_changed_attempts_are_rebuilt, which knows their marked rows
@pytest.mark.parametrize(
    "table", [f"{s}.{m}" for m, s in MODELS.items() if f"{s}.{m}" not in STEP_TABLES]
)
def test_a_refresh_equals_a_full_rebuild(refreshed, table):
    assert table_rows(refreshed["incremental"], table) == table_rows(refreshed["rebuilt"], table)


def test_only_changed_attempts_are_rebuilt(refreshed):
    """The untouched attempt's steps keep the mark put on them before the refresh (a table rebuilt
    whole would have lost it); every other step row equals the full rebuild's."""
    steps_before = refreshed["before"][refreshed["untouched"]]
    assert steps_before[0] > 0
    assert refreshed["kept"] == steps_before
    for table in STEP_TABLES:
        incremental = table_rows(refreshed["incremental"], table)
        rebuilt = table_rows(refreshed["rebuilt"], table)
        assert len(incremental) == len(rebuilt)
        untouched = refreshed["untouched"]
        marked = [r for r in incremental if untouched in r and "untouched" in r]
        assert len(marked) == steps_before[0]
        assert [r for r in incremental if r not in marked] == [
            r for r in rebuilt if untouched not in r
        ]


def test_a_snapshot_without_jobs_removes_the_attempts_jobs_and_steps(refreshed):
    run_id = refreshed["lost"]
    assert refreshed["before"][run_id][0] > 0, "the attempt had steps before"
    with duckdb.connect(str(refreshed["incremental"]), read_only=True) as con:
        for table in ("int_run_jobs_deduplicated", "int_run_steps_deduplicated"):
            rows = con.execute(
                f"select count(*) from intermediate.{table} where run_id = ?", [run_id]
            ).fetchall()
            assert rows == [(0,)], table
        for table in ("fct_run_jobs", "fct_run_steps"):
            rows = con.execute(f"select count(*) from marts.{table} where run_id = ?", [run_id])
            assert rows.fetchall() == [(0,)], table


def test_a_longer_snapshot_extends_the_attempts_busy_time(refreshed):
    longer = refreshed["longer"]
    start = datetime.fromisoformat(longer["started_at"].replace("Z", "+00:00"))
    finish = datetime.fromisoformat(longer["finished_at"].replace("Z", "+00:00"))
    with duckdb.connect(str(refreshed["incremental"]), read_only=True) as con:
        busy = con.execute(
            "select sum(busy_seconds) from intermediate.int_run_attempts_split_by_hour "
            "where run_id = ? and attempt = ?",
            [longer["run_id"], longer["attempt"]],
        ).fetchall()[0][0]
    assert busy == pytest.approx((finish - start).total_seconds(), abs=0.01)
