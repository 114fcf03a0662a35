"""The expectation suites: one per raw table, and the business invariants that span tables.

Suites are built here by code and written as JSON files under `expectations/suites/`
(`python -m expectations.suites`). The files are what runs (`load_suite`); a test keeps them equal
to what this module builds, so they cannot drift. A rebuild is byte-identical: no timestamps, no
random ids, keys sorted, and "now" never enters a suite (the future-timestamp rule compares each
row with its own `_loaded_at`).

Division of labour (STYLE.md, practice 4): these suites check what arrives (the raw zone) and the
invariants across tables; dbt tests check the structure of the models (lineage keys, primary keys
of deduplicated models, relationships). A check lives in one place only.

Severity: each suite declares one (`ERROR`: a blocking asset check; `WARN`: reported, never
blocks), and each expectation carries a GX severity (`critical` or `warning`). A blocking suite may
hold a few `warning` expectations for rules that real exports legitimately break now and then
(negative FOCUS usage rows); only a failed `critical` expectation blocks.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import great_expectations as gx
import great_expectations.expectations as gxe
import pyarrow as pa
from great_expectations.expectations.row_conditions import Column, Condition

from ingestion.reference import PLANS
from ingestion.runs import JOB_STATUSES, RUN_STATUSES, RUN_TYPES, TRIGGERS
from ingestion.schemas import RAW_TABLES
from ingestion.telemetry import RISK_LEVELS, SPAN_KINDS, STATUS_CODES

SUITES_DIR = Path(__file__).resolve().parent / "suites"

ERROR = "ERROR"  # blocking: Dagster's AssetCheckSeverity.ERROR
WARN = "WARN"  # reported only: AssetCheckSeverity.WARN
CRITICAL = "critical"  # GX FailureSeverity of an expectation that blocks
WARNING = "warning"  # GX FailureSeverity of an expectation that only warns

# The raw tables that get a suite (the bookkeeping tables `quarantine` and `ingest_manifest` are
# ingestion's own output, checked by its tests and dbt).
RAW_SUITE_TABLES = [
    "runs",
    "run_jobs",
    "run_steps",
    "spans",
    "metric_points",
    "focus_costs",
    "customers",
    "projects",
]

# Ingestion rejects a timestamp more than a day after the load time; the suites check the same
# against each row's own `_loaded_at`, through this column that the engine derives (see
# `DERIVED_COLUMNS` in a suite's meta).
LOAD_HORIZON = "_load_horizon_at"
FUTURE_TOLERANCE_HOURS = 24

# Enumerations defined by specifications rather than by ingestion.
SESSION_MODES = ["headless", "interactive"]  # factory.session.mode
METRIC_TYPES = ["gauge", "histogram", "sum"]
TEMPORALITIES = ["cumulative", "delta"]
TOKEN_TYPES = ["input", "output"]  # gen_ai.token.type
FOCUS_CHARGE_CATEGORIES = ["Adjustment", "Credit", "Purchase", "Tax", "Usage"]  # FOCUS 1.0-1.2
FOCUS_CHARGE_CLASSES = ["Correction"]  # null for a regular charge
# FOCUS charges whose cost is legitimately negative: credits and adjustments by category, and
# corrections of an earlier period by class.
FOCUS_SIGNED_CATEGORIES = ["Adjustment", "Credit"]
AI_SERVICE_CATEGORY = "AI and Machine Learning"  # LLM provider invoices: costed per model SKU

# Business-invariant thresholds.
RECONCILIATION_TOLERANCE_USD = 0.005  # half a cent: the totals must agree to the cent
MIN_VOLUME_RATIO = 0.3  # a day below 30% of the trailing 7-day median is a collapse
MAX_UNTAGGED_COST_SHARE = 0.10  # FinOps allocation target: at least 90% of cost tagged


# --- Expectation helpers --------------------------------------------------------------------------
# Each helper names its expectation with a stable `check` key in `meta`: GX reorders results by
# column, so results are matched to expectations by this key, and Dagster metadata shows it.


def _meta(check: str) -> dict:
    return {"check": check}


def _columns_present(columns: Iterable[str]) -> gxe.Expectation:
    return gxe.ExpectTableColumnsToMatchSet(
        column_set=list(columns),
        exact_match=False,
        meta=_meta("columns_present"),
        notes="Every column of the contract is present; extra columns (load_date) are allowed.",
    )


def _not_null(column: str, why: str = "Required by the data contract.") -> gxe.Expectation:
    return gxe.ExpectColumnValuesToNotBeNull(
        column=column, meta=_meta(f"not_null:{column}"), notes=why
    )


def _type(column: str, type_name: str) -> gxe.Expectation:
    # Compared with the pandas dtype's scalar type, as DuckDB hands frames over: `str` for
    # VARCHAR (object when a chunk is all null: then value by value), Int32 -> int32,
    # datetime64[us] -> datetime64. (ExpectColumnValuesToBeInTypeList compares whole dtypes, so
    # "datetime64" would not match datetime64[us].)
    return gxe.ExpectColumnValuesToBeOfType(
        column=column,
        type_=type_name,
        meta=_meta(f"type:{column}"),
        notes="A key column keeps its type: joins and deduplication depend on it.",
    )


def _in_set(column: str, values: Iterable[str], why: str) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeInSet(
        column=column, value_set=sorted(values), meta=_meta(f"in_set:{column}"), notes=why
    )


def _at_least(
    column: str,
    minimum: float,
    why: str,
    *,
    row_condition: Condition | None = None,
    severity: str = CRITICAL,
) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeBetween(
        column=column,
        min_value=minimum,
        row_condition=row_condition,
        severity=severity,
        meta=_meta(f"min:{column}"),
        notes=why,
    )


def _between(column: str, minimum: float, maximum: float, why: str) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeBetween(
        column=column,
        min_value=minimum,
        max_value=maximum,
        meta=_meta(f"between:{column}"),
        notes=why,
    )


def _not_before(later: str, earlier: str, why: str) -> gxe.Expectation:
    return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=later,
        column_B=earlier,
        or_equal=True,
        ignore_row_if="either_value_is_missing",
        meta=_meta(f"order:{later}>={earlier}"),
        notes=why,
    )


def _not_in_future(column: str) -> gxe.Expectation:
    return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=LOAD_HORIZON,
        column_B=column,
        or_equal=True,
        ignore_row_if="either_value_is_missing",
        meta=_meta(f"not_in_future:{column}"),
        notes=(
            f"{column} is at most {FUTURE_TOLERANCE_HOURS} h after the row's _loaded_at: a later "
            "timestamp is a clock or unit error (the contract rejects it at load)."
        ),
    )


def _unique_within_file(columns: list[str], why: str) -> gxe.Expectation:
    return gxe.ExpectCompoundColumnsToBeUnique(
        column_list=["_file_sha256", *columns],
        meta=_meta("unique_within_file:" + ",".join(columns)),
        notes=why,
    )


def _regex(column: str, pattern: str, why: str) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToMatchRegex(
        column=column, regex=pattern, meta=_meta(f"regex:{column}"), notes=why
    )


def _columns_of(table: str) -> list[str]:
    schema: pa.Schema = RAW_TABLES[table]
    return schema.names


def _horizon_meta() -> dict:
    return {
        LOAD_HORIZON: {
            "op": "add_hours",
            "column": "_loaded_at",
            "hours": FUTURE_TOLERANCE_HOURS,
            "description": "_loaded_at plus the contract's future tolerance",
        }
    }


def _suite(
    name: str,
    severity: str,
    description: str,
    expectations: list[gxe.Expectation],
    *,
    applies_to: str,
    derived_columns: dict | None = None,
    frame_columns: dict[str, str] | None = None,
    frame_query: str | None = None,
    decisions: list[str] | None = None,
) -> gx.ExpectationSuite:
    """Assemble a suite; a WARN suite's expectations all get severity `warning`."""
    checks = [e.meta["check"] for e in expectations]
    duplicates = sorted({c for c in checks if checks.count(c) > 1})
    if duplicates:
        raise ValueError(f"suite {name}: duplicate check keys {duplicates}")
    if severity == WARN:
        for expectation in expectations:
            expectation.severity = WARNING
    meta: dict = {"severity": severity, "description": description, "applies_to": applies_to}
    if derived_columns:
        meta["derived_columns"] = derived_columns
    if frame_columns:
        meta["frame_columns"] = frame_columns
    if frame_query:
        meta["frame_query"] = frame_query
    if decisions:
        meta["decisions"] = decisions
    return gx.ExpectationSuite(name=name, expectations=expectations, meta=meta)


# --- Raw suites -----------------------------------------------------------------------------------

_OVERLAP_DECISION = (
    "No uniqueness across files: run exports overlap, so the same snapshot (run_id, attempt, "
    "updated_at) is loaded again from a later file, verbatim. Within one export file a snapshot "
    "appears once; that is checked. The lineage key (_file_sha256, _line_number) and the "
    "deduplicated key (run_id, attempt) are dbt tests on the models."
)


def raw_runs() -> gx.ExpectationSuite:
    """Run-attempt snapshots as loaded (`raw.runs`)."""
    return _suite(
        "raw_runs",
        ERROR,
        "Run-attempt snapshots as loaded from the run exports (raw.runs).",
        [
            _columns_present(_columns_of("runs")),
            *[
                _not_null(c)
                for c in (
                    "run_id",
                    "attempt",
                    "customer_id",
                    "project_id",
                    "status",
                    "queued_at",
                    "updated_at",
                )
            ],
            _not_null("_loaded_at", "Lineage: the future-timestamp rule is relative to it."),
            _type("run_id", "str"),
            _type("attempt", "int32"),
            _type("queued_at", "datetime64"),
            _type("updated_at", "datetime64"),
            _in_set("status", RUN_STATUSES, "Run status enumeration of the contract."),
            _in_set("run_type", RUN_TYPES, "Run type enumeration of the contract."),
            _in_set("trigger", TRIGGERS, "Trigger enumeration of the contract."),
            _at_least("attempt", 1, "Attempts count from 1; retries are 2, 3, ..."),
            _at_least("cpu_seconds", 0, "A cost driver cannot be negative."),
            _at_least("memory_gib_seconds", 0, "A cost driver cannot be negative."),
            _not_before("started_at", "queued_at", "A run starts after it is queued."),
            _not_before("finished_at", "started_at", "A run finishes after it starts."),
            *[_not_in_future(c) for c in ("queued_at", "started_at", "finished_at", "updated_at")],
            _unique_within_file(
                ["run_id", "attempt", "updated_at"],
                "One export file holds a snapshot once; across files repeats are expected.",
            ),
        ],
        applies_to="raw.runs",
        derived_columns=_horizon_meta(),
        decisions=[_OVERLAP_DECISION],
    )


def raw_run_jobs() -> gx.ExpectationSuite:
    """Jobs of run-attempt snapshots as loaded (`raw.run_jobs`)."""
    return _suite(
        "raw_run_jobs",
        ERROR,
        "Jobs of run-attempt snapshots (raw.run_jobs), one row per job per snapshot.",
        [
            _columns_present(_columns_of("run_jobs")),
            *[
                _not_null(c)
                for c in ("run_id", "attempt", "updated_at", "job_id", "status", "_loaded_at")
            ],
            _type("run_id", "str"),
            _type("job_id", "str"),
            _type("attempt", "int32"),
            _in_set("status", JOB_STATUSES, "Job status enumeration (run statuses + skipped)."),
            _at_least("attempt", 1, "Attempts count from 1."),
            _not_before("finished_at", "started_at", "A job finishes after it starts."),
            *[_not_in_future(c) for c in ("started_at", "finished_at", "updated_at")],
            _unique_within_file(
                ["run_id", "attempt", "updated_at", "job_id"],
                "A snapshot lists each job once; the same snapshot recurs only across files.",
            ),
        ],
        applies_to="raw.run_jobs",
        derived_columns=_horizon_meta(),
        decisions=[_OVERLAP_DECISION],
    )


def raw_run_steps() -> gx.ExpectationSuite:
    """Steps of the jobs of run-attempt snapshots as loaded (`raw.run_steps`)."""
    return _suite(
        "raw_run_steps",
        ERROR,
        "Steps of the jobs of run-attempt snapshots (raw.run_steps).",
        [
            _columns_present(_columns_of("run_steps")),
            *[
                _not_null(c)
                for c in (
                    "run_id",
                    "attempt",
                    "updated_at",
                    "job_id",
                    "step_id",
                    "status",
                    "_loaded_at",
                )
            ],
            _type("run_id", "str"),
            _type("job_id", "str"),
            _type("step_id", "str"),
            _type("attempt", "int32"),
            _in_set("status", JOB_STATUSES, "Step status enumeration (run statuses + skipped)."),
            _at_least("attempt", 1, "Attempts count from 1."),
            _not_before("finished_at", "started_at", "A step finishes after it starts."),
            *[_not_in_future(c) for c in ("started_at", "finished_at", "updated_at")],
            _unique_within_file(
                ["run_id", "attempt", "updated_at", "job_id", "step_id"],
                "A job lists each step once; the same snapshot recurs only across files.",
            ),
        ],
        applies_to="raw.run_steps",
        derived_columns=_horizon_meta(),
        decisions=[_OVERLAP_DECISION],
    )


_TOKEN_COLUMNS = [
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "reasoning_output_tokens",
]


def raw_spans() -> gx.ExpectationSuite:
    """Agent telemetry spans as loaded (`raw.spans`)."""
    return _suite(
        "raw_spans",
        ERROR,
        "Spans of the agent telemetry with their GenAI attributes (raw.spans).",
        [
            _columns_present(_columns_of("spans")),
            *[
                _not_null(c)
                for c in (
                    "trace_id",
                    "span_id",
                    "span_kind",
                    "status_code",
                    "start_at",
                    "end_at",
                    "_loaded_at",
                )
            ],
            _type("trace_id", "str"),
            _type("span_id", "str"),
            _type("start_at", "datetime64"),
            # ids are stored lower-case hex (ingestion normalises them): the dedup key downstream
            _regex("trace_id", r"^[0-9a-f]{32}$", "OTLP trace id: 16 bytes, lower-case hex."),
            _regex("span_id", r"^[0-9a-f]{16}$", "OTLP span id: 8 bytes, lower-case hex."),
            _in_set("span_kind", SPAN_KINDS.values(), "OTLP span kind."),
            _in_set("status_code", STATUS_CODES.values(), "OTLP status code."),
            _in_set("tool_risk_level", RISK_LEVELS, "factory.tool.risk_level enumeration."),
            _in_set("session_mode", SESSION_MODES, "factory.session.mode enumeration."),
            *[_at_least(c, 0, "Token counts cannot be negative.") for c in _TOKEN_COLUMNS],
            _not_before("end_at", "start_at", "A span ends after it starts."),
            *[_not_in_future(c) for c in ("start_at", "end_at")],
        ],
        applies_to="raw.spans",
        derived_columns=_horizon_meta(),
        decisions=[
            "No uniqueness: a span exported twice (even within one file) is loaded twice and "
            "deduplicated downstream on (trace_id, span_id), a dbt test."
        ],
    )


def raw_metric_points() -> gx.ExpectationSuite:
    """Agent telemetry metric data points as loaded (`raw.metric_points`)."""
    return _suite(
        "raw_metric_points",
        ERROR,
        "Data points of the sum, gauge and histogram metrics (raw.metric_points).",
        [
            _columns_present(_columns_of("metric_points")),
            *[
                _not_null(c)
                for c in ("metric_name", "metric_type", "series_key", "time_at", "_loaded_at")
            ],
            _type("series_key", "str"),
            _type("time_at", "datetime64"),
            _in_set("metric_type", METRIC_TYPES, "Only sum, gauge and histogram are loaded."),
            _in_set("temporality", TEMPORALITIES, "OTLP aggregation temporality (null: gauge)."),
            _in_set("session_mode", SESSION_MODES, "factory.session.mode enumeration."),
            _in_set("token_type", TOKEN_TYPES, "gen_ai.token.type enumeration."),
            _at_least("histogram_count", 0, "A histogram count cannot be negative."),
            _at_least("histogram_sum", 0, "Durations and token counts cannot be negative."),
            _not_before("time_at", "start_at", "A point's interval ends after it starts."),
            *[_not_in_future(c) for c in ("start_at", "time_at")],
        ],
        applies_to="raw.metric_points",
        derived_columns=_horizon_meta(),
        decisions=[
            "No uniqueness: exporters repeat a point, even within one request line; points are "
            "keyed on (series_key, start_at, time_at) downstream, a dbt test."
        ],
    )


def raw_focus_costs() -> gx.ExpectationSuite:
    """FOCUS billing rows as loaded (`raw.focus_costs`)."""
    not_signed = (
        Column("ChargeCategory").is_not_in(FOCUS_SIGNED_CATEGORIES)
        & Column("ChargeClass").is_null()
    )
    negative_cost_note = (
        "Cost is >= 0 except for credits, adjustments (ChargeCategory) and corrections "
        "(ChargeClass). Warning only: real exports carry negative Usage rows (Azure usage "
        "reversals in the FOCUS 1.0 sample data), which allocation must handle, not block."
    )
    return _suite(
        "raw_focus_costs",
        ERROR,
        "FinOps FOCUS 1.0-1.2 cost rows of cloud and LLM provider invoices (raw.focus_costs).",
        [
            _columns_present(_columns_of("focus_costs")),
            *[
                _not_null(c, "Mandatory FOCUS column: without it a row cannot be costed.")
                for c in (
                    "BilledCost",
                    "EffectiveCost",
                    "BillingCurrency",
                    "ChargePeriodStart",
                    "ChargePeriodEnd",
                )
            ],
            _not_null("_loaded_at", "Lineage: the future-timestamp rule is relative to it."),
            _type("ChargePeriodStart", "datetime64"),
            _type("ChargePeriodEnd", "datetime64"),
            _regex("BillingCurrency", r"^[A-Z]{3}$", "ISO 4217 currency code."),
            _in_set("ChargeCategory", FOCUS_CHARGE_CATEGORIES, "FOCUS ChargeCategory values."),
            _in_set("ChargeClass", FOCUS_CHARGE_CLASSES, "FOCUS ChargeClass: Correction or null."),
            _at_least(
                "EffectiveCost",
                0,
                negative_cost_note,
                row_condition=not_signed,
                severity=WARNING,
            ),
            _at_least(
                "BilledCost", 0, negative_cost_note, row_condition=not_signed, severity=WARNING
            ),
            _not_before(
                "ChargePeriodEnd", "ChargePeriodStart", "A charge period ends after it starts."
            ),
            _not_before(
                "BillingPeriodEnd", "BillingPeriodStart", "A billing period ends after it starts."
            ),
            # period *ends* may lie ahead: a mid-month export names the end of the month
            *[_not_in_future(c) for c in ("ChargePeriodStart", "BillingPeriodStart")],
            gxe.ExpectColumnValuesToBeJsonParseable(
                column="Tags",
                meta=_meta("json:Tags"),
                notes="Tags is a JSON object: the allocation tags are read from it.",
            ),
        ],
        applies_to="raw.focus_costs",
        derived_columns=_horizon_meta(),
        decisions=[
            "No uniqueness: FOCUS defines no row key and a file may hold the same row twice; "
            "re-exported rows are deduplicated downstream on their content, a dbt test.",
            "Untagged cost is legal (it is shared out by rule); its share is watched by the "
            "untagged_cost_share suite.",
        ],
    )


def raw_customers() -> gx.ExpectationSuite:
    """Customer reference exports as loaded (`raw.customers`)."""
    return _suite(
        "raw_customers",
        ERROR,
        "Customer reference exports (raw.customers), one row per customer per export.",
        [
            _columns_present(_columns_of("customers")),
            _not_null("customer_id"),
            _not_null("_loaded_at", "Lineage: the latest export wins downstream."),
            _type("customer_id", "str"),
            _in_set("plan", PLANS, "Plan enumeration of the contract."),
            _not_in_future("created_at"),
            _unique_within_file(
                ["customer_id"],
                "An export lists a customer once; a later export of the id replaces it.",
            ),
        ],
        applies_to="raw.customers",
        derived_columns=_horizon_meta(),
    )


def raw_projects() -> gx.ExpectationSuite:
    """Project reference exports as loaded (`raw.projects`)."""
    return _suite(
        "raw_projects",
        ERROR,
        "Project reference exports (raw.projects), one row per project per export.",
        [
            _columns_present(_columns_of("projects")),
            _not_null("project_id"),
            _not_null("customer_id"),
            _not_null("_loaded_at", "Lineage: the latest export wins downstream."),
            _type("project_id", "str"),
            _type("customer_id", "str"),
            _not_in_future("created_at"),
            _unique_within_file(
                ["project_id"],
                "An export lists a project once; a later export of the id replaces it.",
            ),
        ],
        applies_to="raw.projects",
        derived_columns=_horizon_meta(),
    )


# --- Business invariants across tables ------------------------------------------------------------


def allocation_reconciles() -> gx.ExpectationSuite:
    """Per day and currency, allocated + idle + unallocated cost equals the FOCUS effective cost
    and the billed cost, to the cent."""
    tolerance = RECONCILIATION_TOLERANCE_USD
    return _suite(
        "allocation_reconciles",
        ERROR,
        "Cost allocation loses and invents nothing: per day and billing currency, allocated + "
        "idle + unallocated cost equals the FOCUS effective cost and the billed cost, to the cent.",
        [
            _columns_present(["cost_date", "effective_difference_usd", "billed_difference_usd"]),
            _not_null(
                "effective_difference_usd", "A missing side of the reconciliation is a failure."
            ),
            _not_null(
                "billed_difference_usd", "A missing side of the reconciliation is a failure."
            ),
            _between(
                "effective_difference_usd",
                -tolerance,
                tolerance,
                "|allocated + idle + unallocated - FOCUS EffectiveCost| <= half a cent.",
            ),
            _between(
                "billed_difference_usd",
                -tolerance,
                tolerance,
                "|allocated + idle + unallocated - FOCUS BilledCost| <= half a cent.",
            ),
        ],
        applies_to="frame",
        frame_columns={
            "cost_date": "the UTC day",
            "effective_difference_usd": (
                "allocated + idle + unallocated effective cost - FOCUS EffectiveCost of that day "
                "and currency, in USD (the caller's query builds it)"
            ),
            "billed_difference_usd": (
                "the same for the billed cost against FOCUS BilledCost, in USD"
            ),
        },
    )


def success_rates_in_unit_interval() -> gx.ExpectationSuite:
    """Every success rate the marts publish lies in [0, 1]."""
    return _suite(
        "success_rates_in_unit_interval",
        ERROR,
        "A success rate is a share: between 0 and 1 (null when there is nothing to rate).",
        [
            _columns_present(["success_rate"]),
            _between("success_rate", 0, 1, "A share of attempts cannot leave [0, 1]."),
        ],
        applies_to="frame",
        frame_columns={"success_rate": "succeeded / finished, per the caller's grain"},
    )


def daily_volume_not_collapsing() -> gx.ExpectationSuite:
    """A day's runs are at least 30% of the median of its 7 comparable days before, unless the
    day is flagged."""
    return _suite(
        "daily_volume_not_collapsing",
        ERROR,
        "Run volume does not collapse: a day with fewer than 30% of the median runs of its 7 "
        "comparable days before (weekdays against weekdays, weekend days against weekend days) "
        "means missing exports, unless the day is flagged as expected (holiday, outage).",
        [
            _columns_present(["run_date", "runs", "trailing_7d_median_runs", "is_flagged"]),
            _not_null("runs", "Every day of the frame has a count (0 when no runs)."),
            _not_null("is_flagged", "A day is flagged or not; null would hide a collapse."),
            gxe.ExpectColumnValuesToBeBetween(
                column="volume_ratio",
                min_value=MIN_VOLUME_RATIO,
                row_condition=Column("is_flagged") == False,  # noqa: E712 (a GX condition)
                meta=_meta("min:volume_ratio"),
                notes="runs / median of the 7 comparable days before >= 0.3 on days not flagged.",
            ),
        ],
        applies_to="frame",
        derived_columns={
            "volume_ratio": {
                "op": "divide",
                "numerator": "runs",
                "denominator": "trailing_7d_median_runs",
                "description": "runs / median of the 7 comparable days before (null without one)",
            }
        },
        frame_columns={
            "run_date": "the UTC day",
            "runs": "runs that day",
            "trailing_7d_median_runs": (
                "median runs of the 7 comparable days before (weekdays or weekend days; "
                "null or 0: not judged)"
            ),
            "is_flagged": "true for a day known to be quiet",
        },
    )


# Untagged share of usage cost per day and currency, straight from the raw zone. AI provider rows
# are attributed per model SKU, and rows tagged to a customer go to that customer: neither is
# "untagged". Credits and adjustments are left out: they net against tagged and untagged alike.
UNTAGGED_COST_SHARE_QUERY = """\
select
    cast(ChargePeriodStart as date) as charge_date,
    BillingCurrency as billing_currency,
    sum(EffectiveCost) filter (
        where json_extract_string(Tags, '$."factory:component"') is null
            and json_extract_string(Tags, '$."factory:customer"') is null
            and coalesce(ServiceCategory, '') <> 'AI and Machine Learning'
    )::double as untagged_cost,
    sum(EffectiveCost)::double as total_cost
from raw.focus_costs
where coalesce(ChargeCategory, 'Usage') = 'Usage'
group by all
order by all"""


def untagged_cost_share() -> gx.ExpectationSuite:
    """Cost without allocation tags stays a small share of the day's cost (warning)."""
    return _suite(
        "untagged_cost_share",
        WARN,
        "Untagged cost (no factory:component or factory:customer tag, not an AI provider row) "
        "is legal and shared out by rule, but it stays below 10% of a day's usage cost.",
        [
            _columns_present(["charge_date", "billing_currency", "untagged_cost", "total_cost"]),
            gxe.ExpectColumnValuesToBeBetween(
                column="untagged_cost_share",
                max_value=MAX_UNTAGGED_COST_SHARE,
                meta=_meta("max:untagged_cost_share"),
                notes="Tag the resources: shared-out cost hides who spends it.",
            ),
        ],
        applies_to="frame",
        derived_columns={
            "untagged_cost_share": {
                "op": "divide",
                "numerator": "untagged_cost",
                "denominator": "total_cost",
                "description": "untagged_cost / total_cost (null without cost)",
            }
        },
        frame_columns={
            "charge_date": "the UTC day of ChargePeriodStart",
            "billing_currency": "BillingCurrency",
            "untagged_cost": "EffectiveCost of untagged usage rows",
            "total_cost": "EffectiveCost of all usage rows",
        },
        frame_query=UNTAGGED_COST_SHARE_QUERY,
    )


# --- Registry, files ------------------------------------------------------------------------------

SUITE_BUILDERS: dict[str, Callable[[], gx.ExpectationSuite]] = {
    "raw_runs": raw_runs,
    "raw_run_jobs": raw_run_jobs,
    "raw_run_steps": raw_run_steps,
    "raw_spans": raw_spans,
    "raw_metric_points": raw_metric_points,
    "raw_focus_costs": raw_focus_costs,
    "raw_customers": raw_customers,
    "raw_projects": raw_projects,
    "allocation_reconciles": allocation_reconciles,
    "success_rates_in_unit_interval": success_rates_in_unit_interval,
    "daily_volume_not_collapsing": daily_volume_not_collapsing,
    "untagged_cost_share": untagged_cost_share,
}
SUITE_NAMES = list(SUITE_BUILDERS)


def raw_suite_name(table: str) -> str:
    """The suite that checks raw table `table` (e.g. `runs` -> `raw_runs`)."""
    if table not in RAW_SUITE_TABLES:
        raise KeyError(f"no suite for raw table {table!r}: expected one of {RAW_SUITE_TABLES}")
    return f"raw_{table}"


def build_suite(name: str) -> gx.ExpectationSuite:
    """Build suite `name` from code (what `write_suites` writes)."""
    try:
        builder = SUITE_BUILDERS[name]
    except KeyError:
        raise KeyError(f"unknown suite {name!r}: expected one of {SUITE_NAMES}") from None
    return builder()


def suite_json(suite: gx.ExpectationSuite) -> str:
    """The canonical JSON text of a suite: sorted keys, 2-space indent, final newline."""
    return json.dumps(suite.to_json_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def suite_path(name: str, directory: Path = SUITES_DIR) -> Path:
    """Where suite `name` is kept."""
    return directory / f"{name}.json"


def write_suites(directory: Path = SUITES_DIR) -> list[Path]:
    """Build every suite and write it as `<directory>/<name>.json`; returns the paths.

    Files are only rewritten when their content changes, so a rebuild leaves them untouched.
    """
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in SUITE_NAMES:
        path = suite_path(name, directory)
        text = suite_json(build_suite(name))
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def load_suite(name: str, directory: Path = SUITES_DIR) -> gx.ExpectationSuite:
    """Read suite `name` back from its JSON file (the files are the source of truth at run time).

    Raises `FileNotFoundError` for a missing file and `ValueError` when GX drops an expectation
    it cannot parse (GX only logs those, which would silently weaken the suite).
    """
    data = json.loads(suite_path(name, directory).read_text(encoding="utf-8"))
    suite = gx.ExpectationSuite(**data)
    if len(suite.expectations) != len(data.get("expectations", [])):
        raise ValueError(
            f"suite {name}: {len(data['expectations'])} expectations in the file, "
            f"{len(suite.expectations)} understood by GX {gx.__version__}"
        )
    return suite


def suite_severity(name: str, directory: Path = SUITES_DIR) -> str:
    """The declared severity of suite `name`: `ERROR` (blocking check) or `WARN`."""
    return load_suite(name, directory).meta["severity"]


def main(argv: list[str] | None = None) -> int:
    """`python -m expectations.suites [directory]`: regenerate the suite JSON files."""
    args = sys.argv[1:] if argv is None else argv
    directory = Path(args[0]) if args else SUITES_DIR
    for path in write_suites(directory):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
