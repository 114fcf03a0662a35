"""Ingestion throughput on one generated inbox file: records/s, MB/s, CPU time, peak memory.

    .venv/bin/python benchmarks/ingestion_throughput.py --source telemetry --rows 100000 [--gzip]
    .venv/bin/python benchmarks/ingestion_throughput.py --source billing --rows 200000
    .venv/bin/python benchmarks/ingestion_throughput.py --source runs --rows 50000

telemetry: spans like the factory's LLM-call spans (~800 bytes of OTLP JSON each, GenAI
attributes, resource attribution), one request of `--per-line` spans per line as the Collector's
file exporter writes them. billing: the public FOCUS 1.0 sample repeated. runs: snapshots with
3 jobs of 3 steps.
"""

from __future__ import annotations

import argparse
import gzip
import random
import resource
import tempfile
import time
from datetime import datetime
from pathlib import Path

import orjson

from ingestion.pipeline import ingest_source

FOCUS_SAMPLE = Path(__file__).resolve().parents[2] / "shared/fixtures/focus-1.0/focus_sample.csv"

T0_NS = 1_793_000_000 * 1_000_000_000  # 2026-10-25


def _kv(key: str, value) -> dict:
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": value}}


def make_focus(path: Path, rows: int, gz: bool) -> int:
    """The FOCUS sample's rows repeated to `rows` data rows."""
    header, *lines = FOCUS_SAMPLE.read_bytes().splitlines(keepends=True)
    opener = gzip.open if gz else open
    written = len(header)
    with opener(path, "wb") as out:
        out.write(header)
        for i in range(rows):
            line = lines[i % len(lines)]
            written += len(line)
            out.write(line)
    return written


def make_runs(path: Path, rows: int, gz: bool) -> int:
    """Run snapshots with 3 jobs of 3 steps each."""
    opener = gzip.open if gz else open
    written = 0
    steps = [
        {
            "step_id": f"s{k}",
            "name": "edit",
            "status": "succeeded",
            "started_at": "2026-10-30T10:00:00Z",
            "finished_at": "2026-10-30T10:01:00Z",
        }
        for k in range(3)
    ]
    with opener(path, "wb") as out:
        for i in range(rows):
            record = {
                "run_id": f"run-{i}",
                "attempt": 1,
                "customer_id": "cus_0001",
                "project_id": "prj_0001",
                "run_type": "microservice",
                "template": "add-endpoint",
                "trigger": "manual",
                "status": "succeeded",
                "queued_at": "2026-10-30T09:59:00Z",
                "started_at": "2026-10-30T10:00:00Z",
                "finished_at": "2026-10-30T10:10:00Z",
                "updated_at": "2026-10-30T10:10:01Z",
                "worker_pool": "general",
                "instance_type": "c7g.xlarge",
                "cpu_seconds": 1234.5,
                "memory_gib_seconds": 4321.0,
                "jobs": [
                    {
                        "job_id": f"j{j}",
                        "name": "implement",
                        "status": "succeeded",
                        "started_at": "2026-10-30T10:00:00Z",
                        "finished_at": "2026-10-30T10:05:00Z",
                        "steps": steps,
                    }
                    for j in range(3)
                ],
            }
            line = orjson.dumps(record) + b"\n"
            written += len(line)
            out.write(line)
    return written


def make_file(path: Path, spans: int, per_line: int, gz: bool) -> int:
    """OTLP traces: `spans` spans, `per_line` per request line."""
    rng = random.Random(7)
    opener = gzip.open if gz else open
    written = 0
    with opener(path, "wb") as out:
        for first in range(0, spans, per_line):
            batch = []
            for i in range(first, min(first + per_line, spans)):
                start = T0_NS + i * 1_000_000
                batch.append(
                    {
                        "traceId": f"{rng.getrandbits(128):032x}",
                        "spanId": f"{rng.getrandbits(64):016x}",
                        "parentSpanId": f"{rng.getrandbits(64):016x}",
                        "name": "chat claude-sonnet-4-5",
                        "kind": 3,
                        "startTimeUnixNano": str(start),
                        "endTimeUnixNano": str(start + rng.randrange(10**8, 10**10)),
                        "attributes": [
                            _kv("gen_ai.operation.name", "chat"),
                            _kv("gen_ai.provider.name", "anthropic"),
                            _kv("gen_ai.request.model", "claude-sonnet-4-5"),
                            _kv("gen_ai.response.model", "claude-sonnet-4-5-20250929"),
                            _kv("gen_ai.usage.input_tokens", rng.randrange(100, 50_000)),
                            _kv("gen_ai.usage.output_tokens", rng.randrange(10, 4_000)),
                            _kv("gen_ai.usage.cache_read.input_tokens", rng.randrange(0, 40_000)),
                            _kv("factory.run.id", f"run-{i // 50}"),
                        ],
                        "status": {},
                    }
                )
            request = {
                "resourceSpans": [
                    {
                        "resource": {
                            "attributes": [
                                _kv("service.name", "droid"),
                                _kv("factory.customer.id", f"cust-{first % 7}"),
                                _kv("factory.project.id", f"proj-{first % 23}"),
                                _kv("session.id", f"sess-{first // 1000}"),
                            ]
                        },
                        "scopeSpans": [{"scope": {"name": "factory.agent"}, "spans": batch}],
                    }
                ]
            }
            line = orjson.dumps(request) + b"\n"
            written += len(line)
            out.write(line)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", choices=["telemetry", "billing", "runs"], default="telemetry")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--per-line", type=int, default=100)
    parser.add_argument("--gzip", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        inbox = Path(tmp) / "inbox"
        (inbox / args.source).mkdir(parents=True)
        suffix = {"telemetry": ".jsonl", "billing": ".csv", "runs": ".jsonl"}[args.source]
        path = inbox / args.source / f"bench{suffix}{'.gz' if args.gzip else ''}"
        if args.source == "telemetry":
            text_bytes = make_file(path, args.rows, args.per_line, args.gzip)
        elif args.source == "billing":
            text_bytes = make_focus(path, args.rows, args.gzip)
        else:
            text_bytes = make_runs(path, args.rows, args.gzip)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started, cpu_started = time.perf_counter(), time.process_time()
        result = ingest_source(args.source, inbox, Path(tmp) / "raw", now=datetime(2026, 11, 1))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        assert result.rows_loaded == args.rows, result
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{args.source}: {args.rows} records, {text_bytes / 1e6:.0f} MB of text"
            f"{' (gzip)' if args.gzip else ''}: {elapsed:.2f} s wall, {cpu:.2f} s CPU, "
            f"{args.rows / elapsed:,.0f} records/s, {text_bytes / 1e6 / elapsed:.0f} MB/s; "
            f"peak RSS {peak_mb:.0f} MB ({rss_before:.0f} MB before ingesting)"
        )


if __name__ == "__main__":
    main()
