"""Run a suite on a pandas frame, a query result or a raw table, and summarise the outcome.

GX runs on pandas frames (a GX SQL data source on DuckDB resolves no metric at all), through one
ephemeral GX context per process: a pandas data source, one dataframe asset, one whole-frame batch
definition and one validation definition per suite, built on first use and reused.

Raw tables are read from DuckDB read-only, only the columns the suite needs, in chunks of at most
`chunk_rows` rows (whole files, so a per-file uniqueness rule sees all of a file), and the chunk
results are merged: unexpected counts add up, a `mostly` rule is judged on the totals. The
column-presence rule runs once, on a zero-row frame with every column.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import math
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import great_expectations as gx
import numpy as np
import pandas as pd
import pyarrow as pa
from great_expectations.core import (
    ExpectationSuiteValidationResult,
    ExpectationValidationResult,
)
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.execution_engine import pandas_execution_engine

from expectations.suites import (
    CRITICAL,
    ERROR,
    SUITES_DIR,
    load_suite,
    raw_suite_name,
    suite_json,
)
from ingestion.schemas import RAW_TABLES

SAMPLE_SIZE = 5  # unexpected values kept per failed expectation
RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": SAMPLE_SIZE}
DEFAULT_CHUNK_ROWS = 1_000_000
# Expectations on the table's shape: run once on a zero-row frame holding every column, so the
# chunks need only the columns the row-level expectations read.
SCHEMA_EXPECTATION_TYPES = frozenset(
    {
        "expect_column_to_exist",
        "expect_table_column_count_to_be_between",
        "expect_table_column_count_to_equal",
        "expect_table_columns_to_match_ordered_list",
        "expect_table_columns_to_match_set",
    }
)
_COLUMN_KWARGS = ("column", "column_A", "column_B")

# GX fingerprints every frame under 1 GB (a hash of all its values, ~1.7 s per million spans) only
# to label the batch; nothing here reads the label, and a chunk is never validated twice.
if hasattr(pandas_execution_engine, "HASH_THRESHOLD"):
    pandas_execution_engine.HASH_THRESHOLD = 0


# --- Results --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FailedExpectation:
    """One expectation that failed, in JSON-serialisable terms."""

    check: str  # stable key from the suite (meta.check), e.g. "in_set:status"
    expectation_type: str
    column: str | None  # the column(s) checked, comma-separated for pairs and compounds
    severity: str  # GX severity: "critical" blocks, "warning" does not
    unexpected_count: int | None  # None for table-level expectations (e.g. columns present)
    unexpected_percent: float | None  # of the non-null rows considered
    sample_unexpected_values: list = field(default_factory=list)
    observed_value: Any = None  # for table-level expectations
    exception: str | None = None  # GX could not evaluate the expectation (e.g. missing column)

    def to_dict(self) -> dict:
        """A plain dict (JSON-serialisable)."""
        return {
            "check": self.check,
            "expectation_type": self.expectation_type,
            "column": self.column,
            "severity": self.severity,
            "unexpected_count": self.unexpected_count,
            "unexpected_percent": self.unexpected_percent,
            "sample_unexpected_values": self.sample_unexpected_values,
            "observed_value": self.observed_value,
            "exception": self.exception,
        }


@dataclass
class SuiteResult:
    """The outcome of one suite on one frame, query or raw table (all chunks merged)."""

    suite_name: str
    success: bool  # every expectation passed
    severity: str  # the suite's declared severity: "ERROR" (blocking) or "WARN"
    evaluated_expectations: int
    failed_expectations: int
    failures: list[FailedExpectation]
    rows: int  # rows validated
    chunks: int = 1
    # The merged GX result, for Data Docs; not part of equality or repr.
    gx_result: ExpectationSuiteValidationResult | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def blocking_failure(self) -> bool:
        """True when the suite is blocking and a `critical` expectation failed."""
        return self.severity == ERROR and any(f.severity == CRITICAL for f in self.failures)

    @property
    def check_severity(self) -> str:
        """Severity for a Dagster asset check result: ERROR only for a blocking failure."""
        return ERROR if self.blocking_failure else "WARN"

    @property
    def unexpected_counts(self) -> dict[str, int]:
        """Unexpected rows per failed check (table-level failures count as 1)."""
        return {
            f.check: f.unexpected_count if f.unexpected_count is not None else 1
            for f in self.failures
        }

    def to_metadata(self) -> dict:
        """A JSON-serialisable summary, e.g. for asset check metadata."""
        return {
            "suite": self.suite_name,
            "success": self.success,
            "severity": self.severity,
            "blocking_failure": self.blocking_failure,
            "evaluated_expectations": self.evaluated_expectations,
            "failed_expectations": self.failed_expectations,
            "rows": self.rows,
            "chunks": self.chunks,
            "unexpected_counts": self.unexpected_counts,
            "failures": [f.to_dict() for f in self.failures],
        }


# --- The GX engine (one per process) --------------------------------------------------------------


class _Engine:
    """An ephemeral GX context with a pandas data source and a validation definition per suite."""

    def __init__(self) -> None:
        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(),
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
        )
        self.context = gx.get_context(mode="ephemeral", project_config=config)
        asset = self.context.data_sources.add_pandas("frames").add_dataframe_asset("frame")
        self.batch_definition = asset.add_batch_definition_whole_dataframe("whole_frame")
        self._definitions: dict[str, tuple[str, gx.ValidationDefinition]] = {}
        # GX contexts are not thread-safe; Dagster may run checks on threads of one process.
        self.lock = threading.Lock()

    def run(
        self, suite: gx.ExpectationSuite, frame: pd.DataFrame
    ) -> ExpectationSuiteValidationResult:
        fingerprint = hashlib.sha256(suite_json(suite).encode()).hexdigest()
        with self.lock:
            cached = self._definitions.get(suite.name)
            if cached is None or cached[0] != fingerprint:
                definition = self._define(suite, replace=cached is not None)
                self._definitions[suite.name] = (fingerprint, definition)
            else:
                definition = cached[1]
            result = definition.run(
                batch_parameters={"dataframe": frame}, result_format=RESULT_FORMAT
            )
            self._forget_results()
        return result

    def _define(self, suite: gx.ExpectationSuite, *, replace: bool) -> gx.ValidationDefinition:
        if replace:  # the suite file changed while this process ran
            self.context.validation_definitions.delete(suite.name)
            self.context.suites.delete(suite.name)
        # A fresh copy: adding binds the suite (and its expectations) to this context.
        stored = self.context.suites.add(gx.ExpectationSuite(**suite.to_json_dict()))
        return self.context.validation_definitions.add(
            gx.ValidationDefinition(name=suite.name, data=self.batch_definition, suite=stored)
        )

    def _forget_results(self) -> None:
        # Results are returned to the caller; the in-memory store would only grow.
        store = self.context.validation_results_store
        for key in store.list_keys():
            store.remove_key(key)


_ENGINE: _Engine | None = None
_ENGINE_LOCK = threading.Lock()


def _engine() -> _Engine:
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = _Engine()
        return _ENGINE


# --- Public API -----------------------------------------------------------------------------------


def validate_frame(
    suite_name: str, frame: pd.DataFrame, *, suites_dir: Path = SUITES_DIR
) -> SuiteResult:
    """Validate `frame` against suite `suite_name` (read from its JSON file).

    The table-shape expectations (columns present) see every column; the row-level ones a
    projection on the columns they read, to which the suite's derived columns (meta
    `derived_columns`, e.g. `_load_horizon_at`) are added and whose range-checked numbers get
    numpy dtypes: `frame` itself is not changed. The type expectations assume frames as DuckDB
    hands them over (through Arrow or `.df()`): `str` strings, datetime64 timestamps, int32
    `attempt`.
    """
    suite = load_suite(suite_name, suites_dir)
    shape_part, row_part = _split_suite(suite)
    tally = _Tally(suite)
    # GX filters the whole frame for every expectation: give the row-level expectations only
    # the columns they read (a 1M-row spans frame: 3x faster, a fraction of the memory)
    if shape_part.expectations:
        tally.add(_engine().run(shape_part, frame.iloc[:0]), rows=0, count_chunk=False)
    derived = row_part.meta.get("derived_columns") or {}
    columns = [c for c in [*_needed_columns(row_part), *derived] if c in frame.columns]
    prepared = _prepare_frame(frame[columns], row_part, copy_first=False)
    tally.add(_engine().run(row_part, prepared), rows=len(frame))
    return tally.result()


def validate_query(
    suite_name: str,
    warehouse_path: Path,
    query: str | None = None,
    parameters: Sequence[Any] | None = None,
    *,
    suites_dir: Path = SUITES_DIR,
) -> SuiteResult:
    """Run `query` (default: the suite's meta `frame_query`) read-only on the DuckDB file or raw
    directory `warehouse_path` and validate its result with suite `suite_name`.

    Meant for the business-invariant suites, whose frames are small (one row per day or so).
    """
    suite = load_suite(suite_name, suites_dir)
    sql = query or suite.meta.get("frame_query")
    if not sql:
        raise ValueError(f"suite {suite_name} has no frame_query: pass the query")
    tables = list(RAW_TABLES)
    with _connection(warehouse_path, tables) as connection:
        frame = _fetch_frame(connection, sql, parameters)
    return validate_frame(suite_name, frame, suites_dir=suites_dir)


def validate_raw_table(
    table: str,
    warehouse_path: Path,
    *,
    load_dates: Sequence[dt.date] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    suites_dir: Path = SUITES_DIR,
) -> SuiteResult:
    """Validate raw table `table` with its suite (`raw_<table>`), chunk by chunk.

    `warehouse_path` is the DuckDB file (read through its `raw.<table>` view, opened read-only
    and closed after each query, so a writer waits at most one chunk) or the raw-zone directory
    (`raw/<table>/load_date=*/*.parquet`, read with an in-memory DuckDB). `load_dates` limits the
    check to those partitions. A chunk is a set of whole files of at most `chunk_rows` rows; a
    file larger than that is split by line-number ranges (then a per-file uniqueness rule is
    only checked within each piece). Unexpected counts are summed over chunks.
    """
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be >= 1")
    suite = load_suite(raw_suite_name(table), suites_dir)
    schema_part, value_part = _split_suite(suite)
    with _connection(warehouse_path, [table]) as connection:
        empty = _fetch_frame(connection, f"select * from raw.{table} limit 0")
        description = connection.execute(f"select * from raw.{table} limit 0").description
        plan = _plan_files(connection, table, load_dates)
    chunks = list(_pack(plan, chunk_rows))

    tally = _Tally(suite)
    if not chunks:  # nothing to read: the whole suite on the zero-row frame
        tally.add(_engine().run(suite, _prepare_frame(empty, suite)), rows=0)
        return tally.result()

    tally.add(_engine().run(schema_part, empty), rows=0, count_chunk=False)
    # only the columns the row-level expectations read (a missing one is reported by the shape
    # part); exact decimals become doubles: the checks on them are signs and ranges
    source_types = {name: str(type_) for name, type_, *_ in description}
    select = ", ".join(
        f"{_quote(c)}::double as {_quote(c)}"
        if source_types[c].startswith("DECIMAL")
        else _quote(c)
        for c in _needed_columns(value_part)
        if c in source_types
    )
    select = select or "1 as _no_column"
    for chunk in chunks:
        if chunk.split is not None:
            # an oversized file: its line-number quantiles bound the pieces
            with _connection(warehouse_path, [table]) as connection:
                ranges = _line_ranges(connection, table, chunk, chunk_rows)
            pieces = [(chunk, r) for r in ranges]
        else:
            pieces = [(chunk, None)]
        for piece, line_range in pieces:
            where, params = piece.predicate(line_range)
            with _connection(warehouse_path, [table]) as connection:
                frame = _fetch_frame(
                    connection, f"select {select} from raw.{table} where {where}", params
                )
            frame = _prepare_frame(frame, value_part, copy_first=False)
            tally.add(_engine().run(value_part, frame), rows=len(frame))
            del frame  # free the chunk before the next one is read
    return tally.result()


# --- Reading --------------------------------------------------------------------------------------


@contextmanager
def _connection(source: Path, tables: Sequence[str]) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived DuckDB connection that sees `raw.<table>` for each of `tables`.

    A DuckDB file is opened read-only (its raw views already exist); a directory is taken as the
    raw zone and its Parquet files are exposed as views of an in-memory database.
    """
    source = Path(source)
    if source.is_dir():
        connection = duckdb.connect()
        try:
            connection.execute("set enable_progress_bar = false")
            connection.execute("create schema raw")
            for table in tables:
                _register_parquet(connection, source, table)
            yield connection
        finally:
            connection.close()
        return
    if not source.exists():
        raise FileNotFoundError(f"no DuckDB warehouse or raw directory at {source}")
    connection = duckdb.connect(str(source), read_only=True)
    try:
        connection.execute("set enable_progress_bar = false")
        yield connection
    finally:
        connection.close()


def _fetch_frame(
    connection: duckdb.DuckDBPyConnection, sql: str, parameters: Sequence[Any] | None = None
) -> pd.DataFrame:
    """Run `sql` and return its result as pandas, through Arrow: numpy float64 for integers with
    nulls (GX compares those vectorised) and a fraction of the memory of `.df()`."""
    table = connection.sql(sql, params=list(parameters) if parameters else None).to_arrow_table()
    return table.to_pandas(split_blocks=True, self_destruct=True)


def _register_parquet(connection: duckdb.DuckDBPyConnection, raw_dir: Path, table: str) -> None:
    files = sorted((raw_dir / table).glob("load_date=*/*.parquet"))
    if files:
        glob = str(raw_dir.resolve() / table / "*" / "*.parquet").replace("'", "''")
        connection.execute(
            f"create view raw.{table} as select * from read_parquet('{glob}', "
            "hive_partitioning = true, hive_types = {'load_date': date}, union_by_name = true)"
        )
        return
    # no file yet: an empty table of the contract's schema, as the warehouse registers it
    connection.register("_empty_raw_table", pa.Table.from_pylist([], schema=RAW_TABLES[table]))
    connection.execute(
        f"create table raw.{table} as select *, null::date as load_date from _empty_raw_table"
    )
    connection.unregister("_empty_raw_table")


@dataclass(frozen=True)
class _File:
    load_date: dt.date | None
    sha256: str | None
    rows: int


@dataclass(frozen=True)
class _Chunk:
    """Whole files read together, or one oversized file to be split (`split` pieces)."""

    files: tuple[_File, ...]
    split: int | None = None

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    def predicate(self, line_range: tuple[int | None, int | None] | None) -> tuple[str, list]:
        """SQL condition (with its parameters) selecting the chunk's rows, or one piece of it."""
        terms: list[str] = []
        params: list = []
        for column, values in (
            ("load_date", {f.load_date for f in self.files}),
            ("_file_sha256", {f.sha256 for f in self.files}),
        ):
            known = sorted(v for v in values if v is not None)
            alternatives = []
            if known:
                alternatives.append(f"{column} in ({', '.join('?' * len(known))})")
                params += known
            if None in values:
                alternatives.append(f"{column} is null")
            terms.append("(" + " or ".join(alternatives) + ")")
        if line_range is not None:
            low, high = line_range
            if low is not None:
                terms.append("_line_number > ?")
                params.append(low)
            if high is not None:
                terms.append("_line_number <= ?")
                params.append(high)
        return " and ".join(terms), params


def _plan_files(
    connection: duckdb.DuckDBPyConnection, table: str, load_dates: Sequence[dt.date] | None
) -> list[_File]:
    """Row count per (load_date, file) of the table, in a stable order."""
    where, params = "", []
    if load_dates is not None:
        if not load_dates:
            return []
        where = f"where load_date in ({', '.join('?' * len(load_dates))})"
        params = list(load_dates)
    rows = connection.execute(
        f"select load_date, _file_sha256, count(*) from raw.{table} {where} "
        "group by all order by all",
        params,
    ).fetchall()
    return [_File(d, sha, n) for d, sha, n in rows]


def _pack(files: list[_File], chunk_rows: int) -> Iterator[_Chunk]:
    """Group whole files into chunks of at most `chunk_rows` rows; an oversized file alone."""
    batch: list[_File] = []
    size = 0
    for f in files:
        if f.rows > chunk_rows:
            yield _Chunk((f,), split=math.ceil(f.rows / chunk_rows))
            continue
        if batch and size + f.rows > chunk_rows:
            yield _Chunk(tuple(batch))
            batch, size = [], 0
        batch.append(f)
        size += f.rows
    if batch:
        yield _Chunk(tuple(batch))


def _line_ranges(
    connection: duckdb.DuckDBPyConnection, table: str, chunk: _Chunk, chunk_rows: int
) -> list[tuple[int | None, int | None]]:
    """(low, high] line-number ranges splitting one file into pieces of about `chunk_rows` rows.

    All rows of one line stay in one piece (a line holds one record: its jobs, steps or spans).
    """
    pieces = chunk.split or 1
    fractions = [i / pieces for i in range(1, pieces)]
    where, params = chunk.predicate(None)
    bounds = connection.execute(
        f"select quantile_disc(_line_number, ?::double[]) from raw.{table} where {where}",
        [fractions, *params],
    ).fetchall()[0][0]
    cuts = sorted({b for b in bounds or [] if b is not None})
    edges: list[int | None] = [None, *cuts, None]
    return [(edges[i], edges[i + 1]) for i in range(len(edges) - 1)]


def _quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


# --- Suites: parts, columns, derived columns ------------------------------------------------------


def _split_suite(suite: gx.ExpectationSuite) -> tuple[gx.ExpectationSuite, gx.ExpectationSuite]:
    """The table-shape expectations and the row-level ones, as two suites (same meta)."""
    data = suite.to_json_dict()
    shape = [e for e in data["expectations"] if e["type"] in SCHEMA_EXPECTATION_TYPES]
    rows = [e for e in data["expectations"] if e["type"] not in SCHEMA_EXPECTATION_TYPES]
    meta = data.get("meta") or {}
    return (
        gx.ExpectationSuite(name=f"{suite.name}.shape", expectations=shape, meta=dict(meta)),
        gx.ExpectationSuite(name=f"{suite.name}.rows", expectations=rows, meta=dict(meta)),
    )


def _condition_columns(condition: Any) -> list[str]:
    if not condition:
        return []
    if isinstance(condition, dict):
        if "conditions" in condition:
            return [c for sub in condition["conditions"] for c in _condition_columns(sub)]
        column = condition.get("column")
        return [column["name"]] if isinstance(column, dict) else []
    if hasattr(condition, "conditions"):
        return [c for sub in condition.conditions for c in _condition_columns(sub)]
    if hasattr(condition, "column"):
        return [condition.column.name]
    return []


def _expectation_columns(kwargs: dict) -> list[str]:
    columns = [kwargs[k] for k in _COLUMN_KWARGS if isinstance(kwargs.get(k), str)]
    columns += list(kwargs.get("column_list") or [])
    return columns


def _needed_columns(suite: gx.ExpectationSuite) -> list[str]:
    """Source columns the suite's row-level expectations read (derived columns by source)."""
    derived = suite.meta.get("derived_columns") or {}
    needed: list[str] = []
    for expectation in suite.expectations:
        kwargs = expectation.configuration.kwargs
        for column in [
            *_expectation_columns(kwargs),
            *_condition_columns(kwargs.get("row_condition")),
        ]:
            sources = _derived_sources(derived[column]) if column in derived else [column]
            needed += [s for s in sources if s not in needed]
    return needed


def _derived_sources(spec: dict) -> list[str]:
    if spec["op"] == "add_hours":
        return [spec["column"]]
    if spec["op"] == "divide":
        return [spec["numerator"], spec["denominator"]]
    raise ValueError(f"unknown derived column op {spec['op']!r}")


def _prepare_frame(
    frame: pd.DataFrame, suite: gx.ExpectationSuite, *, copy_first: bool = True
) -> pd.DataFrame:
    """Add the suite's derived columns that `frame` lacks (and whose sources it has), and give
    range-checked columns numpy dtypes: GX compares int64/float64 vectorised but nullable
    (Int64, Float64) and Decimal columns one Python value at a time (seconds per million)."""
    derived = suite.meta.get("derived_columns") or {}
    todo = {
        name: spec
        for name, spec in derived.items()
        if name not in frame.columns and all(s in frame.columns for s in _derived_sources(spec))
    }
    typed = {
        e.configuration.kwargs["column"]
        for e in suite.expectations
        if e.configuration.type == "expect_column_values_to_be_of_type"
    }
    ranged = {
        e.configuration.kwargs["column"]
        for e in suite.expectations
        if e.configuration.type == "expect_column_values_to_be_between"
    }
    numeric = {
        c: converted
        for c in sorted(ranged - typed)
        if c in frame.columns and (converted := _as_numpy_number(frame[c])) is not None
    }
    if not todo and not numeric:
        return frame
    if copy_first:
        frame = frame.copy(deep=False)  # copy-on-write: the caller's frame stays as it was
    for name, values in numeric.items():
        frame[name] = values
    for name, spec in todo.items():
        if spec["op"] == "add_hours":
            frame[name] = frame[spec["column"]] + pd.Timedelta(hours=spec["hours"])
        else:  # divide; a zero or missing denominator gives null (not judged)
            numerator = frame[spec["numerator"]].to_numpy(dtype="float64", na_value=np.nan)
            denominator = frame[spec["denominator"]].to_numpy(dtype="float64", na_value=np.nan)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(denominator == 0, np.nan, numerator / denominator)
            frame[name] = ratio
    return frame


def _as_numpy_number(series: pd.Series) -> np.ndarray | None:
    """int64 (no nulls) or float64 values of a nullable-numeric or Decimal column, else None."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iuf":
        if dtype in (np.int64, np.float64):
            return None
        return series.to_numpy(dtype="int64" if dtype.kind in "iu" else "float64")
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and pd.api.types.is_numeric_dtype(dtype):
        if dtype.kind in "iu" and not series.hasnans:
            return series.to_numpy(dtype="int64")
        return series.to_numpy(dtype="float64", na_value=np.nan)
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        first = series.first_valid_index()
        if first is not None and isinstance(series[first], decimal.Decimal):
            return pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64")
    return None


# --- Merging results ------------------------------------------------------------------------------


@dataclass
class _Check:
    """What one expectation did over all chunks."""

    check: str
    expectation_type: str
    column: str | None
    severity: str
    mostly: float
    kwargs: dict
    evaluated: bool = False
    all_success: bool = True
    map_like: bool = False
    element_count: int = 0
    missing_count: int = 0
    unexpected_count: int = 0
    samples: list = field(default_factory=list)
    observed_value: Any = None
    exception: str | None = None
    first: ExpectationValidationResult | None = None


class _Tally:
    """Accumulates chunk results of one suite and merges them into a `SuiteResult`."""

    def __init__(self, suite: gx.ExpectationSuite) -> None:
        self.suite = suite
        self.checks: dict[str, _Check] = {}
        for expectation in suite.expectations:
            config = expectation.configuration
            key = _check_key(config)
            if key in self.checks:
                raise ValueError(f"suite {suite.name}: two expectations share the check {key!r}")
            self.checks[key] = _Check(
                check=key,
                expectation_type=config.type,
                column=", ".join(_expectation_columns(config.kwargs)) or None,
                severity=str(getattr(config.severity, "value", config.severity) or CRITICAL),
                mostly=float(config.kwargs.get("mostly", 1.0) or 1.0),
                kwargs=dict(config.kwargs),
            )
        self.rows = 0
        self.chunks = 0
        self.meta: dict = {}

    def add(
        self, result: ExpectationSuiteValidationResult, *, rows: int, count_chunk: bool = True
    ) -> None:
        self.rows += rows
        self.chunks += 1 if count_chunk else 0
        if not self.meta:
            self.meta = dict(result.meta or {})
        for evr in result.results:
            config = evr.expectation_config
            key = _check_key(config)
            check = self.checks.get(key)
            if check is None:  # not an expectation of this suite: cannot happen, never hide it
                raise RuntimeError(f"{self.suite.name}: result for unknown check {key!r}")
            check.evaluated = True
            check.first = check.first or evr
            check.all_success = check.all_success and bool(evr.success)
            check.exception = check.exception or _exception_message(evr.exception_info)
            res = evr.result or {}
            if "unexpected_count" in res:
                check.map_like = True
                check.element_count += int(res.get("element_count") or 0)
                check.missing_count += int(res.get("missing_count") or 0)
                check.unexpected_count += int(res.get("unexpected_count") or 0)
                room = SAMPLE_SIZE - len(check.samples)
                if room > 0:
                    check.samples += [_jsonable(v) for v in res.get("partial_unexpected_list", [])][
                        :room
                    ]
            if "observed_value" in res and (check.observed_value is None or not evr.success):
                check.observed_value = _jsonable(res["observed_value"])

    def _success(self, check: _Check) -> bool:
        if check.exception or not check.evaluated:
            return False
        if not check.map_like or self.chunks <= 1:
            return check.all_success
        # judged on the totals: a `mostly` rule may fail on a chunk yet hold overall
        considered = check.element_count - check.missing_count
        if check.unexpected_count == 0 or considered <= 0:
            return True
        return (considered - check.unexpected_count) / considered >= check.mostly - 1e-12

    def result(self) -> SuiteResult:
        failures: list[FailedExpectation] = []
        merged: list[ExpectationValidationResult] = []
        for check in self.checks.values():
            success = self._success(check)
            considered = check.element_count - check.missing_count
            percent = (
                100.0 * check.unexpected_count / considered
                if check.map_like and considered > 0
                else (0.0 if check.map_like else None)
            )
            if not success:
                failures.append(
                    FailedExpectation(
                        check=check.check,
                        expectation_type=check.expectation_type,
                        column=check.column,
                        severity=check.severity,
                        unexpected_count=check.unexpected_count if check.map_like else None,
                        unexpected_percent=percent,
                        sample_unexpected_values=list(check.samples),
                        observed_value=check.observed_value,
                        exception=check.exception
                        or (None if check.evaluated else "expectation was not evaluated"),
                    )
                )
            if check.first is not None:
                merged.append(self._merged_evr(check, success, percent))
        severity = self.suite.meta.get("severity", ERROR)
        evaluated = len(self.checks)
        passed = evaluated - len(failures)
        statistics = {
            "evaluated_expectations": evaluated,
            "successful_expectations": passed,
            "unsuccessful_expectations": len(failures),
            "success_percent": 100.0 * passed / evaluated if evaluated else None,
        }
        gx_result = ExpectationSuiteValidationResult(
            success=not failures,
            results=merged,
            suite_name=self.suite.name,
            statistics=statistics,
            meta={**self.meta, "rows": self.rows, "chunks": self.chunks},
        )
        return SuiteResult(
            suite_name=self.suite.name,
            success=not failures,
            severity=severity,
            evaluated_expectations=evaluated,
            failed_expectations=len(failures),
            failures=failures,
            rows=self.rows,
            chunks=max(self.chunks, 1),
            gx_result=gx_result,
        )

    def _merged_evr(
        self, check: _Check, success: bool, percent: float | None
    ) -> ExpectationValidationResult:
        first = check.first
        assert first is not None
        result = dict(first.result or {})
        if check.map_like:
            result.update(
                element_count=check.element_count,
                missing_count=check.missing_count,
                unexpected_count=check.unexpected_count,
                unexpected_percent=percent,
                partial_unexpected_list=list(check.samples),
            )
        return ExpectationValidationResult(
            success=success,
            expectation_config=first.expectation_config,
            result=result,
            exception_info=first.exception_info,
            meta=first.meta,
        )


def _exception_message(info: Any) -> str | None:
    """The message of an exception GX caught: either at the top of `exception_info`, or (for a
    metric that could not be resolved, e.g. a missing column) per metric inside it."""
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for nested in info.values():
        if isinstance(nested, dict) and nested.get("raised_exception"):
            return str(nested.get("exception_message"))
    return None


def _check_key(config: Any) -> str:
    """The expectation's `meta.check`, else its type and columns (GX reorders results, so
    results are matched to expectations by this key)."""
    key = (config.meta or {}).get("check")
    return key or f"{config.type}:{','.join(_expectation_columns(config.kwargs))}"


def _jsonable(value: Any) -> Any:
    """A JSON-serialisable form of a value GX reports (numpy, pandas, Decimal, tuples...)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).isoformat()
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (pd.Timedelta, dt.timedelta)):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    return str(value)
