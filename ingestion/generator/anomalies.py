"""Labelled anomalies: planned deterministically, applied by the generators, written as truth."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from ingestion.generator import catalog
from ingestion.generator.util import stream
from ingestion.generator.world import World
from ingestion.generator.writers import write_text_atomic

TRUTH_COLUMNS = (
    "anomaly_id",
    "kind",
    "dimension",
    "dimension_value",
    "start_date",
    "end_date",
    "magnitude",
    "description",
)
KINDS = ("cost_spike", "token_surge", "duration_regression", "success_rate_drop")


@dataclass(frozen=True)
class Anomaly:
    """One injected anomaly, as the truth file lists it."""

    anomaly_id: str
    kind: str
    dimension: str
    dimension_value: str
    start_date: date
    end_date: date
    magnitude: float
    description: str


def plan_anomalies(seed: int, start: date, days: int, world: World) -> list[Anomaly]:
    """Places anomalies after the history period and before the last day, one per time slot.

    The usable range is split into equal slots (four, plus one per 30 days beyond); each slot
    gets one kind, cycling through the four; a kind that does not fit its slot is skipped.
    """
    rng = stream(seed, "anomalies")
    first, last = catalog.ANOMALY_HISTORY_DAYS, days - 2  # day indexes, inclusive
    usable = last - first + 1
    if usable < 1:
        return []
    count = max(4, (days - catalog.ANOMALY_HISTORY_DAYS) // catalog.ANOMALY_EVERY_DAYS)
    count = min(count, usable)
    kinds = list(KINDS)
    rng.shuffle(kinds)
    # Mid-size customers make surges visible without dominating the totals.
    by_size = sorted(world.customers, key=lambda c: -c.size)
    candidates = [c.customer_id for c in by_size[1 : max(2, len(by_size) // 2 + 1)]] or [
        by_size[0].customer_id
    ]
    frequent_templates = ["fix-failing-test", "dependency-upgrade", "add-feature", "refactor"]
    used: set[str] = set()  # prefer a different target for every anomaly
    anomalies = []
    for slot in range(count):
        lo = first + slot * usable // count
        hi = first + (slot + 1) * usable // count - 1  # inclusive
        kind = kinds[slot % len(kinds)]
        if kind in ("cost_spike", "token_surge"):
            length = 1
            start_index = rng.randint(lo, hi)
        else:
            # Several days, followed by at least one quiet day inside the slot.
            longest = hi - lo
            wanted = rng.randint(3, 5) if kind == "duration_regression" else rng.randint(2, 3)
            length = min(wanted, longest)
            if length < 2:
                continue  # does not fit: skipped
            start_index = rng.randint(lo, hi - length)
        start_day = start + timedelta(days=start_index)
        end_day = start_day + timedelta(days=length - 1)
        n = len(anomalies) + 1
        anomalies.append(
            _make(rng, n, kind, start_day, end_day, candidates, frequent_templates, used)
        )
    return anomalies


def _pick(rng, options: list[str], used: set[str]) -> str:
    fresh = [o for o in options if o not in used] or list(options)
    choice = rng.choice(fresh)
    used.add(choice)
    return choice


def _make(rng, n, kind, start_day, end_day, customers, templates, used) -> Anomaly:
    anomaly_id = f"anm_{n:03d}"
    if kind == "cost_spike":
        target = _pick(rng, ["pool-standard", "pool-large", "network"], used)
        if target == "network":
            dimension, what = "component", "data transfer (runaway artifact downloads)"
        else:
            dimension, what = "worker_pool", f"{target} capacity (autoscaler stuck at maximum)"
        return Anomaly(
            anomaly_id,
            kind,
            dimension,
            target,
            start_day,
            end_day,
            catalog.COST_SPIKE_MAGNITUDE,
            f"{what} billed {catalog.COST_SPIKE_MAGNITUDE:g}x for the day",
        )
    if kind == "token_surge":
        customer = _pick(rng, customers, used)
        return Anomaly(
            anomaly_id,
            kind,
            "customer",
            customer,
            start_day,
            end_day,
            catalog.TOKEN_SURGE_MAGNITUDE,
            f"every LLM call of {customer} uses {catalog.TOKEN_SURGE_MAGNITUDE:g}x the "
            "tokens (agent stuck re-reading its whole context)",
        )
    if kind == "duration_regression":
        template = _pick(rng, templates, used)
        return Anomaly(
            anomaly_id,
            kind,
            "template",
            template,
            start_day,
            end_day,
            catalog.DURATION_REGRESSION_MAGNITUDE,
            f"runs of template {template} take {catalog.DURATION_REGRESSION_MAGNITUDE:g}x "
            "as long (slow dependency mirror)",
        )
    if rng.random() < 0.5:
        dimension, value = "customer", _pick(rng, customers, used)
    else:
        dimension, value = "template", _pick(rng, templates, used)
    return Anomaly(
        anomaly_id,
        kind,
        dimension,
        value,
        start_day,
        end_day,
        catalog.SUCCESS_DROP_MAGNITUDE,
        f"failure rate of {dimension} {value} multiplied by "
        f"{catalog.SUCCESS_DROP_MAGNITUDE:g} (broken CI image)",
    )


class Effects:
    """Fast lookups of the multipliers the anomalies apply, by dimension value and day ordinal."""

    def __init__(self, anomalies: list[Anomaly]):
        self._factors: dict[tuple[str, str, int], float] = {}
        for a in anomalies:
            day = a.start_date.toordinal()
            while day <= a.end_date.toordinal():
                key = (a.kind, a.dimension_value, day)
                self._factors[key] = self._factors.get(key, 1.0) * a.magnitude
                day += 1

    def factor(self, kind: str, value: str, day_ordinal: int) -> float:
        """The multiplier of `kind` on `value` (customer, template, pool, component) that day."""
        return self._factors.get((kind, value, day_ordinal), 1.0)

    def failure_factor(self, customer_id: str, template: str, day_ordinal: int) -> float:
        """Failure-rate multiplier from customer- or template-level success-rate drops."""
        return self.factor("success_rate_drop", customer_id, day_ordinal) * self.factor(
            "success_rate_drop", template, day_ordinal
        )


def write_truth(anomalies: list[Anomaly], path: Path) -> None:
    """`truth/anomalies.csv` with a header (also when there is no anomaly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TRUTH_COLUMNS)
    for a in anomalies:
        writer.writerow(
            [
                a.anomaly_id,
                a.kind,
                a.dimension,
                a.dimension_value,
                a.start_date.isoformat(),
                a.end_date.isoformat(),
                f"{a.magnitude:g}",
                a.description,
            ]
        )
    write_text_atomic(path, buffer.getvalue())
