"""Entry points: load an inbox (or one source folder of it) into the raw zone.

For each file of `inbox/<source>/`, in sorted path order:

1. skip it if its (path, size, mtime) or, failing that, its SHA-256 is in the manifest;
2. parse it, streaming, into `raw/_tmp/<sha>/`: good rows per raw table, bad ones to quarantine;
   a file that cannot be trusted as a whole becomes one quarantine row (`status = rejected`);
3. rename the outputs into `raw/<table>/load_date=<today>/<sha>.parquet`, the manifest last.

Hidden files (`.name`) and files that are still being written (`*.tmp`, `*.part`, `*.partial`,
`*~`) are ignored. A file with an extension the source does not accept is quarantined whole
(`unsupported_format`), so nothing in the inbox is dropped without a trace.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import multiprocessing
import os
import re
from collections import Counter
from collections.abc import Callable, Container, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

from ingestion import raw_zone
from ingestion.billing import parse_billing_file
from ingestion.errors import FileRejected, IngestionError
from ingestion.records import Quarantined, payload_text, utc_naive
from ingestion.reference import parse_reference_file
from ingestion.runs import parse_runs_file
from ingestion.schemas import SOURCE_TABLES
from ingestion.telemetry import parse_telemetry_file

Parser = Callable[..., Iterator[tuple[str, dict] | Quarantined]]

# Source folder -> (accepted file name endings, parser, tables whose rows count as records).
# Runs count snapshots, not the jobs and steps flattened out of them.
SOURCES: dict[str, tuple[tuple[str, ...], Parser, frozenset[str]]] = {
    "runs": ((".jsonl", ".jsonl.gz"), parse_runs_file, frozenset({"runs"})),
    "telemetry": (
        (".jsonl", ".jsonl.gz", ".json"),
        parse_telemetry_file,
        frozenset({"spans", "metric_points"}),
    ),
    "billing": ((".csv", ".csv.gz", ".parquet"), parse_billing_file, frozenset({"focus_costs"})),
    "customers": (
        (".csv", ".jsonl", ".jsonl.gz"),
        partial(parse_reference_file, table="customers"),
        frozenset({"customers"}),
    ),
    "projects": (
        (".csv", ".jsonl", ".jsonl.gz"),
        partial(parse_reference_file, table="projects"),
        frozenset({"projects"}),
    ),
}
assert set(SOURCES) == set(SOURCE_TABLES), "every source of schemas.SOURCE_TABLES needs a parser"

_IN_PROGRESS_SUFFIXES = (".tmp", ".part", ".partial", "~")
_HASH_CHUNK = 4 * 1024 * 1024
# How much of a rejected file's beginning is kept as its quarantine payload.
_REJECTED_PAYLOAD_BYTES = 4096


@dataclass
class SourceIngestResult:
    """What one ingestion of one source folder did.

    `files_seen = files_loaded + files_skipped + files_rejected`, and
    `rows_in = rows_loaded + rows_quarantined` (records: run snapshots, spans, data points, cost
    rows, customers, projects; a rejected file counts as one row in and one quarantined).
    `rows_per_table` counts the rows written per raw table (runs flatten into three tables).
    """

    source: str = ""
    files_seen: int = 0
    files_loaded: int = 0
    files_skipped: int = 0
    files_rejected: int = 0
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_per_table: dict[str, int] = field(default_factory=dict)
    quarantine_reasons: dict[str, int] = field(default_factory=dict)  # reason code -> rows


def ingest_inbox(
    inbox_dir: Path,
    raw_dir: Path,
    *,
    now: datetime | None = None,
    on_file: Callable[[str], None] | None = None,
) -> dict[str, SourceIngestResult]:
    """Ingest every source folder of the inbox (`runs`, `telemetry`, `billing`, `customers`,
    `projects`) into the raw zone; returns the result per source.

    Raises `IngestionError` if `inbox_dir` does not exist.
    """
    _check_inbox(inbox_dir)
    return {
        source: ingest_source(source, inbox_dir, raw_dir, now=now, on_file=on_file)
        for source in SOURCE_TABLES
    }


def ingest_source(
    source: str,
    inbox_dir: Path,
    raw_dir: Path,
    *,
    now: datetime | None = None,
    on_file: Callable[[str], None] | None = None,
    export_dates: Container[date] | None = None,
) -> SourceIngestResult:
    """Ingest the new files of `inbox_dir/<source>/` into the raw zone at `raw_dir`.

    `export_dates` restricts the run to the files that `belong_to` those days (a Dagster daily
    partition range); by default every new file is ingested.

    `now` is the load time (default: the current time; an aware datetime is converted to UTC):
    it stamps `_loaded_at`, picks the `load_date` partition and bounds future timestamps.
    `on_file` receives one line of text per file loaded, rejected or skipped as a duplicate of
    other content (files skipped because they are unchanged since their load are not reported).

    Safe to re-run and to interrupt: files already in the manifest are skipped, and the leftovers
    of an interrupted run are removed first. Raises `IngestionError` for an unknown source or a
    missing inbox; a missing source folder just means no files.
    """
    if source not in SOURCES:
        raise IngestionError(
            f"unknown source {source!r}: expected one of {', '.join(SOURCE_TABLES)}"
        )
    _check_inbox(inbox_dir)
    loaded_at = utc_naive(now) if now is not None else datetime.now(UTC).replace(tzinfo=None)
    result = SourceIngestResult(source=source)
    notify = on_file or (lambda _message: None)
    with raw_zone.ingest_lock(raw_dir):
        manifest = raw_zone.read_manifest(raw_dir)
        raw_zone.sweep_orphans(raw_dir, manifest.by_sha)
        try:
            paths = [
                path
                for path in inbox_files(inbox_dir, source)
                if export_dates is None or belongs_to(path, export_dates)
            ]
            new_files = _new_files(paths, inbox_dir, manifest, result, notify)
            with _parse_pool(new_files) as submit:
                parsed = [
                    submit(_parse_file, source, new.path, new.rel, raw_dir, new.sha, loaded_at)
                    for new in new_files
                ]
                # committed in path order whatever order the workers finish in: the manifest,
                # the notifications and the result are those of a sequential run
                for new, outcome in zip(new_files, parsed, strict=True):
                    _commit_file(
                        new, outcome.result(), raw_dir, loaded_at, manifest, result, notify
                    )
        finally:
            raw_zone.save_manifest_index(raw_dir, manifest)
    return result


def _check_inbox(inbox_dir: Path) -> None:
    if not inbox_dir.is_dir():
        raise IngestionError(
            f"the inbox {inbox_dir} does not exist or is not a folder: create it (with "
            f"sub-folders {', '.join(SOURCE_TABLES)}) or point FACTORY_WAREHOUSE_HOME at the "
            "folder that holds inbox/"
        )


def inbox_files(inbox_dir: Path, source: str) -> list[Path]:
    """The files of a source folder (and its sub-folders), sorted by path; hidden and in-progress
    files left out."""
    folder = inbox_dir / source
    if not folder.is_dir():
        return []
    files = []
    for path in folder.rglob("*"):
        parts = path.relative_to(folder).parts
        if any(part.startswith(".") for part in parts):
            continue
        if path.name.lower().endswith(_IN_PROGRESS_SUFFIXES) or not path.is_file():
            continue
        files.append(path)
    return sorted(files, key=lambda p: p.relative_to(folder).as_posix())


# Files parsed in worker processes (FACTORY_WAREHOUSE_INGEST_WORKERS, default 2): parsing is
# pure Python and holds one core; a pool only pays for its start-up on a run with several
# files and a few MB to read.
_POOL_MIN_FILES = 2
_POOL_MIN_BYTES = 2 * 1024 * 1024


def ingest_workers() -> int:
    """Processes that parse files at once (`FACTORY_WAREHOUSE_INGEST_WORKERS`, default 2)."""
    return max(1, int(os.environ.get("FACTORY_WAREHOUSE_INGEST_WORKERS", "2")))


@dataclass(frozen=True)
class _NewFile:
    """An inbox file to load: not in the manifest by its stat, and its content not loaded."""

    path: Path
    rel: str
    sha: str
    stat: os.stat_result


@dataclass
class _Parsed:
    """What parsing one file into `raw/_tmp/<sha>/` produced (picklable: it crosses processes)."""

    status: str  # loaded | rejected | vanished
    loaded: int = 0
    quarantined: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)


def _new_files(
    paths: list[Path],
    inbox_dir: Path,
    manifest: raw_zone.ManifestIndex,
    result: SourceIngestResult,
    notify: Callable[[str], None],
) -> list[_NewFile]:
    """The files to parse, in path order; counts and reports the ones skipped."""
    new_files: list[_NewFile] = []
    seen: dict[str, str] = {}  # sha -> path, for the same content twice in one run
    for path in paths:
        rel = path.relative_to(inbox_dir).as_posix()
        try:
            stat = path.stat()
            # Unchanged since it was loaded: no need to hash it again.
            if (rel, stat.st_size, stat.st_mtime_ns) in manifest.by_stat:
                result.files_seen += 1
                result.files_skipped += 1
                continue
            sha = file_sha256(path)
        except FileNotFoundError:
            continue  # removed by its exporter since the folder was listed
        result.files_seen += 1
        if sha in manifest.by_sha or sha in seen:
            result.files_skipped += 1
            notify(
                f"{rel}: skipped, same content as {manifest.by_sha.get(sha) or seen[sha]} "
                "(already loaded)"
            )
            continue
        seen[sha] = rel
        new_files.append(_NewFile(path, rel, sha, stat))
    return new_files


class _Deferred:
    """The sequential path's Future: the call runs when its result is asked for, so each file
    is parsed just before it is committed and an error in one file leaves the files before it
    committed, as with the pool."""

    def __init__(self, function: Callable[..., _Parsed], args: tuple):
        self._function, self._args = function, args

    def result(self) -> _Parsed:
        return self._function(*self._args)


@contextmanager
def _parse_pool(new_files: list[_NewFile]) -> Iterator[Callable[..., Future | _Deferred]]:
    """A `submit(function, *args)` that runs in a process pool when the run is worth one.

    On an error, the calls not started are cancelled and the running ones waited for, so no
    worker still writes to `raw/_tmp` once the caller releases the ingestion lock.
    """
    workers = min(ingest_workers(), len(new_files))
    size = sum(new.stat.st_size for new in new_files)
    if workers < 2 or len(new_files) < _POOL_MIN_FILES or size < _POOL_MIN_BYTES:
        yield lambda function, *args: _Deferred(function, args)
        return
    pool = _shared_pool(workers)
    submitted: list[Future] = []

    def submit(function: Callable[..., _Parsed], *args) -> Future:
        future = pool.submit(function, *args)
        submitted.append(future)
        return future

    submit.__self__ = pool  # type: ignore[attr-defined]  # which pool runs the calls
    try:
        yield submit
    except BaseException:
        for future in submitted:
            future.cancel()
        wait(submitted)
        if pool._broken:  # a worker died: the next run starts a new pool
            _drop_shared_pool()
        raise


# The pool is kept for the process's later ingestions (a run ingests one source after the
# other, each needing one): starting one costs about a second, a large part of a daily run.
# It is shut down when the process exits, or when a run wants another number of workers.
_shared: tuple[int, int, ProcessPoolExecutor] | None = None  # (owner pid, workers, pool)


def _shared_pool(workers: int) -> ProcessPoolExecutor:
    global _shared
    if _shared is not None:
        pid, size, pool = _shared
        if pid == os.getpid() and size == workers and not pool._broken:
            return pool
        _drop_shared_pool()
    # forkserver: workers do not inherit the caller's threads and locks (Dagster, DuckDB); the
    # server imports the parsers once and forks workers with them loaded
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    _shared = (os.getpid(), workers, pool)
    return pool


def _drop_shared_pool() -> None:
    """Shut the shared pool down (one inherited from a parent process is only forgotten)."""
    global _shared
    if _shared is not None:
        pid, _, pool = _shared
        _shared = None
        if pid == os.getpid():
            pool.shutdown(wait=True, cancel_futures=True)


def _parse_file(
    source: str, path: Path, rel: str, raw_dir: Path, sha: str, loaded_at: datetime
) -> _Parsed:
    """Parse one file into `raw/_tmp/<sha>/` (outputs closed, not published)."""
    # One pause from the first row to the closed outputs: re-enabled while row buffers are
    # alive, the collector scans every object allocated during the pause at the next allocation
    # (it did so between parsing and closing: 2-3% of the CPU of an ingestion).
    with _gc_paused():
        return _parse_and_close(source, path, rel, raw_dir, sha, loaded_at)


def _parse_and_close(
    source: str, path: Path, rel: str, raw_dir: Path, sha: str, loaded_at: datetime
) -> _Parsed:
    load_date = loaded_at.date()
    raw_zone.remove_uncommitted(raw_dir, sha, load_date)
    suffixes, parser, record_tables = SOURCES[source]
    outputs = raw_zone.FileOutputs(raw_dir, sha, source, rel, loaded_at)
    loaded = quarantined = 0
    reasons: Counter[str] = Counter()
    status = "loaded"
    try:
        if not path.name.lower().endswith(suffixes):
            raise FileRejected(
                "unsupported_format",
                f"{source}/ accepts {', '.join(suffixes)} files, got {path.name!r}",
            )
        for item in parser(path, now=loaded_at):
            if type(item) is tuple:
                table, row = item
                outputs.add(table, row)
                if table in record_tables:
                    loaded += 1
            else:
                outputs.quarantine(item)
                quarantined += 1
                reasons[item.code] += 1
    except FileRejected as exc:
        outputs.discard()
        outputs = raw_zone.FileOutputs(raw_dir, sha, source, rel, loaded_at)
        outputs.quarantine(Quarantined(None, str(exc), _file_head(path)))
        loaded, quarantined, status = 0, 1, "rejected"
        reasons = Counter({exc.reason: 1})
    except BaseException as exc:
        outputs.discard()
        if isinstance(exc, FileNotFoundError) and not path.exists():
            return _Parsed("vanished")
        if isinstance(exc, Exception):
            raise IngestionError(f"unexpected error while ingesting {rel}: {exc!r}") from exc
        raise
    rows = outputs.close()
    return _Parsed(status, loaded, quarantined, dict(reasons), rows)


def _commit_file(
    new: _NewFile,
    parsed: _Parsed,
    raw_dir: Path,
    loaded_at: datetime,
    manifest: raw_zone.ManifestIndex,
    result: SourceIngestResult,
    notify: Callable[[str], None],
) -> None:
    """Publish a parsed file's outputs and its manifest row (the row last), and count it."""
    rel, stat = new.rel, new.stat
    if parsed.status == "vanished":
        # Removed by its exporter while we read it: nothing to load, nothing recorded.
        result.files_seen -= 1
        notify(f"{rel}: removed while being read; not loaded")
        return
    outputs = raw_zone.FileOutputs(raw_dir, new.sha, result.source, rel, loaded_at)
    outputs.rows = dict(parsed.rows)
    try:
        after = new.path.stat()
    except FileNotFoundError:
        after = None
    if after is None or (after.st_size, after.st_mtime_ns) != (stat.st_size, stat.st_mtime_ns):
        # The exporter is still writing it: what we read may not match the hash. Next run.
        outputs.discard()
        result.files_seen -= 1
        notify(f"{rel}: changed while being read; left for the next run")
        return

    load_date = loaded_at.date()
    status, loaded, quarantined = parsed.status, parsed.loaded, parsed.quarantined
    rows, reasons = parsed.rows, parsed.reasons
    outputs.publish(load_date)
    manifest_row = {
        "file_sha256": new.sha,
        "source": result.source,
        "source_file": rel,
        "file_bytes": stat.st_size,
        "file_mtime_ns": stat.st_mtime_ns,
        "status": status,
        "rows_in": loaded + quarantined,
        "rows_loaded": loaded,
        "rows_quarantined": quarantined,
        "loaded_at": loaded_at,
    }
    raw_zone.write_manifest(raw_dir, manifest_row, load_date)
    manifest.add(manifest_row)

    if status == "rejected":
        result.files_rejected += 1
    else:
        result.files_loaded += 1
    result.rows_in += loaded + quarantined
    result.rows_loaded += loaded
    result.rows_quarantined += quarantined
    for table, count in rows.items():
        if table != raw_zone.QUARANTINE_TABLE:
            result.rows_per_table[table] = result.rows_per_table.get(table, 0) + count
    for code, count in reasons.items():
        result.quarantine_reasons[code] = result.quarantine_reasons.get(code, 0) + count
    if status == "rejected":
        notify(f"{rel}: rejected whole ({next(iter(reasons))}); see raw.quarantine")
    else:
        detail = ", ".join(
            f"{count} {table}" for table, count in rows.items() if table != "quarantine"
        )
        notify(
            f"{rel}: loaded {loaded} of {loaded + quarantined} records"
            + (f" ({detail})" if detail else "")
            + (f", {quarantined} quarantined" if quarantined else "")
        )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a file is parsed and its outputs written.

    Parsing allocates millions of small dicts and strings without reference cycles (they are
    freed by reference counting); the collector would rescan the growing row buffers again and
    again, which measured as a third of the time spent on telemetry.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_DAY_IN_NAME = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_MONTH_IN_NAME = re.compile(r"(\d{4})-(\d{2})(?!-?\d)")


def export_period(path: Path) -> tuple[date, date] | None:
    """The first and last day an export file covers: the `YYYY-MM-DD` in its name (a daily
    export), the month of a `YYYY-MM` in its name (a monthly invoice); None for a file without a
    date in its name (a reference snapshot such as `customers.csv`: the current state, not a day's
    events)."""
    if match := _DAY_IN_NAME.search(path.name):
        with contextlib.suppress(ValueError):
            day = date(*map(int, match.groups()))
            return day, day
    if match := _MONTH_IN_NAME.search(path.name):
        with contextlib.suppress(ValueError):
            first = date(int(match[1]), int(match[2]), 1)
            last = date(first.year + first.month // 12, first.month % 12 + 1, 1) - timedelta(days=1)
            return first, last
    return None


def export_date(path: Path) -> date:
    """The day an export file is filed under (its Dagster partition): the first day of its
    `export_period`, else the UTC date it was last modified."""
    period = export_period(path)
    if period is not None:
        return period[0]
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).date()


def belongs_to(path: Path, export_dates: Container[date]) -> bool:
    """Whether a run over `export_dates` ingests `path`: a file whose period overlaps them (a
    backfill of 20-22 October takes October's invoices), and every reference snapshot (any run
    needs the current customers and projects; an unchanged file is skipped by its hash)."""
    period = export_period(path)
    if period is None:
        return True
    first, last = period
    return any(first + timedelta(days=n) in export_dates for n in range((last - first).days + 1))


def file_sha256(path: Path) -> str:
    """The SHA-256 (hex) of a file's bytes: its identity in the manifest."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _file_head(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            return payload_text(handle.read(_REJECTED_PAYLOAD_BYTES))
    except OSError:
        return ""


def summarize(results: Iterable[SourceIngestResult]) -> str:
    """One line per source, for logs and the CLI."""
    return "\n".join(
        f"{r.source}: {r.files_loaded} files loaded, {r.files_skipped} skipped, "
        f"{r.files_rejected} rejected; {r.rows_loaded} rows loaded, "
        f"{r.rows_quarantined} quarantined"
        for r in results
    )
