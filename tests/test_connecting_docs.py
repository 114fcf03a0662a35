"""docs/connecting.md: every Python example and every DuckDB CLI query in it runs as written
against a published serving snapshot (only the snapshot's path is substituted)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO_ROOT

DOC = REPO_ROOT / "docs" / "connecting.md"
DOC_SERVING_DIR = "data/serving"  # as the examples name it, relative to the repository
DOC_ABSOLUTE_SERVING_DIR = "/srv/factory-warehouse/data/serving"  # the SQLAlchemy URL's example
CLI_QUERY = r'duckdb\s+(?:-readonly\s+)?(\S+\.duckdb)?\s*-c "(.*?)"'  # duckdb [-readonly] [file] -c


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


def cli_queries() -> list[tuple[str, str]]:
    """(file, SQL) of each `duckdb [-readonly] <file> -c "<SQL>"` in the bash examples."""
    queries = []
    for block in code_blocks("bash"):
        block = re.sub(r"\\\n\s*", " ", block)  # continued lines
        for match in re.finditer(CLI_QUERY, block, re.DOTALL):
            queries.append((match[1] or "", match[2]))
    return queries


@pytest.fixture
def workdir(tmp_path: Path, baseline: Path) -> Path:
    """A folder where `data/serving` is the baseline's published snapshot, as in a checkout."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "serving").symlink_to(baseline / "serving")
    return tmp_path


def test_the_doc_has_the_examples_this_test_runs():
    assert len(code_blocks("python")) >= 3  # Python, SQLAlchemy, pandas
    assert len(cli_queries()) >= 3  # two on the DuckDB file, one on Parquet


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(code_blocks("python"))))
def test_each_python_example_runs_against_the_snapshot(workdir: Path, index: int):
    code = code_blocks("python")[index].replace(
        DOC_ABSOLUTE_SERVING_DIR, str(workdir / DOC_SERVING_DIR)
    )
    completed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=workdir,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(cli_queries())))
def test_each_cli_query_runs_against_the_snapshot(
    workdir: Path, index: int, monkeypatch: pytest.MonkeyPatch
):
    # the DuckDB CLI is not installed here: the same query through the same engine, read-only
    database, sql = cli_queries()[index]
    monkeypatch.chdir(workdir)  # paths in the examples are relative to the checkout
    if database:
        with duckdb.connect(database, read_only=True) as con:
            rows = con.execute(sql).fetchall()
    else:
        rows = duckdb.sql(sql).fetchall()
    assert rows
