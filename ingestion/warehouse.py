"""Expose the raw zone to DuckDB (and so to dbt) as the `raw` schema.

Each raw table becomes a view over its Parquet files; the hive partition `load_date` appears as a
DATE column. A table with no file yet becomes an empty table of the same schema, so dbt always
finds every source. Views read the files at query time: new files show up without re-registering,
but a table that was empty must be registered again once it has files, and a view registered
when every file had one schema reads the files by that schema (ingestion registers the views
again after every load).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb
import pyarrow as pa

from ingestion import raw_zone
from ingestion.errors import IngestionError
from ingestion.schemas import RAW_TABLES

SCHEMA = "raw"


def register_raw_views(
    db_path: Path, raw_dir: Path, tables: Iterable[str] | None = None
) -> dict[str, int]:
    """Create or replace `raw.<table>` in the DuckDB file for each raw table (all by default).

    Returns the row count of each registered table. Raises `IngestionError` for an unknown table.
    """
    names = list(RAW_TABLES) if tables is None else list(tables)
    unknown = [t for t in names if t not in RAW_TABLES]
    if unknown:
        raise IngestionError(
            f"unknown raw table(s) {', '.join(unknown)}: expected some of {', '.join(RAW_TABLES)}"
        )
    raw_dir = raw_dir.resolve()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    try:
        connection = duckdb.connect(str(db_path))
    except duckdb.IOException as exc:
        raise IngestionError(
            f"cannot open the warehouse {db_path} for writing ({exc}); DuckDB allows one writer: "
            "close any other process using it (dbt, a notebook, a BI tool) and retry"
        ) from exc
    try:
        # each footer read once, by the schema check and the count (this connection only)
        connection.execute("set parquet_metadata_cache = true")
        connection.execute(f"create schema if not exists {SCHEMA}")
        for table in names:
            files = raw_zone.table_files(raw_dir, table)
            _drop_if_kind(connection, table, "table" if files else "view")
            if files:
                glob = _sql_string(f"{raw_dir / table}/*/*.parquet")
                one_schema = _one_schema(connection, glob)
                connection.execute(
                    f"create or replace view {SCHEMA}.{table} as "
                    f"select * from read_parquet({glob}, hive_partitioning = true, "
                    "hive_types = {'load_date': date}"
                    f"{'' if one_schema else ', union_by_name = true'})"
                )
            else:
                _create_empty(connection, table)
            counts[table] = connection.execute(f"select count(*) from {SCHEMA}.{table}").fetchall()[
                0
            ][0]
    finally:
        connection.close()
    return counts


def _one_schema(connection: duckdb.DuckDBPyConnection, glob: str) -> bool:
    """Whether every file of the glob has the same columns (not so for files written before a
    raw table gained a column). Only then can the view read them without `union_by_name`, which
    makes every query binding the view read the footer of every file: ~50 ms for a year of
    spans against ~15 ms for the first file's alone, ~210 ms against ~40 ms for the manifest's
    1,500 files. DuckDB matches the other files' columns to the first one's by name."""
    [(schemas,)] = connection.execute(
        "select count(distinct columns) from ("
        "select string_agg(concat_ws(' ', name, type, converted_type, logical_type::varchar), "
        "',' order by name) as columns "
        f"from parquet_schema({glob}) group by file_name)"
    ).fetchall()
    return schemas == 1


def _create_empty(connection: duckdb.DuckDBPyConnection, table: str) -> None:
    """An empty table with the raw schema (types exactly as the Parquet files will have them)."""
    empty = pa.Table.from_pylist([], schema=RAW_TABLES[table])
    connection.register("_empty_raw_table", empty)
    try:
        connection.execute(
            f"create or replace table {SCHEMA}.{table} as "
            "select *, null::date as load_date from _empty_raw_table"
        )
    finally:
        connection.unregister("_empty_raw_table")


def _drop_if_kind(connection: duckdb.DuckDBPyConnection, table: str, kind: str) -> None:
    """Drop `raw.<table>` if it is a `kind` ("view" or "table"): `create or replace view` cannot
    replace a table, nor the reverse."""
    rows = connection.execute(
        "select table_type from information_schema.tables "
        "where table_schema = ? and table_name = ?",
        [SCHEMA, table],
    ).fetchall()
    if rows and ("view" if rows[0][0] == "VIEW" else "table") == kind:
        connection.execute(f"drop {kind} {SCHEMA}.{table}")


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
