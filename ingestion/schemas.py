"""Schemas of the raw zone: one Parquet table per source table, the ingestion-dbt contract.

Every raw row carries lineage columns (`_source_file`, `_file_sha256`, `_line_number`,
`_loaded_at`); the `load_date` partition comes from the directory name
(`raw/<table>/load_date=YYYY-MM-DD/<file hash>.parquet`). All timestamps are naive UTC.
"""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("us")  # naive, always UTC
MONEY = pa.decimal128(38, 12)  # FOCUS costs keep their 10-12 decimal places exactly

LINEAGE_FIELDS = [
    pa.field("_source_file", pa.string(), nullable=False),
    pa.field("_file_sha256", pa.string(), nullable=False),
    pa.field("_line_number", pa.int64(), nullable=False),
    pa.field("_loaded_at", TS, nullable=False),
]


def _schema(*fields: pa.Field) -> pa.Schema:
    return pa.schema([*fields, *LINEAGE_FIELDS])


def _f(name: str, type_: pa.DataType | None = None) -> pa.Field:
    return pa.field(name, type_ or pa.string())


RUNS = _schema(
    _f("run_id"),
    _f("attempt", pa.int32()),
    _f("customer_id"),
    _f("project_id"),
    _f("run_type"),
    _f("template"),
    _f("trigger"),
    _f("status"),
    _f("queued_at", TS),
    _f("started_at", TS),
    _f("finished_at", TS),
    _f("updated_at", TS),
    _f("worker_pool"),
    _f("instance_type"),
    _f("cpu_seconds", pa.float64()),
    _f("memory_gib_seconds", pa.float64()),
    _f("error_code"),
)

RUN_JOBS = _schema(
    _f("run_id"),
    _f("attempt", pa.int32()),
    _f("updated_at", TS),
    _f("job_id"),
    _f("job_name"),
    _f("status"),
    _f("started_at", TS),
    _f("finished_at", TS),
)

RUN_STEPS = _schema(
    _f("run_id"),
    _f("attempt", pa.int32()),
    _f("updated_at", TS),
    _f("job_id"),
    _f("step_id"),
    _f("step_name"),
    _f("status"),
    _f("started_at", TS),
    _f("finished_at", TS),
)

# Attribution keys resolved from resource, scope and span/data-point attributes (closest wins).
ATTRIBUTION_FIELDS = [
    _f("customer_id"),  # organization.id or factory.customer.id
    _f("project_id"),  # factory.project.id
    _f("run_id"),  # factory.run.id
    _f("session_id"),  # session.id
    _f("session_mode"),  # factory.session.mode: interactive | headless
    _f("user_id"),  # user.id
    _f("team"),  # factory.team
    _f("repository"),  # vcs.repository.name
]

SPANS = _schema(
    _f("trace_id"),
    _f("span_id"),
    _f("parent_span_id"),
    _f("span_name"),
    _f("span_kind"),  # INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER, UNSPECIFIED
    _f("start_at", TS),
    _f("end_at", TS),
    _f("status_code"),  # UNSET, OK, ERROR
    _f("status_message"),
    _f("service_name"),
    _f("scope_name"),
    _f("operation_name"),  # gen_ai.operation.name
    _f("provider_name"),  # gen_ai.provider.name, else deprecated gen_ai.system
    _f("request_model"),
    _f("response_model"),
    _f("input_tokens", pa.int64()),  # or deprecated gen_ai.usage.prompt_tokens
    _f("output_tokens", pa.int64()),  # or deprecated gen_ai.usage.completion_tokens
    _f("cache_read_input_tokens", pa.int64()),
    _f("cache_creation_input_tokens", pa.int64()),
    _f("reasoning_output_tokens", pa.int64()),
    _f("error_type"),
    _f("tool_name"),  # gen_ai.tool.name
    _f("tool_risk_level"),  # factory.tool.risk_level: low | medium | high
    _f("template"),  # factory.template
    _f("run_attempt"),  # factory.run.attempt, as sent (staging casts it)
    _f("resend_count"),  # http.request.resend_count, as sent (staging casts it)
    *ATTRIBUTION_FIELDS,
    _f("attributes_json"),  # all merged attributes, for anything not extracted above
)

METRIC_POINTS = _schema(
    _f("metric_name"),
    _f("metric_unit"),
    _f("metric_type"),  # sum | gauge | histogram
    _f("temporality"),  # delta | cumulative | null (gauge)
    _f("is_monotonic", pa.bool_()),
    _f("series_key"),  # hash of metric name + resource + point attributes: identifies a series
    _f("start_at", TS),  # start_time_unix_nano; a new value on a cumulative series is a reset
    _f("time_at", TS),
    _f("value", pa.float64()),  # sum / gauge value
    _f("histogram_count", pa.int64()),
    _f("histogram_sum", pa.float64()),
    _f("histogram_min", pa.float64()),
    _f("histogram_max", pa.float64()),
    _f("service_name"),
    *ATTRIBUTION_FIELDS,
    _f("tool_name"),  # tool.name
    _f("mcp_server"),  # mcp.server
    _f("skill_name"),  # skill.name
    _f("operation_name"),  # gen_ai.operation.name (gen_ai.client.* metrics)
    _f("provider_name"),
    _f("request_model"),
    _f("token_type"),  # gen_ai.token.type: input | output
    _f("slash_command_name"),  # slash_command.name
    _f("hook_name"),  # hook.name
    _f("attributes_json"),
)

# FOCUS 1.0-1.2 columns that are read and typed; any other column (e.g. `Id`, `x_*`) is kept in
# `extra_columns_json`. Header matching is case-insensitive.
FOCUS_MONEY_COLUMNS = ["BilledCost", "EffectiveCost", "ListCost", "ContractedCost"]
FOCUS_NUMBER_COLUMNS = [
    "ConsumedQuantity",
    "PricingQuantity",
    "ListUnitPrice",
    "ContractedUnitPrice",
    "CommitmentDiscountQuantity",
]
FOCUS_TIMESTAMP_COLUMNS = [
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
]
FOCUS_STRING_COLUMNS = [
    "AvailabilityZone",
    "BillingAccountId",
    "BillingAccountName",
    "BillingAccountType",
    "BillingCurrency",
    "CapacityReservationId",
    "CapacityReservationStatus",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "CommitmentDiscountCategory",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountStatus",
    "CommitmentDiscountType",
    "CommitmentDiscountUnit",
    "ConsumedUnit",
    "HostProviderName",
    "InvoiceId",
    "InvoiceIssuerName",
    "PricingCategory",
    "PricingCurrency",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "ServiceProviderName",
    "ServiceSubcategory",
    "SkuId",
    "SkuMeter",
    "SkuPriceDetails",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "SubAccountType",
    "Tags",  # JSON object, stored as its JSON text
]
# Without these a file cannot be costed at all: it is quarantined whole.
FOCUS_MANDATORY_COLUMNS = [
    "BilledCost",
    "EffectiveCost",
    "BillingCurrency",
    "ChargePeriodStart",
    "ChargePeriodEnd",
]

FOCUS_COSTS = _schema(
    *[_f(c, MONEY) for c in FOCUS_MONEY_COLUMNS],
    *[_f(c, pa.float64()) for c in FOCUS_NUMBER_COLUMNS],
    *[_f(c, TS) for c in FOCUS_TIMESTAMP_COLUMNS],
    *[_f(c) for c in FOCUS_STRING_COLUMNS],
    _f("extra_columns_json"),
)

CUSTOMERS = _schema(
    _f("customer_id"),
    _f("name"),
    _f("organization_id"),
    _f("plan"),
    _f("created_at", TS),
)

PROJECTS = _schema(
    _f("project_id"),
    _f("customer_id"),
    _f("name"),
    _f("team"),
    _f("repository"),
    _f("created_at", TS),
)

# Bookkeeping tables, written once per inbox file.
QUARANTINE = pa.schema(
    [
        _f("source"),  # inbox source: runs, telemetry, billing, customers, projects
        _f("source_file"),
        _f("file_sha256"),
        _f("line_number", pa.int64()),  # 1-based line (JSONL) or data row (CSV); null: whole file
        _f("reason"),  # short machine-readable code, then ': ' and the detail
        _f("payload"),  # the raw line/record as text (invalid UTF-8 replaced)
        _f("quarantined_at", TS),
    ]
)

INGEST_MANIFEST = pa.schema(
    [
        _f("file_sha256"),
        _f("source"),
        _f("source_file"),  # path relative to the inbox
        _f("file_bytes", pa.int64()),
        _f("file_mtime_ns", pa.int64()),
        _f("status"),  # loaded | rejected (whole file quarantined)
        _f("rows_in", pa.int64()),  # = rows_loaded + rows_quarantined, always
        _f("rows_loaded", pa.int64()),
        _f("rows_quarantined", pa.int64()),
        _f("loaded_at", TS),
    ]
)

# Raw table name -> schema. The directory under raw/ and the DuckDB view `raw.<name>` use it.
RAW_TABLES: dict[str, pa.Schema] = {
    "runs": RUNS,
    "run_jobs": RUN_JOBS,
    "run_steps": RUN_STEPS,
    "spans": SPANS,
    "metric_points": METRIC_POINTS,
    "focus_costs": FOCUS_COSTS,
    "customers": CUSTOMERS,
    "projects": PROJECTS,
    "quarantine": QUARANTINE,
    "ingest_manifest": INGEST_MANIFEST,
}

# Attribute columns a raw table gained after files had been written without them: those files
# keep the attribute in `attributes_json`, from which the raw view fills the column for them
# (`warehouse.register_raw_views`). Column -> attribute.
ADDED_ATTRIBUTE_COLUMNS: dict[str, dict[str, str]] = {
    "spans": {
        "template": "factory.template",
        "run_attempt": "factory.run.attempt",
        "resend_count": "http.request.resend_count",
    },
    "metric_points": {"slash_command_name": "slash_command.name", "hook_name": "hook.name"},
}

# Inbox source (a folder under inbox/) -> the raw tables its files load into.
SOURCE_TABLES: dict[str, list[str]] = {
    "runs": ["runs", "run_jobs", "run_steps"],
    "telemetry": ["spans", "metric_points"],
    "billing": ["focus_costs"],
    "customers": ["customers"],
    "projects": ["projects"],
}
