"""Runs: run attempts drawn per customer and day, and their export snapshots.

Each attempt is drawn whole when its run is created (queue time, duration, outcome, jobs, steps,
automatic retries). Its snapshots are then routed to the daily export files: a snapshot at each
export cutoff (midnight) it is in flight at (status `queued` or `running`), the final one in the
file of the day it was taken, and now and then that final one again, verbatim, in the next file.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

import orjson

from ingestion.generator import catalog
from ingestion.generator.anomalies import Effects
from ingestion.generator.catalog import Pool, Template
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
    rfc3339,
    us_to_ordinal,
)
from ingestion.generator.world import Customer, Project, World

_TRIGGERS = Weighted(catalog.TRIGGER_WEIGHTS)
_OFFSETS = Weighted(catalog.EXPORT_OFFSETS)
_TEMPLATES_BY_RUN_TYPE = {
    rt: Weighted([(t, t.weight) for t in catalog.TEMPLATES if rt in t.run_types])
    for rt in catalog.RUN_TYPES
}
_SCHEDULED_BY_RUN_TYPE = {
    rt: Weighted(
        [
            (t, t.weight)
            for t in catalog.TEMPLATES
            if rt in t.run_types and t.name in catalog.SCHEDULED_TEMPLATES
        ]
    )
    for rt in catalog.RUN_TYPES
    if any(rt in t.run_types and t.name in catalog.SCHEDULED_TEMPLATES for t in catalog.TEMPLATES)
}
_POOL_PICKERS = {t.name: Weighted(t.pools) for t in (*catalog.TEMPLATES, catalog.AD_HOC_TEMPLATE)}


@dataclass(slots=True)
class Stage:
    """A job or step: planned start and end, final status and the end it really had."""

    id: str
    name: str
    start: int
    end: int  # planned end (microseconds)
    status: str  # final status
    final_start: int | None
    final_end: int | None
    steps: list  # of Stage (empty for steps)


@dataclass(slots=True)
class Attempt:
    """One attempt of a run, drawn whole."""

    run_id: str
    attempt: int
    customer: Customer
    project: Project
    template: Template
    template_name: str | None  # None for ad-hoc runs
    trigger: str
    status: str
    queued_us: int
    started_us: int
    finished_us: int
    pool: Pool
    cpu_util: float
    mem_util: float
    error_code: str | None
    jobs: list


def growth_factor(day_index: int, days: int) -> float:
    """Volume growth, centred on the middle of the window (average close to 1)."""
    return (1.0 + catalog.ANNUAL_GROWTH) ** ((day_index - days / 2) / 365.0)


def plan_day(
    rng: random.Random,
    world: World,
    day: date,
    day_index: int,
    days: int,
    effects: Effects,
    scale: float,
) -> list[Attempt]:
    """Every attempt of every run created on `day` (retries included, even on later days)."""
    start = day_start_us(day)
    base = (
        catalog.RUNS_PER_SIZE_UNIT_PER_DAY
        * catalog.WEEKDAY_FACTORS[day.weekday()]
        * growth_factor(day_index, days)
        * scale
    )
    attempts: list[Attempt] = []
    for customer in world.customers:
        if customer.created_us >= start + US_PER_DAY:
            continue
        for _ in range(poisson(rng, base * customer.size)):
            attempts.extend(_run(rng, customer, start, effects))
    return attempts


def _run(rng: random.Random, customer: Customer, day_start: int, effects: Effects) -> list[Attempt]:
    project = customer.project_picker.pick(rng)
    trigger = _TRIGGERS.pick(rng)
    if trigger == "schedule" and project.run_type in _SCHEDULED_BY_RUN_TYPE:
        template = _SCHEDULED_BY_RUN_TYPE[project.run_type].pick(rng)
        hour = (catalog.SCHEDULE_LOCAL_HOUR - customer.utc_offset_hours) % 24
        queued = day_start + hour * US_PER_HOUR + between(rng, 0, 600 * US_PER_SECOND)
    else:
        if trigger == "schedule":
            trigger = "manual"
        if rng.random() < catalog.NO_TEMPLATE_SHARE:
            template = catalog.AD_HOC_TEMPLATE
        else:
            template = _TEMPLATES_BY_RUN_TYPE[project.run_type].pick(rng)
        queued = day_start + customer.hour_picker.pick(rng) * US_PER_HOUR
        queued += between(rng, 0, US_PER_HOUR)
    if queued < max(project.created_us, customer.created_us):
        return []  # the project did not exist yet
    run_id = f"run_{hex_id(rng, 64)}"
    pool = catalog.POOLS[_POOL_PICKERS[template.name].pick(rng)]
    attempts = []
    number = 1
    while True:
        attempt = _attempt(
            rng, effects, run_id, number, customer, project, template, trigger, queued, pool
        )
        attempts.append(attempt)
        retry = attempt.status == "timed_out" or (
            attempt.status == "failed" and attempt.error_code in catalog.RETRYABLE_ERRORS
        )
        if not retry or number >= catalog.MAX_ATTEMPTS:
            return attempts
        number += 1
        trigger = "retry"
        backoff = catalog.RETRY_BACKOFF_SECONDS * 2**number * rng.uniform(0.8, 1.5)
        queued = attempt.finished_us + int(backoff * US_PER_SECOND)


def _attempt(
    rng: random.Random,
    effects: Effects,
    run_id: str,
    number: int,
    customer: Customer,
    project: Project,
    template: Template,
    trigger: str,
    queued: int,
    pool: Pool,
) -> Attempt:
    day = us_to_ordinal(queued)
    local_hour = ((queued // US_PER_HOUR) + customer.utc_offset_hours) % 24
    queue_median = catalog.QUEUE_MEDIAN_SECONDS * pool.queue_factor
    if local_hour in catalog.BUSY_LOCAL_HOURS:
        queue_median *= 2.0
    queue_s = min(7200.0, lognormal(rng, queue_median, catalog.QUEUE_SIGMA))
    started = queued + int(queue_s * US_PER_SECOND)
    slow = effects.factor("duration_regression", template.name, day)
    planned_s = max(20.0, lognormal(rng, template.median_minutes * 60, template.sigma) * slow)
    planned = int(planned_s * US_PER_SECOND)
    jobs = _plan_jobs(rng, template.jobs, started, planned)

    timeout = template.timeout_minutes * 60 * US_PER_SECOND
    p_fail = template.failure_rate * customer.failure_bias
    p_fail *= effects.failure_factor(customer.customer_id, template.name, day)
    if number > 1:
        p_fail *= catalog.RETRY_FAILURE_FACTOR
    p_fail = min(0.9, p_fail)
    draw = rng.random()
    error_code = None
    if planned > timeout:
        status, cut, error_code = "timed_out", started + timeout, catalog.TIMEOUT_ERROR
    elif draw < catalog.CANCEL_RATE:
        status, error_code = "cancelled", catalog.CANCEL_ERROR
        cut = started + int(planned * rng.uniform(0.1, 0.9))
    elif draw < catalog.CANCEL_RATE + p_fail:
        status = "failed"
        names = [j.name for j in jobs]
        weights = [catalog.FAILURE_JOB_WEIGHTS[n] for n in names]
        job = jobs[rng.choices(range(len(jobs)), weights)[0]]
        error_code = rng.choice(catalog.ERROR_CODES_BY_JOB[job.name])
        cut = job.start + max(US_PER_SECOND, int((job.end - job.start) * rng.uniform(0.2, 0.95)))
    else:
        status, cut = "succeeded", started + planned
    _settle(jobs, cut, status)
    return Attempt(
        run_id=run_id,
        attempt=number,
        customer=customer,
        project=project,
        template=template,
        template_name=None if template is catalog.AD_HOC_TEMPLATE else template.name,
        trigger=trigger,
        status=status,
        queued_us=queued,
        started_us=started,
        finished_us=cut,
        pool=pool,
        cpu_util=rng.uniform(*catalog.CPU_UTILIZATION),
        mem_util=rng.uniform(*catalog.MEMORY_UTILIZATION),
        error_code=error_code,
        jobs=jobs,
    )


def _split(rng: random.Random, start: int, length: int, weights: list[float]) -> list[int]:
    """Boundaries splitting [start, start+length) in proportion to noisy weights."""
    noisy = [w * rng.uniform(0.6, 1.4) for w in weights]
    total = sum(noisy)
    bounds, acc = [start], 0.0
    for w in noisy:
        acc += w
        bounds.append(start + int(length * acc / total))
    bounds[-1] = start + length
    return bounds


def _plan_jobs(rng: random.Random, names: tuple[str, ...], started: int, planned: int) -> list:
    bounds = _split(rng, started, planned, [catalog.JOB_DURATION_WEIGHTS[n] for n in names])
    jobs = []
    for i, name in enumerate(names):
        step_names = catalog.JOB_STEPS[name]
        sb = _split(rng, bounds[i], bounds[i + 1] - bounds[i], [1.0] * len(step_names))
        steps = [
            Stage(f"stp_{hex_id(rng, 64)}", s, sb[k], sb[k + 1], "", None, None, [])
            for k, s in enumerate(step_names)
        ]
        jobs.append(
            Stage(f"job_{hex_id(rng, 64)}", name, bounds[i], bounds[i + 1], "", None, None, steps)
        )
    return jobs


def _settle(jobs: list, cut: int, status: str) -> None:
    """Final statuses once the attempt ends at `cut` with `status`."""
    terminal = "succeeded" if status == "succeeded" else status
    for item in jobs:
        for span in (*item.steps, item):
            if span.end <= cut and not (span.end == cut and status != "succeeded"):
                span.status, span.final_start, span.final_end = "succeeded", span.start, span.end
            elif span.start < cut:
                span.status, span.final_start, span.final_end = terminal, span.start, cut
            else:
                span.status, span.final_start, span.final_end = "skipped", None, None


def _stage_at(span: Stage, t: int, fmt) -> tuple[str, str | None, str | None]:
    """Status and times of a job or step as seen at instant t (before the attempt ended)."""
    if span.end <= t:
        return "succeeded", fmt(span.start), fmt(span.end)
    if span.start <= t:
        return "running", fmt(span.start), None
    return "queued", None, None


def snapshot(a: Attempt, t: int, offset: int) -> dict:
    """The attempt as an exporter sees it at instant `t`, timestamps in the given offset."""

    formatted: dict[int, str] = {}  # job and step boundaries repeat: format each once

    def fmt(us: int | None) -> str | None:
        if us is None:
            return None
        text = formatted.get(us)
        if text is None:
            text = formatted[us] = rfc3339(us, offset)
        return text

    final = t >= a.finished_us
    started = a.started_us <= t
    if final:
        status, finished = a.status, fmt(a.finished_us)
        elapsed = a.finished_us - a.started_us
        jobs = [
            {
                "job_id": j.id,
                "name": j.name,
                "status": j.status,
                "started_at": fmt(j.final_start),
                "finished_at": fmt(j.final_end),
                "steps": [
                    {
                        "step_id": s.id,
                        "name": s.name,
                        "status": s.status,
                        "started_at": fmt(s.final_start),
                        "finished_at": fmt(s.final_end),
                    }
                    for s in j.steps
                ],
            }
            for j in a.jobs
        ]
    else:
        status, finished = ("running" if started else "queued"), None
        elapsed = t - a.started_us
        jobs = []
        if started:
            for j in a.jobs:
                j_status, j_start, j_end = _stage_at(j, t, fmt)
                steps = []
                for s in j.steps:
                    s_status, s_start, s_end = _stage_at(s, t, fmt)
                    steps.append(
                        {
                            "step_id": s.id,
                            "name": s.name,
                            "status": s_status,
                            "started_at": s_start,
                            "finished_at": s_end,
                        }
                    )
                jobs.append(
                    {
                        "job_id": j.id,
                        "name": j.name,
                        "status": j_status,
                        "started_at": j_start,
                        "finished_at": j_end,
                        "steps": steps,
                    }
                )
    seconds = elapsed / US_PER_SECOND
    return {
        "run_id": a.run_id,
        "attempt": a.attempt,
        "customer_id": a.customer.customer_id,
        "project_id": a.project.project_id,
        "run_type": a.project.run_type,
        "template": a.template_name,
        "trigger": a.trigger,
        "status": status,
        "queued_at": fmt(a.queued_us),
        "started_at": fmt(a.started_us) if started else None,
        "finished_at": finished,
        "updated_at": fmt(t),
        "worker_pool": a.pool.name if started else None,
        "instance_type": a.pool.instance_type if started else None,
        "cpu_seconds": round(seconds * a.pool.vcpus * a.cpu_util, 3) if started else None,
        "memory_gib_seconds": (
            round(seconds * a.pool.memory_gib * a.mem_util, 3) if started else None
        ),
        "error_code": a.error_code if final else None,
        "jobs": jobs,
    }


def export_events(rng: random.Random, a: Attempt) -> list[tuple[int, int, bytes, str]]:
    """(export day ordinal, updated_at, JSON line, kind) of every snapshot of the attempt.

    kind: `in_flight` (queued or running at a cutoff), `final`, or `repeated` (verbatim copy).
    """
    events = []
    # In flight at a daily cutoff (one second before midnight): seen queued or running.
    cutoff = (a.queued_us // US_PER_DAY + 1) * US_PER_DAY - US_PER_SECOND
    while cutoff < a.finished_us:
        if cutoff >= a.queued_us:
            line = orjson.dumps(snapshot(a, cutoff, _OFFSETS.pick(rng))) + b"\n"
            events.append((us_to_ordinal(cutoff), cutoff, line, "in_flight"))
        cutoff += US_PER_DAY
    updated = a.finished_us + rng.randint(*catalog.SNAPSHOT_LAG_SECONDS) * US_PER_SECOND
    line = orjson.dumps(snapshot(a, updated, _OFFSETS.pick(rng))) + b"\n"
    day = us_to_ordinal(updated)
    events.append((day, updated, line, "final"))
    if rng.random() < catalog.DUPLICATE_SNAPSHOT_SHARE:
        # The next export's overlap window catches it again, byte for byte.
        events.append((day + 1, updated, line, "repeated"))
    return events


def hour_usage(a: Attempt):
    """(epoch hour, instance seconds) pieces of the attempt's running interval."""
    t, end = a.started_us, a.finished_us
    while t < end:
        hour = t // US_PER_HOUR
        piece_end = min(end, (hour + 1) * US_PER_HOUR)
        yield hour, (piece_end - t) / US_PER_SECOND
        t = piece_end
