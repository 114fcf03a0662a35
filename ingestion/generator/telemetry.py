"""Agent telemetry: OTLP JSON traces and metrics, as the OpenTelemetry Collector file exporter
writes them (one request per line, camelCase keys, 64-bit integers as strings).

Every agent session (a run attempt in headless mode, an interactive droid session, or an
internal session with no customer) becomes one trace: an `invoke_agent` root span with `chat`,
`embeddings` and `execute_tool` children. The session's `droid.*` and `gen_ai.client.*` metrics
are derived from the same calls, exported every few minutes with delta or cumulative temporality.
Spans are filed under the day they end, metric points under the day they are exported.
"""

from __future__ import annotations

import random
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import orjson

from ingestion.generator import catalog
from ingestion.generator.anomalies import Effects
from ingestion.generator.prices import PriceBook, billable_tokens
from ingestion.generator.runs import Attempt, growth_factor
from ingestion.generator.util import (
    US_PER_DAY,
    US_PER_HOUR,
    US_PER_SECOND,
    Weighted,
    between,
    day_start_us,
    hex_id,
    lognormal,
    poisson,
    us_to_ordinal,
    uuid_like,
)
from ingestion.generator.world import Customer, Project, World
from ingestion.generator.writers import write_gzip_lines

KIND_INTERNAL, KIND_CLIENT = 1, 3
STATUS_ERROR = 2
_TOOLS = Weighted([((name, risk, median), w) for name, risk, median, w in catalog.TOOLS])
_LLM_ERRORS = Weighted(catalog.LLM_ERROR_TYPES)
_READ_TOOLS = frozenset({"read_file", "grep", "list_directory"})
_TEMPORALITY = {
    (False, False): 1,
    (True, False): 2,
    (False, True): "AGGREGATION_TEMPORALITY_DELTA",
    (True, True): "AGGREGATION_TEMPORALITY_CUMULATIVE",
}
_UNITS = {
    "droid.code.files_modified": "{file}",
    "droid.code.files_read": "{file}",
    "droid.code.lines_modified": "{line}",
    "droid.git.commits": "{commit}",
    "droid.git.pull_requests": "{pull_request}",
    "droid.tool.invocations": "{invocation}",
    "droid.tool.execution_time": "ms",
    "droid.mcp.tool_invocations": "{invocation}",
    "droid.skill.invocations": "{invocation}",
    "droid.hook.invocations": "{invocation}",
    "droid.slash_command.invocations": "{invocation}",
    "droid.auth.login_success": "{login}",
    "gen_ai.client.token.usage": "{token}",
    "gen_ai.client.operation.duration": "s",
}
_BOUNDS = {
    "droid.tool.execution_time": list(catalog.TOOL_TIME_BUCKETS_MS),
    "gen_ai.client.token.usage": list(catalog.TOKEN_BUCKETS),
    "gen_ai.client.operation.duration": list(catalog.DURATION_BUCKETS_S),
}
TRUTH_METRICS = ("droid.code.lines_modified", "droid.git.commits")


def _s(key: str, value: str) -> dict:
    return {"key": key, "value": {"stringValue": value}}


def _i(key: str, value: int) -> dict:
    return {"key": key, "value": {"intValue": str(value)}}


def _b(key: str, value: bool) -> dict:
    return {"key": key, "value": {"boolValue": value}}


def _a(key: str, values: list[str]) -> dict:
    return {"key": key, "value": {"arrayValue": {"values": [{"stringValue": v} for v in values]}}}


@dataclass(slots=True)
class Session:
    """One agent session to simulate."""

    session_id: str
    mode: str  # headless | interactive
    service_name: str
    customer: Customer | None
    project: Project | None
    user_id: str | None
    run_id: str | None
    attempt: int | None
    template_name: str | None
    start_us: int
    end_us: int
    error: str | None  # the run's error code: the root span ends in error
    succeeded: bool
    model: str
    chat_calls: int
    tool_calls: int
    input_median: int
    output_median: int
    lines_median: int
    embedding_calls: int
    opens_pull_request: bool
    legacy: bool  # instrumented with the deprecated GenAI attribute names


def run_session(rng: random.Random, a: Attempt, world: World) -> Session:
    """The headless agent session of a run attempt (from its start to its end)."""
    t = a.template
    ratio = min(2.5, (a.finished_us - a.started_us) / (t.median_minutes * 60 * US_PER_SECOND))
    model = a.customer.primary_model
    if rng.random() >= catalog.RUN_PRIMARY_MODEL_SHARE:
        model = world.chat_models.pick(rng)
    return Session(
        session_id=uuid_like(rng),
        mode="headless",
        service_name="factory-agent",
        customer=a.customer,
        project=a.project,
        user_id=None,
        run_id=a.run_id,
        attempt=a.attempt,
        template_name=a.template_name,
        start_us=a.started_us,
        end_us=a.finished_us,
        error=a.error_code if a.status in ("failed", "timed_out") else None,
        succeeded=a.status == "succeeded",
        model=model,
        chat_calls=1 + poisson(rng, (t.llm_calls - 1) * ratio),
        tool_calls=poisson(rng, t.tool_calls * ratio),
        input_median=t.input_tokens,
        output_median=t.output_tokens,
        lines_median=t.lines,
        embedding_calls=(
            rng.randint(1, 2)
            if world.embedding_model and rng.random() < catalog.EMBEDDING_RUN_SHARE
            else 0
        ),
        opens_pull_request="review" in t.jobs,
        legacy=rng.random() < catalog.DEPRECATED_SEMCONV_SHARE,
    )


def other_sessions(
    rng: random.Random, world: World, day: date, day_index: int, days: int, scale: float
) -> list[Session]:
    """Interactive droid sessions of the day, plus internal sessions with no customer."""
    start = day_start_us(day)
    season = catalog.WEEKDAY_FACTORS[day.weekday()] * growth_factor(day_index, days) * scale
    sessions = []
    expected = 0.0
    for c in world.customers:
        if c.created_us >= start + US_PER_DAY:
            continue
        expected += (
            season
            * c.size
            * (catalog.RUNS_PER_SIZE_UNIT_PER_DAY + catalog.INTERACTIVE_PER_SIZE_UNIT_PER_DAY)
        )
        for _ in range(poisson(rng, season * c.size * catalog.INTERACTIVE_PER_SIZE_UNIT_PER_DAY)):
            begin = start + c.hour_picker.pick(rng) * US_PER_HOUR + between(rng, 0, US_PER_HOUR)
            project = c.project_picker.pick(rng)
            length = lognormal(rng, catalog.INTERACTIVE_MEDIAN_MINUTES * 60, 0.7)
            if begin < max(c.created_us, project.created_us):
                continue  # not a customer yet, or the repository did not exist
            sessions.append(
                _free_session(
                    rng,
                    world,
                    "interactive",
                    "droid",
                    c,
                    project,
                    rng.choice(c.users),
                    begin,
                    begin + int(length * US_PER_SECOND),
                    c.primary_model,
                    catalog.INTERACTIVE_LLM_CALLS,
                    catalog.INTERACTIVE_TOOL_CALLS,
                )
            )
    for _ in range(poisson(rng, expected * catalog.UNATTRIBUTED_SESSION_SHARE)):
        begin = start + between(rng, 0, US_PER_DAY)
        length = lognormal(rng, catalog.INTERNAL_SESSION_SECONDS, 0.6)
        sessions.append(
            _free_session(
                rng,
                world,
                "headless",
                "factory-evals",
                None,
                None,
                None,
                begin,
                begin + int(length * US_PER_SECOND),
                world.chat_models.pick(rng),
                catalog.INTERNAL_LLM_CALLS,
                catalog.INTERNAL_TOOL_CALLS,
            )
        )
    return sessions


def _free_session(
    rng, world, mode, service, customer, project, user, begin, end, primary, calls, tools
) -> Session:
    model = primary
    if rng.random() >= catalog.INTERACTIVE_PRIMARY_MODEL_SHARE:
        model = world.chat_models.pick(rng)
    return Session(
        session_id=uuid_like(rng),
        mode=mode,
        service_name=service,
        customer=customer,
        project=project,
        user_id=user,
        run_id=None,
        attempt=None,
        template_name=None,
        start_us=begin,
        end_us=end,
        error=None,
        succeeded=True,
        model=model,
        chat_calls=1 + poisson(rng, calls - 1),
        tool_calls=poisson(rng, tools),
        input_median=catalog.INTERACTIVE_TOKENS[0],
        output_median=catalog.INTERACTIVE_TOKENS[1],
        lines_median=catalog.INTERACTIVE_LINES if customer else 0,
        embedding_calls=(
            1 if world.embedding_model and rng.random() < catalog.INTERACTIVE_EMBEDDING_SHARE else 0
        ),
        opens_pull_request=False,
        legacy=rng.random() < catalog.DEPRECATED_SEMCONV_SHARE,
    )


def _metric_events(rng: random.Random, s: Session, calls: list, tools: list):
    """Counter increments and histogram observations of a session, by (metric, attributes).

    Tool and LLM metrics come from the session's spans; code, git and feature counters are
    drawn here, at random instants of the session.
    """
    lo, hi = s.start_us, s.end_us
    shares = catalog.SESSION_FEATURE_SHARES
    sums: dict[tuple, list] = defaultdict(list)  # (name, extra attrs) -> [(time, amount)]
    hists: dict[tuple, list] = defaultdict(list)  # (name, extra attrs) -> [(time, value)]
    for end, tool, ms in tools:
        sums[("droid.tool.invocations", (("tool.name", tool),))].append((end, 1))
        hists[("droid.tool.execution_time", (("tool.name", tool),))].append((end, round(ms, 3)))
    for end, op, provider, model, total_in, out, seconds, error in calls:
        seconds = round(seconds, 6)
        base = (
            ("gen_ai.operation.name", op),
            ("gen_ai.provider.name", provider),
            ("gen_ai.request.model", model),
        )
        if error:
            key = ("gen_ai.client.operation.duration", (*base, ("error.type", error)))
            hists[key].append((end, seconds))
            continue
        hists[("gen_ai.client.operation.duration", base)].append((end, seconds))
        usage = "gen_ai.client.token.usage"
        hists[(usage, (*base, ("gen_ai.token.type", "input")))].append((end, total_in))
        if op == "chat":
            hists[(usage, (*base, ("gen_ai.token.type", "output")))].append((end, out))

    def spread(name: str, total: int, extra: tuple = (), late: bool = False) -> None:
        start = lo + (hi - lo) * 4 // 5 if late else lo
        for _ in range(total):
            sums[(name, extra)].append((between(rng, start, hi), 1))

    def feature(share: str, name: str, mean: float, key: str, values: tuple) -> None:
        if rng.random() < shares[share]:
            spread(name, 1 + poisson(rng, mean), ((key, rng.choice(values)),))

    reads = sum(1 for _, tool, _ in tools if tool in _READ_TOOLS)
    spread("droid.code.files_read", reads * 2 + poisson(rng, 3))
    if s.lines_median and s.customer:
        lines = int(lognormal(rng, s.lines_median, 0.8))
        if not s.succeeded:
            lines = int(lines * rng.uniform(0.0, 0.5))
        if lines:
            # Lines arrive file by file.
            files = max(1, min(lines, round(lines / rng.uniform(15, 40))))
            cuts = sorted(rng.sample(range(1, lines), files - 1)) if files > 1 else []
            for a, b in zip([0, *cuts], [*cuts, lines], strict=True):
                t = between(rng, lo, hi)
                sums[("droid.code.files_modified", ())].append((t, 1))
                sums[("droid.code.lines_modified", ())].append((t, b - a))
            commits = (1 + poisson(rng, 0.3)) if s.mode == "headless" else poisson(rng, 0.6)
            spread("droid.git.commits", commits if s.succeeded else 0, late=True)
            if s.succeeded and s.opens_pull_request and rng.random() < shares["pull_request"]:
                spread("droid.git.pull_requests", 1, late=True)
    feature("mcp", "droid.mcp.tool_invocations", 2, "mcp.server", catalog.MCP_SERVERS)
    feature("skill", "droid.skill.invocations", 0.5, "skill.name", catalog.SKILLS)
    feature("hook", "droid.hook.invocations", 2, "hook.name", catalog.HOOKS)
    if s.mode == "interactive":
        feature(
            "slash_command",
            "droid.slash_command.invocations",
            1,
            "slash_command.name",
            catalog.SLASH_COMMANDS,
        )
        if rng.random() < shares["login"]:
            sums[("droid.auth.login_success", ())].append((lo + US_PER_SECOND, 1))
    return sums, hists


def _export_plan(rng: random.Random, s: Session):
    """Export instants (every interval, plus a flush at shutdown), temporality, and the export
    after which a cumulative session's process restarted (None: no restart)."""
    interval = catalog.METRIC_EXPORT_INTERVAL_SECONDS * US_PER_SECOND
    times = list(range(s.start_us + interval, s.end_us, interval))
    times.append(s.end_us + rng.randint(500_000, 3 * US_PER_SECOND))
    cumulative = rng.random() < catalog.CUMULATIVE_SESSION_SHARE
    temporality = _TEMPORALITY[(cumulative, rng.random() < catalog.TEMPORALITY_AS_NAME_SHARE)]
    reset_after = None
    if cumulative and len(times) >= 2 and rng.random() < catalog.CUMULATIVE_RESET_SHARE:
        reset_after = times[rng.randrange(len(times) - 1)]
    return times, cumulative, temporality, reset_after


def _histogram_point(name: str, attrs: list, start_ns: str, t_ns: str, values: list) -> dict:
    bounds = _BOUNDS[name]
    counts = [0] * (len(bounds) + 1)
    for v in values:
        counts[bisect_left(bounds, v)] += 1
    total = sum(values)
    return {
        "attributes": attrs,
        "startTimeUnixNano": start_ns,
        "timeUnixNano": t_ns,
        "count": str(len(values)),
        "sum": round(total, 6) if isinstance(total, float) else total,
        "bucketCounts": list(map(str, counts)),
        "explicitBounds": bounds,
        "min": min(values),
        "max": max(values),
    }


def _metric(name: str, points: list[dict], temporality) -> dict:
    if name in _BOUNDS:
        body = {"histogram": {"dataPoints": points, "aggregationTemporality": temporality}}
    else:
        body = {
            "sum": {
                "dataPoints": points,
                "aggregationTemporality": temporality,
                "isMonotonic": True,
            }
        }
    return {"name": name, "unit": _UNITS[name], **body}


class _Trace:
    """The spans of one session's trace, under one `invoke_agent` root."""

    def __init__(self, rng: random.Random, s: Session):
        self.rng, self.lo, self.hi = rng, s.start_us, s.end_us
        self.trace_id, self.root_id = hex_id(rng, 128), hex_id(rng, 64)
        self.provider_key = "gen_ai.system" if s.legacy else "gen_ai.provider.name"
        self.input_key = "gen_ai.usage.prompt_tokens" if s.legacy else "gen_ai.usage.input_tokens"
        self.output_key = (
            "gen_ai.usage.completion_tokens" if s.legacy else "gen_ai.usage.output_tokens"
        )
        self.common = [_s("session.id", s.session_id), _s("factory.session.mode", s.mode)]
        if s.run_id:
            self.common += [_s("factory.run.id", s.run_id), _i("factory.run.attempt", s.attempt)]
        if s.user_id:
            self.common.append(_s("user.id", s.user_id))
        self.spans: list[tuple[int, dict]] = []  # (end, span)

    def instant(self) -> int:
        """A uniform instant of the session."""
        return between(self.rng, self.lo, self.hi)

    def window(self, start: int, seconds: float) -> tuple[int, int]:
        """Start and end of a child span lasting `seconds`, kept inside the root span and inside
        one UTC day (so a call is billed on the day it starts and ends, whichever a reader uses).
        """
        start = min(start, self.hi - 2000)
        midnight = (start // US_PER_DAY + 1) * US_PER_DAY
        start = min(start, midnight - 2)
        end = min(start + int(seconds * US_PER_SECOND), self.hi - 1000, midnight - 1)
        return start, max(start + 1, end)

    def add(self, name, kind, start, end, attrs, error=None, span_id=None, parent=True) -> None:
        """Adds a span; `error` sets status ERROR with that message."""
        span = {
            "traceId": self.trace_id,
            "spanId": span_id or hex_id(self.rng, 64),
            "parentSpanId": self.root_id,
            "name": name,
            "kind": kind,
            "startTimeUnixNano": f"{start}000",
            "endTimeUnixNano": f"{end}000",
            "attributes": attrs + self.common,
            "status": {"code": STATUS_ERROR, "message": error} if error else {},
        }
        if not parent:
            del span["parentSpanId"]
        self.spans.append((end, span))

    def add_root(self, attrs: list[dict], error: str | None) -> None:
        """The `invoke_agent` root span, covering the whole session."""
        self.add(
            "invoke_agent droid",
            KIND_INTERNAL,
            self.lo,
            self.hi,
            attrs,
            error,
            span_id=self.root_id,
            parent=False,
        )


class Telemetry:
    """Builds sessions' spans and metric exports, and holds them per day until written.

    Also keeps, per day, the true LLM usage (for the provider invoices) and its list-price cost
    per customer (for the truth summary); the caller takes them when the day is written.
    """

    def __init__(self, world: World, prices: PriceBook, effects: Effects):
        self.world, self.prices, self.effects = world, prices, effects
        self._spans: dict[int, list] = defaultdict(list)
        self._metrics: dict[int, list] = defaultdict(list)
        self.usage: dict[int, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
        self.cost: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self._price_cache: dict[tuple[str, int], dict[str, float]] = {}
        self._seq = 0

    # --- traces -----------------------------------------------------------------------------

    def add_session(self, rng: random.Random, s: Session) -> None:
        """Simulates the session's calls and files its spans and metric exports."""
        s.end_us = max(s.end_us, s.start_us + 10 * US_PER_SECOND)
        trace = _Trace(rng, s)
        calls: list[tuple] = []  # (end, operation, provider, model, input, output, seconds, error)
        tools: list[tuple[int, str, float]] = []  # (end, tool, milliseconds)
        self._chat_calls(rng, s, trace, calls)
        for _ in range(s.embedding_calls):
            model = self.world.embedding_model
            provider = self.prices.provider(model)
            tokens = int(lognormal(rng, catalog.EMBEDDING_TOKENS_MEDIAN, 1.0))
            start, end = trace.window(trace.instant(), rng.uniform(0.15, 1.2))
            attrs = [
                _s("gen_ai.operation.name", "embeddings"),
                _s(trace.provider_key, provider),
                _s("gen_ai.request.model", model),
                _s("gen_ai.response.model", catalog.RESPONSE_MODELS.get(model, model)),
                _i(trace.input_key, tokens),
                _s("server.address", catalog.SERVER_ADDRESS.get(provider, provider)),
            ]
            trace.add(f"embeddings {model}", KIND_CLIENT, start, end, attrs)
            calls.append((end, "embeddings", provider, model, tokens, 0, (end - start) / 1e6, None))
            self._bill(end, model, s.customer, tokens, 0, 0, 0)
        for _ in range(s.tool_calls):
            name, risk, median = _TOOLS.pick(rng)
            start, end = trace.window(trace.instant(), lognormal(rng, median, 0.8))
            attrs = [
                _s("gen_ai.operation.name", "execute_tool"),
                _s("gen_ai.tool.name", name),
                _s("gen_ai.tool.type", "function"),
                _s("factory.tool.risk_level", risk),
            ]
            error = "tool_execution_error" if rng.random() < catalog.TOOL_ERROR_RATE else None
            if error:
                attrs.append(_s("error.type", error))
            trace.add(f"execute_tool {name}", KIND_INTERNAL, start, end, attrs, error)
            tools.append((end, name, (end - start) / 1000))
        root_attrs = [
            _s("gen_ai.operation.name", "invoke_agent"),
            _s("gen_ai.agent.name", "droid"),
            _s(trace.provider_key, self.prices.provider(s.model)),
            _s("gen_ai.request.model", s.model),
        ]
        if s.template_name:
            root_attrs.append(_s("factory.template", s.template_name))
        if s.error:
            root_attrs.append(_s("error.type", s.error))
        trace.add_root(root_attrs, s.error)
        self._file_spans(rng, s, trace.spans)
        self._file_metrics(rng, s, calls, tools)

    def _chat_calls(self, rng: random.Random, s: Session, trace: _Trace, calls: list) -> None:
        """The session's chat calls: a failed call is retried (`http.request.resend_count`)."""
        provider = self.prices.provider(s.model)
        fast = self.world.fast_models.get(provider, s.model)
        customer_id = s.customer.customer_id if s.customer else None
        writes = provider in catalog.CACHE_WRITE_PROVIDERS
        address = _s("server.address", catalog.SERVER_ADDRESS.get(provider, provider))
        warm: set[str] = set()  # models whose prompt cache this session already filled
        starts = sorted(trace.instant() for _ in range(s.chat_calls))
        for n, t in enumerate(starts):
            model = fast if fast != s.model and rng.random() < catalog.FAST_CALL_SHARE else s.model
            surge = self.effects.factor("token_surge", customer_id, us_to_ordinal(t))
            base = [
                _s("gen_ai.operation.name", "chat"),
                _s(trace.provider_key, provider),
                _s("gen_ai.request.model", model),
            ]
            resend = 0
            if rng.random() < catalog.LLM_ERROR_RATE:
                error = _LLM_ERRORS.pick(rng)
                seconds = rng.uniform(30, 60) if error == "timeout" else rng.uniform(0.1, 1.5)
                start, end = trace.window(t, seconds)
                attrs = [*base, _s("error.type", error), address]
                trace.add(f"chat {model}", KIND_CLIENT, start, end, attrs, error)
                calls.append((end, "chat", provider, model, 0, 0, (end - start) / 1e6, error))
                t, resend = end + int(rng.uniform(0.5, 4) * US_PER_SECOND), 1
            in_factor, out_factor = (
                catalog.FAST_CALL_TOKEN_FACTORS if model != s.model else (1.0, 1.0)
            )
            total_in = min(
                catalog.MAX_INPUT_TOKENS, int(lognormal(rng, s.input_median * in_factor, 0.7))
            )
            out = min(
                catalog.MAX_OUTPUT_TOKENS, int(lognormal(rng, s.output_median * out_factor, 0.8))
            )
            total_in, out = max(1, int(total_in * surge)), max(1, int(out * surge))
            if model in warm:
                cache_read = int(total_in * rng.uniform(*catalog.CACHE_READ_SHARE[provider]))
                cache_write = int(total_in * rng.uniform(*catalog.LATER_CALL_CACHE_WRITE_SHARE))
            else:
                warm.add(model)
                cache_read = int(total_in * rng.uniform(*catalog.FIRST_CALL_CACHE_READ_SHARE))
                cache_write = int(total_in * rng.uniform(*catalog.FIRST_CALL_CACHE_WRITE_SHARE))
            if not writes:
                cache_write = 0
            reasoning = 0
            if model in catalog.REASONING_MODELS and rng.random() < catalog.REASONING_CALL_SHARE:
                reasoning = int(out * rng.uniform(*catalog.REASONING_OUTPUT_SHARE))
            seconds = (1.5 + out / catalog.OUTPUT_TOKENS_PER_SECOND) * rng.uniform(0.7, 1.4)
            start, end = trace.window(t, seconds)
            attrs = [
                *base,
                _s("gen_ai.response.model", catalog.RESPONSE_MODELS.get(model, model)),
                _i(trace.input_key, total_in),
                _i(trace.output_key, out),
                _i("gen_ai.usage.cache_read.input_tokens", cache_read),
            ]
            if writes:
                attrs.append(_i("gen_ai.usage.cache_creation.input_tokens", cache_write))
            if reasoning:
                attrs.append(_i("gen_ai.usage.reasoning.output_tokens", reasoning))
            more = n + 1 < len(starts)
            attrs += [
                _a("gen_ai.response.finish_reasons", ["tool_calls" if more else "stop"]),
                address,
            ]
            if resend:
                attrs.append(_i("http.request.resend_count", resend))
            trace.add(f"chat {model}", KIND_CLIENT, start, end, attrs)
            calls.append((end, "chat", provider, model, total_in, out, (end - start) / 1e6, None))
            self._bill(end, model, s.customer, total_in, out, cache_read, cache_write, reasoning)

    def _bill(self, end, model, customer, total_in, out, cache_read, cache_write, reasoning=0):
        """Books a successful call's tokens for the invoice and its list-price cost."""
        day = us_to_ordinal(end)
        key = (model, day)
        prices = self._price_cache.get(key)
        if prices is None:
            prices = self.prices.price(model, date.fromordinal(day)).usd_per_mtok
            self._price_cache[key] = prices
        split = billable_tokens(
            total_in, out, cache_read, cache_write, reasoning, prices["reasoning"] is not None
        )
        usage = self.usage[day]
        cost = 0.0
        for token_type, tokens in split.items():
            if tokens:
                usage[(model, token_type)] += tokens
                cost += tokens * prices[token_type] / 1e6
        self.cost[day][customer.customer_id if customer else "unattributed"] += cost

    def _resource(self, s: Session, metrics: bool) -> dict:
        version = catalog.LEGACY_AGENT_VERSION if s.legacy else catalog.AGENT_VERSION
        attrs = [
            _s("service.name", s.service_name),
            _s("service.version", version),
            _s("deployment.environment.name", "production"),
        ]
        if not metrics:
            attrs += [
                _s("telemetry.sdk.name", "opentelemetry"),
                _s("telemetry.sdk.language", "nodejs"),
            ]
        if s.customer and not metrics:
            attrs += [
                _s("organization.id", s.customer.organization_id),
                _s("factory.customer.id", s.customer.customer_id),
            ]
        if s.project:
            attrs += [
                _s("factory.project.id", s.project.project_id),
                _s("factory.team", s.project.team),
                _s("vcs.repository.name", s.project.repository),
            ]
        if metrics:
            attrs.append(_s("factory.session.mode", s.mode))
            if s.run_id:
                attrs.append(_s("factory.run.id", s.run_id))
        return {"attributes": attrs}

    def _file_spans(self, rng: random.Random, s: Session, spans: list[tuple[int, dict]]) -> None:
        resource = self._resource(s, metrics=False)
        scope = {
            "name": "factory.agent" if s.mode == "headless" else "droid",
            "version": catalog.LEGACY_AGENT_VERSION if s.legacy else catalog.AGENT_VERSION,
        }
        spans.sort(key=lambda item: item[0])
        by_day: dict[int, list[dict]] = {}
        last: dict[int, int] = {}
        for end, body in spans:
            day = us_to_ordinal(end)
            by_day.setdefault(day, []).append(body)
            last[day] = end
        for day, bodies in by_day.items():
            entry = orjson.dumps(
                {
                    "resource": resource,
                    "scopeSpans": [{"scope": scope, "spans": bodies}],
                    "schemaUrl": catalog.SCHEMA_URL,
                }
            )
            self._seq += 1
            self._spans[day].append((last[day], self._seq, entry, len(bodies), False))
            if rng.random() < catalog.DUPLICATE_EXPORT_SHARE / 3:
                # The collector retried a batch it had already delivered.
                self._spans[day].append((last[day], self._seq, entry, len(bodies), True))

    # --- metrics ----------------------------------------------------------------------------

    def _file_metrics(self, rng, s: Session, calls: list[tuple], tools: list[tuple]) -> None:
        sums, hists = _metric_events(rng, s, calls, tools)
        times, cumulative, temporality, reset_after = _export_plan(rng, s)
        point_base = [_s("session.id", s.session_id)]
        if s.user_id:
            point_base.append(_s("user.id", s.user_id))
        if s.customer:
            point_base += [
                _s("organization.id", s.customer.organization_id),
                _s("factory.customer.id", s.customer.customer_id),
            ]
        gauge_attrs = [*point_base, _s("vcs.ref.head.name", "main")]
        if s.project:
            gauge_attrs.append(_s("vcs.repository.name", s.project.repository))
        resource = self._resource(s, metrics=True)
        scope = {
            "name": "droid",
            "version": catalog.LEGACY_AGENT_VERSION if s.legacy else catalog.AGENT_VERSION,
        }
        # Per series: event times, and prefix sums (counters) or values (histograms), so a
        # window (a, b] is two bisections.
        counters = {}
        for (name, extra), events in sorted(sums.items()):
            events.sort()
            prefix = [0]
            for _, amount in events:
                prefix.append(prefix[-1] + amount)
            attrs = [*point_base, *(_s(k, v) for k, v in extra)]
            counters[(name, extra)] = (name, attrs, [w for w, _ in events], prefix)
        histograms = []
        for (name, extra), events in sorted(hists.items()):
            events.sort()
            attrs = [*point_base, *(_s(k, v) for k, v in extra)]
            histograms.append((name, attrs, [w for w, _ in events], [v for _, v in events]))
        truth_series = [counters.get((name, ())) for name in TRUTH_METRICS]

        lo = s.start_us
        previous = lo - 1  # events at the very start belong to the first export
        for k, t in enumerate(times):
            if not cumulative:
                window_lo, start_ns = previous, f"{max(previous, lo)}000"
            elif reset_after is not None and t > reset_after:
                window_lo, start_ns = reset_after, f"{reset_after}000"  # restarted process
            else:
                window_lo, start_ns = lo - 1, f"{lo}000"
            t_ns = f"{t}000"
            by_name: dict[str, list[dict]] = defaultdict(list)
            for name, attrs, when, prefix in counters.values():
                value = prefix[bisect_right(when, t)] - prefix[bisect_right(when, window_lo)]
                if value:
                    by_name[name].append(
                        {
                            "attributes": attrs,
                            "startTimeUnixNano": start_ns,
                            "timeUnixNano": t_ns,
                            "asInt": str(value),
                        }
                    )
            for name, attrs, when, observed in histograms:
                values = observed[bisect_right(when, window_lo) : bisect_right(when, t)]
                if values:
                    by_name[name].append(_histogram_point(name, attrs, start_ns, t_ns, values))
            points = sum(len(dps) for dps in by_name.values())
            metrics = [_metric(name, dps, temporality) for name, dps in by_name.items()]
            if k == 0:
                gauge = {"attributes": gauge_attrs, "timeUnixNano": t_ns, "asInt": "1"}
                metrics.append(
                    {"name": "droid.repo.metadata", "unit": "1", "gauge": {"dataPoints": [gauge]}}
                )
                points += 1
            # True increments of this export, whatever the temporality says.
            truth = [
                0 if c is None else c[3][bisect_right(c[2], t)] - c[3][bisect_right(c[2], previous)]
                for c in truth_series
            ]
            previous = t
            if not metrics:
                continue
            entry = orjson.dumps(
                {
                    "resource": resource,
                    "scopeMetrics": [{"scope": scope, "metrics": metrics}],
                    "schemaUrl": catalog.SCHEMA_URL,
                }
            )
            day = us_to_ordinal(t)
            self._seq += 1
            self._metrics[day].append((t, self._seq, entry, points, truth))
            if cumulative and rng.random() < catalog.DUPLICATE_EXPORT_SHARE:
                # Sent twice: the same cumulative points again (they must count once).
                self._metrics[day].append((t, self._seq, entry, points, [0] * len(truth)))

    # --- writing ----------------------------------------------------------------------------

    def write_day(self, day: int, traces: Path, metrics: Path) -> dict[str, int]:
        """Writes the day's trace and metric files; returns what they hold."""
        groups = sorted(self._spans.pop(day, []), key=lambda g: (g[0], g[1], g[4]))
        first = [g for g in groups if not g[4]]
        again = [g for g in groups if g[4]]  # retried batches go out as their own requests
        span_lines = [
            *_batch(first, b"resourceSpans", catalog.SPANS_PER_LINE),
            *_batch(again, b"resourceSpans", catalog.SPANS_PER_LINE),
        ]
        write_gzip_lines(traces, span_lines)
        exports = sorted(self._metrics.pop(day, []), key=lambda e: (e[0], e[1]))
        write_gzip_lines(metrics, _batch(exports, b"resourceMetrics", catalog.POINTS_PER_LINE))
        result = {
            "spans": sum(g[3] for g in groups),
            "spans_unique": sum(g[3] for g in first),
            "trace_lines": len(span_lines),
            "metric_points": sum(e[3] for e in exports),
        }
        for i, name in enumerate(TRUTH_METRICS):
            result[name] = sum(e[4][i] for e in exports)
        return result


def _batch(items: list, key: bytes, limit: int):
    """Joins pre-serialised entries into request lines of about `limit` spans or points."""
    buffer: list[bytes] = []
    count = 0
    for item in items:
        buffer.append(item[2])
        count += item[3]
        if count >= limit:
            yield b'{"' + key + b'":[' + b",".join(buffer) + b"]}\n"
            buffer, count = [], 0
    if buffer:
        yield b'{"' + key + b'":[' + b",".join(buffer) + b"]}\n"
