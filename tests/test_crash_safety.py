"""Crash safety: a process killed with SIGKILL during ingestion, during `dbt build` or during the
publish leaves nothing half-done. The next run recovers with no row lost or duplicated, the
serving snapshot stays whole and readable throughout, and 4 reader processes polling it
meanwhile see no error.

The pipeline runs in a subprocess (this file run as a script) on the local Dagster instance of a
temporary home, as the CLI runs it. Kills are deterministic: the driver patches the ingestion
commit (`raw_zone.write_manifest`) or the dbt event stream to kill its own process group (the
run and its dbt child) at a given call; the publish kills itself at named points
(`FACTORY_WAREHOUSE_TEST_KILL_AT`, see `orchestration.publishing.snapshot.crash_point`).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":  # run as the driver script
    sys.path.insert(0, str(REPO_ROOT))

from ingestion.settings import warehouse_environment  # noqa: E402
from orchestration.publishing.snapshot import (  # noqa: E402
    CRASH_POINT_ENV,
    current_version,
    publish_snapshot,
    read_manifest,
)

READERS = 4
# Each poll opens the file and sums a mart: about 60 ms of CPU on the baseline. Eight readers
# polling every 50 ms wanted twice the machine's two cores and starved the build under test
# (and the other pytest worker) until a driver run hit its timeout in CI.
POLL_SECONDS = 0.5
DRIVER_TIMEOUT = 900


# --- The driver (a subprocess) --------------------------------------------------------------------


def _kill_my_process_group() -> None:
    # the run and its children (dbt), as when the machine or the container dies
    os.killpg(os.getpgid(0), signal.SIGKILL)


def _patch_kill_during_ingestion(after_commits: int) -> None:
    """Die in the middle of ingestion: outputs of a file renamed into the raw zone, its manifest
    row (the commit record) not written yet."""
    from ingestion import raw_zone

    original = raw_zone.write_manifest
    calls = {"n": 0}

    def write_manifest(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > after_commits:
            _kill_my_process_group()
        return original(*args, **kwargs)

    raw_zone.write_manifest = write_manifest


def _patch_kill_during_dbt(after_nodes: int) -> None:
    """Die in the middle of `dbt build`, after dbt reported `after_nodes` results (models,
    seeds, tests: `LogModelResult`, `LogTestResult`, … on its stdout)."""
    from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

    original = DbtCliInvocation.stream_raw_events

    def stream_raw_events(self):
        finished = 0
        for event in original(self):
            name = event.raw_event.get("info", {}).get("name", "")
            if name.startswith("Log") and name.endswith("Result"):
                finished += 1
                if finished >= after_nodes:
                    _kill_my_process_group()
            yield event

    DbtCliInvocation.stream_raw_events = stream_raw_events


def drive(home: Path, kill: str, what: str) -> int:
    """Run `refresh_warehouse` (`what` = "refresh") or the publish alone ("publish") on the local
    instance of `home`, killing the process group at `kill` ("ingestion:N", "dbt:N" or "")."""
    import dagster as dg

    from orchestration.definitions import build_definitions
    from orchestration.publishing.recovery import recover_interrupted_runs
    from orchestration.resources import WarehouseResource
    from tests.test_publishing import refresh_tags

    kind, _, count = kill.partition(":")
    if kind == "ingestion":
        _patch_kill_during_ingestion(int(count))
    elif kind == "dbt":
        _patch_kill_during_dbt(int(count))
    defs = build_definitions(WarehouseResource(home=str(home)))
    with dg.DagsterInstance.get() as instance:
        # as the CLI does before a run: a killed run would hold the writer pool's slot forever
        recovered = recover_interrupted_runs(instance)
        print(f"recovered interrupted runs: {recovered}", file=sys.stderr)
        if what == "publish":
            job = defs.resolve_implicit_global_asset_job_def().get_subset(
                asset_selection={dg.AssetKey(["publish_serving_snapshot"])}
            )
            result = job.execute_in_process(instance=instance, raise_on_error=False)
        else:
            job = defs.resolve_job_def("refresh_warehouse")
            result = job.execute_in_process(
                instance=instance, raise_on_error=False, tags=refresh_tags()
            )
    for event in result.all_events:
        if event.is_step_failure:
            failure = event.step_failure_data
            detail = failure.user_failure_data or failure.error
            print(event.message, getattr(detail, "description", None) or detail, file=sys.stderr)
        elif event.is_failure:
            print(event.message, file=sys.stderr)
    return 0 if result.success else 1


def run_driver(home: Path, *, kill: str = "", what: str = "refresh", crash_point: str = ""):
    """Start the driver in its own process group and wait for it."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        **warehouse_environment(home),
        "PYTHONPATH": str(REPO_ROOT),
    }
    if crash_point:
        env[CRASH_POINT_ENV] = crash_point
    return subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), str(home), kill, what],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=DRIVER_TIMEOUT,
        start_new_session=True,
    )


# --- Readers --------------------------------------------------------------------------------------


def _reader(path: str, stop, errors, versions) -> None:
    """Open the serving file read-only, query a mart, close; again and again until told to stop."""
    while not stop.is_set():
        try:
            with duckdb.connect(path, read_only=True) as con:
                version = con.execute("select version from snapshot").fetchall()[0][0]
                con.execute("select count(*), sum(effective_cost) from marts.fct_cost_allocations")
                con.fetchall()
            versions[version] = versions.get(version, 0) + 1
        except Exception as error:  # every error is a failure of the test
            errors.append(f"{type(error).__name__}: {error}")
        time.sleep(POLL_SECONDS)  # a BI tool polling


class Readers:
    """`READERS` processes reading `serving/warehouse.duckdb` in a loop."""

    def __init__(self, serving_path: Path):
        context = multiprocessing.get_context("spawn")
        self.manager = context.Manager()
        self.stop = self.manager.Event()
        self.errors = self.manager.list()
        self.versions = self.manager.dict()
        self.processes = [
            context.Process(
                target=_reader, args=(str(serving_path), self.stop, self.errors, self.versions)
            )
            for _ in range(READERS)
        ]

    def __enter__(self) -> Readers:
        for process in self.processes:
            process.start()
        return self

    def wait_until_seen(self, version: str, timeout: float = 30) -> None:
        """Until a reader has read `version` (or `timeout` seconds): a switch the readers missed
        would test nothing."""
        deadline = time.monotonic() + timeout
        while version not in self.versions and time.monotonic() < deadline:
            time.sleep(0.1)

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for process in self.processes:
            process.join(timeout=30)
        self.errors, self.versions = list(self.errors), dict(self.versions)
        self.manager.shutdown()


# --- Tests ----------------------------------------------------------------------------------------


def _assert_serving_intact(home: Path, version: str) -> None:
    """`current` still on `version`, whose file opens and whose tables hold their rows."""
    serving = home / "serving"
    assert current_version(serving) == version
    manifest = read_manifest(serving)
    with duckdb.connect(str(serving / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select version from snapshot").fetchall() == [(version,)]
        for name, rows in manifest.tables.items():
            assert con.execute(f"select count(*) from {name}").fetchall() == [(rows,)], name


@pytest.mark.slow
def test_sigkill_during_ingestion_dbt_and_publish_then_rerun_equals_uninterrupted(
    baseline: Path, tmp_path: Path
):
    from tests.test_publishing import fingerprint_differences, warehouse_fingerprint

    expected = warehouse_fingerprint(baseline / "serving" / "warehouse.duckdb")
    # A fresh warehouse that already serves a published version (the baseline's snapshot):
    # everything is ingested and built again, under readers, with three crashes on the way.
    home = tmp_path / "home"
    home.mkdir()
    shutil.copytree(baseline / "inbox", home / "inbox")
    shutil.copytree(baseline / "serving", home / "serving", symlinks=True)
    served = current_version(home / "serving")

    with Readers(home / "serving" / "warehouse.duckdb") as readers:
        killed = run_driver(home, kill="ingestion:3")
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
        _assert_serving_intact(home, served)

        killed = run_driver(home, kill="dbt:40")
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
        _assert_serving_intact(home, served)
        # the publish alone refuses a half-built work database: its checks were never evaluated
        refused = run_driver(home, what="publish")
        assert refused.returncode == 1 and "not evaluated by run" in refused.stderr
        _assert_serving_intact(home, served)

        killed = run_driver(home, crash_point="publish_before_switch")
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
        _assert_serving_intact(home, served)

        finished = run_driver(home, what="publish")
        assert finished.returncode == 0, finished.stderr[-3000:]
        readers.wait_until_seen(current_version(home / "serving"))

    new_version = current_version(home / "serving")
    assert new_version != served
    _assert_serving_intact(home, new_version)
    # nothing half-done is left: one complete version per name, no temporary files
    names = sorted(p.name for p in (home / "serving" / "snapshots").iterdir())
    assert names == sorted([served, new_version])
    assert not list((home / "raw").glob("_tmp/*"))
    # no row lost or duplicated: the same warehouse as the uninterrupted run
    actual = warehouse_fingerprint(home / "serving" / "warehouse.duckdb")
    assert fingerprint_differences(actual, expected) == []
    assert not readers.errors, readers.errors[:5]
    assert set(readers.versions) == {served, new_version}, readers.versions


def _publish_in_subprocess(work: Path, serving: Path, crash_point: str) -> int:
    code = (
        "import sys; from pathlib import Path;"
        "from orchestration.publishing.snapshot import publish_snapshot;"
        "publish_snapshot(Path(sys.argv[1]), Path(sys.argv[2]), run_id='crash')"
    )
    env = {**os.environ, CRASH_POINT_ENV: crash_point, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-c", code, str(work), str(serving)], env=env, timeout=300
    ).returncode


@pytest.mark.parametrize(
    "crash_point", ["publish_after_database", "publish_before_switch", "publish_after_switch"]
)
def test_sigkill_at_each_publish_step_leaves_a_whole_snapshot(tmp_path: Path, crash_point: str):
    from tests.test_publishing import make_work_db

    work = make_work_db(tmp_path / "work.duckdb", rows=3)
    serving = tmp_path / "serving"
    old = publish_snapshot(work, serving, run_id="before").version
    with duckdb.connect(str(work)) as con:
        con.execute("insert into marts.fct_costs values (99, 1, date '2026-10-31')")

    assert _publish_in_subprocess(work, serving, crash_point) == -signal.SIGKILL

    # either the old version or the complete new one, never a mix
    expected_rows = 3 if crash_point != "publish_after_switch" else 4
    now = current_version(serving)
    assert (now == old) == (crash_point != "publish_after_switch")
    with duckdb.connect(str(serving / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_costs").fetchall() == [(expected_rows,)]
    parquet = serving / "parquet" / "fct_costs.parquet"
    assert duckdb.sql(f"select count(*) from '{parquet}'").fetchall() == [(expected_rows,)]

    # the next publish cleans up and publishes
    manifest = publish_snapshot(work, serving, run_id="after")
    assert manifest.tables["marts.fct_costs"] == 4
    leftovers = [p.name for p in (serving / "snapshots").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    assert len(list((serving / "snapshots").iterdir())) == 2


_POOL_JOB = """
import os, signal, sys
import dagster as dg
from orchestration.publishing.recovery import recover_interrupted_runs
from orchestration.resources import DUCKDB_WRITER_POOL

@dg.asset(pool=DUCKDB_WRITER_POOL)
def writer():
    if sys.argv[1] == "die":
        os.kill(os.getpid(), signal.SIGKILL)

job = dg.Definitions(assets=[writer]).resolve_implicit_global_asset_job_def()
with dg.DagsterInstance.get() as instance:
    print("recovered", recover_interrupted_runs(instance))
    print("success", job.execute_in_process(instance=instance, raise_on_error=False).success)
"""


def test_a_run_killed_in_the_writer_pool_does_not_block_the_next_run(tmp_path: Path):
    """dagster.yaml limits the `duckdb_writer` pool to one slot; a run killed while holding it
    would keep it forever, and every later run would wait. The recovery frees it."""
    env = {
        **os.environ,
        **warehouse_environment(tmp_path),
        "PYTHONPATH": str(REPO_ROOT),
    }

    def run(mode: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", _POOL_JOB, mode],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    assert run("die").returncode == -signal.SIGKILL
    second = run("live")
    assert second.returncode == 0, second.stderr[-2000:]
    assert "recovered ['" in second.stdout  # the dead run, marked failed
    assert "success True" in second.stdout


if __name__ == "__main__":
    sys.exit(drive(Path(sys.argv[1]), sys.argv[2], sys.argv[3]))
