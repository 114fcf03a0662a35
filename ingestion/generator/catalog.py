"""The catalogue of the simulated software factory: every tunable constant of the generator.

Prices of LLM calls are NOT here: they come from `dbt_project/seeds/model_prices.csv` (see
`prices.py`). Instance prices of the worker pools and AWS service rates are here because they
only exist in the simulated cloud bill.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# --- volume and seasonality -------------------------------------------------------------------

RUNS_PER_SIZE_UNIT_PER_DAY = 66.0  # first attempts per customer of size 1 on an average weekday
INTERACTIVE_PER_SIZE_UNIT_PER_DAY = 6.0  # interactive droid sessions per customer of size 1
UNATTRIBUTED_SESSION_SHARE = 0.015  # internal sessions with no customer (evals, support bot)
WEEKDAY_FACTORS = (1.08, 1.12, 1.12, 1.06, 0.95, 0.36, 0.31)  # Monday .. Sunday
ANNUAL_GROWTH = 0.45  # +45 % a year, centred on the middle of the window
# Local hour of day weights (business hours peak, nightly schedules handled separately).
LOCAL_HOUR_WEIGHTS = (
    0.6, 0.4, 0.3, 0.3, 0.3, 0.5, 1.0, 2.0, 4.5, 7.0, 8.0, 8.0,
    6.5, 7.0, 8.0, 8.0, 7.5, 6.0, 4.0, 3.0, 2.5, 2.0, 1.5, 1.0,
)  # fmt: skip
SCHEDULE_LOCAL_HOUR = 2  # scheduled runs fire at 02:00 local time
# Customer regions as hours east of UTC, with weights.
REGION_UTC_OFFSETS = ((-8, 0.22), (-5, 0.30), (0, 0.12), (1, 0.18), (2, 0.06), (5, 0.05), (9, 0.07))
# Offsets used to format exported timestamps (same instant, various offsets), in minutes.
EXPORT_OFFSETS = ((0, 0.86), (120, 0.08), (-300, 0.06))

# --- customers and projects ---------------------------------------------------------------------

REFERENCE_BUDGET_USD = 1500.0  # a customer whose monthly budget is this has size 1
# Plan by rank of size: the top 20 % enterprise, the next 30 % business, ...
PLAN_BY_SIZE_RANK = ((0.2, "enterprise"), (0.5, "business"), (0.85, "team"), (1.01, "free"))
COMPANY_WORDS = (
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka", "Tyrell",
    "Cyberdyne", "Soylent", "Aperture", "Vandelay", "Massive", "Piedpiper", "Oscorp", "Duff",
    "Gringotts", "Monarch", "Nakatomi", "Virtucon", "Zorg", "Bluth", "Dunder", "Sterling",
    "Wernham", "Prestige", "Vehement", "Krusty", "Abstergo",
)  # fmt: skip
COMPANY_SUFFIXES = (
    "Labs", "Systems", "Payments", "Robotics", "Health", "Logistics", "Analytics", "Cloud",
    "Foods", "Energy", "Media", "Bank",
)  # fmt: skip
# Project (repository) names and the run type their runs have.
PROJECT_KINDS = (
    ("payments-api", "microservice"), ("auth-service", "microservice"),
    ("orders-service", "microservice"), ("search-indexer", "microservice"),
    ("sdk-python", "library"), ("ui-components", "library"), ("web-app", "frontend"),
    ("mobile-app", "frontend"), ("etl-jobs", "pipeline"), ("event-pipeline", "pipeline"),
    ("ml-features", "data"), ("warehouse-models", "data"), ("infra-terraform", "infrastructure"),
    ("k8s-manifests", "infrastructure"), ("docs-site", "docs"), ("api-reference", "docs"),
)  # fmt: skip
TEAMS_BY_RUN_TYPE = {
    "microservice": ("payments", "platform", "backend", "checkout"),
    "library": ("platform", "developer-experience"),
    "frontend": ("web", "mobile", "growth"),
    "pipeline": ("data", "platform"),
    "data": ("data", "ml"),
    "infrastructure": ("infra", "sre"),
    "docs": ("developer-experience", "docs"),
}
PROJECTS_PER_CUSTOMER = (2, 6)
USERS_PER_SIZE_UNIT = 8
ONBOARDED_IN_WINDOW_SHARE = 0.1  # customers without a budget who sign up during the window

# --- runs ---------------------------------------------------------------------------------------

RUN_TYPES = ("microservice", "library", "pipeline", "frontend", "data", "infrastructure", "docs")
TRIGGER_WEIGHTS = (("manual", 0.28), ("webhook", 0.37), ("schedule", 0.14), ("api", 0.21))
MAX_ATTEMPTS = 3
CANCEL_RATE = 0.02
RETRY_FAILURE_FACTOR = 0.6  # transient errors mostly clear on the next attempt
RETRY_BACKOFF_SECONDS = 30.0  # doubled at each attempt
QUEUE_MEDIAN_SECONDS = 15.0  # doubled in local business hours
BUSY_LOCAL_HOURS = range(9, 18)
QUEUE_SIGMA = 1.0
SNAPSHOT_LAG_SECONDS = (1, 25)  # final snapshot taken this long after the attempt finished
DUPLICATE_SNAPSHOT_SHARE = 0.01  # final snapshots exported again, verbatim, in the next file
NO_TEMPLATE_SHARE = 0.03  # ad-hoc runs started from a prompt, without a template


@dataclass(frozen=True)
class Template:
    """A run template: what the agent is asked to do, and how long and risky it is."""

    name: str
    run_types: tuple[str, ...]
    weight: float
    median_minutes: float
    sigma: float
    timeout_minutes: int
    failure_rate: float
    jobs: tuple[str, ...]
    pools: tuple[tuple[str, float], ...]
    llm_calls: float  # mean chat calls per attempt
    tool_calls: float  # mean traced tool calls per attempt
    input_tokens: int  # median input tokens per chat call
    output_tokens: int  # median output tokens per chat call
    lines: int  # median lines modified by a successful attempt (0: read-only template)


_STD = (("pool-standard", 0.9), ("pool-large", 0.1))
_CODE = ("microservice", "library", "frontend", "pipeline", "data", "infrastructure")
TEMPLATES = (
    Template("fix-failing-test", _CODE, 0.22, 9, 0.6, 45, 0.12,
             ("checkout", "plan", "implement", "test"), _STD, 2.6, 1.6, 86_000, 4_700, 30),
    Template("dependency-upgrade", _CODE, 0.16, 6, 0.5, 30, 0.10,
             ("checkout", "implement", "test"), _STD, 1.8, 1.3, 54_000, 2_700, 15),
    Template("add-feature", ("microservice", "library", "frontend", "data", "pipeline"), 0.14,
             22, 0.7, 90, 0.15, ("plan", "implement", "test", "review"),
             (("pool-standard", 0.6), ("pool-large", 0.4)), 3.6, 2.2, 126_000, 9_000, 180),
    Template("refactor", ("microservice", "library", "frontend"), 0.10, 16, 0.6, 60, 0.11,
             ("checkout", "plan", "implement", "test"), _STD, 3.0, 2.0, 108_000, 7_200, 120),
    Template("write-docs", ("docs", "library", "microservice"), 0.08, 5, 0.5, 30, 0.04,
             ("checkout", "implement", "review"), (("pool-standard", 1.0),), 1.8, 1.0,
             45_000, 5_400, 60),
    Template("security-patch", ("microservice", "library", "infrastructure", "frontend"), 0.07,
             8, 0.5, 45, 0.08, ("checkout", "implement", "test", "review"), _STD, 2.2, 1.4,
             72_000, 3_600, 20),
    Template("migrate-schema", ("data", "pipeline", "microservice"), 0.05, 14, 0.6, 60, 0.14,
             ("plan", "implement", "test"), (("pool-standard", 0.7), ("pool-large", 0.3)), 2.6,
             1.6, 90_000, 5_400, 70),
    Template("evaluate-model", ("data",), 0.04, 25, 0.5, 120, 0.10,
             ("checkout", "implement", "test"), (("pool-gpu", 1.0),), 2.0, 1.4, 54_000, 3_600,
             10),
    Template("infra-drift-fix", ("infrastructure",), 0.06, 7, 0.5, 30, 0.09,
             ("checkout", "plan", "review"), (("pool-standard", 1.0),), 2.0, 1.2, 63_000, 3_600,
             25),
    Template("code-review", (*_CODE, "docs"), 0.08, 4, 0.5, 20, 0.03, ("checkout", "review"),
             (("pool-standard", 1.0),), 1.8, 1.0, 99_000, 3_200, 0),
)  # fmt: skip
# Runs started from a prompt: exported with a null template.
AD_HOC_TEMPLATE = Template(
    "ad-hoc", RUN_TYPES, 0.0, 10, 0.8, 60, 0.12, ("plan", "implement", "test"), _STD, 2.4, 1.6,
    81_000, 4_500, 40,
)  # fmt: skip
# Templates scheduled nightly (the others are started manually, by webhook or API).
SCHEDULED_TEMPLATES = ("dependency-upgrade", "security-patch", "infra-drift-fix", "evaluate-model")

JOB_STEPS = {
    "checkout": ("clone-repository", "install-dependencies"),
    "plan": ("read-context", "draft-plan"),
    "implement": ("edit-files", "format", "lint"),
    "test": ("build", "run-tests", "collect-coverage"),
    "review": ("self-review", "open-pull-request"),
}
JOB_DURATION_WEIGHTS = {
    "checkout": 0.10,
    "plan": 0.15,
    "implement": 0.45,
    "test": 0.25,
    "review": 0.10,
}
# Where a failing attempt fails, and with which error codes.
FAILURE_JOB_WEIGHTS = {
    "checkout": 0.08,
    "plan": 0.10,
    "implement": 0.30,
    "test": 0.45,
    "review": 0.07,
}
ERROR_CODES_BY_JOB = {
    "checkout": ("GIT_CLONE_FAILED", "DEPENDENCY_RESOLUTION_FAILED"),
    "plan": ("LLM_CONTEXT_LIMIT", "LLM_RATE_LIMITED"),
    "implement": ("LLM_PROVIDER_ERROR", "TOOL_EXECUTION_FAILED", "OOM_KILLED"),
    "test": ("TESTS_FAILED", "TESTS_FAILED", "BUILD_FAILED"),
    "review": ("MERGE_CONFLICT", "POLICY_VIOLATION"),
}
RETRYABLE_ERRORS = frozenset(
    {"GIT_CLONE_FAILED", "LLM_RATE_LIMITED", "LLM_PROVIDER_ERROR", "TOOL_EXECUTION_FAILED",
     "OOM_KILLED", "RUN_TIMEOUT"}
)  # fmt: skip
TIMEOUT_ERROR = "RUN_TIMEOUT"
CANCEL_ERROR = "CANCELLED_BY_USER"


@dataclass(frozen=True)
class Pool:
    """A worker pool: one instance of `instance_type` per running attempt."""

    name: str
    instance_type: str
    vcpus: int
    memory_gib: int
    hourly_usd: float  # AWS on-demand, us-east-1
    min_nodes: int  # warm capacity kept even when idle
    target_utilization: float  # autoscaler keeps busy/provisioned at most this
    commitment_discount: float  # share of EffectiveCost saved by a Savings Plan (0: none)
    queue_factor: float  # scarce capacity queues longer


POOLS = {
    "pool-standard": Pool("pool-standard", "m7i.2xlarge", 8, 32, 0.4032, 2, 0.65, 0.12, 1.0),
    "pool-large": Pool("pool-large", "m7i.8xlarge", 32, 128, 1.6128, 1, 0.60, 0.0, 1.5),
    "pool-gpu": Pool("pool-gpu", "g5.2xlarge", 8, 32, 1.212, 0, 0.55, 0.0, 5.0),
}
CPU_UTILIZATION = (0.25, 0.85)  # share of the instance's vCPUs a run keeps busy
MEMORY_UTILIZATION = (0.30, 0.80)

# --- telemetry ----------------------------------------------------------------------------------

# Chat models a customer prefers, by weight; filtered to the models present in the price seed.
PRIMARY_MODEL_WEIGHTS = {
    "claude-sonnet-4-5": 0.58,
    "gpt-5": 0.20,
    "gemini-2.5-pro": 0.12,
    "claude-opus-4-1": 0.03,
    "claude-haiku-4-5": 0.03,
    "gpt-5-mini": 0.02,
    "gemini-2.5-flash": 0.02,
}
# Providers answer with a dated snapshot of the requested model (the price seed names the base).
RESPONSE_MODELS = {
    "claude-opus-4-1": "claude-opus-4-1-20250805",
    "claude-sonnet-4-5": "claude-sonnet-4-5-20250929",
    "claude-haiku-4-5": "claude-haiku-4-5-20251001",
    "gpt-5": "gpt-5-2025-08-07",
    "gpt-5-mini": "gpt-5-mini-2025-08-07",
}
FAST_MODEL_BY_PROVIDER = {
    "anthropic": "claude-haiku-4-5",
    "openai": "gpt-5-mini",
    "gcp.gemini": "gemini-2.5-flash",
}
RUN_PRIMARY_MODEL_SHARE = 0.8  # runs on the customer's preferred model (others: any model)
INTERACTIVE_PRIMARY_MODEL_SHARE = 0.7
FAST_CALL_SHARE = 0.25  # chat calls delegated to the provider's small model
FAST_CALL_TOKEN_FACTORS = (0.4, 0.5)  # its input and output, relative to the main model's
EMBEDDING_MODEL = "text-embedding-3-small"
EMBEDDING_RUN_SHARE = 0.25
EMBEDDING_TOKENS_MEDIAN = 8_000
REASONING_MODELS = frozenset({"gpt-5", "gpt-5-mini", "gemini-2.5-pro", "claude-opus-4-1"})
# Share of input served from the provider cache, by provider (later calls of a session).
CACHE_READ_SHARE = {"anthropic": (0.45, 0.85), "openai": (0.30, 0.70), "gcp.gemini": (0.20, 0.60)}
FIRST_CALL_CACHE_READ_SHARE = (0.0, 0.15)  # a session's first call finds the cache cold...
FIRST_CALL_CACHE_WRITE_SHARE = (0.20, 0.45)  # ...and writes its context into it
LATER_CALL_CACHE_WRITE_SHARE = (0.02, 0.10)
CACHE_WRITE_PROVIDERS = frozenset({"anthropic"})  # only they bill cache writes
REASONING_CALL_SHARE = 0.6  # calls of a reasoning model that think
REASONING_OUTPUT_SHARE = (0.2, 0.6)  # share of the output tokens spent reasoning
MAX_INPUT_TOKENS = 400_000
MAX_OUTPUT_TOKENS = 32_000
OUTPUT_TOKENS_PER_SECOND = 70.0
LLM_ERROR_RATE = 0.025
LLM_ERROR_TYPES = (("rate_limit_exceeded", 0.5), ("overloaded_error", 0.3), ("timeout", 0.2))
SERVER_ADDRESS = {
    "anthropic": "api.anthropic.com",
    "openai": "api.openai.com",
    "gcp.gemini": "aiplatform.googleapis.com",
}
DEPRECATED_SEMCONV_SHARE = 0.10  # sessions instrumented with the old gen_ai.system names
# Tools the agent calls, with their risk level and median duration (seconds).
TOOLS = (
    ("read_file", "low", 0.2, 0.22),
    ("grep", "low", 0.4, 0.14),
    ("list_directory", "low", 0.1, 0.08),
    ("edit_file", "medium", 0.3, 0.18),
    ("create_file", "medium", 0.2, 0.06),
    ("apply_patch", "medium", 0.5, 0.08),
    ("run_tests", "medium", 25.0, 0.10),
    ("web_fetch", "medium", 1.5, 0.03),
    ("execute_command", "high", 4.0, 0.07),
    ("git_push", "high", 2.0, 0.03),
    ("delete_file", "high", 0.1, 0.01),
)  # fmt: skip  (name, risk level, median seconds, weight)
TOOL_ERROR_RATE = 0.03
MCP_SERVERS = ("github", "linear", "sentry", "notion", "postgres")
SKILLS = ("code-review", "test-writer", "migration-helper", "docs-writer")
HOOKS = ("pre-commit", "post-edit", "session-start")
SLASH_COMMANDS = ("/review", "/compact", "/model", "/cost", "/help")
INTERACTIVE_MEDIAN_MINUTES = 25.0
INTERACTIVE_LLM_CALLS = 4.5
INTERACTIVE_TOOL_CALLS = 3.0
INTERACTIVE_TOKENS = (70_000, 4_000)  # median input and output tokens per chat call
INTERACTIVE_LINES = 50  # median lines modified per interactive session
INTERACTIVE_EMBEDDING_SHARE = 0.15
INTERNAL_SESSION_SECONDS = 600.0  # unattributed internal sessions (evals, support bot)
INTERNAL_LLM_CALLS = 3.0
INTERNAL_TOOL_CALLS = 1.0
# Share of sessions using MCP servers, skills, hooks, slash commands (interactive), or logging in
# (interactive), and of successful runs with a review job that open a pull request.
SESSION_FEATURE_SHARES = {
    "mcp": 0.3,
    "skill": 0.2,
    "hook": 0.3,
    "slash_command": 0.5,
    "login": 0.15,
    "pull_request": 0.7,
}
SPANS_PER_LINE = 300  # the collector batches a few hundred spans per request
POINTS_PER_LINE = 400
METRIC_EXPORT_INTERVAL_SECONDS = 1800
CUMULATIVE_SESSION_SHARE = 0.45
CUMULATIVE_RESET_SHARE = 0.15  # cumulative sessions whose process restarts once (new start time)
TEMPORALITY_AS_NAME_SHARE = 0.2  # exporters writing the enum name instead of its number
DUPLICATE_EXPORT_SHARE = 0.03  # metric exports / span batches sent twice
AGENT_VERSION = "0.22.3"
LEGACY_AGENT_VERSION = "0.14.1"
SCHEMA_URL = "https://opentelemetry.io/schemas/1.37.0"
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304)
DURATION_BUCKETS_S = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48,
                      40.96, 81.92)  # fmt: skip
TOOL_TIME_BUCKETS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000)

# --- billing ------------------------------------------------------------------------------------

FOCUS_COLUMNS = (
    "AvailabilityZone",
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "CommitmentDiscountCategory",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountStatus",
    "CommitmentDiscountType",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "InvoiceIssuerName",
    "ListCost",
    "ListUnitPrice",
    "PricingCategory",
    "PricingQuantity",
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
    "SkuId",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "Tags",
)  # fmt: skip  (FOCUS 1.0)
AWS_EXTRA_COLUMNS = ("x_UsageType",)  # a provider-specific column, kept as extra by ingestion
AWS_ACCOUNT = {"BillingAccountId": "111122223333", "BillingAccountName": "factory-payer"}
AWS_SUB_ACCOUNT = {"SubAccountId": "444455556666", "SubAccountName": "factory-prod"}
AWS_REGION = {"RegionId": "us-east-1", "RegionName": "US East (N. Virginia)"}
SAVINGS_PLAN_ARN = "arn:aws:savingsplans::111122223333:savingsplan/sp-0factory0compute"
RESERVATION_ARN = "arn:aws:rds:us-east-1:111122223333:ri:factory-control-plane-db"
RDS_RESERVATION_DISCOUNT = 0.30


@dataclass(frozen=True)
class FixedService:
    """An always-on AWS resource billed by the hour (one row per day)."""

    key: str
    component: str | None  # factory:component tag (None: dedicated or untagged)
    service: str
    category: str
    resource_type: str
    sku_unit: str
    quantity_per_day: float
    unit_price: float
    commitment_discount: float = 0.0
    extra_tags: dict = field(default_factory=dict)


CONTROL_PLANE = (
    FixedService("eks-cluster", "control-plane", "Amazon Elastic Kubernetes Service", "Compute",
                 "Cluster", "Hours", 24, 0.10),
    FixedService("control-plane-nodes", "control-plane", "Amazon Elastic Compute Cloud",
                 "Compute", "Instance", "Hours", 72, 0.1008),  # 3 x m7i.large
    FixedService("factory-db", "control-plane", "Amazon Relational Database Service",
                 "Databases", "DB Instance", "Hours", 24, 0.96, RDS_RESERVATION_DISCOUNT),
    FixedService("run-queue", "control-plane", "Amazon MQ", "Integration", "Broker", "Hours",
                 24, 0.288),
    FixedService("session-cache", "control-plane", "Amazon ElastiCache", "Databases",
                 "Cache Node", "Hours", 48, 0.219),
)  # fmt: skip
# A database dedicated to the first enterprise customer: tagged factory:customer only.
DEDICATED_SERVICE = FixedService("dedicated-db", None, "Amazon Relational Database Service",
                                 "Databases", "DB Instance", "Hours", 24, 0.672)  # fmt: skip
STORAGE_BASE_GB = 2_500.0
STORAGE_GB_PER_RUN = 0.03  # artifacts and logs kept per attempt
STORAGE_USD_PER_GB_MONTH = 0.023
STORAGE_REQUESTS_PER_RUN = 400
STORAGE_USD_PER_1K_REQUESTS = 0.005
NETWORK_BASE_GB_PER_DAY = 40.0
NETWORK_GB_PER_RUN = 0.25  # clones, dependency downloads, pushes
NETWORK_USD_PER_GB = 0.09
NAT_USD_PER_GB = 0.045
# Untagged services: share of the day's tagged cost each adds (about 3 % together).
UNTAGGED_SERVICES = (
    ("Amazon CloudWatch", "Management and Governance", 0.017, None),
    ("AWS Config", "Management and Governance", 0.006, None),
    ("AWS Key Management Service", "Security", 0.003, {}),
    ("Amazon Elastic Compute Cloud", "Compute", 0.004, {"owner": "ops", "Name": "bastion"}),
)
# LLM provider invoices: how each provider (as named in the price seed) bills.
AI_PROVIDERS = {
    "anthropic": {
        "ProviderName": "Anthropic",
        "PublisherName": "Anthropic",
        "InvoiceIssuerName": "Anthropic, PBC",
        "ServiceName": "Claude API",
        "BillingAccountId": "org-factory-anthropic",
        "BillingAccountName": "AI Software Factory",
        "file_stem": "anthropic-invoice",
        "format": "parquet",
    },
    "openai": {
        "ProviderName": "OpenAI",
        "PublisherName": "OpenAI",
        "InvoiceIssuerName": "OpenAI, L.L.C.",
        "ServiceName": "OpenAI API",
        "BillingAccountId": "org-factory-openai",
        "BillingAccountName": "AI Software Factory",
        "file_stem": "openai-invoice",
        "format": "csv",
    },
    "gcp.gemini": {
        "ProviderName": "Google Cloud",
        "PublisherName": "Google",
        "InvoiceIssuerName": "Google LLC",
        "ServiceName": "Vertex AI",
        "BillingAccountId": "01ABCD-23EF45-6789AB",
        "BillingAccountName": "AI Software Factory",
        "file_stem": "google-vertex-ai-invoice",
        "format": "csv",
    },
}
AI_INVOICE_VARIANCE = 0.025  # the provider counts tokens within ±2.5 % of our telemetry

# --- anomalies ----------------------------------------------------------------------------------

ANOMALY_HISTORY_DAYS = 14  # no anomaly in the first days: detectors need history
ANOMALY_EVERY_DAYS = 30  # beyond the first four, one more per this many days
COST_SPIKE_MAGNITUDE = 3.0
TOKEN_SURGE_MAGNITUDE = 4.0
DURATION_REGRESSION_MAGNITUDE = 2.0
SUCCESS_DROP_MAGNITUDE = 4.0  # failure rate multiplied by this

GZIP_LEVEL = 1  # fast enough for tens of millions of rows, still ~9x smaller
