"""Builders of small, real inbox files and readers of the raw zone, for the ingestion tests."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pyarrow.dataset as ds

from ingestion.pipeline import SourceIngestResult, ingest_source

REPO_ROOT = Path(__file__).resolve().parents[1]
FOCUS_SAMPLE = REPO_ROOT.parent / "shared" / "fixtures" / "focus-1.0" / "focus_sample.csv"

# The load time of every test: fixed so that "more than a day ahead" is deterministic.
NOW = datetime(2026, 11, 2, 12, 0, 0)
LOAD_DATE = NOW.date().isoformat()
# Timestamps of the test data: the day before NOW.
T0 = datetime(2026, 11, 1, 9, 0, 0, tzinfo=UTC)


def nanos(dt: datetime) -> int:
    """Unix nanoseconds of an aware datetime."""
    return int(dt.timestamp()) * 1_000_000_000 + dt.microsecond * 1000


# --- Writing inbox files ------------------------------------------------------------------------


def jsonl_bytes(records: list) -> bytes:
    """JSON Lines (records may be bytes, already serialised, or JSON values)."""
    return b"".join((r if isinstance(r, bytes) else orjson.dumps(r)) + b"\n" for r in records)


def write_file(path: Path, data: bytes, *, gz: bool | None = None) -> Path:
    """Write bytes (gzip-compressed when the name ends in .gz, unless `gz` says otherwise)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz if gz is not None else path.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path


def write_jsonl(path: Path, records: list) -> Path:
    """Write JSON Lines records (gzip by name)."""
    return write_file(path, jsonl_bytes(records))


def ingest(
    inbox: Path, raw: Path, source: str, *, now: datetime = NOW, messages: list | None = None
) -> SourceIngestResult:
    """Run `ingest_source` with the fixed load time, collecting `on_file` messages."""
    return ingest_source(
        source, inbox, raw, now=now, on_file=messages.append if messages is not None else None
    )


# --- Records ------------------------------------------------------------------------------------


def run_record(**overrides) -> dict:
    """A valid run-attempt snapshot with one job of two steps."""
    record = {
        "run_id": "run-1",
        "attempt": 1,
        "customer_id": "cust-a",
        "project_id": "proj-a",
        "run_type": "microservice",
        "template": "add-endpoint",
        "trigger": "manual",
        "status": "succeeded",
        "queued_at": "2026-11-01T09:00:00Z",
        "started_at": "2026-11-01T09:00:05Z",
        "finished_at": "2026-11-01T09:10:00Z",
        "updated_at": "2026-11-01T09:10:01Z",
        "worker_pool": "pool-a",
        "instance_type": "c7g.large",
        "cpu_seconds": 120.5,
        "memory_gib_seconds": 300.0,
        "error_code": None,
        "jobs": [
            {
                "job_id": "job-1",
                "name": "implement",
                "status": "succeeded",
                "started_at": "2026-11-01T09:00:05Z",
                "finished_at": "2026-11-01T09:09:00Z",
                "steps": [
                    {
                        "step_id": "step-1",
                        "name": "edit",
                        "status": "succeeded",
                        "started_at": "2026-11-01T09:00:05Z",
                        "finished_at": "2026-11-01T09:05:00Z",
                    },
                    {
                        "step_id": "step-2",
                        "name": "test",
                        "status": "succeeded",
                        "started_at": "2026-11-01T09:05:00Z",
                        "finished_at": "2026-11-01T09:09:00Z",
                    },
                ],
            }
        ],
    }
    record.update(overrides)
    return record


def any_value(value) -> dict:
    """An OTLP AnyValue in camelCase (ints as strings, as the Collector writes them)."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, list):
        return {"arrayValue": {"values": [any_value(v) for v in value]}}
    if isinstance(value, dict):
        return {"kvlistValue": {"values": attributes(value)}}
    return {"stringValue": value}


def attributes(values: dict) -> list[dict]:
    """OTLP KeyValue list."""
    return [{"key": k, "value": any_value(v)} for k, v in values.items()]


def span(
    span_id: str = "00f067aa0ba902b7",
    *,
    trace_id: str = "4bf92f3577b34da6a3ce929d0e0e4736",
    name: str = "chat claude-sonnet-4-5",
    start: datetime = T0,
    seconds: float = 2.5,
    attrs: dict | None = None,
    **extra,
) -> dict:
    """An OTLP span (camelCase, 64-bit ints as strings)."""
    end_ns = nanos(start) + int(seconds * 1e9)
    result = {
        "traceId": trace_id,
        "spanId": span_id,
        "parentSpanId": "",
        "name": name,
        "kind": 3,
        "startTimeUnixNano": str(nanos(start)),
        "endTimeUnixNano": str(end_ns),
        "attributes": attributes(attrs or {}),
        "status": {},
    }
    result.update(extra)
    return result


def trace_request(
    spans: list[dict], resource: dict | None = None, scope_attrs: dict | None = None
) -> dict:
    """An ExportTraceServiceRequest with one resource and one scope."""
    scope = {"name": "factory.agent", "version": "1.0"}
    if scope_attrs:
        scope["attributes"] = attributes(scope_attrs)
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": attributes(resource or {"service.name": "droid"})},
                "scopeSpans": [{"scope": scope, "spans": spans}],
            }
        ]
    }


def number_point(value, *, time: datetime, start: datetime | None = None, attrs=None) -> dict:
    """A NumberDataPoint (asInt for ints, asDouble for floats)."""
    point = {"attributes": attributes(attrs or {}), "timeUnixNano": str(nanos(time))}
    if start is not None:
        point["startTimeUnixNano"] = str(nanos(start))
    point["asInt" if isinstance(value, int) else "asDouble"] = (
        str(value) if isinstance(value, int) else value
    )
    return point


def metrics_request(metrics: list[dict], resource: dict | None = None) -> dict:
    """An ExportMetricsServiceRequest with one resource and one scope."""
    return {
        "resourceMetrics": [
            {
                "resource": {"attributes": attributes(resource or {"service.name": "droid"})},
                "scopeMetrics": [{"scope": {"name": "droid"}, "metrics": metrics}],
            }
        ]
    }


# --- Reading the raw zone -----------------------------------------------------------------------


def read_raw(raw: Path, table: str) -> list[dict]:
    """Every row of a raw table (all partitions), as dicts."""
    files = sorted(str(p) for p in (raw / table).glob("load_date=*/*.parquet"))
    if not files:
        return []
    return ds.dataset(files, format="parquet").to_table().to_pylist()


def quarantine_codes(raw: Path) -> list[str]:
    """The reason codes in the quarantine, sorted."""
    return sorted(r["reason"].split(":", 1)[0] for r in read_raw(raw, "quarantine"))
