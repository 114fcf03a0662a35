"""Ingestion with a process pool: the same raw zone, manifest and report as one process."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from ingestion import pipeline
from ingestion.generator import generate
from ingestion.schemas import SOURCE_TABLES

NOW = datetime(2026, 11, 1, 6, 0)


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough telemetry (several MB over 8 daily files) for the pool to be used."""
    out = tmp_path_factory.mktemp("parallel")
    generate(out, days=8, customers=4, seed=13, end_date=date(2026, 10, 31))
    return out / "inbox"


def ingest_all(inbox: Path, raw: Path, workers: int, monkeypatch) -> tuple[dict, list[str]]:
    monkeypatch.setenv("FACTORY_WAREHOUSE_INGEST_WORKERS", str(workers))
    messages: list[str] = []
    results = {
        source: pipeline.ingest_source(source, inbox, raw, now=NOW, on_file=messages.append)
        for source in SOURCE_TABLES
    }
    return results, messages


def raw_contents(raw: Path) -> dict[str, list[tuple]]:
    """Every raw table's rows (lineage included), sorted, and the manifest."""
    tables = {}
    with duckdb.connect() as con:
        for folder in sorted(p for p in raw.iterdir() if not p.name.startswith("_")):
            files = sorted(folder.rglob("*.parquet"))
            if files:
                rows = con.execute(
                    "select * from read_parquet(?, union_by_name = true)", [[str(f) for f in files]]
                ).fetchall()
                tables[folder.name] = sorted(rows, key=repr)
    return tables


def test_the_pool_is_used_for_several_megabytes_of_new_files(inbox, monkeypatch):
    monkeypatch.setenv("FACTORY_WAREHOUSE_INGEST_WORKERS", "2")
    files = pipeline.inbox_files(inbox, "telemetry")
    new = [pipeline._NewFile(p, p.name, str(i), p.stat()) for i, p in enumerate(files)]
    assert sum(n.stat.st_size for n in new) >= pipeline._POOL_MIN_BYTES
    with pipeline._parse_pool(new) as submit:
        assert submit(pow, 2, 10).result() == 1024
        assert getattr(submit, "__self__", None).__class__.__name__ == "ProcessPoolExecutor"
    with pipeline._parse_pool(new[:1]) as submit:  # one file: no pool to start
        assert getattr(submit, "__self__", None) is None


def test_parallel_ingestion_writes_what_one_process_writes(inbox, tmp_path, monkeypatch):
    one, one_messages = ingest_all(inbox, tmp_path / "one", 1, monkeypatch)
    two, two_messages = ingest_all(inbox, tmp_path / "two", 2, monkeypatch)
    assert one == two
    assert one_messages == two_messages  # reported in path order, as a sequential run does
    assert one["telemetry"].files_loaded >= 16 and one["telemetry"].rows_loaded > 0
    assert raw_contents(tmp_path / "one") == raw_contents(tmp_path / "two")
    # a second run skips everything, pool or not
    again, _ = ingest_all(inbox, tmp_path / "two", 2, monkeypatch)
    assert all(r.files_loaded == 0 and r.files_skipped == r.files_seen for r in again.values())


def test_the_pool_is_kept_for_the_next_ingestion(inbox, monkeypatch):
    """A run ingests one source after the other: they share one pool (started once)."""
    monkeypatch.setenv("FACTORY_WAREHOUSE_INGEST_WORKERS", "2")
    files = pipeline.inbox_files(inbox, "telemetry")
    new = [pipeline._NewFile(p, p.name, str(i), p.stat()) for i, p in enumerate(files)]
    with pipeline._parse_pool(new) as submit:
        first = submit.__self__
        assert submit(pow, 2, 3).result() == 8
    with pipeline._parse_pool(new) as submit:
        assert submit.__self__ is first
        assert submit(pow, 3, 2).result() == 9
