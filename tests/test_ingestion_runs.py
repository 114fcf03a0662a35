"""Run exports: snapshots flattened into runs, run_jobs and run_steps; bad records quarantined."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tests.ingestion_helpers import (
    LOAD_DATE,
    NOW,
    ingest,
    quarantine_codes,
    read_raw,
    run_record,
    write_jsonl,
)


def test_snapshot_is_flattened_into_runs_jobs_and_steps(tmp_path: Path):
    write_jsonl(tmp_path / "inbox/runs/export-1.jsonl.gz", [run_record()])

    result = ingest(tmp_path / "inbox", tmp_path / "raw", "runs")

    assert result.rows_in == result.rows_loaded == 1
    assert result.rows_per_table == {"runs": 1, "run_jobs": 1, "run_steps": 2}
    (run,) = read_raw(tmp_path / "raw", "runs")
    assert run["run_id"] == "run-1" and run["attempt"] == 1
    assert run["queued_at"] == datetime(2026, 11, 1, 9, 0, 0)
    assert run["cpu_seconds"] == 120.5
    assert run["_source_file"] == "runs/export-1.jsonl.gz"
    assert run["_line_number"] == 1
    assert run["_loaded_at"] == NOW
    (job,) = read_raw(tmp_path / "raw", "run_jobs")
    assert (job["run_id"], job["attempt"], job["job_id"], job["job_name"]) == (
        "run-1",
        1,
        "job-1",
        "implement",
    )
    assert job["updated_at"] == datetime(2026, 11, 1, 9, 10, 1)
    steps = read_raw(tmp_path / "raw", "run_steps")
    assert sorted((s["job_id"], s["step_id"], s["step_name"]) for s in steps) == [
        ("job-1", "step-1", "edit"),
        ("job-1", "step-2", "test"),
    ]
    files = sorted(
        p.relative_to(tmp_path / "raw").parts[:2]
        for p in (tmp_path / "raw").glob("*/load_date=*/*.parquet")
    )
    assert files == [
        ("ingest_manifest", f"load_date={LOAD_DATE}"),
        ("run_jobs", f"load_date={LOAD_DATE}"),
        ("run_steps", f"load_date={LOAD_DATE}"),
        ("runs", f"load_date={LOAD_DATE}"),
    ]


def test_overlapping_snapshots_of_one_attempt_are_all_loaded(tmp_path: Path):
    running = run_record(status="running", finished_at=None, updated_at="2026-11-01T09:05:00Z")
    running["jobs"][0].update(status="running", finished_at=None)
    write_jsonl(tmp_path / "inbox/runs/a.jsonl", [running])
    write_jsonl(tmp_path / "inbox/runs/b.jsonl", [run_record()])

    result = ingest(tmp_path / "inbox", tmp_path / "raw", "runs")

    assert result.files_loaded == 2
    runs = read_raw(tmp_path / "raw", "runs")
    assert sorted((r["status"], r["updated_at"].minute) for r in runs) == [
        ("running", 5),
        ("succeeded", 10),
    ]


def test_timestamps_with_offsets_are_stored_as_utc(tmp_path: Path):
    record = run_record(
        queued_at="2026-11-01T11:00:00+02:00",
        started_at="2026-11-01t04:00:05-05:00",  # lower-case t is valid RFC 3339
        finished_at="2026-11-01T09:10:00.123456789Z",  # nanoseconds: truncated to microseconds
        updated_at="2026-11-01 09:10:01",  # no offset: UTC
        jobs=[],
    )
    write_jsonl(tmp_path / "inbox/runs/offsets.jsonl", [record])

    ingest(tmp_path / "inbox", tmp_path / "raw", "runs")

    (run,) = read_raw(tmp_path / "raw", "runs")
    assert run["queued_at"] == datetime(2026, 11, 1, 9, 0, 0)
    assert run["started_at"] == datetime(2026, 11, 1, 9, 0, 5)
    assert run["finished_at"] == datetime(2026, 11, 1, 9, 10, 0, 123456)
    assert run["updated_at"] == datetime(2026, 11, 1, 9, 10, 1)


def test_a_bad_nested_step_quarantines_the_whole_snapshot(tmp_path: Path):
    bad = run_record(run_id="run-2")
    bad["jobs"][0]["steps"][1]["status"] = "exploded"
    write_jsonl(tmp_path / "inbox/runs/export.jsonl", [run_record(), bad])

    result = ingest(tmp_path / "inbox", tmp_path / "raw", "runs")

    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    assert {r["run_id"] for r in read_raw(tmp_path / "raw", "runs")} == {"run-1"}
    assert {r["run_id"] for r in read_raw(tmp_path / "raw", "run_jobs")} == {"run-1"}
    assert len(read_raw(tmp_path / "raw", "run_steps")) == 2
    (row,) = read_raw(tmp_path / "raw", "quarantine")
    assert row["reason"].startswith("unknown_enum: jobs[0].steps[1].status must be one of")
    assert row["line_number"] == 2
    assert '"run-2"' in row["payload"]


def test_error_messages_name_the_field_and_what_was_expected(tmp_path: Path):
    write_jsonl(
        tmp_path / "inbox/runs/export.jsonl",
        [
            run_record(attempt="two"),
            run_record(attempt=0),
            run_record(cpu_seconds=-1),
            run_record(customer_id=""),
            run_record(finished_at="2026-11-01T09:00:00Z"),
            run_record(queued_at="yesterday"),
            run_record(jobs={"job_id": "x"}),
        ],
    )

    ingest(tmp_path / "inbox", tmp_path / "raw", "runs")

    reasons = [
        r["reason"]
        for r in sorted(read_raw(tmp_path / "raw", "quarantine"), key=lambda r: r["line_number"])
    ]
    assert reasons == [
        'invalid_type: attempt must be an integer, got "two"',
        "out_of_range: attempt must be >= 1, got 0",
        "negative_value: cpu_seconds must be >= 0, got -1",
        "missing_field: customer_id is required",
        "end_before_start: finished_at 2026-11-01T09:00:00 is before started_at "
        "2026-11-01T09:00:05",
        "invalid_timestamp: queued_at must be an RFC 3339 timestamp (or YYYY-MM-DD HH:MM:SS in "
        'UTC), got "yesterday"',
        "invalid_type: jobs must be an array, got object",
    ]
    assert quarantine_codes(tmp_path / "raw").count("invalid_type") == 2
