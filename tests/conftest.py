"""Shared fixtures: an isolated warehouse home per test, and a small generated inbox."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from ingestion.settings import warehouse_environment

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES_DIR = REPO_ROOT.parent / "shared" / "fixtures"

os.environ.setdefault("DO_NOT_TRACK", "1")


@pytest.fixture
def warehouse_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty warehouse home in a temporary directory, set in the environment."""
    home = tmp_path / "warehouse"
    home.mkdir()
    for name, value in warehouse_environment(home).items():
        monkeypatch.setenv(name, value)
    return home


# A fixed end date keeps generated data identical from one day to the next.
SAMPLE_END_DATE = date(2026, 10, 31)


def built_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]
) -> Path:
    """The folder `name`, made by `build(folder)` once for the whole test run.

    pytest-xdist's workers (`make test` runs two) each have their own session and temporary
    folder, under one shared root: the folder lives there, and a lock makes the other workers
    wait for the first one's build instead of repeating it. A build that failed is started
    again from an empty folder by the next test that asks.
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    folder, done = root / name, root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def small_inbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A generated inbox (14 days, 3 customers) shared read-only by the end-to-end tests."""
    from ingestion.generator import generate

    def build(out: Path) -> None:
        generate(out, days=14, customers=3, seed=11, scale=0.3, end_date=SAMPLE_END_DATE)

    yield built_once(tmp_path_factory, "generated", build)


@pytest.fixture(scope="session")
def baseline(tmp_path_factory: pytest.TempPathFactory, small_inbox: Path) -> Path:
    """A warehouse home where one clean `refresh_warehouse` run ingested `small_inbox`, built
    every model, evaluated every check and published the snapshot; what the run did is in
    `<home>/.baseline-done` (JSON). Shared by the end-to-end tests: copy it to change it."""
    from tests.test_publishing import publish_baseline

    return built_once(
        tmp_path_factory, "published-baseline", lambda home: publish_baseline(home, small_inbox)
    )
