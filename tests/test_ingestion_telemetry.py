"""Agent telemetry: OTLP JSON spans (GenAI conventions, attribution) and metric data points."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import orjson
import pyarrow.parquet as pq

from ingestion.telemetry import series_key
from tests.ingestion_helpers import (
    T0,
    attributes,
    ingest,
    metrics_request,
    nanos,
    number_point,
    read_raw,
    span,
    trace_request,
    write_jsonl,
)

GENAI = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "anthropic",
    "gen_ai.request.model": "claude-sonnet-4-5",
    "gen_ai.response.model": "claude-sonnet-4-5-20250929",
    "gen_ai.usage.input_tokens": 1200,
    "gen_ai.usage.output_tokens": 350,
    "gen_ai.usage.cache_read.input_tokens": 800,
    "gen_ai.usage.cache_creation.input_tokens": 100,
    "gen_ai.usage.reasoning.output_tokens": 42,
    "error.type": "rate_limited",
}


def load_spans(tmp_path: Path, *requests: dict) -> list[dict]:
    write_jsonl(tmp_path / "inbox/telemetry/traces.jsonl.gz", list(requests))
    ingest(tmp_path / "inbox", tmp_path / "raw", "telemetry")
    return sorted(read_raw(tmp_path / "raw", "spans"), key=lambda r: r["span_id"])


def test_genai_span_attributes_become_columns(tmp_path: Path):
    (row,) = load_spans(tmp_path, trace_request([span(attrs=GENAI, status={"code": 2})]))

    assert row["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert row["span_id"] == "00f067aa0ba902b7"
    assert row["parent_span_id"] is None
    assert row["span_kind"] == "CLIENT"
    assert row["status_code"] == "ERROR"
    assert row["start_at"] == datetime(2026, 11, 1, 9, 0, 0)
    assert row["end_at"] == datetime(2026, 11, 1, 9, 0, 2, 500000)
    assert row["service_name"] == "droid"
    assert row["scope_name"] == "factory.agent"
    assert (row["operation_name"], row["provider_name"]) == ("chat", "anthropic")
    assert (row["request_model"], row["response_model"]) == (
        "claude-sonnet-4-5",
        "claude-sonnet-4-5-20250929",
    )
    assert (row["input_tokens"], row["output_tokens"]) == (1200, 350)
    assert (row["cache_read_input_tokens"], row["cache_creation_input_tokens"]) == (800, 100)
    assert row["reasoning_output_tokens"] == 42
    assert row["error_type"] == "rate_limited"
    merged = orjson.loads(row["attributes_json"])
    assert merged["service.name"] == "droid" and merged["gen_ai.usage.input_tokens"] == 1200


def test_execute_tool_spans_carry_tool_name_and_risk_level(tmp_path: Path):
    attrs = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "run_tests"}
    (row,) = load_spans(
        tmp_path, trace_request([span(attrs={**attrs, "factory.tool.risk_level": "medium"})])
    )
    assert (row["operation_name"], row["tool_name"], row["tool_risk_level"]) == (
        "execute_tool",
        "run_tests",
        "medium",
    )


def test_template_attempt_and_resend_count_become_columns_as_sent(tmp_path: Path):
    """The warehouse reads these columns, not the attributes JSON (reading it took most of the
    spans' deduplication); ints stay text here and staging casts them."""
    attrs = {"factory.template": "fix-flaky-test", "factory.run.attempt": 2}
    tagged, plain = load_spans(
        tmp_path,
        trace_request(
            [
                span(attrs={**GENAI, **attrs, "http.request.resend_count": 1}),
                span("00f067aa0ba902b8", attrs={**GENAI, "factory.template": ""}),
            ]
        ),
    )
    assert (tagged["template"], tagged["run_attempt"], tagged["resend_count"]) == (
        "fix-flaky-test",
        "2",
        "1",
    )
    assert (plain["template"], plain["run_attempt"], plain["resend_count"]) == (None, None, None)


def test_deprecated_genai_names_are_mapped_and_current_names_win(tmp_path: Path):
    deprecated = {
        "gen_ai.system": "openai",
        "gen_ai.usage.prompt_tokens": 10,
        "gen_ai.usage.completion_tokens": 20,
    }
    both = {
        **deprecated,
        "gen_ai.provider.name": "anthropic",
        "gen_ai.usage.input_tokens": 11,
        "gen_ai.usage.output_tokens": 21,
    }
    old, new = load_spans(
        tmp_path,
        trace_request([span("0000000000000001", attrs=deprecated)]),
        trace_request([span("0000000000000002", attrs=both)]),
    )
    assert (old["provider_name"], old["input_tokens"], old["output_tokens"]) == ("openai", 10, 20)
    assert (new["provider_name"], new["input_tokens"], new["output_tokens"]) == (
        "anthropic",
        11,
        21,
    )


def test_attribution_closest_level_wins(tmp_path: Path):
    resource = {
        "service.name": "droid",
        "organization.id": "org-res",
        "factory.customer.id": "cust-res",  # wins over organization.id on the same level
        "factory.project.id": "proj-res",
        "factory.team": "team-res",
        "user.id": "user-res",
    }
    scope = {"factory.project.id": "proj-scope", "session.id": "sess-scope"}
    spans = [
        span("0000000000000001"),
        span(
            "0000000000000002",
            attrs={
                "organization.id": "org-span",  # a closer level beats factory.customer.id
                "session.id": "sess-span",
                "factory.session.mode": "headless",
                "factory.run.id": "run-9",
                "vcs.repository.name": "acme/api",
            },
        ),
    ]
    inherited, own = load_spans(tmp_path, trace_request(spans, resource, scope))

    assert inherited["customer_id"] == "cust-res"
    assert inherited["project_id"] == "proj-scope"
    assert (inherited["session_id"], inherited["team"], inherited["user_id"]) == (
        "sess-scope",
        "team-res",
        "user-res",
    )
    assert inherited["run_id"] is None
    assert own["customer_id"] == "org-span"
    assert (own["session_id"], own["session_mode"], own["run_id"]) == (
        "sess-span",
        "headless",
        "run-9",
    )
    assert (own["project_id"], own["repository"]) == ("proj-scope", "acme/api")


def test_telemetry_without_customer_loads_with_null_customer(tmp_path: Path):
    (row,) = load_spans(tmp_path, trace_request([span(attrs=GENAI)]))
    assert row["customer_id"] is None
    assert row["input_tokens"] == 1200


def test_snake_case_keys_numeric_ints_and_enum_names_are_accepted(tmp_path: Path):
    snake = {
        "resource_spans": [
            {
                "resource": {
                    "attributes": [
                        {"key": "factory.customer.id", "value": {"string_value": "cust-a"}}
                    ]
                },
                "scope_spans": [
                    {
                        "scope": {"name": "s"},
                        "spans": [
                            {
                                "trace_id": "4BF92F3577B34DA6A3CE929D0E0E4736",
                                "span_id": "00F067AA0BA902B7",
                                "parent_span_id": "1111111111111111",
                                "name": "chat",
                                "kind": "SPAN_KIND_SERVER",
                                "start_time_unix_nano": nanos(T0),
                                "end_time_unix_nano": nanos(T0) + 1_000_000_000,
                                "attributes": [
                                    {"key": "gen_ai.usage.input_tokens", "value": {"int_value": 5}}
                                ],
                                "status": {"code": "STATUS_CODE_OK"},
                            }
                        ],
                    }
                ],
            }
        ]
    }
    (row,) = load_spans(tmp_path, snake)
    assert row["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert row["parent_span_id"] == "1111111111111111"
    assert (row["span_kind"], row["status_code"]) == ("SERVER", "OK")
    assert (row["customer_id"], row["input_tokens"]) == ("cust-a", 5)


def test_duplicate_span_ids_are_all_loaded(tmp_path: Path):
    request = trace_request([span(attrs=GENAI)])
    rows = load_spans(tmp_path, request, request)
    assert len(rows) == 2
    assert rows[0]["_line_number"] == 1 and rows[1]["_line_number"] == 2


def test_columns_unique_per_span_are_written_without_a_dictionary(tmp_path: Path):
    # A dictionary of values that do not repeat only costs CPU and space.
    spans = [span(f"{i + 1:016x}", start=T0 + timedelta(seconds=i), attrs=GENAI) for i in range(20)]
    assert len(load_spans(tmp_path, trace_request(spans))) == 20
    (path,) = (tmp_path / "raw/spans").glob("*/*.parquet")
    group = pq.ParquetFile(path).metadata.row_group(0)
    chunks = {group.column(i).path_in_schema: group.column(i) for i in range(group.num_columns)}
    for column in ("span_id", "start_at", "end_at", "attributes_json"):
        assert not chunks[column].has_dictionary_page, column
    assert chunks["span_name"].has_dictionary_page  # repeated names keep theirs


# --- Metrics ------------------------------------------------------------------------------------

RESOURCE = {"service.name": "droid", "factory.customer.id": "cust-a", "session.id": "s-1"}


def counter(points: list[dict], temporality: int | str, name: str = "droid.tool.invocations"):
    return {
        "name": name,
        "unit": "{invocation}",
        "sum": {"dataPoints": points, "aggregationTemporality": temporality, "isMonotonic": True},
    }


def load_points(tmp_path: Path, *lines: dict, file: str = "metrics.jsonl") -> list[dict]:
    write_jsonl(tmp_path / "inbox/telemetry" / file, list(lines))
    ingest(tmp_path / "inbox", tmp_path / "raw", "telemetry")
    return sorted(
        read_raw(tmp_path / "raw", "metric_points"),
        key=lambda r: (r["metric_name"], r["time_at"], r["_source_file"]),
    )


def test_delta_and_cumulative_sums_are_loaded_with_times_and_stable_series_keys(tmp_path: Path):
    start = T0
    tool = {"tool.name": "edit_file"}
    export_1 = metrics_request(
        [
            counter(
                [number_point(3, time=start + timedelta(minutes=1), start=start, attrs=tool)], 2
            ),
            counter(
                [number_point(2, time=start + timedelta(minutes=1), start=start, attrs=tool)],
                "AGGREGATION_TEMPORALITY_DELTA",
                name="droid.git.commits",
            ),
        ],
        RESOURCE,
    )
    # The next export: resource attributes in another order, the same series.
    export_2 = metrics_request(
        [counter([number_point(5, time=start + timedelta(minutes=2), start=start, attrs=tool)], 2)],
        dict(reversed(list(RESOURCE.items()))),
    )
    load_points(tmp_path, export_1, file="a.jsonl")
    rows = load_points(tmp_path, export_2, file="b.jsonl")

    commits, first, second = rows
    assert (commits["metric_name"], commits["temporality"], commits["value"]) == (
        "droid.git.commits",
        "delta",
        2.0,
    )
    assert (first["temporality"], first["value"], second["value"]) == ("cumulative", 3.0, 5.0)
    assert first["is_monotonic"] is True and first["metric_type"] == "sum"
    assert first["start_at"] == second["start_at"] == datetime(2026, 11, 1, 9, 0)
    assert (first["time_at"], second["time_at"]) == (
        datetime(2026, 11, 1, 9, 1),
        datetime(2026, 11, 1, 9, 2),
    )
    assert first["series_key"] == second["series_key"] != commits["series_key"]
    assert first["series_key"] == series_key("droid.tool.invocations", RESOURCE, tool)
    assert (first["tool_name"], first["customer_id"], first["session_id"]) == (
        "edit_file",
        "cust-a",
        "s-1",
    )


def test_series_key_depends_on_point_attributes(tmp_path: Path):
    time = T0 + timedelta(minutes=1)
    request = metrics_request(
        [
            counter(
                [
                    number_point(1, time=time, start=T0, attrs={"tool.name": "grep"}),
                    number_point(1, time=time, start=T0, attrs={"tool.name": "edit_file"}),
                ],
                1,
            )
        ],
        RESOURCE,
    )
    a, b = load_points(tmp_path, request)
    assert a["series_key"] != b["series_key"]


def test_histogram_and_gauge_points(tmp_path: Path):
    time = T0 + timedelta(minutes=1)
    histogram = {
        "name": "gen_ai.client.token.usage",
        "unit": "{token}",
        "histogram": {
            "aggregationTemporality": 1,
            "dataPoints": [
                {
                    "attributes": attributes(
                        {
                            "gen_ai.operation.name": "chat",
                            "gen_ai.provider.name": "anthropic",
                            "gen_ai.request.model": "claude-sonnet-4-5",
                            "gen_ai.token.type": "input",
                        }
                    ),
                    "startTimeUnixNano": str(nanos(T0)),
                    "timeUnixNano": str(nanos(time)),
                    "count": "3",
                    "sum": 4500.0,
                    "min": 500.0,
                    "max": 3000.0,
                    "bucketCounts": ["0", "1", "2"],
                    "explicitBounds": [100.0, 1000.0],
                }
            ],
        },
    }
    gauge = {
        "name": "droid.repo.metadata",
        "gauge": {"dataPoints": [number_point(1.5, time=time, attrs={"mcp.server": "github"})]},
    }
    meta, hist = load_points(tmp_path, metrics_request([histogram, gauge], RESOURCE))

    assert (hist["metric_type"], hist["temporality"], hist["value"]) == ("histogram", "delta", None)
    assert (hist["histogram_count"], hist["histogram_sum"]) == (3, 4500.0)
    assert (hist["histogram_min"], hist["histogram_max"]) == (500.0, 3000.0)
    assert (hist["operation_name"], hist["provider_name"], hist["request_model"]) == (
        "chat",
        "anthropic",
        "claude-sonnet-4-5",
    )
    assert hist["token_type"] == "input"
    assert (meta["metric_type"], meta["temporality"], meta["is_monotonic"]) == ("gauge", None, None)
    assert (meta["value"], meta["start_at"], meta["mcp_server"]) == (1.5, None, "github")


def test_slash_command_and_hook_names_become_columns(tmp_path: Path):
    """Points whose own attributes name only a slash command or a hook get their columns (the
    per-scope memo of extracted columns must not hand them the scope's)."""
    time = T0 + timedelta(minutes=1)
    commands = counter(
        [number_point(1, time=time, attrs={"slash_command.name": "/review"})],
        1,
        "droid.slash_command.invocations",
    )
    hooks = counter(
        [number_point(1, time=time, attrs={"hook.name": "pre-commit"})],
        1,
        "droid.hook.invocations",
    )
    hook, command = load_points(tmp_path, metrics_request([commands, hooks], RESOURCE))

    assert (command["slash_command_name"], command["hook_name"]) == ("/review", None)
    assert (hook["slash_command_name"], hook["hook_name"]) == (None, "pre-commit")


def test_traces_and_metrics_may_share_a_file(tmp_path: Path):
    write_jsonl(
        tmp_path / "inbox/telemetry/mixed.json",
        [
            trace_request([span()]),
            metrics_request([counter([number_point(1, time=T0, start=T0)], 1)]),
        ],
    )
    result = ingest(tmp_path / "inbox", tmp_path / "raw", "telemetry")
    assert result.rows_per_table == {"spans": 1, "metric_points": 1}
    assert result.rows_in == result.rows_loaded == 2


def test_a_pretty_printed_json_file_is_read_as_one_request(tmp_path: Path):
    request = trace_request([span("0000000000000001"), span("0000000000000002")])
    path = tmp_path / "inbox/telemetry/saved-request.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(orjson.dumps(request, option=orjson.OPT_INDENT_2))

    result = ingest(tmp_path / "inbox", tmp_path / "raw", "telemetry")

    assert (result.rows_loaded, result.rows_quarantined) == (2, 0)
    assert {r["_line_number"] for r in read_raw(tmp_path / "raw", "spans")} == {1}
