"""The raw zone on disk: immutable Parquet per raw table, load date and inbox file.

Layout (under `raw/`)::

    <table>/load_date=YYYY-MM-DD/<file sha256>.parquet   one per inbox file and table it fills
    quarantine/load_date=YYYY-MM-DD/<file sha256>.parquet  its rejected records, if any
    ingest_manifest/load_date=YYYY-MM-DD/<file sha256>.parquet  one row: the commit record
    _tmp/<file sha256>/<table>.parquet                    work in progress (never read)
    _state/manifest_index.parquet                         a cache of the manifest (rebuildable)
    .ingest.lock                                          one ingestion at a time

Commit protocol: every output of an inbox file is written under `_tmp/<sha>/`, then renamed
into place, the manifest last. Only a manifest row makes a file loaded; anything else named after
a hash that has no manifest row is the orphan of a crashed attempt and is deleted before the
next attempt (`sweep_orphans`), so a crash at any point followed by a re-run neither duplicates
nor loses rows.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from ingestion.records import Quarantined
from ingestion.schemas import INGEST_MANIFEST, RAW_TABLES

TMP_DIR = "_tmp"
STATE_DIR = "_state"
INDEX_FILE = "manifest_index.parquet"
LOCK_FILE = ".ingest.lock"
MANIFEST_TABLE = "ingest_manifest"
QUARANTINE_TABLE = "quarantine"
# Rows buffered as Python objects per table before they become an Arrow batch, and rows per
# Parquet row group. Memory stays bounded whatever the file size: at most BATCH_ROWS Python rows
# (10k spans: ~25 MB) and ROW_GROUP_ROWS Arrow rows (50k spans: ~50 MB) per table. Small
# Python batches measured faster than large ones (they stay in the CPU caches); row groups are
# kept larger for readers.
BATCH_ROWS = 10_000
ROW_GROUP_ROWS = 50_000
COMPRESSION = "zstd"
# Columns (nearly) unique per row: a dictionary would be as large as the data and cost a hash
# per value, so they are written without one (writing took about 9% less CPU, files 7% smaller).
_NO_DICTIONARY = {
    "spans": {"span_id", "start_at", "end_at", "attributes_json"},
    "metric_points": {
        *("series_key", "attributes_json", "histogram_sum", "histogram_min", "histogram_max")
    },
    "runs": {
        *("run_id", "queued_at", "started_at", "finished_at", "updated_at"),
        *("cpu_seconds", "memory_gib_seconds"),
    },
    "run_jobs": {"job_id", "started_at", "finished_at"},
    "run_steps": {"step_id", "started_at", "finished_at"},
    "focus_costs": {
        *("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"),
        *("PricingQuantity", "ConsumedQuantity"),
    },
}
_SHA256 = re.compile(r"[0-9a-f]{64}")
_CONSTANT_LINEAGE = ("_source_file", "_file_sha256", "_loaded_at")


def partition_dir(raw_dir: Path, table: str, load_date: date) -> Path:
    """`raw/<table>/load_date=YYYY-MM-DD`."""
    return raw_dir / table / f"load_date={load_date.isoformat()}"


def table_file(raw_dir: Path, table: str, load_date: date, sha256: str) -> Path:
    """Where one inbox file's rows of one table live."""
    return partition_dir(raw_dir, table, load_date) / f"{sha256}.parquet"


def table_files(raw_dir: Path, table: str) -> list[Path]:
    """Every Parquet file of a raw table, in all load-date partitions."""
    return sorted((raw_dir / table).glob("load_date=*/*.parquet"))


@contextmanager
def ingest_lock(raw_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the raw zone: one ingestion writes (and sweeps) at a time.

    Blocks while another process ingests; the OS releases the lock if that process dies.
    """
    raw_dir.mkdir(parents=True, exist_ok=True)
    with open(raw_dir / LOCK_FILE, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# --- Manifest -----------------------------------------------------------------------------------


_INDEX_COLUMNS = ["file_sha256", "source_file", "file_bytes", "file_mtime_ns"]
_INDEX_SCHEMA = pa.schema([INGEST_MANIFEST.field(c) for c in _INDEX_COLUMNS])


@dataclass
class ManifestIndex:
    """What the manifest says has been loaded: by content hash and by file identity."""

    by_sha: dict[str, str] = field(default_factory=dict)  # sha256 -> source_file that loaded it
    by_stat: dict[tuple[str, int, int], str] = field(default_factory=dict)  # -> sha256
    changed: bool = False  # differs from the saved index cache

    def add(self, row: dict) -> None:
        """Record a committed manifest row (only the first row of a hash counts)."""
        sha = row["file_sha256"]
        if sha in self.by_sha:
            return
        self.by_sha[sha] = row["source_file"]
        self.by_stat[(row["source_file"], row["file_bytes"], row["file_mtime_ns"])] = sha
        self.changed = True

    def rows(self) -> list[dict]:
        """One row per committed file, for the index cache."""
        return [
            {"file_sha256": sha, "source_file": name, "file_bytes": size, "file_mtime_ns": mtime}
            for (name, size, mtime), sha in self.by_stat.items()
        ]


def read_manifest(raw_dir: Path) -> ManifestIndex:
    """Every committed manifest row (the columns needed to decide what to skip).

    The committed hashes are the names of the manifest files (one per inbox file); their rows
    come from a cache (`_state/manifest_index.parquet`) so that a raw zone of thousands of
    files is not re-read at every run, and only files the cache lacks are opened. The cache is
    an accelerator, never the truth: stale or missing, it is completed from the manifest files.
    """
    committed = {
        path.stem: path
        for path in table_files(raw_dir, MANIFEST_TABLE)
        if _SHA256.fullmatch(path.stem)
    }
    index = ManifestIndex()
    cached = _read_index_cache(raw_dir)
    for row in cached:
        if row["file_sha256"] in committed:
            index.add(row)
    missing = [str(path) for sha, path in committed.items() if sha not in index.by_sha]
    if missing:
        dataset = ds.dataset(missing, schema=INGEST_MANIFEST, format="parquet")
        for row in dataset.to_table(columns=_INDEX_COLUMNS).to_pylist():
            index.add(row)
    index.changed = len(index.by_sha) != len(cached) or bool(missing)
    return index


def save_manifest_index(raw_dir: Path, index: ManifestIndex) -> None:
    """Save the index cache if it changed (atomically: a crash leaves the old one, still valid
    as a subset)."""
    if not index.changed:
        return
    path = raw_dir / STATE_DIR / INDEX_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{INDEX_FILE}.tmp")
    pq.write_table(pa.Table.from_pylist(index.rows(), schema=_INDEX_SCHEMA), tmp)
    os.replace(tmp, path)
    index.changed = False


def _read_index_cache(raw_dir: Path) -> list[dict]:
    path = raw_dir / STATE_DIR / INDEX_FILE
    if not path.exists():
        return []
    try:
        return pq.read_table(path, columns=_INDEX_COLUMNS).to_pylist()
    except (pa.ArrowException, OSError):
        return []  # unreadable: rebuilt from the manifest files


def write_manifest(raw_dir: Path, row: dict, load_date: date) -> Path:
    """Commit one inbox file: write its manifest row (via `_tmp`, then an atomic rename)."""
    sha = row["file_sha256"]
    tmp = raw_dir / TMP_DIR / sha / f"{MANIFEST_TABLE}.parquet"
    tmp.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.Table.from_pylist([row], schema=INGEST_MANIFEST), tmp, compression=COMPRESSION
    )
    _fsync(tmp)
    target = table_file(raw_dir, MANIFEST_TABLE, load_date, sha)
    _durable_replace(tmp, target)
    shutil.rmtree(tmp.parent, ignore_errors=True)
    return target


# --- Crash recovery -----------------------------------------------------------------------------


def remove_uncommitted(raw_dir: Path, sha256: str, load_date: date) -> None:
    """Delete what a crashed attempt at this file may have left: its `_tmp` dir and its outputs
    in today's partitions (older partitions are covered by `sweep_orphans`)."""
    shutil.rmtree(raw_dir / TMP_DIR / sha256, ignore_errors=True)
    for table in RAW_TABLES:
        if table != MANIFEST_TABLE:
            table_file(raw_dir, table, load_date, sha256).unlink(missing_ok=True)


def sweep_orphans(raw_dir: Path, committed: set[str] | dict[str, str]) -> list[Path]:
    """Delete `_tmp/` and every raw file named after a hash without a manifest row.

    Only names that are SHA-256 hex are touched, so files other tools put in the raw zone (say
    a future compaction) are left alone. Call it under `ingest_lock`.
    """
    shutil.rmtree(raw_dir / TMP_DIR, ignore_errors=True)
    removed = []
    for table in RAW_TABLES:
        if table == MANIFEST_TABLE:
            continue
        for path in table_files(raw_dir, table):
            if _SHA256.fullmatch(path.stem) and path.stem not in committed:
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


# --- Writing one inbox file's outputs -----------------------------------------------------------


class FileOutputs:
    """Buffers and writes the rows of one inbox file to `raw/_tmp/<sha>/<table>.parquet`.

    Each table gets a Parquet writer when its first row group is written, so a file never
    produces empty outputs; rows become Arrow batches every `BATCH_ROWS` and row groups every
    `ROW_GROUP_ROWS`. `publish` renames the outputs into their load-date partitions; `discard`
    throws them away.
    """

    def __init__(
        self, raw_dir: Path, sha256: str, source: str, source_file: str, loaded_at: datetime
    ):
        self.raw_dir = raw_dir
        self.sha256 = sha256
        self.source = source
        self.source_file = source_file
        self.loaded_at = loaded_at
        self.tmp_dir = raw_dir / TMP_DIR / sha256
        self.rows: dict[str, int] = {}
        self._buffers: dict[str, list[tuple]] = {}
        self._columns: dict[str, list[str]] = {}
        self._pending: dict[str, list[pa.RecordBatch]] = {}
        self._writers: dict[str, pq.ParquetWriter] = {}

    def add(self, table: str, row: dict | tuple) -> None:
        """Buffer one row of a raw table: a dict with its `_line_number` (missing keys are null),
        or a tuple of every value in `row_columns(table)` order (what the telemetry parser
        builds, saving a dict per span or data point).

        Rows are kept as tuples in schema order, taken while the dict is fresh in the CPU cache:
        converting a batch of dicts at flush time was the slowest step of telemetry ingestion.
        """
        buffer = self._buffers.get(table)
        if buffer is None:
            if table not in RAW_TABLES:
                raise KeyError(f"unknown raw table {table!r}")
            buffer = self._buffers[table] = []
            self._columns[table] = row_columns(table)
        if row.__class__ is tuple:
            buffer.append(row)
        else:
            buffer.append(tuple(map(row.get, self._columns[table])))
        if len(buffer) >= BATCH_ROWS:
            self._flush(table)

    def quarantine(self, record: Quarantined) -> None:
        """Buffer one quarantine record of this file."""
        self.add(
            QUARANTINE_TABLE,
            {
                "source": self.source,
                "source_file": self.source_file,
                "file_sha256": self.sha256,
                "line_number": record.line_number,
                "reason": record.reason,
                "payload": record.payload,
                "quarantined_at": self.loaded_at,
            },
        )

    def close(self) -> dict[str, int]:
        """Flush and close every writer; returns the rows written per table."""
        for table in list(self._buffers):
            self._flush(table, final=True)
        for table, writer in self._writers.items():
            writer.close()
            _fsync(self._tmp_path(table))
        self._writers.clear()
        return dict(self.rows)

    def discard(self) -> None:
        """Abandon everything written so far."""
        for writer in self._writers.values():
            with contextlib.suppress(OSError, pa.ArrowException):
                writer.close()  # best effort: the files are deleted next anyway
        self._writers.clear()
        self._buffers.clear()
        self._pending.clear()
        self.rows.clear()
        shutil.rmtree(self.tmp_dir, ignore_errors=True)

    def publish(self, load_date: date) -> list[Path]:
        """Rename the closed outputs into `raw/<table>/load_date=.../<sha>.parquet`."""
        targets = []
        for table in self.rows:
            target = table_file(self.raw_dir, table, load_date, self.sha256)
            _durable_replace(self._tmp_path(table), target)
            targets.append(target)
        return targets

    def _tmp_path(self, table: str) -> Path:
        return self.tmp_dir / f"{table}.parquet"

    def _flush(self, table: str, *, final: bool = False) -> None:
        """Turn buffered rows into an Arrow batch; write a row group when enough are pending."""
        rows = self._buffers.get(table)
        if rows:
            self._pending.setdefault(table, []).append(self._to_arrow(table, rows))
            self.rows[table] = self.rows.get(table, 0) + len(rows)
            self._buffers[table] = []
        pending = self._pending.get(table)
        if not pending or (not final and sum(b.num_rows for b in pending) < ROW_GROUP_ROWS):
            return
        writer = self._writers.get(table)
        if writer is None:
            self.tmp_dir.mkdir(parents=True, exist_ok=True)
            writer = pq.ParquetWriter(
                self._tmp_path(table),
                RAW_TABLES[table],
                compression=COMPRESSION,
                use_dictionary=_dictionary_columns(table),
            )
            self._writers[table] = writer
        writer.write_table(pa.Table.from_batches(pending), row_group_size=ROW_GROUP_ROWS)
        self._pending[table] = []

    def _to_arrow(self, table: str, rows: list[tuple]) -> pa.RecordBatch:
        # The row tuples converted as one struct array: Arrow fills every column in one pass
        # over the rows (a transpose with zip(*rows), then a pass per column, took 10-20% more
        # CPU). A tuple of the wrong length raises ArrowInvalid.
        rows_batch = pa.RecordBatch.from_struct_array(pa.array(rows, type=_row_type(table)))
        values = dict(zip(self._columns[table], rows_batch.columns, strict=True))
        # Lineage columns that are the same for the whole file are built once, not per row.
        constants = {
            "_source_file": self.source_file,
            "_file_sha256": self.sha256,
            "_loaded_at": self.loaded_at,
        }
        schema = RAW_TABLES[table]
        columns = [
            values[f.name]
            if f.name in values
            else pa.repeat(pa.scalar(constants[f.name], f.type), len(rows))
            for f in schema
        ]
        return pa.RecordBatch.from_arrays(columns, schema=schema)


def row_columns(table: str) -> list[str]:
    """The columns a parser supplies for a table: all but the per-file lineage constants."""
    names = RAW_TABLES[table].names
    if table in (QUARANTINE_TABLE, MANIFEST_TABLE):
        return names
    return [n for n in names if n not in _CONSTANT_LINEAGE]


@functools.cache
def _dictionary_columns(table: str) -> list[str]:
    """The columns of a raw table written with a dictionary: all but `_NO_DICTIONARY`'s."""
    plain = _NO_DICTIONARY.get(table, set())
    assert plain <= set(RAW_TABLES[table].names), f"_NO_DICTIONARY names no column of {table}"
    return [name for name in RAW_TABLES[table].names if name not in plain]


@functools.cache
def _row_type(table: str) -> pa.StructType:
    """The Arrow type of a buffered row: a struct of the `row_columns(table)` fields."""
    schema = RAW_TABLES[table]
    return pa.struct([schema.field(name) for name in row_columns(table)])


def _fsync(path: Path) -> None:
    # Renames are atomic, but without fsync a power cut could leave a renamed, empty file.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _durable_replace(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)
    fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
