"""The simulated world: customers, their projects and users, and the reference exports."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import orjson

from ingestion.generator import catalog
from ingestion.generator.prices import PriceBook
from ingestion.generator.util import (
    US_PER_DAY,
    US_PER_SECOND,
    Weighted,
    csv_timestamp,
    day_start_us,
    hex_id,
    rfc3339,
    stream,
)
from ingestion.generator.writers import write_text_atomic
from ingestion.settings import DBT_PROJECT_DIR

BUDGETS_CSV = DBT_PROJECT_DIR / "seeds" / "monthly_budgets.csv"


@dataclass(frozen=True)
class Project:
    """A customer repository the factory runs agents on."""

    project_id: str
    customer_id: str
    name: str
    team: str
    repository: str
    run_type: str
    created_us: int
    weight: float  # share of the customer's runs


@dataclass(frozen=True)
class Customer:
    """A customer organization, with the traits that shape its activity."""

    customer_id: str
    name: str
    organization_id: str
    plan: str
    created_us: int
    size: float  # activity relative to a customer of size 1
    utc_offset_hours: int
    hour_picker: Weighted  # UTC hour of day of manual/webhook/API runs
    failure_bias: float
    primary_model: str
    users: tuple[str, ...]
    projects: tuple[Project, ...]
    project_picker: Weighted


@dataclass(frozen=True)
class World:
    """Everything fixed for the whole generation."""

    customers: tuple[Customer, ...]
    dedicated_customer: str  # the enterprise customer with a dedicated database
    chat_models: Weighted
    fast_models: dict[str, str]  # provider -> small model (only models in the seed)
    embedding_model: str | None


def read_budgets(path: Path = BUDGETS_CSV) -> dict[str, float]:
    """Average monthly budget (USD) per customer, from the analysts' seed."""
    if not path.exists():
        return {}
    totals: dict[str, list[float]] = {}
    with path.open(newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            totals.setdefault(row["customer_id"], []).append(float(row["budget_usd"]))
    return {c: sum(v) / len(v) for c, v in totals.items()}


def build_world(seed: int, customers: int, start: date, days: int, prices: PriceBook) -> World:
    """Draws customers, projects and users; sizes follow the budgets seed where it has them."""
    rng = stream(seed, "world")
    budgets = read_budgets()
    start_us = day_start_us(start)
    chat = {
        m: w
        for m, w in catalog.PRIMARY_MODEL_WEIGHTS.items()
        if m in prices.models and not prices.is_embedding(m)
    }
    if not chat:
        raise ValueError("no chat model of the catalogue is in model_prices.csv")
    chat_models = Weighted(sorted(chat.items()))
    fast = {
        p: m
        for p, m in catalog.FAST_MODEL_BY_PROVIDER.items()
        if m in chat and prices.provider(m) == p
    }
    embedding = catalog.EMBEDDING_MODEL if catalog.EMBEDDING_MODEL in prices.models else None
    regions = Weighted(catalog.REGION_UTC_OFFSETS)

    sizes = []
    for index in range(customers):
        customer_id = f"cus_{index + 1:04d}"
        if customer_id in budgets:
            # Spend tracks the budget, some customers over it, most under.
            size = budgets[customer_id] / catalog.REFERENCE_BUDGET_USD * rng.uniform(0.75, 1.3)
        else:
            size = min(6.0, max(0.1, math.exp(rng.gauss(-0.2, 0.8))))
        sizes.append(size)
    ranked = sorted(range(customers), key=lambda i: -sizes[i])
    plans = {}
    for rank, index in enumerate(ranked):
        # The biggest customers are on the biggest plans.
        plans[index] = next(p for share, p in catalog.PLAN_BY_SIZE_RANK if rank / customers < share)
    plans[ranked[0]] = "enterprise"  # at least one, with a dedicated database

    used_names: set[str] = set()
    result = []
    for index in range(customers):
        customer_id = f"cus_{index + 1:04d}"
        name = _company_name(rng, used_names)
        slug = name.lower().replace(" ", "-")
        late = customer_id not in budgets and days >= 30
        if late and rng.random() < catalog.ONBOARDED_IN_WINDOW_SHARE:
            # A customer onboarded during the window: no activity before its creation.
            created_us = start_us + int(rng.uniform(0, days * 0.66)) * US_PER_DAY
        else:
            created_us = start_us - int(rng.uniform(60, 900) * US_PER_DAY)
        created_us += rng.randrange(8 * 3600, 18 * 3600) * US_PER_SECOND
        offset = regions.pick(rng)
        hour_weights = [(h, catalog.LOCAL_HOUR_WEIGHTS[(h + offset) % 24]) for h in range(24)]
        primary = chat_models.pick(rng)
        projects = _projects(rng, customer_id, slug, created_us, start_us)
        n_users = max(2, round(sizes[index] * catalog.USERS_PER_SIZE_UNIT * rng.uniform(0.6, 1.4)))
        result.append(
            Customer(
                customer_id=customer_id,
                name=name,
                organization_id=f"org_{hex_id(rng, 64)}",
                plan=plans[index],
                created_us=created_us,
                size=sizes[index],
                utc_offset_hours=offset,
                hour_picker=Weighted(hour_weights),
                failure_bias=math.exp(rng.gauss(0.0, 0.3)),
                primary_model=primary,
                users=tuple(f"usr_{hex_id(rng, 40)}" for _ in range(n_users)),
                projects=projects,
                project_picker=Weighted([(p, p.weight) for p in projects]),
            )
        )
    return World(
        customers=tuple(result),
        dedicated_customer=f"cus_{ranked[0] + 1:04d}",
        chat_models=chat_models,
        fast_models=fast,
        embedding_model=embedding,
    )


def _company_name(rng, used: set[str]) -> str:
    base = f"{rng.choice(catalog.COMPANY_WORDS)} {rng.choice(catalog.COMPANY_SUFFIXES)}"
    name, n = base, 1
    while name in used:
        n += 1
        name = f"{base} {n}"
    used.add(name)
    return name


def _projects(rng, customer_id: str, slug: str, created_us: int, start_us: int) -> tuple:
    count = rng.randint(*catalog.PROJECTS_PER_CUSTOMER)
    kinds = rng.sample(catalog.PROJECT_KINDS, count)
    projects = []
    for name, run_type in kinds:
        # Projects exist before the window, or a week after a customer onboarded in it.
        latest = max(created_us + 1, min(start_us, created_us + 7 * US_PER_DAY))
        project_created = rng.randrange(created_us, latest)
        projects.append(
            Project(
                project_id=f"prj_{hex_id(rng, 48)}",
                customer_id=customer_id,
                name=name,
                team=rng.choice(catalog.TEAMS_BY_RUN_TYPE[run_type]),
                repository=f"{slug}/{name}",
                run_type=run_type,
                created_us=project_created,
                weight=math.exp(rng.gauss(0.0, 0.7)),
            )
        )
    return tuple(projects)


def write_reference(world: World, inbox: Path) -> tuple[list[Path], dict[str, int]]:
    """Writes `customers/customers.csv` and `projects/projects.jsonl`."""
    customers_path = inbox / "customers" / "customers.csv"
    lines = ["customer_id,name,organization_id,plan,created_at"]
    for c in world.customers:
        lines.append(
            f"{c.customer_id},{c.name},{c.organization_id},{c.plan},{csv_timestamp(c.created_us)}"
        )
    write_text_atomic(customers_path, "\n".join(lines) + "\n")

    projects_path = inbox / "projects" / "projects.jsonl"
    rows = [
        orjson.dumps(
            {
                "project_id": p.project_id,
                "customer_id": p.customer_id,
                "name": p.name,
                "team": p.team,
                "repository": p.repository,
                "created_at": rfc3339(p.created_us),
            }
        ).decode()
        for c in world.customers
        for p in c.projects
    ]
    write_text_atomic(projects_path, "\n".join(rows) + "\n")
    return [customers_path, projects_path], {
        "customers": len(world.customers),
        "projects": len(rows),
    }
