"""The bad-input corpus of the data contract: every kind of damage, one case each.

For every case: rows in = loaded + quarantined (in the result and in the manifest), the good
records of the same file still load, and the expected reason is in the quarantine. A whole-file
rejection loads nothing from the file and quarantines one row with a null line number.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from ingestion import records
from tests.ingestion_helpers import (
    T0,
    ingest,
    jsonl_bytes,
    metrics_request,
    number_point,
    quarantine_codes,
    read_raw,
    run_record,
    span,
    trace_request,
    write_file,
)

FOCUS_HEADER = "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,Tags"
FOCUS_ROW = (
    '1.5,1.25,USD,2026-10-01 10:00:00,2026-10-01 11:00:00,"{""factory:component"": ""storage""}"'
)


def runs(*records_: dict | bytes) -> bytes:
    return jsonl_bytes(list(records_))


def good_runs(n: int = 2) -> list[dict]:
    return [run_record(run_id=f"run-{i}") for i in range(n)]


def focus(*rows: str, header: str = FOCUS_HEADER, newline: str = "\n") -> bytes:
    return (newline.join([header, *rows]) + newline).encode()


def spans_file(*spans: dict) -> bytes:
    return jsonl_bytes([trace_request(list(spans))])


def truncated_gzip() -> bytes:
    data = gzip.compress(runs(*good_runs(50)), mtime=0)
    return data[: len(data) - 30]


def corrupt_gzip() -> bytes:
    data = bytearray(gzip.compress(runs(*good_runs(50)), mtime=0))
    data[len(data) // 2 : len(data) // 2 + 8] = b"\xff" * 8
    return bytes(data)


def ten_mb_line() -> bytes:
    big = span("00000000000000aa", attrs={"gen_ai.prompt": "x" * 10_000_000})
    return spans_file(big) + spans_file(span("00000000000000bb"))


def parquet_that_is_text() -> bytes:
    return focus(FOCUS_ROW)


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    name: str
    data: Callable[[], bytes]
    reason: str | None  # expected quarantine reason code; None: everything accepted
    loaded: int
    quarantined: int
    rejected: bool = False  # the file as a whole
    raw_gzip: bool = False  # `data` is already the file's bytes, even for a .gz name


def _two_scopes(request: dict, signal: str, items: str, bad_items: object) -> dict:
    """The request with a broken scope block placed before its good one."""
    (resource,) = request[f"resource{signal}"]
    good = resource[f"scope{signal}"][0]
    resource[f"scope{signal}"] = [{"scope": good["scope"], items: bad_items}, good]
    return request


def _two_resources(request: dict, signal: str, bad_resource: dict) -> dict:
    """The request with a broken resource block placed before its good one."""
    request[f"resource{signal}"].insert(0, bad_resource)
    return request


def _scope_named_by_an_object_first(request: dict) -> dict:
    """The request with a scope block whose name is an object placed before its good one."""
    bad = {"scope": {"name": {"text": "factory.agent"}}, "spans": [span("0000000000000001")]}
    request["resourceSpans"][0]["scopeSpans"].insert(0, bad)
    return request


def _gauge() -> dict:
    return {"name": "droid.queue.depth", "gauge": {"dataPoints": [number_point(3, time=T0)]}}


CASES = [
    # --- Whole files ---
    Case(
        "truncated gzip", "runs", "r.jsonl.gz", truncated_gzip, "unreadable_file", 0, 1, True, True
    ),
    Case("corrupt gzip", "runs", "r.jsonl.gz", corrupt_gzip, "unreadable_file", 0, 1, True, True),
    Case(
        "not gzip despite .gz name",
        "runs",
        "r.jsonl.gz",
        lambda: runs(*good_runs()),
        "unreadable_file",
        0,
        1,
        True,
        True,
    ),
    Case(
        "binary file named .jsonl",
        "runs",
        "r.jsonl",
        lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        "unreadable_file",
        0,
        1,
        True,
    ),
    Case("empty file", "runs", "empty.jsonl", lambda: b"", None, 0, 0),
    Case("empty gzip file", "runs", "empty.jsonl.gz", lambda: b"", None, 0, 0),
    Case(
        "unsupported extension",
        "runs",
        "export.txt",
        lambda: runs(*good_runs()),
        "unsupported_format",
        0,
        1,
        True,
    ),
    Case(
        "missing mandatory FOCUS column",
        "billing",
        "b.csv",
        lambda: focus(
            "1.5,USD,2026-10-01 10:00:00,2026-10-01 11:00:00,",
            header=FOCUS_HEADER.replace("EffectiveCost,", ""),
        ),
        "missing_column",
        0,
        1,
        True,
    ),
    Case(
        "the same FOCUS column twice",
        "billing",
        "b.csv",
        lambda: focus(FOCUS_ROW + ",2", header=FOCUS_HEADER + ",billedcost"),
        "duplicate_column",
        0,
        1,
        True,
    ),
    Case(
        "not a FOCUS CSV at all",
        "billing",
        "b.csv",
        lambda: b"name,age\nalice,3\n",
        "unreadable_file",
        0,
        1,
        True,
    ),
    Case(
        "not a Parquet file",
        "billing",
        "b.parquet",
        parquet_that_is_text,
        "unreadable_file",
        0,
        1,
        True,
    ),
    # --- Lines and records ---
    Case(
        "invalid JSON line",
        "runs",
        "r.jsonl",
        lambda: runs(good_runs()[0], b'{"run_id": "run-x", "attempt": ', good_runs()[1]),
        "invalid_json",
        2,
        1,
    ),
    Case(
        "invalid UTF-8 line",
        "runs",
        "r.jsonl",
        lambda: runs(good_runs()[0], b'{"run_id": "caf\xe9"}', good_runs()[1]),
        "invalid_utf8",
        2,
        1,
    ),
    Case(
        "invalid UTF-8 in a CSV row",
        "billing",
        "b.csv",
        lambda: focus(FOCUS_ROW) + FOCUS_ROW.encode().replace(b"USD", b"US\xff") + b"\n",
        "invalid_utf8",
        1,
        1,
    ),
    Case(
        "wrong type",
        "runs",
        "r.jsonl",
        lambda: runs(run_record(attempt="two"), *good_runs()),
        "invalid_type",
        2,
        1,
    ),
    Case(
        "record is not an object",
        "runs",
        "r.jsonl",
        lambda: runs(b"[1, 2, 3]", *good_runs()),
        "invalid_type",
        2,
        1,
    ),
    Case(
        "missing required field",
        "runs",
        "r.jsonl",
        lambda: runs(run_record(run_id=None), *good_runs()),
        "missing_field",
        2,
        1,
    ),
    Case(
        "negative cost driver",
        "runs",
        "r.jsonl",
        lambda: runs(run_record(memory_gib_seconds=-2.5), *good_runs()),
        "negative_value",
        2,
        1,
    ),
    Case(
        "negative tokens",
        "telemetry",
        "t.jsonl",
        lambda: spans_file(
            span("0000000000000001", attrs={"gen_ai.usage.input_tokens": -5}),
            span("0000000000000002", attrs={"gen_ai.usage.input_tokens": 5}),
        ),
        "negative_value",
        1,
        1,
    ),
    Case(
        "unknown enum value",
        "runs",
        "r.jsonl",
        lambda: runs(run_record(status="exploded"), *good_runs()),
        "unknown_enum",
        2,
        1,
    ),
    Case(
        "unknown tool risk level",
        "telemetry",
        "t.jsonl",
        lambda: spans_file(
            span("0000000000000001", attrs={"factory.tool.risk_level": "extreme"}), span()
        ),
        "unknown_enum",
        1,
        1,
    ),
    Case(
        "unknown span kind",
        "telemetry",
        "t.jsonl",
        lambda: spans_file(span("0000000000000001", kind=9), span()),
        "unknown_enum",
        1,
        1,
    ),
    Case(
        "malformed span id",
        "telemetry",
        "t.jsonl",
        lambda: spans_file(span("xyz"), span("0000000000000000"), span()),
        "invalid_id",
        1,
        2,
    ),
    Case(
        "span ends before it starts",
        "telemetry",
        "t.jsonl",
        lambda: spans_file(span("0000000000000001", seconds=-1), span()),
        "end_before_start",
        1,
        1,
    ),
    Case(
        "line is JSON but not an OTLP request",
        "telemetry",
        "t.jsonl",
        lambda: jsonl_bytes([{"resource": {}}, trace_request([span()])]),
        "invalid_otlp",
        1,
        1,
    ),
    Case(
        "a scope's spans are not an array; the next scope of the resource still loads",
        "telemetry",
        "t.jsonl",
        lambda: jsonl_bytes([_two_scopes(trace_request([span()]), "Spans", "spans", "oops")]),
        "invalid_otlp",
        1,
        1,
    ),
    # values of the wrong JSON type where OTLP has a scalar: the record is quarantined, the
    # file goes on (they used to stop the ingestion with a TypeError or an Arrow error)
    Case(
        "span kind is an object",
        "telemetry",
        "t.jsonl",
        lambda: spans_file(span("0000000000000001", kind={"value": 3}), span()),
        "unknown_enum",
        1,
        1,
    ),
    Case(
        "span status code is an array",
        "telemetry",
        "t.jsonl",
        lambda: spans_file(span("0000000000000001", status={"code": [2]}), span()),
        "unknown_enum",
        1,
        1,
    ),
    Case(
        "span status message is an object",
        "telemetry",
        "t.jsonl",
        lambda: spans_file(span("0000000000000001", status={"message": {"text": "x"}}), span()),
        "invalid_type",
        1,
        1,
    ),
    Case(
        "tool risk level is an array",
        "telemetry",
        "t.jsonl",
        lambda: spans_file(
            span("0000000000000001", attrs={"factory.tool.risk_level": ["high"]}), span()
        ),
        "unknown_enum",
        1,
        1,
    ),
    Case(
        "scope name is an object; the next scope of the resource still loads",
        "telemetry",
        "t.jsonl",
        lambda: jsonl_bytes([_scope_named_by_an_object_first(trace_request([span()]))]),
        "invalid_type",
        1,
        1,
    ),
    Case(
        "metric unit is not a string",
        "telemetry",
        "t.jsonl",
        lambda: jsonl_bytes([metrics_request([{**_gauge(), "unit": True}, _gauge()])]),
        "invalid_type",
        1,
        1,
    ),
    Case(
        "a resource's scopeMetrics is not an array; the next resource still loads",
        "telemetry",
        "t.jsonl",
        lambda: jsonl_bytes(
            [_two_resources(metrics_request([_gauge()]), "Metrics", {"scopeMetrics": 7})]
        ),
        "invalid_otlp",
        1,
        1,
    ),
    Case(
        "summary metric",
        "telemetry",
        "t.jsonl",
        lambda: jsonl_bytes(
            [
                metrics_request(
                    [
                        {"name": "rpc.latency", "summary": {"dataPoints": [{"timeUnixNano": "1"}]}},
                        {
                            "name": "droid.git.commits",
                            "sum": {
                                "aggregationTemporality": 1,
                                "isMonotonic": True,
                                "dataPoints": [number_point(1, time=T0, start=T0)],
                            },
                        },
                    ]
                )
            ]
        ),
        "unsupported_metric_type",
        1,
        1,
    ),
    Case(
        "sum without temporality",
        "telemetry",
        "t.jsonl",
        lambda: jsonl_bytes(
            [
                metrics_request(
                    [
                        {
                            "name": "droid.git.commits",
                            "sum": {"dataPoints": [number_point(1, time=T0, start=T0)] * 2},
                        }
                    ]
                )
            ]
        ),
        "unknown_enum",
        0,
        2,
    ),
    Case(
        "integer too large for the raw column",
        "runs",
        "r.jsonl",
        lambda: runs(run_record(attempt=2**40), *good_runs()),
        "out_of_range",
        2,
        1,
    ),
    Case(
        "token count beyond 64 bits",
        "telemetry",
        "t.jsonl",
        lambda: spans_file(
            span("0000000000000001", attrs={"gen_ai.usage.input_tokens": 2**70}), span()
        ),
        "out_of_range",
        1,
        1,
    ),
    Case(
        "far-future timestamp",
        "runs",
        "r.jsonl",
        lambda: runs(run_record(updated_at="2030-01-01T00:00:00Z"), *good_runs()),
        "timestamp_in_future",
        2,
        1,
    ),
    Case(
        "far-future span",
        "telemetry",
        "t.jsonl",
        lambda: spans_file(span("0000000000000001", start=T0.replace(year=2030)), span()),
        "timestamp_in_future",
        1,
        1,
    ),
    Case(
        "far-future charge period",
        "billing",
        "b.csv",
        lambda: focus(FOCUS_ROW, FOCUS_ROW.replace("2026-10-01", "2031-10-01")),
        "timestamp_in_future",
        1,
        1,
    ),
    Case(
        "cost is not a number",
        "billing",
        "b.csv",
        lambda: focus(FOCUS_ROW, FOCUS_ROW.replace("1.5", "one")),
        "invalid_type",
        1,
        1,
    ),
    Case(
        "Tags is not a JSON object",
        "billing",
        "b.csv",
        lambda: focus(
            FOCUS_ROW,
            FOCUS_ROW.rsplit(",", 1)[0] + ",env=prod",
            FOCUS_ROW.rsplit(",", 1)[0] + ',"[1]"',
        ),
        "invalid_json",
        1,
        2,
    ),
    Case(
        "charge period ends before it starts",
        "billing",
        "b.csv",
        lambda: focus(FOCUS_ROW, FOCUS_ROW.replace("11:00:00", "09:00:00")),
        "end_before_start",
        1,
        1,
    ),
    Case(
        "CSV row with a missing field",
        "billing",
        "b.csv",
        lambda: focus(FOCUS_ROW, "1.5,1.25,USD"),
        "wrong_field_count",
        1,
        1,
    ),
    Case(
        "cost with more decimals than DECIMAL(38,12)",
        "billing",
        "b.csv",
        lambda: focus(FOCUS_ROW, FOCUS_ROW.replace("1.5", "1.0000000000001")),
        "out_of_range",
        1,
        1,
    ),
    # --- Accepted as they are ---
    Case(
        "UTF-8 BOM",
        "billing",
        "b.csv",
        lambda: b"\xef\xbb\xbf" + focus(FOCUS_ROW, FOCUS_ROW),
        None,
        2,
        0,
    ),
    Case(
        "CRLF line endings",
        "billing",
        "b.csv.gz",
        lambda: focus(FOCUS_ROW, FOCUS_ROW, newline="\r\n"),
        None,
        2,
        0,
    ),
    Case(
        "CRLF in JSON Lines",
        "runs",
        "r.jsonl",
        lambda: runs(*good_runs()).replace(b"\n", b"\r\n"),
        None,
        2,
        0,
    ),
    Case(
        "mixed-case headers",
        "billing",
        "b.csv",
        lambda: focus(
            FOCUS_ROW,
            header="billedcost,EFFECTIVECOST,billingCurrency,chargeperiodstart,ChargePeriodEND,TAGS",
        ),
        None,
        1,
        0,
    ),
    Case(
        "offsets in timestamps",
        "runs",
        "r.jsonl",
        lambda: runs(run_record(queued_at="2026-11-01T14:30:00+05:30", jobs=[]), *good_runs()),
        None,
        3,
        0,
    ),
    Case(
        "duplicate span ids",
        "telemetry",
        "t.jsonl",
        lambda: spans_file(span(), span()) + spans_file(span()),
        None,
        3,
        0,
    ),
    Case("a 10 MB line", "telemetry", "t.jsonl", ten_mb_line, None, 2, 0),
    Case(
        "blank lines",
        "runs",
        "r.jsonl",
        lambda: b"\n" + runs(*good_runs()).replace(b"\n", b"\n\n"),
        None,
        2,
        0,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path: Path):
    inbox, raw = tmp_path / "inbox", tmp_path / "raw"
    write_file(inbox / case.source / case.name, case.data(), gz=False if case.raw_gzip else None)

    result = ingest(inbox, raw, case.source)

    assert result.rows_in == result.rows_loaded + result.rows_quarantined
    assert (result.rows_loaded, result.rows_quarantined) == (case.loaded, case.quarantined)
    assert (result.files_rejected, result.files_loaded) == ((1, 0) if case.rejected else (0, 1))
    (manifest,) = read_raw(raw, "ingest_manifest")
    assert manifest["rows_in"] == manifest["rows_loaded"] + manifest["rows_quarantined"]
    assert (manifest["rows_loaded"], manifest["rows_quarantined"]) == (
        case.loaded,
        case.quarantined,
    )
    assert manifest["status"] == ("rejected" if case.rejected else "loaded")
    codes = quarantine_codes(raw)
    if case.reason is None:
        assert codes == []
    else:
        assert codes == [case.reason] * case.quarantined
    quarantined = read_raw(raw, "quarantine")
    assert all(q["reason"].startswith(f"{q['reason'].split(':')[0]}: ") for q in quarantined)
    if case.rejected:
        (row,) = quarantined
        assert row["line_number"] is None
        assert not any((raw / t).exists() for t in ("runs", "spans", "focus_costs"))
    else:
        assert all(q["line_number"] for q in quarantined)


def test_a_line_longer_than_the_limit_is_quarantined_and_the_rest_loads(tmp_path, monkeypatch):
    # The limit is 64 MiB; a smaller one keeps the test fast and exercises the same code.
    monkeypatch.setattr(records, "MAX_LINE_BYTES", 1000)
    long_record = run_record(template="t" * 5000)
    write_file(tmp_path / "inbox/runs/r.jsonl", runs(good_runs()[0], long_record, good_runs()[1]))

    result = ingest(tmp_path / "inbox", tmp_path / "raw", "runs")

    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    (row,) = read_raw(tmp_path / "raw", "quarantine")
    assert row["reason"].startswith("line_too_long") and row["line_number"] == 2


def test_quarantine_keeps_the_raw_payload_and_a_precise_reason(tmp_path: Path):
    line = orjson.dumps(run_record(attempt="two"))
    write_file(tmp_path / "inbox/runs/r.jsonl", line + b"\n")

    ingest(tmp_path / "inbox", tmp_path / "raw", "runs")

    (row,) = read_raw(tmp_path / "raw", "quarantine")
    assert row["reason"] == 'invalid_type: attempt must be an integer, got "two"'
    assert row["payload"] == line.decode()
    assert (row["source"], row["source_file"], row["line_number"]) == ("runs", "runs/r.jsonl", 1)
