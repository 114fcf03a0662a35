"""Agent telemetry (`inbox/telemetry/*.jsonl[.gz]`, `*.json`): OTLP JSON as the Collector writes it.

Each line is one `ExportTraceServiceRequest` or `ExportMetricsServiceRequest` (both may share a
file, even a line); a `.json` file holding one pretty-printed request is read as one line. Keys
are accepted in the OTLP camelCase and in the protobuf snake_case; 64-bit integers as strings or
numbers; enums as integers or names.

Every span becomes a `spans` row and every `sum`, `gauge` and `histogram` data point a
`metric_points` row, or a quarantine record of its own. A line that is not JSON, or not one of
the two requests, is quarantined whole; so is a malformed resource or scope block (as one record).

Attributes are merged resource < scope < span/data point (the closest wins); GenAI semantic
conventions are extracted to columns, deprecated names (`gen_ai.system`,
`gen_ai.usage.prompt_tokens`, `gen_ai.usage.completion_tokens`) as fallbacks.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import orjson

from ingestion.raw_zone import row_columns
from ingestion.records import (
    INT64_MAX,
    MAX_LINE_BYTES,
    UTF8_BOM,
    Quarantined,
    RecordError,
    describe,
    iter_lines,
    json_type_name,
    load_limit,
    parse_json_line,
    payload_text,
    too_long_reason,
)
from ingestion.schemas import ADDED_ATTRIBUTE_COLUMNS

# A row is a tuple in the table's column order (`SPAN_COLUMNS`, `METRIC_COLUMNS`).
Item = tuple[str, tuple] | Quarantined

SPAN_KINDS = {
    0: "UNSPECIFIED",
    1: "INTERNAL",
    2: "SERVER",
    3: "CLIENT",
    4: "PRODUCER",
    5: "CONSUMER",
}
STATUS_CODES = {0: "UNSET", 1: "OK", 2: "ERROR"}
TEMPORALITIES = {0: None, 1: "delta", 2: "cumulative"}
RISK_LEVELS = frozenset({"low", "medium", "high"})

# Name forms of the enums: `SPAN_KIND_CLIENT` and the short `CLIENT` both map to the short name.
_KIND_NAMES = {
    **{f"SPAN_KIND_{v}": v for v in SPAN_KINDS.values()},
    **{v: v for v in SPAN_KINDS.values()},
}
_STATUS_NAMES = {
    **{f"STATUS_CODE_{v}": v for v in STATUS_CODES.values()},
    **{v: v for v in STATUS_CODES.values()},
}
_TEMPORALITY_NAMES = {
    "AGGREGATION_TEMPORALITY_UNSPECIFIED": None,
    "AGGREGATION_TEMPORALITY_DELTA": "delta",
    "AGGREGATION_TEMPORALITY_CUMULATIVE": "cumulative",
    "UNSPECIFIED": None,
    "DELTA": "delta",
    "CUMULATIVE": "cumulative",
}

_TRACE_ID = re.compile(r"[0-9a-fA-F]{32}")
_SPAN_ID = re.compile(r"[0-9a-fA-F]{16}")
_ZERO_TRACE, _ZERO_SPAN = "0" * 32, "0" * 16
# Enum values in every accepted form (number, full name, short name) -> the short name.
_KIND_LOOKUP = {None: "UNSPECIFIED", **SPAN_KINDS, **_KIND_NAMES}
_STATUS_LOOKUP = {None: "UNSET", **STATUS_CODES, **_STATUS_NAMES}
_TEMPORALITY_LOOKUP = {1: "delta", 2: "cumulative"}
_EMPTY: dict = {}

# Attribution keys: attribute -> column. `customer_id` is resolved separately (two attributes).
_ATTRIBUTION = {
    "factory.project.id": "project_id",
    "factory.run.id": "run_id",
    "session.id": "session_id",
    "factory.session.mode": "session_mode",
    "user.id": "user_id",
    "factory.team": "team",
    "vcs.repository.name": "repository",
}
ATTRIBUTION_COLUMNS = ("customer_id", *_ATTRIBUTION.values())
_ID_KEYS = frozenset({"factory.customer.id", "organization.id", *_ATTRIBUTION})
# Attribution attribute -> its column's index in ATTRIBUTION_COLUMNS.
_ID_INDEX = {
    "factory.customer.id": 0,
    "organization.id": 0,
    **{attribute: ATTRIBUTION_COLUMNS.index(column) for attribute, column in _ATTRIBUTION.items()},
}

# Rows are yielded as tuples in the raw tables' column order (what `raw_zone.row_columns` says a
# parser supplies), built in that order by `_span_row` and `_metric`/`_point_row`.
SPAN_COLUMNS = (
    *("trace_id", "span_id", "parent_span_id", "span_name", "span_kind", "start_at", "end_at"),
    *("status_code", "status_message", "service_name", "scope_name", "operation_name"),
    *("provider_name", "request_model", "response_model", "input_tokens", "output_tokens"),
    *("cache_read_input_tokens", "cache_creation_input_tokens", "reasoning_output_tokens"),
    *("error_type", "tool_name", "tool_risk_level", "template", "run_attempt", "resend_count"),
    *ATTRIBUTION_COLUMNS,
    *("attributes_json", "_line_number"),
)
METRIC_COLUMNS = (
    *("metric_name", "metric_unit", "metric_type", "temporality", "is_monotonic", "series_key"),
    *("start_at", "time_at", "value", "histogram_count", "histogram_sum", "histogram_min"),
    *("histogram_max", "service_name", *ATTRIBUTION_COLUMNS, "tool_name", "mcp_server"),
    *("skill_name", "operation_name", "provider_name", "request_model", "token_type"),
    *("slash_command_name", "hook_name", "attributes_json", "_line_number"),
)
assert list(SPAN_COLUMNS) == row_columns("spans"), "SPAN_COLUMNS must follow schemas.SPANS"
assert list(METRIC_COLUMNS) == row_columns("metric_points"), "see schemas.METRIC_POINTS"

# Data-point flag FLAG_NO_RECORDED_VALUE: the point marks a gap, its value is null.
_NO_RECORDED_VALUE = 1


def parse_telemetry_file(path: Path, *, now: datetime) -> Iterator[Item]:
    """Stream an OTLP JSON Lines file, yielding `("spans" | "metric_points", row)` or `Quarantined`.

    `now` is the load time (naive UTC): timestamps more than a day after it are rejected.
    """
    limit_ns = int((load_limit(now) - datetime(1970, 1, 1)).total_seconds()) * 1_000_000_000
    document = _single_document(path)
    lines = [(1, document, document)] if document is not None else iter_lines(path)
    for number, line, raw in lines:
        if line is None:
            yield Quarantined(number, too_long_reason(), payload_text(raw))
            continue
        if not line.strip():
            continue
        try:
            request = parse_json_line(line)
            if not isinstance(request, dict):
                raise RecordError(
                    "invalid_otlp",
                    f"a line must be an OTLP request object, got {json_type_name(request)}",
                )
            resource_spans = _get(request, "resourceSpans", "resource_spans")
            resource_metrics = _get(request, "resourceMetrics", "resource_metrics")
            if resource_spans is None and resource_metrics is None:
                raise RecordError(
                    "invalid_otlp",
                    "a line must be an ExportTraceServiceRequest (resourceSpans) or an "
                    "ExportMetricsServiceRequest (resourceMetrics), "
                    f"got keys {describe(list(request))}",
                )
            _check_list(resource_spans, "resourceSpans")
            _check_list(resource_metrics, "resourceMetrics")
        except RecordError as exc:
            yield Quarantined(number, str(exc), payload_text(line))
            continue
        if resource_spans:
            yield from _spans(resource_spans, number, limit_ns)
        if resource_metrics:
            yield from _metric_points(resource_metrics, number, limit_ns)


def _single_document(path: Path) -> bytes | None:
    """A `.json` file holding one pretty-printed request (as saved from an OTLP/HTTP call) is
    read as one line; the Collector's own `.json` files are JSON Lines and return None."""
    if not path.name.lower().endswith(".json") or path.stat().st_size > MAX_LINE_BYTES:
        return None
    data = path.read_bytes()
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    if b"\n" not in data.strip():
        return None  # a single line anyway
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    return data


# --- Traces -------------------------------------------------------------------------------------


def _scopes(resource_blocks: list, signal: str, number: int, read_items) -> Iterator[Item]:
    """Walks `resource<Signal>[r].scope<Signal>[s].<signal>` (camelCase or snake_case keys) and
    yields what `read_items(resource, scope, items, where)` makes of each scope's items. A resource
    or scope block that cannot be read is quarantined whole; its siblings still load."""
    scopes_camel, scopes_snake, items_key = (
        f"scope{signal}",
        f"scope_{signal.lower()}",
        signal.lower(),
    )
    for r, block in enumerate(resource_blocks):
        where = f"resource{signal}[{r}]"
        try:
            resource = _resource(block, where)
            scope_blocks = _get_list(block, scopes_camel, scopes_snake, where)
        except RecordError as exc:
            yield Quarantined(number, str(exc), _block_payload(block))
            continue
        for s, scope_block in enumerate(scope_blocks):
            at = f"{where}.{scopes_camel}[{s}]"
            try:
                scope = _scope(scope_block, resource, at)
                items = _get_list(scope_block, items_key, items_key, at)
            except RecordError as exc:
                yield Quarantined(number, str(exc), _block_payload(scope_block))
                continue
            yield from read_items(resource, scope, items, at)


def _spans(resource_spans: list, number: int, limit_ns: int) -> Iterator[Item]:
    def read_spans(resource: _Scope, scope: _Scope, spans: list, where: str) -> Iterator[Item]:
        for span in spans:
            try:
                row = _span_row(span, scope, limit_ns, number)
            except RecordError as exc:
                yield Quarantined(number, str(exc), _block_payload(span))
                continue
            yield "spans", row

    return _scopes(resource_spans, "Spans", number, read_spans)


def _span_row(span: object, scope: _Scope, limit_ns: int, number: int) -> tuple:
    """One `spans` row, as a tuple in `SPAN_COLUMNS` order (`number` is its line)."""
    # The hot path of telemetry ingestion (one call per span): validated inline, with the
    # careful helpers only called to build an error message.
    if type(span) is not dict:
        raise RecordError("invalid_otlp", f"a span must be an object, got {json_type_name(span)}")
    get = span.get
    trace_id = get("traceId")
    if trace_id is None:
        trace_id = get("trace_id")
    if type(trace_id) is not str or not _TRACE_ID.fullmatch(trace_id) or trace_id == _ZERO_TRACE:
        _hex_id(trace_id, _TRACE_ID, "traceId", 32)
    span_id = get("spanId")
    if span_id is None:
        span_id = get("span_id")
    if type(span_id) is not str or not _SPAN_ID.fullmatch(span_id) or span_id == _ZERO_SPAN:
        _hex_id(span_id, _SPAN_ID, "spanId", 16)
    parent = get("parentSpanId")
    if parent is None:
        parent = get("parent_span_id")
    if not parent:
        parent = None
    elif type(parent) is not str or not _SPAN_ID.fullmatch(parent) or parent == _ZERO_SPAN:
        _hex_id(parent, _SPAN_ID, "parentSpanId", 16)
    else:
        parent = parent.lower()
    start = get("startTimeUnixNano")
    if start is None:
        start = get("start_time_unix_nano")
    start_ns = (
        int(start)
        if type(start) is str and start.isdecimal()
        else _uint64(start, "startTimeUnixNano")
    )
    end = get("endTimeUnixNano")
    if end is None:
        end = get("end_time_unix_nano")
    end_ns = int(end) if type(end) is str and end.isdecimal() else _uint64(end, "endTimeUnixNano")
    if not start_ns:
        raise RecordError("missing_field", "startTimeUnixNano is required")
    if not end_ns:
        raise RecordError("missing_field", "endTimeUnixNano is required")
    if start_ns > limit_ns or end_ns > limit_ns:
        _check_time(start_ns, "startTimeUnixNano", limit_ns)
        _check_time(end_ns, "endTimeUnixNano", limit_ns)
    if end_ns < start_ns:
        raise RecordError(
            "end_before_start", f"endTimeUnixNano {end_ns} is before startTimeUnixNano {start_ns}"
        )
    name = get("name")
    if name is not None and type(name) is not str:
        raise RecordError("invalid_type", f"name must be a string, got {describe(name)}")
    kind = get("kind")
    span_kind = _lookup(_KIND_LOOKUP, kind)
    if span_kind is None:
        _enum(kind, SPAN_KINDS, _KIND_NAMES, "kind")
    status = get("status") or _EMPTY
    if type(status) is not dict:
        raise RecordError("invalid_type", f"status must be an object, got {describe(status)}")
    code = status.get("code")
    status_code = _lookup(_STATUS_LOOKUP, code)
    if status_code is None:
        _enum(code, STATUS_CODES, _STATUS_NAMES, "status.code")
    message = status.get("message") or None
    if message is not None and type(message) is not str:
        raise RecordError(
            "invalid_type", f"status.message must be a string, got {describe(message)}"
        )

    own = get("attributes")
    own = _attributes(own, "attributes") if own else _EMPTY
    if own:
        attrs = {**scope.attributes, **own}
        ids = scope.id_values if _ID_KEYS.isdisjoint(own) else _merged_ids(scope, own)
    else:
        attrs, ids = scope.attributes, scope.id_values
    a = attrs.get
    input_tokens = a("gen_ai.usage.input_tokens")
    if input_tokens is None:
        input_tokens = _count("gen_ai.usage.prompt_tokens", a("gen_ai.usage.prompt_tokens"))
    output_tokens = a("gen_ai.usage.output_tokens")
    if output_tokens is None:
        output_tokens = _count(
            "gen_ai.usage.completion_tokens", a("gen_ai.usage.completion_tokens")
        )
    cache_read = a("gen_ai.usage.cache_read.input_tokens")
    cache_creation = a("gen_ai.usage.cache_creation.input_tokens")
    reasoning = a("gen_ai.usage.reasoning.output_tokens")
    risk = a("factory.tool.risk_level")
    return (
        trace_id.lower(),
        span_id.lower(),
        parent,
        name,
        span_kind,
        start_ns // 1000,
        end_ns // 1000,
        status_code,
        message,
        scope.service_name,
        scope.name,
        _text(a("gen_ai.operation.name")),
        _text(a("gen_ai.provider.name") or a("gen_ai.system")),
        _text(a("gen_ai.request.model")),
        _text(a("gen_ai.response.model")),
        # Valid counts (ints >= 0, the common case) skip the checking call.
        input_tokens
        if input_tokens.__class__ is int and 0 <= input_tokens <= INT64_MAX
        else _count("gen_ai.usage.input_tokens", input_tokens),
        output_tokens
        if output_tokens.__class__ is int and 0 <= output_tokens <= INT64_MAX
        else _count("gen_ai.usage.output_tokens", output_tokens),
        cache_read
        if cache_read.__class__ is int and 0 <= cache_read <= INT64_MAX
        else _count("gen_ai.usage.cache_read.input_tokens", cache_read),
        cache_creation
        if cache_creation.__class__ is int and 0 <= cache_creation <= INT64_MAX
        else _count("gen_ai.usage.cache_creation.input_tokens", cache_creation),
        reasoning
        if reasoning.__class__ is int and 0 <= reasoning <= INT64_MAX
        else _count("gen_ai.usage.reasoning.output_tokens", reasoning),
        _text(a("error.type")),
        _text(a("gen_ai.tool.name")),
        None if risk is None else _risk_level(risk),
        _text(a("factory.template")),
        _text(a("factory.run.attempt")),
        _text(a("http.request.resend_count")),
        *ids,
        # bytes: Arrow takes UTF-8 bytes for a string column as they are, saving a decode.
        orjson.dumps(attrs, option=orjson.OPT_SORT_KEYS),
        number,
    )


# --- Metrics ------------------------------------------------------------------------------------


def _metric_points(resource_metrics: list, number: int, limit_ns: int) -> Iterator[Item]:
    def read_metrics(resource: _Scope, scope: _Scope, metrics: list, where: str) -> Iterator[Item]:
        # Series keys hash the resource attributes: serialise them once per scope, not per point.
        resource_key = orjson.dumps(resource.attributes, option=orjson.OPT_SORT_KEYS)
        for m, metric in enumerate(metrics):
            yield from _metric(metric, where, m, scope, resource_key, number, limit_ns)

    return _scopes(resource_metrics, "Metrics", number, read_metrics)


def _metric(
    metric: object,
    scope_where: str,
    m: int,
    scope: _Scope,
    resource_key: bytes,
    number: int,
    limit_ns: int,
) -> Iterator[Item]:
    # The common form read inline: an object with a sum, gauge or histogram whose points are an
    # array; anything else goes the careful way, which says what is wrong.
    points = None
    if metric.__class__ is dict:
        metric_type = "sum"
        data = metric.get("sum")
        if data is None:
            metric_type = "gauge"
            data = metric.get("gauge")
            if data is None:
                metric_type = "histogram"
                data = metric.get("histogram")
        if data.__class__ is dict:
            points = data.get("dataPoints")
            if points is None:
                points = data.get("data_points")
            if points.__class__ is not list:
                points = None
    if points is None:
        try:
            metric_type, data, points = _metric_data(metric, f"{scope_where}.metrics[{m}]")
        except RecordError as exc:
            yield Quarantined(number, str(exc), _block_payload(metric))
            return

    # Problems of the metric as a whole are reported on each of its points, so every point is
    # counted once, loaded or quarantined.
    problem: str | None = None
    name = metric.get("name")
    unit = metric.get("unit") or None
    temporality = None
    is_monotonic = None
    if not isinstance(name, str) or not name:
        problem = f"missing_field: metric name is required ({scope_where}.metrics[{m}])"
    elif unit is not None and type(unit) is not str:
        problem = f"invalid_type: unit of metric {name} must be a string, got {describe(unit)}"
    elif metric_type not in ("sum", "gauge", "histogram"):
        problem = (
            f"unsupported_metric_type: {metric_type} data points are not loaded "
            f"(metric {name}); only sum, gauge and histogram are"
        )
    elif metric_type != "gauge":
        try:
            temporality = _get(data, "aggregationTemporality", "aggregation_temporality")
            temporality = (
                _TEMPORALITY_LOOKUP[temporality]
                if temporality.__class__ is int and temporality in _TEMPORALITY_LOOKUP
                else _enum(temporality, TEMPORALITIES, _TEMPORALITY_NAMES, "aggregationTemporality")
            )
            if temporality is None:
                raise RecordError(
                    "unknown_enum",
                    f"aggregationTemporality of {metric_type} metric {name} must be "
                    "DELTA or CUMULATIVE, got UNSPECIFIED",
                )
        except RecordError as exc:
            problem = str(exc)
        if metric_type == "sum":
            is_monotonic = bool(_get(data, "isMonotonic", "is_monotonic"))
    if problem is not None:
        for point in points:
            yield Quarantined(number, problem, _block_payload(point))
        return
    # What every point of the metric shares: the first columns and the series key's prefix.
    head = (name, unit, metric_type, temporality, is_monotonic)
    series_prefix = _series_prefix(name, resource_key)
    monotonic = is_monotonic is True
    for point in points:
        try:
            row = _point_row(
                point, metric_type, head, series_prefix, scope, limit_ns, monotonic, number
            )
        except RecordError as exc:
            yield Quarantined(number, f"{exc} (metric {name})", _block_payload(point))
            continue
        yield "metric_points", row


def _metric_data(metric: object, where: str) -> tuple[str, dict, list]:
    """A metric's type, data and points, or `RecordError` saying what is wrong."""
    if not isinstance(metric, dict):
        raise RecordError(
            "invalid_otlp", f"{where} must be an object, got {json_type_name(metric)}"
        )
    for metric_type in ("sum", "gauge", "histogram"):
        data = metric.get(metric_type)
        if data is not None:
            break
    else:
        other = next(
            (
                k
                for k in ("exponentialHistogram", "exponential_histogram", "summary")
                if k in metric
            ),
            None,
        )
        if other is None:
            raise RecordError("invalid_otlp", f"{where} has no sum, gauge or histogram data")
        data, metric_type = metric[other], other
    if not isinstance(data, dict):
        raise RecordError("invalid_otlp", f"{where}.{metric_type} must be an object")
    return metric_type, data, _get_list(data, "dataPoints", "data_points", f"{where}.{metric_type}")


def _point_row(
    point: object,
    metric_type: str,
    head: tuple,
    series_prefix: bytes,
    scope: _Scope,
    limit_ns: int,
    monotonic: bool,
    number: int,
) -> tuple:
    """One `metric_points` row, as a tuple in `METRIC_COLUMNS` order (`number` is its line);
    `head` holds the metric's own columns, `series_prefix` the start of its series keys."""
    # The hot path of metric ingestion (one call per data point): the common forms are read
    # inline, anything else goes through the careful helpers, which raise the same errors.
    if point.__class__ is not dict:
        raise RecordError(
            "invalid_otlp", f"a data point must be an object, got {json_type_name(point)}"
        )
    get = point.get
    time = get("timeUnixNano")
    if time is None:
        time = get("time_unix_nano")
    time_ns = (
        int(time) if time.__class__ is str and time.isdecimal() else _uint64(time, "timeUnixNano")
    )
    if not time_ns:
        raise RecordError("missing_field", "timeUnixNano is required")
    start = get("startTimeUnixNano")
    if start is None:
        start = get("start_time_unix_nano")
    start_ns = (
        int(start)
        if start.__class__ is str and start.isdecimal()
        else _uint64(start, "startTimeUnixNano")
    )
    if time_ns > limit_ns:
        _check_time(time_ns, "timeUnixNano", limit_ns)
    if start_ns and start_ns > time_ns:
        raise RecordError(
            "end_before_start", f"timeUnixNano {time_ns} is before startTimeUnixNano {start_ns}"
        )
    flags = get("flags") or 0
    no_value = isinstance(flags, int) and bool(flags & _NO_RECORDED_VALUE)
    value = count = total = low = high = None
    if metric_type == "histogram":
        if not no_value:
            # Fast paths: a count as a decimal string of fewer than 19 digits (within int64),
            # bounds as floats; anything else through the checking helpers.
            count = get("count")
            if count.__class__ is not str or not count.isdecimal() or len(count) >= 19:
                count = _uint64(count, "count") or 0
                if count > INT64_MAX:
                    raise RecordError("out_of_range", f"count must be <= {INT64_MAX}, got {count}")
            else:
                count = int(count)
            total = get("sum")
            if total.__class__ is not float:
                total = _double(total, "sum")
            low = get("min")
            if low.__class__ is not float:
                low = _double(low, "min")
            high = get("max")
            if high.__class__ is not float:
                high = _double(high, "max")
            if total is not None and total < 0:
                raise RecordError("negative_value", f"histogram sum must be >= 0, got {total}")
    elif not no_value:
        as_int = get("asInt")
        if as_int is None:
            as_int = get("as_int")
        if as_int is not None:
            if as_int.__class__ is str and as_int.isdecimal() and len(as_int) < 19:
                value = float(int(as_int))  # fewer than 19 digits: always within int64
            else:
                value = float(_int64(as_int, "asInt"))
        else:
            value = get("asDouble")
            if value is None:
                value = get("as_double")
            if value.__class__ is not float:
                value = _double(value, "asDouble")
        if monotonic and value is not None and value < 0:
            raise RecordError("negative_value", f"a monotonic sum must be >= 0, got {value}")

    own = get("attributes")
    own = _attributes(own, "attributes") if own else _EMPTY
    # The points of a scope often repeat the same attributes (a session's metrics): what
    # they give is computed once per scope, keyed by their JSON (exact: 1, 1.0 and true differ).
    own_json = orjson.dumps(own, option=orjson.OPT_SORT_KEYS)
    shared = scope.memo.get(own_json)
    if shared is None:
        if own:
            attrs = {**scope.attributes, **own}
            shared = (
                scope.id_values if _ID_KEYS.isdisjoint(own) else _merged_ids(scope, own),
                scope.point_text() if _POINT_TEXT_KEYS.isdisjoint(own) else _point_text(attrs),
                orjson.dumps(attrs, option=orjson.OPT_SORT_KEYS),
            )
        else:
            shared = (scope.id_values, scope.point_text(), scope.json())
        scope.memo[own_json] = shared
    ids, text, attributes_json = shared
    # series_key: see `series_key`
    series = hashlib.sha1(series_prefix + own_json).hexdigest()
    return (
        *head,
        series,
        start_ns // 1000 if start_ns else None,
        time_ns // 1000,
        value,
        count,
        total,
        low,
        high,
        scope.service_name,
        *ids,
        *text,
        # bytes: Arrow takes UTF-8 bytes for a string column as they are, saving a decode.
        attributes_json,
        number,
    )


# Attributes extracted to columns of `metric_points` (after the attribution columns).
_POINT_TEXT_KEYS = frozenset(
    {
        "tool.name",
        "mcp.server",
        "skill.name",
        "gen_ai.operation.name",
        "gen_ai.provider.name",
        "gen_ai.system",
        "gen_ai.request.model",
        "gen_ai.token.type",
        "slash_command.name",
        "hook.name",
    }
)
# A point setting one of these gets its columns recomputed, not its scope's (see `_point_row`).
assert set(ADDED_ATTRIBUTE_COLUMNS["metric_points"].values()) <= _POINT_TEXT_KEYS


def _point_text(attrs: dict) -> tuple:
    """`tool_name` ... `hook_name` of a data point from its merged attributes."""
    get = attrs.get
    return (
        _text(get("tool.name")),
        _text(get("mcp.server")),
        _text(get("skill.name")),
        _text(get("gen_ai.operation.name")),
        _text(_first(attrs, "gen_ai.provider.name", "gen_ai.system")),
        _text(get("gen_ai.request.model")),
        _text(get("gen_ai.token.type")),
        _text(get("slash_command.name")),
        _text(get("hook.name")),
    )


def series_key(metric_name: str, resource_attributes: dict, point_attributes: dict) -> str:
    """The `series_key` of a data point: sha1 hex of the metric name and the sorted resource and
    point attributes (as plain values). Scope attributes and the service are not part of it
    beyond what the resource attributes hold."""
    resource_key = orjson.dumps(resource_attributes, option=orjson.OPT_SORT_KEYS)
    point_key = orjson.dumps(point_attributes, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha1(_series_prefix(metric_name, resource_key) + point_key).hexdigest()


def _series_prefix(name: str, resource_key: bytes) -> bytes:
    """What a series key hashes before the point's sorted attributes JSON: the metric name and
    the resource's sorted attributes JSON, NUL-separated (keeps ("ab", "c") and ("a", "bc")
    apart). `series_key` and `_point_row` hash the same bytes."""
    return b"%s\x00%s\x00" % (name.encode(), resource_key)


# --- Resources, scopes and attributes -----------------------------------------------------------


class _Scope:
    """What a span or data point inherits from its resource and scope.

    `id_values` are the attribution columns in `ATTRIBUTION_COLUMNS` order; `point_text()` and
    `json()` are the extracted columns and the attributes JSON of a data point without
    attributes of its own (computed once per scope, when first asked for).
    """

    __slots__ = (
        "_json",
        "_point_text",
        "attributes",
        "id_values",
        "ids",
        "memo",
        "name",
        "service_name",
    )

    def __init__(self, attributes: dict, ids: dict, name: str | None, service_name: str | None):
        self.attributes = attributes
        self.ids = ids
        self.id_values = tuple(map(ids.get, ATTRIBUTION_COLUMNS))
        self.name = name
        self.service_name = service_name
        self._point_text: tuple | None = None
        self._json: bytes | None = None
        self.memo: dict[bytes, tuple] = {}  # a data point's own attributes JSON -> see _point_row

    def point_text(self) -> tuple:
        if self._point_text is None:
            self._point_text = _point_text(self.attributes)
        return self._point_text

    def json(self) -> bytes:
        if self._json is None:
            self._json = orjson.dumps(self.attributes, option=orjson.OPT_SORT_KEYS)
        return self._json


def _resource(block: object, where: str) -> _Scope:
    if not isinstance(block, dict):
        raise RecordError("invalid_otlp", f"{where} must be an object, got {json_type_name(block)}")
    resource = block.get("resource") or {}
    if not isinstance(resource, dict):
        raise RecordError("invalid_otlp", f"{where}.resource must be an object")
    attrs = _attributes(resource.get("attributes"), f"{where}.resource.attributes")
    return _Scope(attrs, _ids(attrs), None, _text(attrs.get("service.name")))


def _scope(block: object, resource: _Scope, where: str) -> _Scope:
    if not isinstance(block, dict):
        raise RecordError("invalid_otlp", f"{where} must be an object, got {json_type_name(block)}")
    scope = block.get("scope") or {}
    if not isinstance(scope, dict):
        raise RecordError("invalid_otlp", f"{where}.scope must be an object")
    own = _attributes(scope.get("attributes"), f"{where}.scope.attributes")
    name = scope.get("name")
    if name is not None and type(name) is not str:
        raise RecordError(
            "invalid_type", f"{where}.scope.name must be a string, got {describe(name)}"
        )
    if not own:
        return _Scope(resource.attributes, resource.ids, name or None, resource.service_name)
    attrs = {**resource.attributes, **own}
    return _Scope(
        attrs, {**resource.ids, **_ids(own)}, name or None, _text(attrs.get("service.name"))
    )


def _merged_ids(scope: _Scope, own: dict) -> tuple:
    """The attribution columns of a span or data point with attributes of its own: the scope's,
    overridden by the non-empty ones it sets (as `{**scope.ids, **_ids(own)}`)."""
    values = None
    for attribute, value in own.items():
        index = _ID_INDEX.get(attribute)
        if index is None or value is None or value == "":
            continue
        if values is None:
            values = list(scope.id_values)
        values[index] = value if value.__class__ is str else _text(value)
    if values is None:
        return scope.id_values
    # factory.customer.id wins over organization.id on the same level.
    customer = own.get("factory.customer.id")
    if customer is not None and customer != "":
        values[0] = customer if customer.__class__ is str else _text(customer)
    return tuple(values)


def _ids(attrs: dict) -> dict:
    """The attribution keys set on one level (resource, scope or span/point)."""
    ids = {}
    for attribute in _ID_KEYS.intersection(attrs):
        value = attrs[attribute]
        if value is not None and value != "":
            ids[_ATTRIBUTION.get(attribute, "customer_id")] = _text(value)
    # factory.customer.id wins over organization.id on the same level.
    customer = _text(attrs.get("factory.customer.id"))
    if customer:
        ids["customer_id"] = customer
    return ids


def _attributes(values: object, where: str) -> dict:
    """OTLP `KeyValue` list -> plain dict (later duplicates win)."""
    if not values:
        return {}
    # Fast path for well-formed lists (string and integer values inline); anything unusual is
    # redone by the careful version, which says what is wrong.
    out = {}
    try:
        for kv in values:
            key = kv["key"]
            if key.__class__ is not str:
                raise TypeError
            value = kv["value"]
            item = value.get("stringValue")
            if item is None:
                item = value.get("intValue")
                if item.__class__ is str and item.isdecimal() and len(item) < 19:
                    item = int(item)  # fewer than 19 digits: always within int64
                else:
                    item = _any_value(value, where, key)
            out[key] = item
    except (TypeError, KeyError, AttributeError):
        return _attributes_checked(values, where)
    return out


def _attributes_checked(values: object, where: str) -> dict:
    if not isinstance(values, list):
        raise RecordError("invalid_otlp", f"{where} must be an array of key/value objects")
    out = {}
    for kv in values:
        if not isinstance(kv, dict) or not isinstance(kv.get("key"), str):
            raise RecordError("invalid_otlp", f"{where}: {describe(kv)} is not a key/value object")
        out[kv["key"]] = _any_value(kv.get("value"), where, kv["key"])
    return out


def _any_value(value: object, where: str, key: str) -> object:
    """OTLP `AnyValue` -> plain value (int for intValue, list for arrayValue, dict for kvlist)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RecordError(
            "invalid_otlp", f"{where}[{key}] must be an AnyValue object, got {describe(value)}"
        )
    for kind, item in value.items():
        if kind in ("stringValue", "string_value"):
            return item
        if kind in ("intValue", "int_value"):
            return _int64(item, f"{where}[{key}].{kind}")
        if kind in ("doubleValue", "double_value"):
            return _double(item, f"{where}[{key}].{kind}")
        if kind in ("boolValue", "bool_value"):
            return bool(item)
        if kind in ("arrayValue", "array_value"):
            items = (item or {}).get("values") or []
            return [_any_value(v, where, f"{key}[{i}]") for i, v in enumerate(items)]
        if kind in ("kvlistValue", "kvlist_value"):
            return _attributes((item or {}).get("values"), f"{where}[{key}]")
        if kind in ("bytesValue", "bytes_value"):
            return item  # base64 text, kept as is
    return None


# --- Scalars ------------------------------------------------------------------------------------


def _get(obj: dict, camel: str, snake: str) -> object:
    value = obj.get(camel)
    return obj.get(snake) if value is None else value


def _get_list(obj: dict, camel: str, snake: str, where: str) -> list:
    value = _get(obj, camel, snake)
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(
            "invalid_otlp", f"{where}.{camel} must be an array, got {json_type_name(value)}"
        )
    return value


def _check_list(value: object, name: str) -> None:
    if value is not None and not isinstance(value, list):
        raise RecordError("invalid_otlp", f"{name} must be an array, got {json_type_name(value)}")


def _block_payload(block: object) -> str:
    return payload_text(orjson.dumps(block).decode())


def _hex_id(value: object, pattern: re.Pattern, field: str, length: int) -> str:
    if value is None or value == "":
        raise RecordError("invalid_id", f"{field} is required ({length} hex characters)")
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise RecordError(
            "invalid_id", f"{field} must be {length} hex characters, got {describe(value)}"
        )
    if value.count("0") == length:
        raise RecordError("invalid_id", f"{field} must not be all zeros")
    return value.lower()


def _uint64(value: object, field: str) -> int:
    """A 64-bit unsigned integer sent as a number or a decimal string; missing is 0."""
    if value is None:
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.isdigit():
        number = int(value)
    else:
        if isinstance(value, str) and value.startswith("-") and value[1:].isdigit():
            raise RecordError("negative_value", f"{field} must be >= 0, got {value}")
        raise RecordError(
            "invalid_type", f"{field} must be an unsigned integer, got {describe(value)}"
        )
    if number < 0:
        raise RecordError("negative_value", f"{field} must be >= 0, got {number}")
    return number


def _int64(value: object, field: str) -> int:
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        with contextlib.suppress(ValueError):
            number = int(value)
    if number is None:
        raise RecordError("invalid_type", f"{field} must be an integer, got {describe(value)}")
    if not -INT64_MAX - 1 <= number <= INT64_MAX:
        raise RecordError("out_of_range", f"{field} must fit in 64 bits, got {number}")
    return number


def _double(value: object, field: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    # Protobuf JSON writes the non-finite doubles as strings.
    if value in ("NaN", "Infinity", "-Infinity"):
        return float(value)
    raise RecordError("invalid_type", f"{field} must be a number, got {describe(value)}")


def _check_time(nanos: int, field: str, limit_ns: int) -> None:
    if nanos > limit_ns:
        raise RecordError(
            "timestamp_in_future",
            f"{field} {nanos} is more than 1 day after the load time",
        )


def _lookup(names: dict, value: object) -> str | None:
    """The name of an enum given as its number or name, or None (then `_enum` explains why)."""
    if type(value) is bool:
        return None
    try:
        return names.get(value)
    except TypeError:  # an object or array
        return None


def _enum(value: object, by_number: dict, by_name: dict, field: str) -> str | None:
    if value is None:
        return by_number[0]  # protobuf JSON omits the default (zero) value
    if isinstance(value, int) and not isinstance(value, bool):
        if value in by_number:
            return by_number[value]
    elif isinstance(value, str) and value in by_name:
        return by_name[value]
    raise RecordError(
        "unknown_enum",
        f"{field} must be one of {', '.join(str(k) for k in by_number)} or "
        f"{', '.join(n for n in by_name if '_' in n)}, got {describe(value)}",
    )


def _first(attrs: dict, key: str, fallback: str) -> object:
    value = attrs.get(key)
    return attrs.get(fallback) if value is None or value == "" else value


def _text(value: object) -> str | None:
    """An attribute as text: strings as they are, scalars printed, arrays/maps as JSON."""
    if value.__class__ is str:
        return value or None
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _count(name: str, value: object) -> int | None:
    """A token count attribute: a non-negative integer, or null when absent."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordError("invalid_type", f"{name} must be an integer, got {describe(value)}")
    if value < 0:
        raise RecordError("negative_value", f"{name} must be >= 0, got {value}")
    if value > INT64_MAX:
        raise RecordError("out_of_range", f"{name} must be <= {INT64_MAX}, got {value}")
    return value


def _risk_level(value: object) -> str | None:
    if value is None or value == "":
        return None
    if type(value) is not str or value not in RISK_LEVELS:
        raise RecordError(
            "unknown_enum",
            f"factory.tool.risk_level must be one of high, low, medium, got {describe(value)}",
        )
    return value


__all__ = ["ATTRIBUTION_COLUMNS", "parse_telemetry_file", "series_key"]
