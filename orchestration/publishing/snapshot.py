"""Write–audit–publish: copy the audited marts of the work database into a read-only snapshot.

Readers (analysts, BI tools, the alert sensor) never open the work database: dbt rewrites it and
DuckDB locks a file against every other process while it writes. They open the serving
snapshot, which is replaced in one atomic step once every blocking check has passed::

    serving/
      warehouse.duckdb -> current/warehouse.duckdb      what readers open (read-only)
      parquet          -> current/parquet               <mart>.parquet, one file per mart
      manifest.json    -> current/manifest.json         version, run, time, row counts
      current          -> snapshots/<version>           THE commit point: one symlink rename
      previous         -> snapshots/<older version>     kept for rollback
      snapshots/<version>/                              immutable once renamed into place
      snapshots/<version>.tmp/                          a publish in progress (never read)

A publish writes a whole new version under `snapshots/<version>.tmp/` (the DuckDB file in a
storage version old clients can open, the Parquet exports, the manifest), fsyncs it, renames it
to `snapshots/<version>/`, then atomically points `current` at it. A reader resolves the path
when it opens the file: before the switch it gets the old version, after it the new one, never a
mix; a reader that already has the old file open keeps reading it (Linux keeps the inode of a
deleted file alive while it is open). A crash at any point leaves `current` on a complete
version; the next publish deletes the leftovers (`recover_serving`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

# Schemas copied into the snapshot: the marts (facts, dimensions, reports) and the seeds that
# analysts join to (prices, budgets). Staging and intermediate stay in the work database.
PUBLISHED_SCHEMAS = ("marts", "seeds")
# Schemas exported as Parquet, one file per table (`parquet/<table>.parquet`).
PARQUET_SCHEMAS = ("marts",)
# DuckDB 2.0 writes files that DuckDB 1.x cannot open; this storage version is readable by
# DuckDB 0.10.0 and every later release (measured: 0.10.3, 1.0.0 ... 1.5.6 and 2.0.0 read it;
# 0.9.2 does not). See docs/connecting.md.
SERVING_STORAGE_VERSION = "v1.0.0"
SNAPSHOT_FILE = "warehouse.duckdb"
PARQUET_DIR = "parquet"
MANIFEST_FILE = "manifest.json"
SNAPSHOTS_DIR = "snapshots"
CURRENT = "current"
PREVIOUS = "previous"
TMP_SUFFIX = ".tmp"
LOCK_FILE = ".publish.lock"
# The stable names readers use, each a symlink through `current`.
READER_LINKS = {
    SNAPSHOT_FILE: f"{CURRENT}/{SNAPSHOT_FILE}",
    PARQUET_DIR: f"{CURRENT}/{PARQUET_DIR}",
    MANIFEST_FILE: f"{CURRENT}/{MANIFEST_FILE}",
}
# Tests make the process kill itself at a named point (see `crash_point`).
CRASH_POINT_ENV = "FACTORY_WAREHOUSE_TEST_KILL_AT"


class PublishError(RuntimeError):
    """The snapshot could not be written or failed its own verification; nothing was published."""


@dataclass(frozen=True)
class SnapshotManifest:
    """What one published version holds (`manifest.json`, and table `main.snapshot`)."""

    version: str
    run_id: str
    published_at: str  # ISO 8601 UTC
    storage_version: str
    source_database: str
    tables: dict[str, int] = field(default_factory=dict)  # "marts.fct_runs" -> rows
    parquet: dict[str, str] = field(
        default_factory=dict
    )  # "fct_runs" -> "parquet/fct_runs.parquet"

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> SnapshotManifest:
        return cls(**json.loads(text))


def crash_point(name: str) -> None:
    """SIGKILL this process when `FACTORY_WAREHOUSE_TEST_KILL_AT` names this point (crash tests)."""
    if os.environ.get(CRASH_POINT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def new_version(run_id: str, now: datetime | None = None) -> str:
    """A sortable version name: UTC time of the publish, then the start of the run id."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%dT%H%M%S%fZ}-{run_id.replace('-', '')[:8] or 'manual'}"


# --- Reading the serving directory ---------------------------------------------------------------


def current_version(serving_dir: Path) -> str | None:
    """The version `current` points at, or None before the first publish."""
    return _link_version(serving_dir / CURRENT)


def previous_version(serving_dir: Path) -> str | None:
    """The version kept for rollback, or None."""
    return _link_version(serving_dir / PREVIOUS)


def read_manifest(serving_dir: Path, version: str | None = None) -> SnapshotManifest | None:
    """The manifest of `version` (default: the current one), or None before the first publish."""
    version = version or current_version(serving_dir)
    if version is None:
        return None
    path = serving_dir / SNAPSHOTS_DIR / version / MANIFEST_FILE
    return SnapshotManifest.from_json(path.read_text(encoding="utf-8"))


def _link_version(link: Path) -> str | None:
    try:
        target = os.readlink(link)
    except (FileNotFoundError, OSError):
        return None
    return Path(target).name


# --- Publishing ----------------------------------------------------------------------------------


@contextlib.contextmanager
def publish_lock(serving_dir: Path) -> Iterator[None]:
    """One publish at a time on a serving directory, whatever started it."""
    serving_dir.mkdir(parents=True, exist_ok=True)
    with open(serving_dir / LOCK_FILE, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def publish_snapshot(
    work_db: Path,
    serving_dir: Path,
    *,
    run_id: str,
    now: datetime | None = None,
) -> SnapshotManifest:
    """Publish the marts and seeds of `work_db` as the new serving version; returns its manifest.

    The work database is attached read-only; the caller makes sure nothing writes it meanwhile
    (in Dagster: the `duckdb_writer` pool). Two versions are kept, current and previous; older
    ones are deleted (a reader holding one open keeps reading its file).
    """
    work_db = Path(work_db).resolve()
    serving_dir = Path(serving_dir).resolve()
    if not work_db.exists():
        raise PublishError(f"no work database at {work_db}: build the warehouse first")
    with publish_lock(serving_dir):
        recover_serving(serving_dir)
        version = new_version(run_id, now)
        snapshots = serving_dir / SNAPSHOTS_DIR
        staging = snapshots / f"{version}{TMP_SUFFIX}"
        final = snapshots / version
        staging.mkdir(parents=True)
        try:
            manifest = _write_version(work_db, staging, version=version, run_id=run_id, now=now)
            crash_point("publish_after_database")
            _fsync_tree(staging)
            os.replace(staging, final)
            _fsync_dir(snapshots)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        crash_point("publish_before_switch")
        old = current_version(serving_dir)
        if old is not None and old != version:
            _replace_symlink(serving_dir / PREVIOUS, f"{SNAPSHOTS_DIR}/{old}")
        _replace_symlink(serving_dir / CURRENT, f"{SNAPSHOTS_DIR}/{version}")
        _ensure_reader_links(serving_dir)
        _fsync_dir(serving_dir)
        crash_point("publish_after_switch")
        recover_serving(serving_dir)  # older versions: neither current nor previous any more
        return manifest


def rollback(serving_dir: Path) -> str:
    """Point `current` back at the previous version (and `previous` at the one rolled back);
    returns the version now current."""
    serving_dir = Path(serving_dir).resolve()
    with publish_lock(serving_dir):
        old, current = previous_version(serving_dir), current_version(serving_dir)
        if old is None or not (serving_dir / SNAPSHOTS_DIR / old).is_dir():
            raise PublishError(f"no previous version to roll back to in {serving_dir}")
        _replace_symlink(serving_dir / CURRENT, f"{SNAPSHOTS_DIR}/{old}")
        if current is not None:
            _replace_symlink(serving_dir / PREVIOUS, f"{SNAPSHOTS_DIR}/{current}")
        _fsync_dir(serving_dir)
        return old


def recover_serving(serving_dir: Path) -> list[Path]:
    """Delete what a crashed publish left behind; returns the paths removed.

    Leftovers are `snapshots/*.tmp` directories, temporary symlinks, and complete versions that
    neither `current` nor `previous` points at (renamed into place just before a crash). The
    versions readers see are never touched.
    """
    removed: list[Path] = []
    serving_dir = Path(serving_dir)
    keep = {current_version(serving_dir), previous_version(serving_dir)} - {None}
    snapshots = serving_dir / SNAPSHOTS_DIR
    if snapshots.is_dir():
        for path in sorted(snapshots.iterdir()):
            if path.name.endswith(TMP_SUFFIX) or (path.is_dir() and path.name not in keep):
                _remove(path)
                removed.append(path)
    for path in serving_dir.glob(".link-*"):
        _remove(path)
        removed.append(path)
    if keep:
        _ensure_reader_links(serving_dir)
    return removed


def _write_version(
    work_db: Path, directory: Path, *, version: str, run_id: str, now: datetime | None
) -> SnapshotManifest:
    """The snapshot database, the Parquet exports and the manifest, inside `directory`."""
    database = directory / SNAPSHOT_FILE
    parquet_dir = directory / PARQUET_DIR
    parquet_dir.mkdir()
    published_at = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    tables: dict[str, int] = {}
    parquet: dict[str, str] = {}
    with duckdb.connect() as con:
        con.execute("set enable_progress_bar = false")
        con.execute(f"attach {_sql_string(str(work_db))} as work (read_only)")
        con.execute(
            f"attach {_sql_string(str(database))} as serving "
            f"(storage_version {_sql_string(SERVING_STORAGE_VERSION)})"
        )
        names = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = 'work' and schema_name in "
            f"({', '.join(_sql_string(s) for s in PUBLISHED_SCHEMAS)}) order by all"
        ).fetchall()
        if not any(schema == "marts" for schema, _ in names):
            raise PublishError(f"{work_db} has no table in schema marts: nothing to publish")
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"create schema if not exists serving.{_ident(schema)}")
        for schema, table in names:
            source = f"work.{_ident(schema)}.{_ident(table)}"
            con.execute(
                f"create table serving.{_ident(schema)}.{_ident(table)} as select * from {source}"
            )
            tables[f"{schema}.{table}"] = _count(con, f"serving.{_ident(schema)}.{_ident(table)}")
            if schema in PARQUET_SCHEMAS:
                target = parquet_dir / f"{table}.parquet"
                con.execute(
                    f"copy (select * from {source}) to {_sql_string(str(target))} "
                    "(format parquet, compression zstd)"
                )
                parquet[table] = f"{PARQUET_DIR}/{table}.parquet"
        manifest = SnapshotManifest(
            version=version,
            run_id=run_id,
            published_at=published_at,
            storage_version=SERVING_STORAGE_VERSION,
            source_database=str(work_db),
            tables=tables,
            parquet=parquet,
        )
        # which version a reader has open: `select * from snapshot`
        con.execute(
            "create table serving.main.snapshot as select ? as version, ? as run_id, "
            "cast(? as timestamp) as published_at, ? as storage_version",
            [version, run_id, published_at.replace("+00:00", ""), SERVING_STORAGE_VERSION],
        )
        con.execute(
            "create table serving.main.snapshot_tables (table_name varchar, row_count bigint)"
        )
        con.executemany(
            "insert into serving.main.snapshot_tables values (?, ?)", list(tables.items())
        )
        con.execute("checkpoint serving")
        con.execute("detach serving")
        con.execute("detach work")
    _verify(database, parquet_dir, manifest)
    (directory / MANIFEST_FILE).write_text(manifest.to_json(), encoding="utf-8")
    # a snapshot is read-only: a client that forgets `read_only` cannot change or lock it
    # (for users other than root)
    database.chmod(0o444)
    return manifest


def _verify(database: Path, parquet_dir: Path, manifest: SnapshotManifest) -> None:
    """Re-open what was written, as a reader will, and compare row counts."""
    with duckdb.connect(str(database), read_only=True) as con:
        for name, rows in manifest.tables.items():
            schema, table = name.split(".", 1)
            found = _count(con, f"{_ident(schema)}.{_ident(table)}")
            if found != rows:
                raise PublishError(f"snapshot {name}: {found} rows read back, {rows} written")
        for table, relative in manifest.parquet.items():
            path = parquet_dir.parent / relative
            found = _count(con, f"read_parquet({_sql_string(str(path))})")
            if found != manifest.tables[f"marts.{table}"]:
                raise PublishError(f"{relative}: {found} rows read back")


def _count(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    return int(con.execute(f"select count(*) from {relation}").fetchall()[0][0])


def _ensure_reader_links(serving_dir: Path) -> None:
    """Create the stable reader paths (symlinks through `current`) where missing or wrong."""
    for name, target in READER_LINKS.items():
        path = serving_dir / name
        if path.is_symlink() and os.readlink(path) == target:
            continue
        if path.exists() and not path.is_symlink() and path.is_dir():
            # a real directory from another layout: move it aside, the rename cannot replace it
            path.rename(path.with_name(f"{name}.replaced-{uuid.uuid4().hex[:8]}"))
        _replace_symlink(path, target)


def _replace_symlink(path: Path, target: str) -> None:
    """Atomically make `path` a symlink to `target` (relative), replacing what was there."""
    tmp = path.with_name(f".link-{uuid.uuid4().hex}")
    os.symlink(target, tmp)
    os.replace(tmp, path)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        for child in path.rglob("*"):  # read-only snapshot files
            with contextlib.suppress(OSError):
                child.chmod(0o644 if child.is_file() else 0o755)
        shutil.rmtree(path, ignore_errors=True)


def _fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob("*"), reverse=True):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        elif path.is_dir():
            _fsync_dir(path)
    _fsync_dir(root)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
