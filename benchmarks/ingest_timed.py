"""Ingestion throughput on an inbox, against the floor: DuckDB reading the same files once.

    .venv/bin/python -m benchmarks.ingest_timed HOME [--floor-only | --ingest-only]

Ingestion: every source of `HOME/inbox/` into `HOME/raw/` and the `raw.*` views registered, as
`factory-warehouse ingest` does. Floor: DuckDB (same threads and memory limit as dbt) reading the
same files into tables of a scratch database, one `create table as select * from read_*` per kind
of file, with no validation, no flattening of OTLP requests into spans and no lineage columns. The
floor is what any loader pays to get the bytes off disk and decoded; the ratio says what the
pipeline's own parsing, validation and Parquet writing cost on top. With both measured, the floor
reads the files before the ingestion and again after it, and the faster read counts (`fastest`).
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import duckdb

from ingestion.pipeline import inbox_files, ingest_source, ingest_workers
from ingestion.schemas import RAW_TABLES, SOURCE_TABLES
from ingestion.warehouse import register_raw_views

_DATE_IN_NAME = re.compile(r"-?\d{4}-\d{2}(-\d{2})?")


def inbox_bytes(inbox: Path) -> tuple[int, int]:
    """Files and bytes (as stored, compressed or not) of every source folder."""
    files = [path for source in SOURCE_TABLES for path in inbox_files(inbox, source)]
    return len(files), sum(path.stat().st_size for path in files)


def file_groups(inbox: Path) -> dict[str, list[Path]]:
    """Inbox files grouped by kind (source, name without its date, extension): one schema each."""
    groups: dict[str, list[Path]] = defaultdict(list)
    for source in SOURCE_TABLES:
        for path in inbox_files(inbox, source):
            groups[f"{source}/{_DATE_IN_NAME.sub('', path.name)}"].append(path)
    return dict(groups)


def _reader(kind: str, files: list[Path]) -> str:
    paths = "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in files) + "]"
    if kind.endswith(".parquet"):
        return f"read_parquet({paths}, union_by_name = true)"
    if ".csv" in kind:
        return f"read_csv({paths}, header = true)"
    # one OTLP request per line can hold thousands of spans: lift the 16 MB object limit there
    # only, since DuckDB allocates buffers of twice that size per file it reads
    limit = ", maximum_object_size = 67108864" if kind.startswith("telemetry/") else ""
    # each line parsed into one JSON value: converting OTLP requests to nested structs as well
    # runs out of 4 GB on a quarter of metric points (DuckDB holds a file's structs at once)
    return f"read_json_objects({paths}, format = 'newline_delimited'{limit})"


def measure_floor(inbox: Path, memory_limit: str, threads: int) -> dict:
    """DuckDB reading every inbox file into a table, timed per kind and in total."""
    groups = file_groups(inbox)
    per_kind = {}
    with tempfile.TemporaryDirectory(dir=inbox.parent) as scratch:
        con = duckdb.connect(str(Path(scratch) / "floor.duckdb"))
        con.execute(f"set memory_limit = '{memory_limit}'; set threads = {threads}")
        # a bulk load needs no row order: the floor is DuckDB at its fastest
        con.execute("set preserve_insertion_order = false")
        # process_time counts DuckDB's threads too: the CPU the floor needed, whatever the load
        started, cpu_started = time.perf_counter(), time.process_time()
        for index, (kind, files) in enumerate(sorted(groups.items())):
            kind_started = time.perf_counter()
            con.execute(f"create table t{index} as select * from {_reader(kind, files)}")
            rows = con.execute(f"select count(*) from t{index}").fetchone()[0]
            per_kind[kind] = {
                "files": len(files),
                "rows": rows,
                "seconds": round(time.perf_counter() - kind_started, 3),
            }
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        con.close()
    return {"seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3), "per_kind": per_kind}


def measure_ingestion(home: Path, raw: Path | None = None) -> dict:
    """The pipeline's ingestion of `home/inbox` into `home/raw` (or `raw`), then the raw views
    registered."""
    inbox, raw = home / "inbox", raw or home / "raw"
    started, cpu_started = time.perf_counter(), time.process_time()
    per_source = {}
    rows_written = 0
    records = 0
    for source in SOURCE_TABLES:
        source_started = time.perf_counter()
        result = ingest_source(source, inbox, raw)
        per_source[source] = {
            "files": result.files_loaded,
            "records": result.rows_loaded,
            "quarantined": result.rows_quarantined,
            "rows_per_table": result.rows_per_table,
            "seconds": round(time.perf_counter() - source_started, 3),
        }
        records += result.rows_loaded
        rows_written += sum(result.rows_per_table.values())
    register_raw_views(raw.parent / "warehouse.duckdb", raw, RAW_TABLES)
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 3),
        "cpu_seconds": round(time.process_time() - cpu_started, 3),
        "records": records,
        "raw_rows": rows_written,
        "per_source": per_source,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--floor-only", action="store_true")
    mode.add_argument("--ingest-only", action="store_true")
    parser.add_argument("--compare-one-worker", action="store_true")
    args = parser.parse_args()
    home = args.home.resolve()
    files, size = inbox_bytes(home / "inbox")
    out: dict = {"files": files, "bytes": size}
    floors = []
    if not args.ingest_only:
        floors.append(_floor(home))
    if args.compare_one_worker:
        # the same ingestion in one process, into a scratch raw zone: the pool's speed-up
        workers = os.environ.get("FACTORY_WAREHOUSE_INGEST_WORKERS")
        os.environ["FACTORY_WAREHOUSE_INGEST_WORKERS"] = "1"
        with tempfile.TemporaryDirectory(dir=home) as scratch:
            out["ingestion_one_worker"] = measure_ingestion(home, Path(scratch) / "raw")
        if workers is None:
            del os.environ["FACTORY_WAREHOUSE_INGEST_WORKERS"]
        else:
            os.environ["FACTORY_WAREHOUSE_INGEST_WORKERS"] = workers
    if not args.floor_only:
        out["ingestion"] = measure_ingestion(home)
        out["ingestion"]["workers"] = ingest_workers()
        if floors:
            floors.append(_floor(home))
    if floors:
        out["floor"] = fastest(floors)
    print(json.dumps(out))


def _floor(home: Path) -> dict:
    return measure_floor(
        home / "inbox",
        os.environ.get("FACTORY_WAREHOUSE_DUCKDB_MEMORY_LIMIT", "4GB"),
        len(os.sched_getaffinity(0)),  # DuckDB's own default: one thread per core
    )


def fastest(floors: list[dict]) -> dict:
    """The floor: the fastest of its reads (before the ingestion and after it). Other work on
    the machine can only slow a read down, and it did: 33.0 s in one run, 22.2-23.5 s in six
    on a quiet machine. Each read's time is kept in `reads_seconds`."""
    return {
        **min(floors, key=lambda floor: floor["seconds"]),
        "reads_seconds": [floor["seconds"] for floor in floors],
    }


if __name__ == "__main__":
    main()
