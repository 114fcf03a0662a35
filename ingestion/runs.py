"""Run exports (`inbox/runs/*.jsonl[.gz]`): run-attempt snapshots with nested jobs and steps.

Each line is one snapshot. It is flattened into one `runs` row, one `run_jobs` row per job and
one `run_steps` row per step; a snapshot breaking any rule, including in a nested job or step, is
quarantined whole so a run is never loaded with half of its jobs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from ingestion.raw_zone import row_columns
from ingestion.records import (
    Quarantined,
    RecordError,
    check_order,
    get_enum,
    get_int,
    get_number,
    get_str,
    get_timestamp,
    iter_lines,
    json_type_name,
    load_limit,
    parse_json_line,
    payload_text,
    too_long_reason,
)

RUN_TYPES = frozenset(
    {"microservice", "library", "pipeline", "frontend", "data", "infrastructure", "docs"}
)
TRIGGERS = frozenset({"manual", "schedule", "webhook", "api", "retry"})
RUN_STATUSES = frozenset({"queued", "running", "succeeded", "failed", "cancelled", "timed_out"})
JOB_STATUSES = RUN_STATUSES | {"skipped"}

# `run_jobs` and `run_steps` rows are tuples in their tables' column order.
JOB_COLUMNS = ("run_id", "attempt", "updated_at", "job_id", "job_name", "status")
JOB_COLUMNS += ("started_at", "finished_at", "_line_number")
STEP_COLUMNS = ("run_id", "attempt", "updated_at", "job_id", "step_id", "step_name", "status")
STEP_COLUMNS += ("started_at", "finished_at", "_line_number")
assert list(JOB_COLUMNS) == row_columns("run_jobs"), "JOB_COLUMNS must follow schemas.RUN_JOBS"
assert list(STEP_COLUMNS) == row_columns("run_steps"), "see schemas.RUN_STEPS"

Item = tuple[str, dict | tuple] | Quarantined


def parse_runs_file(path: Path, *, now: datetime) -> Iterator[Item]:
    """Stream a run export, yielding `(table, row)` for runs/run_jobs/run_steps, or `Quarantined`.

    `now` is the load time (naive UTC): timestamps more than a day after it are rejected.
    """
    limit = load_limit(now)
    for number, line, raw in iter_lines(path):
        if line is None:
            yield Quarantined(number, too_long_reason(), payload_text(raw))
            continue
        if not line.strip():
            continue  # a blank line holds no record
        try:
            record = parse_json_line(line)
            rows = snapshot_rows(record, limit)
        except RecordError as exc:
            yield Quarantined(number, str(exc), payload_text(line))
            continue
        for table, row in rows:
            if row.__class__ is tuple:
                yield table, (*row, number)
            else:
                row["_line_number"] = number
                yield table, row


def snapshot_rows(record: object, limit: datetime) -> list[tuple[str, dict | tuple]]:
    """Validate one snapshot and flatten it; raises `RecordError` at the first broken rule.

    The `runs` row is a dict; `run_jobs` and `run_steps` rows (many per snapshot) are tuples in
    their tables' column order (`JOB_COLUMNS`, `STEP_COLUMNS`) without the line number.
    """
    if not isinstance(record, dict):
        raise RecordError(
            "invalid_type", f"a run record must be a JSON object, got {json_type_name(record)}"
        )
    run_id = get_str(record, "run_id", required=True)
    attempt = get_int(record, "attempt", required=True, minimum=1)
    queued_at = get_timestamp(record, "queued_at", limit, required=True)
    started_at = get_timestamp(record, "started_at", limit)
    finished_at = get_timestamp(record, "finished_at", limit)
    updated_at = get_timestamp(record, "updated_at", limit, required=True)
    check_order(queued_at, "queued_at", started_at, "started_at")
    check_order(started_at or queued_at, "started_at", finished_at, "finished_at")
    run = {
        "run_id": run_id,
        "attempt": attempt,
        "customer_id": get_str(record, "customer_id", required=True),
        "project_id": get_str(record, "project_id", required=True),
        "run_type": get_enum(record, "run_type", RUN_TYPES),
        "template": get_str(record, "template"),
        "trigger": get_enum(record, "trigger", TRIGGERS),
        "status": get_enum(record, "status", RUN_STATUSES, required=True),
        "queued_at": queued_at,
        "started_at": started_at,
        "finished_at": finished_at,
        "updated_at": updated_at,
        "worker_pool": get_str(record, "worker_pool"),
        "instance_type": get_str(record, "instance_type"),
        "cpu_seconds": get_number(record, "cpu_seconds", non_negative=True),
        "memory_gib_seconds": get_number(record, "memory_gib_seconds", non_negative=True),
        "error_code": get_str(record, "error_code"),
    }
    rows: list[tuple[str, dict | tuple]] = [("runs", run)]
    key = (run_id, attempt, updated_at)
    for j, job in enumerate(_objects(record, "jobs")):
        try:
            job_id = get_str(job, "job_id", required=True)
            name = get_str(job, "name")
            status = get_enum(job, "status", JOB_STATUSES, required=True)
            rows.append(("run_jobs", (*key, job_id, name, status, *_period(job, limit))))
            steps = _objects(job, "steps")
        except RecordError as exc:
            raise _located(exc, f"jobs[{j}]") from exc
        for s, step in enumerate(steps):
            try:
                step_id = get_str(step, "step_id", required=True)
                name = get_str(step, "name")
                status = get_enum(step, "status", JOB_STATUSES, required=True)
                rows.append(
                    ("run_steps", (*key, job_id, step_id, name, status, *_period(step, limit)))
                )
            except RecordError as exc:
                raise _located(exc, f"jobs[{j}].steps[{s}]") from exc
    return rows


def _objects(record: dict, key: str) -> list[dict]:
    """A nested array of objects (missing or null is empty)."""
    value = record.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError("invalid_type", f"{key} must be an array, got {json_type_name(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise RecordError(
                "invalid_type", f"{key}[{i}] must be an object, got {json_type_name(item)}"
            )
    return value


def _located(exc: RecordError, where: str) -> RecordError:
    """The same error with the location in the nested record prefixed to its detail."""
    return RecordError(exc.code, f"{where}.{exc.detail}")


def _period(obj: dict, limit: datetime) -> tuple[datetime | None, datetime | None]:
    started_at = get_timestamp(obj, "started_at", limit)
    finished_at = get_timestamp(obj, "finished_at", limit)
    check_order(started_at, "started_at", finished_at, "finished_at")
    return started_at, finished_at
