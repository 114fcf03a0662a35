"""Sample-data generator: internally consistent exports of every source of the warehouse.

`generate()` simulates a software factory day by day (runs of customers' projects, the agent
telemetry of those runs and of interactive sessions, the cloud bill and the LLM invoices) and
writes each day's files as it goes:

    <out>/inbox/runs/runs-YYYY-MM-DD.jsonl.gz                 run-attempt snapshots
    <out>/inbox/telemetry/traces-YYYY-MM-DD.jsonl.gz          OTLP ExportTraceServiceRequest lines
    <out>/inbox/telemetry/metrics-YYYY-MM-DD.jsonl.gz         OTLP ExportMetricsServiceRequest lines
    <out>/inbox/billing/focus-infra-YYYY-MM-DD.csv.gz         AWS FOCUS 1.0 rows
    <out>/inbox/billing/anthropic-invoice-YYYY-MM.parquet     LLM invoices (FOCUS), per month
    <out>/inbox/billing/{openai,google-vertex-ai}-invoice-YYYY-MM.csv.gz
    <out>/inbox/customers/customers.csv, <out>/inbox/projects/projects.jsonl
    <out>/truth/anomalies.csv, <out>/truth/summary.json      what a correct warehouse must find

`truth/summary.json` holds the files and rows written per kind, the true totals of
`droid.code.lines_modified` and `droid.git.commits` (each increment once, whatever the
temporality), the LLM cost at the seed's list prices per customer (`unattributed` included),
the tokens and invoice totals per provider, and the AWS cost per allocation component.

Output is byte-identical for the same parameters (seeded random streams, gzip mtime 0).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson

from ingestion.generator.anomalies import Effects, plan_anomalies, write_truth
from ingestion.generator.billing import Billing, write_infra, write_invoices
from ingestion.generator.prices import PriceBook
from ingestion.generator.runs import export_events, plan_day
from ingestion.generator.telemetry import TRUTH_METRICS, Telemetry, other_sessions, run_session
from ingestion.generator.util import stream
from ingestion.generator.world import build_world, write_reference
from ingestion.generator.writers import write_gzip_lines, write_text_atomic

__all__ = ["GenerationSummary", "generate"]


@dataclass
class GenerationSummary:
    """What one `generate()` call wrote."""

    out_dir: Path
    start_date: date
    end_date: date
    files_written: list[Path] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # per kind, see `truth/summary.json`
    anomalies: int = 0
    truth: dict = field(default_factory=dict)  # the content of `truth/summary.json`

    @property
    def run_snapshots(self) -> int:
        """Run-attempt snapshots written (overlaps and verbatim repeats included)."""
        return self.rows.get("run_snapshots", 0)

    @property
    def spans(self) -> int:
        """Spans written (re-sent batches included)."""
        return self.rows.get("spans", 0)

    @property
    def metric_points(self) -> int:
        """Metric data points written."""
        return self.rows.get("metric_points", 0)

    @property
    def focus_rows(self) -> int:
        """FOCUS rows written (AWS and LLM invoices)."""
        return self.rows.get("focus_infra_rows", 0) + self.rows.get("focus_ai_rows", 0)


def generate(
    out_dir: Path,
    *,
    days: int = 30,
    customers: int = 10,
    seed: int = 7,
    scale: float = 1.0,
    end_date: date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> GenerationSummary:
    """Writes `days` days of exports ending on `end_date` (default: yesterday, UTC).

    Files go to `out_dir/inbox/<source>/`, the labelled anomalies and true totals to
    `out_dir/truth/`. `scale` multiplies the volume of runs and sessions. `progress(done, total)`
    is called after each day. Memory stays bounded by about one day of data.
    """
    if days < 1 or customers < 1 or scale <= 0:
        raise ValueError("days and customers must be >= 1 and scale > 0")
    out_dir = Path(out_dir)
    end = end_date or (datetime.now(UTC).date() - timedelta(days=1))
    start = end - timedelta(days=days - 1)
    inbox = out_dir / "inbox"

    prices = PriceBook.from_csv()
    world = build_world(seed, customers, start, days, prices)
    anomalies = plan_anomalies(seed, start, days, world)
    effects = Effects(anomalies)
    telemetry = Telemetry(world, prices, effects)
    billing = Billing(world, prices, effects)
    tally = _Tally(GenerationSummary(out_dir=out_dir, start_date=start, end_date=end))

    reference_paths, reference_rows = write_reference(world, inbox)
    tally.wrote("customers", reference_paths[0])
    tally.wrote("projects", reference_paths[1])
    tally.rows.update(reference_rows)

    snapshots: dict[int, list] = defaultdict(list)  # export day -> (updated, seq, kind, line)
    for index in range(days):
        day = start + timedelta(days=index)
        run_rng, session_rng = stream(seed, "runs", day), stream(seed, "telemetry", day)
        for attempt in plan_day(run_rng, world, day, index, days, effects, scale):
            for export_day, updated, line, kind in export_events(run_rng, attempt):
                snapshots[export_day].append((updated, len(snapshots[export_day]), kind, line))
            billing.add_attempt(attempt)
            telemetry.add_session(session_rng, run_session(session_rng, attempt, world))
        for session in other_sessions(session_rng, world, day, index, days, scale):
            telemetry.add_session(session_rng, session)

        _write_runs(inbox, day, snapshots.pop(day.toordinal(), []), tally)
        _write_telemetry(inbox, day, telemetry, billing, tally)
        _write_billing(inbox, day, billing, stream(seed, "billing", day), tally)
        if index == days - 1 or (day + timedelta(days=1)).month != day.month:
            _write_invoices(inbox, day, billing, stream(seed, "invoice", day), tally)
        if progress:
            progress(index + 1, days)

    write_truth(anomalies, out_dir / "truth" / "anomalies.csv")
    summary = tally.summary
    summary.rows = dict(sorted(tally.rows.items()))
    summary.anomalies = len(anomalies)
    summary.truth = {
        "parameters": {
            "seed": seed,
            "days": days,
            "customers": customers,
            "scale": scale,
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
        },
        "files": dict(sorted(tally.files.items())),
        "rows": summary.rows,
        "anomalies": len(anomalies),
        # True totals of the increments written, whatever their temporality.
        "metrics_truth": tally.metric_truth,
        "llm": {
            # What the warehouse's estimate must find: tokens x seed prices, per customer.
            "list_cost_usd_by_customer": _rounded(tally.llm_cost),
            "list_cost_usd_total": round(sum(tally.llm_cost.values()), 6),
            "billed_tokens_by_type": dict(sorted(tally.llm_tokens.items())),
            "invoice_billed_usd_by_provider": _rounded(tally.invoice_cost),
        },
        "infra": {
            "billed_usd_by_component": _rounded(tally.infra_cost),
            "billed_usd_total": round(sum(tally.infra_cost.values()), 6),
        },
    }
    write_text_atomic(
        out_dir / "truth" / "summary.json",
        orjson.dumps(summary.truth, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
        + "\n",
    )
    return summary


@dataclass
class _Tally:
    """Running counts of what was written, for the summary and `truth/summary.json`."""

    summary: GenerationSummary
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    files: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    metric_truth: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TRUTH_METRICS, 0))
    llm_cost: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    llm_tokens: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    infra_cost: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    invoice_cost: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def wrote(self, kind: str, path: Path) -> None:
        self.summary.files_written.append(path)
        self.files[kind] += 1


def _write_runs(inbox: Path, day: date, snapshots: list, tally: _Tally) -> None:
    """The day's run export, in `updated_at` order."""
    snapshots.sort()
    path = inbox / "runs" / f"runs-{day.isoformat()}.jsonl.gz"
    write_gzip_lines(path, [item[3] for item in snapshots])
    tally.wrote("runs", path)
    tally.rows["run_snapshots"] += len(snapshots)
    for item in snapshots:
        tally.rows[f"run_snapshots_{item[2]}"] += 1


def _write_telemetry(
    inbox: Path, day: date, telemetry: Telemetry, billing: Billing, tally: _Tally
) -> None:
    """The day's trace and metric files; hands the day's LLM usage to the invoices."""
    ordinal = day.toordinal()
    traces = inbox / "telemetry" / f"traces-{day.isoformat()}.jsonl.gz"
    metrics = inbox / "telemetry" / f"metrics-{day.isoformat()}.jsonl.gz"
    counts = telemetry.write_day(ordinal, traces, metrics)
    tally.wrote("traces", traces)
    tally.wrote("metrics", metrics)
    for key in ("spans", "spans_unique", "trace_lines", "metric_points"):
        tally.rows[key] += counts[key]
    for name in TRUTH_METRICS:
        tally.metric_truth[name] += counts[name]
    usage = telemetry.usage.pop(ordinal, {})
    billing.add_llm_usage(ordinal, usage)
    for (_, token_type), tokens in usage.items():
        tally.llm_tokens[token_type] += tokens
    for customer_id, cost in telemetry.cost.pop(ordinal, {}).items():
        tally.llm_cost[customer_id] += cost


def _write_billing(inbox: Path, day: date, billing: Billing, rng, tally: _Tally) -> None:
    """The day's AWS FOCUS file."""
    rows = billing.infra_rows(day, rng)
    path, n = write_infra(inbox / "billing", day, rows)
    tally.wrote("focus_infra", path)
    tally.rows["focus_infra_rows"] += n
    for row in rows:
        tally.infra_cost[_component(row["Tags"])] += float(row["BilledCost"])


def _write_invoices(inbox: Path, day: date, billing: Billing, rng, tally: _Tally) -> None:
    """The month's LLM provider invoices (at the end of the month or of the window)."""
    invoice = billing.invoice_rows(day.year, day.month, rng)
    for path, n in write_invoices(inbox / "billing", day.year, day.month, invoice):
        tally.wrote("ai_invoice", path)
        tally.rows["focus_ai_rows"] += n
    for provider, provider_rows in invoice.items():
        tally.invoice_cost[provider] += sum(float(r["BilledCost"]) for r in provider_rows)


def _component(tags: str | None) -> str:
    if not tags:
        return "untagged"
    parsed = orjson.loads(tags)
    if "factory:customer" in parsed:
        return "dedicated"
    return parsed.get("factory:component", "untagged")


def _rounded(values: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 6) for k, v in sorted(values.items())}
