"""The real dbt on a warehouse home of a test (`<home>/warehouse.duckdb`, its raw zone in
`<home>/raw`), for the tests that compare an incremental refresh with a full rebuild."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ingestion.pipeline import ingest_source
from ingestion.schemas import RAW_TABLES
from ingestion.settings import DBT_PROJECT_DIR
from ingestion.warehouse import register_raw_views
from orchestration.resources import PARTITION_WINDOW_ENV

DBT = Path(sys.executable).with_name("dbt")


def run_dbt(
    home: Path,
    *args: str,
    project: Path = DBT_PROJECT_DIR,
    database: Path | None = None,
    partition_window: str | None = None,
) -> str:
    """`dbt <args>` on the warehouse of `home` (or `database`), its target and logs in `home`,
    with the facts' `partition_window` (START/END) if given; fails the test with dbt's output
    when dbt fails. Returns the output."""
    database = database or home / "warehouse.duckdb"
    env = {**os.environ, "FACTORY_WAREHOUSE_DB": str(database), "DO_NOT_TRACK": "1"}
    if partition_window:
        env[PARTITION_WINDOW_ENV] = partition_window
    command = [str(DBT), *args, "--project-dir", str(project), "--profiles-dir", str(project)]
    command += ["--target-path", str(home / "target"), "--log-path", str(home / "logs")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-4000:]
    return done.stdout


def compiled_model(home: Path, model: str) -> str:
    """The SQL of `model` as dbt last compiled it in `home`. A unit test's given rows for a
    model are compiled to a file of the same name under the test's YAML file
    (`_costs__models.yml/fct_cost_allocations.sql`); which of the two a glob met first was
    up to the file system."""
    compiled = home / "target" / "compiled"
    [path] = [
        path
        for path in compiled.rglob(f"{model}.sql")
        if not any(part.endswith(".yml") for part in path.relative_to(compiled).parts)
    ]
    return path.read_text()


def ingest_home(home: Path, sources: tuple[str, ...]) -> None:
    """The new files of `sources` in `<home>/inbox` into the raw zone, its views registered."""
    for source in sources:
        ingest_source(source, home / "inbox", home / "raw")
    register_raw_views(home / "warehouse.duckdb", home / "raw", RAW_TABLES)
