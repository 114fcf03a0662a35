"""Expose the raw zone to DuckDB (and so to dbt) as the `raw` schema.

Each raw table becomes a view over its Parquet files; the hive partition `load_date` appears as a
DATE column. A table with no file yet becomes an empty table of the same schema, so dbt always
finds every source. Views read the files at query time: new files show up without re-registering,
but a table that was empty must be registered again once it has files, and a view registered
when every file had one schema reads the files by that schema (ingestion registers the views
again after every load). Files written before their table gained an attribute column
(`ADDED_ATTRIBUTE_COLUMNS`) get it from their `attributes_json` in the view.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pyarrow as pa

from ingestion import raw_zone
from ingestion.errors import IngestionError
from ingestion.schemas import ADDED_ATTRIBUTE_COLUMNS, RAW_TABLES

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
                view = _view_sql(connection, table, glob)
                connection.execute(f"create or replace view {SCHEMA}.{table} as {view}")
            else:
                _create_empty(connection, table)
            counts[table] = connection.execute(f"select count(*) from {SCHEMA}.{table}").fetchall()[
                0
            ][0]
    finally:
        connection.close()
    return counts


def _view_sql(connection: duckdb.DuckDBPyConnection, table: str, glob: str) -> str:
    """The query of `raw.<table>` over the files of the glob.

    Files of one schema are read by it. Files of several (written before the raw table gained a
    column) are read with `union_by_name`, which makes every query binding the view read the
    footer of every file: ~50 ms for a year of spans against ~15 ms for the first file's alone,
    ~210 ms against ~40 ms for the manifest's 1,500 files. An attribute column some files lack
    is read from their `attributes_json` (only then: extracting it from the JSON of every row
    took most of the telemetry deduplications' time)."""
    file_schemas = connection.execute(
        "select string_agg(concat_ws(' ', name, type, converted_type, logical_type::varchar), "
        "',' order by name), list(name) "
        f"from parquet_schema({glob}) group by file_name"
    ).fetchall()
    files_with = Counter(name for _, names in file_schemas for name in names)
    by_name = "" if len({columns for columns, _ in file_schemas}) == 1 else ", union_by_name = true"
    read = (
        f"read_parquet({glob}, hive_partitioning = true, "
        f"hive_types = {{'load_date': date}}{by_name})"
    )
    filled = {}
    for column, attribute in ADDED_ATTRIBUTE_COLUMNS.get(table, {}).items():
        if files_with[column] < len(file_schemas):
            # as ingestion extracts it: the attribute's text, null when absent or empty
            path = _sql_string(f'$."{attribute}"')
            extracted = f"nullif(json_extract_string(attributes_json, {path}), '')"
            filled[column] = (
                f"coalesce({column}, {extracted}) as {column}"
                if files_with[column]
                else f"{extracted} as {column}"
            )
    if not filled:
        return f"select * from {read}"
    columns = [filled.get(name, name) for name in RAW_TABLES[table].names]
    return f"select {', '.join(columns)}, load_date from {read}"


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
