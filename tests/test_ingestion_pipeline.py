"""The inbox-to-raw-zone pipeline: idempotency by content, crash safety, file selection."""

from __future__ import annotations

import gc
import os
import shutil
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ingestion import pipeline, raw_zone
from ingestion.errors import IngestionError
from ingestion.pipeline import ingest_inbox, ingest_source
from tests.ingestion_helpers import (
    FOCUS_SAMPLE,
    NOW,
    REPO_ROOT,
    ingest,
    read_raw,
    run_record,
    span,
    trace_request,
    write_file,
    write_jsonl,
)


def make_runs_inbox(inbox: Path) -> None:
    """Two run exports, one of them with a bad record (so there is a quarantine output too)."""
    write_jsonl(inbox / "runs/a.jsonl.gz", [run_record(run_id=f"a-{i}") for i in range(5)])
    write_jsonl(
        inbox / "runs/b.jsonl",
        [
            run_record(run_id="b-0"),
            run_record(run_id="b-1", attempt="two"),
            run_record(run_id="b-2"),
        ],
    )


def snapshot(raw: Path) -> dict[str, list]:
    """The content of the raw zone, as comparable sorted rows (without load times)."""
    keys = {
        "runs": ("_source_file", "_line_number", "run_id"),
        "run_jobs": ("_source_file", "_line_number", "job_id"),
        "run_steps": ("_source_file", "_line_number", "step_id"),
        "quarantine": ("source_file", "line_number", "reason"),
        "ingest_manifest": ("source_file", "rows_in", "rows_loaded", "rows_quarantined"),
    }
    return {
        table: sorted(tuple(row[c] for c in columns) for row in read_raw(raw, table))
        for table, columns in keys.items()
    }


# --- Idempotency --------------------------------------------------------------------------------


def test_reingesting_the_same_files_adds_nothing(tmp_path: Path):
    inbox, raw = tmp_path / "inbox", tmp_path / "raw"
    make_runs_inbox(inbox)
    first = ingest(inbox, raw, "runs")
    before = snapshot(raw)

    second = ingest(inbox, raw, "runs", now=NOW + timedelta(days=1))

    assert (first.files_loaded, first.rows_loaded, first.rows_quarantined) == (2, 7, 1)
    assert (second.files_seen, second.files_skipped, second.files_loaded) == (2, 2, 0)
    assert (second.rows_in, second.rows_loaded, second.rows_per_table) == (0, 0, {})
    assert snapshot(raw) == before


def test_a_renamed_copy_is_skipped_and_the_manifest_has_one_row_per_content(tmp_path: Path):
    inbox, raw = tmp_path / "inbox", tmp_path / "raw"
    make_runs_inbox(inbox)
    ingest(inbox, raw, "runs")
    shutil.copy(inbox / "runs/b.jsonl", inbox / "runs/b-copy.jsonl")
    (inbox / "runs/a.jsonl.gz").rename(inbox / "runs/z-renamed.jsonl.gz")
    messages: list[str] = []

    result = ingest(inbox, raw, "runs", messages=messages)

    assert (result.files_seen, result.files_skipped, result.rows_in) == (3, 3, 0)
    assert "runs/b-copy.jsonl: skipped, same content as runs/b.jsonl (already loaded)" in messages
    manifest = read_raw(raw, "ingest_manifest")
    assert sorted(m["source_file"] for m in manifest) == ["runs/a.jsonl.gz", "runs/b.jsonl"]
    assert len({m["file_sha256"] for m in manifest}) == 2


def test_two_copies_arriving_together_load_once(tmp_path: Path):
    inbox, raw = tmp_path / "inbox", tmp_path / "raw"
    write_jsonl(inbox / "runs/one.jsonl", [run_record()])
    shutil.copy(inbox / "runs/one.jsonl", inbox / "runs/two.jsonl")

    result = ingest(inbox, raw, "runs")

    assert (result.files_loaded, result.files_skipped, result.rows_loaded) == (1, 1, 1)


def test_unchanged_files_are_not_hashed_again(tmp_path: Path, monkeypatch):
    inbox, raw = tmp_path / "inbox", tmp_path / "raw"
    make_runs_inbox(inbox)
    ingest(inbox, raw, "runs")
    hashed: list[Path] = []
    real = pipeline.file_sha256
    monkeypatch.setattr(pipeline, "file_sha256", lambda p: hashed.append(p) or real(p))
    os.utime(inbox / "runs/b.jsonl", ns=(0, 1_000_000_000))  # touched: must be hashed again

    result = ingest(inbox, raw, "runs")

    assert result.files_skipped == 2
    assert hashed == [inbox / "runs/b.jsonl"]


def test_a_file_changed_in_place_is_loaded_as_new_content(tmp_path: Path):
    inbox, raw = tmp_path / "inbox", tmp_path / "raw"
    write_jsonl(inbox / "runs/live.jsonl", [run_record()])
    ingest(inbox, raw, "runs")
    write_jsonl(inbox / "runs/live.jsonl", [run_record(), run_record(run_id="run-2")])

    result = ingest(inbox, raw, "runs")

    assert result.rows_loaded == 2
    assert len(read_raw(raw, "ingest_manifest")) == 2


def test_the_manifest_index_cache_is_only_an_accelerator(tmp_path: Path):
    inbox, raw = tmp_path / "inbox", tmp_path / "raw"
    make_runs_inbox(inbox)
    ingest(inbox, raw, "runs")
    cache = raw / raw_zone.STATE_DIR / raw_zone.INDEX_FILE
    assert len(raw_zone.read_manifest(raw).by_sha) == 2

    cache.write_bytes(b"not parquet")  # corrupt: rebuilt from the manifest files
    assert ingest(inbox, raw, "runs").files_skipped == 2
    cache.unlink()  # missing: the same
    assert ingest(inbox, raw, "runs").files_skipped == 2
    # Stale (a file committed after the cache was saved): completed from the manifest files.
    stale = raw_zone.read_manifest(raw)
    write_jsonl(inbox / "runs/c.jsonl", [run_record(run_id="c")])
    ingest(inbox, raw, "runs")
    stale.changed = True
    raw_zone.save_manifest_index(raw, stale)
    index = raw_zone.read_manifest(raw)
    assert len(index.by_sha) == 3 and index.changed
    assert ingest(inbox, raw, "runs").rows_loaded == 0


# --- Crash safety -------------------------------------------------------------------------------

_CRASHING_INGEST = """
import os, signal, sys
from datetime import datetime
from pathlib import Path
from ingestion import raw_zone
from ingestion.pipeline import ingest_source

inbox, raw, crash_at = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
kind, n = crash_at.split(":")
calls = {"replace": 0, "flush": 0}
real_replace, real_flush = os.replace, raw_zone.FileOutputs._flush

def replace(src, dst):
    if kind == "replace" and calls["replace"] == int(n):
        os.kill(os.getpid(), signal.SIGKILL)
    calls["replace"] += 1
    real_replace(src, dst)

def flush(self, table, **kwargs):
    if kind == "flush" and calls["flush"] == int(n):
        os.kill(os.getpid(), signal.SIGKILL)
    calls["flush"] += 1
    real_flush(self, table, **kwargs)

os.replace = replace
raw_zone.FileOutputs._flush = flush
raw_zone.BATCH_ROWS, raw_zone.ROW_GROUP_ROWS = 1, 2  # several row groups, to crash between
ingest_source("runs", inbox, raw, now=datetime.fromisoformat(sys.argv[4]))
"""


def run_crashing_ingest(inbox: Path, raw: Path, crash_at: str, now=NOW) -> int:
    completed = subprocess.run(
        [sys.executable, "-c", _CRASHING_INGEST, str(inbox), str(raw), crash_at, now.isoformat()],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return completed.returncode


# Renames per file: runs, run_jobs, run_steps, [quarantine], manifest (a.jsonl.gz has no bad
# record: 4 renames; b.jsonl: 5). A flush follows every row (a row group every 2) while parsing.
CRASH_POINTS = [
    "flush:0",  # before anything is written
    "flush:3",  # mid-file, a row group already in raw/_tmp
    "replace:0",  # all of a.jsonl.gz written to raw/_tmp, nothing renamed
    "replace:2",  # a.jsonl.gz half renamed into place
    "replace:3",  # a.jsonl.gz all renamed, its manifest not yet
    "replace:6",  # a.jsonl.gz committed, b.jsonl half renamed
    "replace:8",  # b.jsonl all renamed (quarantine too), its manifest not yet
]


@pytest.mark.parametrize("crash_at", CRASH_POINTS)
def test_a_killed_ingestion_rerun_gives_no_duplicates_and_no_loss(tmp_path: Path, crash_at: str):
    inbox = tmp_path / "inbox"
    make_runs_inbox(inbox)
    ingest(inbox, tmp_path / "clean", "runs")
    expected = snapshot(tmp_path / "clean")

    assert run_crashing_ingest(inbox, tmp_path / "raw", crash_at) == -signal.SIGKILL
    ingest(inbox, tmp_path / "raw", "runs")

    assert snapshot(tmp_path / "raw") == expected
    assert not (tmp_path / "raw" / raw_zone.TMP_DIR).exists() or not any(
        (tmp_path / "raw" / raw_zone.TMP_DIR).iterdir()
    )


def test_orphans_of_a_crash_on_an_earlier_day_are_removed(tmp_path: Path):
    inbox, raw = tmp_path / "inbox", tmp_path / "raw"
    make_runs_inbox(inbox)
    # Killed on day 1 just before the first manifest: outputs of a.jsonl.gz are orphans.
    assert run_crashing_ingest(inbox, raw, "replace:3", now=NOW) == -signal.SIGKILL
    assert list((raw / "runs").glob("load_date=*/*.parquet"))

    ingest(inbox, raw, "runs", now=NOW + timedelta(days=1))

    day_2 = (NOW + timedelta(days=1)).date().isoformat()
    partitions = {p.parent.name for p in raw.glob("*/load_date=*/*.parquet")}
    assert partitions == {f"load_date={day_2}"}
    assert len(read_raw(raw, "runs")) == 7


def test_an_exception_before_the_manifest_leaves_the_file_unloaded(tmp_path: Path, monkeypatch):
    inbox, raw = tmp_path / "inbox", tmp_path / "raw"
    make_runs_inbox(inbox)

    def broken_manifest(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(raw_zone, "write_manifest", broken_manifest)
    with pytest.raises(OSError, match="disk full"):
        ingest(inbox, raw, "runs")
    monkeypatch.undo()

    result = ingest(inbox, raw, "runs")

    assert result.files_loaded == 2 and result.rows_loaded == 7
    assert len(read_raw(raw, "runs")) == 7
    assert len(read_raw(raw, "ingest_manifest")) == 2


# --- Files and folders --------------------------------------------------------------------------


def test_hidden_and_in_progress_files_are_ignored_and_sub_folders_read(tmp_path: Path):
    inbox, raw = tmp_path / "inbox", tmp_path / "raw"
    write_jsonl(inbox / "runs/.hidden.jsonl", [run_record()])
    write_jsonl(inbox / "runs/.staging/a.jsonl", [run_record()])
    write_jsonl(inbox / "runs/export.jsonl.gz.partial", [run_record()])
    write_jsonl(inbox / "runs/export.jsonl.tmp", [run_record()])
    write_jsonl(inbox / "runs/2026-11-01/export.jsonl", [run_record()])
    messages: list[str] = []

    result = ingest(inbox, raw, "runs", messages=messages)

    assert (result.files_seen, result.files_loaded) == (1, 1)
    assert messages == [
        "runs/2026-11-01/export.jsonl: loaded 1 of 1 records (1 runs, 1 run_jobs, 2 run_steps)"
    ]


def test_files_are_processed_in_sorted_name_order(tmp_path: Path):
    inbox, raw = tmp_path / "inbox", tmp_path / "raw"
    for name in ("c.jsonl", "a.jsonl", "b.jsonl"):
        write_jsonl(inbox / "runs" / name, [run_record(run_id=name)])
    messages: list[str] = []

    ingest(inbox, raw, "runs", messages=messages)

    assert [m.split(":")[0] for m in messages] == ["runs/a.jsonl", "runs/b.jsonl", "runs/c.jsonl"]


def test_a_run_over_some_days_takes_their_daily_files_their_months_files_and_snapshots(
    tmp_path: Path,
):
    """A backfill of 20-21 October: that day's file, October's monthly file (dated the 1st, but
    it covers the 20th) and the undated snapshot; not the 19th, not September."""
    inbox, raw = tmp_path / "inbox", tmp_path / "raw"
    names = [
        "runs-2026-10-19.jsonl",
        "runs-2026-10-20.jsonl",
        "monthly-2026-09.jsonl",
        "monthly-2026-10.jsonl",
        "current.jsonl",
    ]
    for name in names:
        write_jsonl(inbox / "runs" / name, [run_record(run_id=name)])
    messages: list[str] = []

    days = {datetime(2026, 10, 20).date(), datetime(2026, 10, 21).date()}
    ingest_source("runs", inbox, raw, now=NOW, on_file=messages.append, export_dates=days)

    loaded = sorted(m.split(":")[0].removeprefix("runs/") for m in messages)
    assert loaded == ["current.jsonl", "monthly-2026-10.jsonl", "runs-2026-10-20.jsonl"]
    assert pipeline.export_period(inbox / "runs" / "monthly-2026-10.jsonl") == (
        datetime(2026, 10, 1).date(),
        datetime(2026, 10, 31).date(),
    )
    assert pipeline.export_period(inbox / "runs" / "current.jsonl") is None


def test_a_missing_inbox_or_unknown_source_is_an_ingestion_error(tmp_path: Path):
    with pytest.raises(IngestionError, match="does not exist"):
        ingest_inbox(tmp_path / "nowhere", tmp_path / "raw")
    (tmp_path / "inbox").mkdir()
    with pytest.raises(IngestionError, match="unknown source 'invoices'"):
        ingest_source("invoices", tmp_path / "inbox", tmp_path / "raw")
    # A missing source folder is just an empty one.
    assert ingest(tmp_path / "inbox", tmp_path / "raw", "billing").files_seen == 0


def test_an_unexpected_error_in_one_file_keeps_the_files_before_it(tmp_path: Path, monkeypatch):
    make_runs_inbox(tmp_path / "inbox")
    suffixes, parser, tables = pipeline.SOURCES["runs"]

    def parser_with_a_bug(path, **kwargs):
        if path.name == "b.jsonl":
            raise RuntimeError("a bug in the parser")
        return parser(path, **kwargs)

    monkeypatch.setitem(pipeline.SOURCES, "runs", (suffixes, parser_with_a_bug, tables))
    with pytest.raises(IngestionError, match=r"unexpected error while ingesting runs/b\.jsonl"):
        ingest(tmp_path / "inbox", tmp_path / "raw", "runs")
    # a.jsonl.gz, parsed before the failing file, is committed; b.jsonl is not half-loaded
    assert [r["source_file"] for r in read_raw(tmp_path / "raw", "ingest_manifest")] == [
        "runs/a.jsonl.gz"
    ]
    monkeypatch.undo()
    rerun = ingest(tmp_path / "inbox", tmp_path / "raw", "runs")
    assert (rerun.files_loaded, rerun.files_skipped) == (1, 1)


def test_the_collector_stays_paused_until_a_files_outputs_are_closed(tmp_path: Path, monkeypatch):
    # Re-enabled between the last row and the close, the collector would scan every row still
    # buffered at its next allocation.
    make_runs_inbox(tmp_path / "inbox")
    events = []
    suffixes, parser, tables = pipeline.SOURCES["runs"]
    close, enable = raw_zone.FileOutputs.close, gc.enable

    def recording_parser(path, **kwargs):
        events.append("parse")
        return parser(path, **kwargs)

    def recording_close(self):
        events.append("close")
        return close(self)

    def recording_enable():
        events.append("enable")
        enable()

    monkeypatch.setitem(pipeline.SOURCES, "runs", (suffixes, recording_parser, tables))
    monkeypatch.setattr(raw_zone.FileOutputs, "close", recording_close)
    monkeypatch.setattr(gc, "enable", recording_enable)
    assert ingest(tmp_path / "inbox", tmp_path / "raw", "runs").files_loaded == 2
    assert events == ["parse", "close", "enable"] * 2
    assert gc.isenabled()


def test_ingest_inbox_loads_every_source(tmp_path: Path):
    inbox, raw = tmp_path / "inbox", tmp_path / "raw"
    make_runs_inbox(inbox)
    write_jsonl(inbox / "telemetry/t.jsonl", [trace_request([span()])])
    (inbox / "billing").mkdir()
    shutil.copy(FOCUS_SAMPLE, inbox / "billing/focus.csv")
    write_file(inbox / "customers/c.csv", b"customer_id,name\ncust-a,Acme\n")
    write_jsonl(inbox / "projects/p.jsonl", [{"project_id": "p", "customer_id": "cust-a"}])

    results = ingest_inbox(inbox, raw, now=NOW)

    assert {s: r.rows_loaded for s, r in results.items()} == {
        "runs": 7,
        "telemetry": 1,
        "billing": 1000,
        "customers": 1,
        "projects": 1,
    }
    assert len(read_raw(raw, "ingest_manifest")) == 6
    assert pipeline.summarize(results.values()).splitlines()[0] == (
        "runs: 2 files loaded, 0 skipped, 0 rejected; 7 rows loaded, 1 quarantined"
    )


def test_a_generated_inbox_loads_without_quarantine(small_inbox: Path, tmp_path: Path):
    # The generator and ingestion implement the same contract from two sides: its exports of
    # every source must load cleanly.
    results = ingest_inbox(small_inbox / "inbox", tmp_path / "raw", now=datetime(2026, 11, 1, 12))

    assert {s: r.rows_quarantined for s, r in results.items()} == dict.fromkeys(results, 0)
    assert all(r.rows_loaded > 0 and r.files_rejected == 0 for r in results.values())
    assert set(results["telemetry"].rows_per_table) == {"spans", "metric_points"}
