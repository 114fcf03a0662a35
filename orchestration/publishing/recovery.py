"""Recover from a run whose process was killed (SIGKILL, out of memory, power cut).

Files recover by themselves: ingestion commits each inbox file with a final manifest row (a
re-run sweeps the orphans), DuckDB replays or discards its write-ahead log, dbt rebuilds its
tables, and the serving snapshot only ever switches to a complete version. What does not recover
by itself is Dagster's bookkeeping: the dead run stays STARTED and keeps its slot in the
`duckdb_writer` pool (limit 1), so every later run waits for that slot forever. A run worker that
dies cannot release it; `recover_interrupted_runs` does, for runs whose process is gone, before a
new run starts (the CLI) and every minute (`interrupted_runs_sensor`, under the daemon).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import dagster as dg
from dagster._core.storage.dagster_run import DagsterRunStatus, RunsFilter

from orchestration.resources import DUCKDB_WRITER_POOL

ACTIVE_STATUSES = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


def _process_start_time(pid: int) -> float | None:
    """When process `pid` started (epoch seconds), from /proc; None where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[19])  # field 22 of stat: start time in clock ticks after boot
        boot = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def process_alive(pid: int, started_before: float | None = None) -> bool:
    """Whether `pid` runs and (if `started_before` is given) is not a later process that reused
    the pid of the one we look for."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, another user's
    if started_before is not None:
        started = _process_start_time(pid)
        if started is not None and started > started_before + 1:
            return False
    return True


def _run_worker(instance: dg.DagsterInstance, run_id: str) -> tuple[int, float] | None:
    """The pid of the process that executes the run's steps and when it said so, from the
    executor's "Executing steps …" event (in-process and multiprocess executors); None before
    the executor started (other engine events may come from launchers that exit normally)."""
    records = instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)
    for record in records:
        event = record.dagster_event
        if (
            event is not None
            and event.pid is not None
            and ((record.message or "").startswith("Executing steps"))
        ):
            return event.pid, record.timestamp
    return None


def recover_interrupted_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark every active run of this host whose worker process is gone as failed and free the
    pool slots it held; returns the run ids recovered."""
    recovered = []
    for run in instance.get_runs(filters=RunsFilter(statuses=ACTIVE_STATUSES)):
        worker = _run_worker(instance, run.run_id)
        if worker is None:
            continue
        pid, since = worker
        if process_alive(pid, started_before=since):
            continue
        instance.report_run_failed(
            run, f"The process running this run (pid {pid}) is gone: killed or crashed."
        )
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        recovered.append(run.run_id)
    return recovered


@dg.sensor(
    name="interrupted_runs_sensor",
    description="Every minute, marks runs whose process died (SIGKILL, OOM) as failed and frees "
    f"their `{DUCKDB_WRITER_POOL}` pool slot, so the next run does not wait for it forever.",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def interrupted_runs_sensor(context: dg.SensorEvaluationContext):
    started = time.monotonic()
    recovered = recover_interrupted_runs(context.instance)
    if recovered:
        context.log.warning(f"recovered interrupted runs: {', '.join(recovered)}")
    return dg.SkipReason(
        f"recovered {len(recovered)} interrupted run(s) in {time.monotonic() - started:.1f} s"
    )


recovery_sensors = [interrupted_runs_sensor]
