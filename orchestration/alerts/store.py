"""Operational alerts raised by the pipeline itself (failed runs, failed checks, stale sources).

Each alert has a stable id derived from its condition, so raising the same condition twice
records it once. Alerts are JSON Lines under `$FACTORY_WAREHOUSE_HOME/alerts/raised.jsonl`;
the delivery sensor sends them, with the rows of the alerts mart, to a webhook and an outbox.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

SEVERITIES = ("info", "warning", "critical")


@dataclass(frozen=True)
class Alert:
    """One alert: `alert_id` is stable for its condition; `first_seen_at` is ISO 8601 UTC."""

    alert_id: str
    kind: str  # run_failure, check_failure, stale_source, budget, anomaly, …
    scope: str  # what it is about: a job, an asset, a customer, …
    severity: str
    message: str
    first_seen_at: str

    def to_json(self) -> dict:
        return asdict(self)


def alert_id_for(kind: str, *condition: str) -> str:
    """A stable id: the same kind and condition always give the same id."""
    digest = hashlib.sha256("\x1f".join((kind, *condition)).encode()).hexdigest()[:20]
    return f"{kind}:{digest}"


def new_alert(kind: str, scope: str, severity: str, message: str, *condition: str) -> Alert:
    """An alert first seen now, its id derived from `kind`, `scope` and `condition`."""
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES}, got {severity!r}")
    return Alert(
        alert_id=alert_id_for(kind, scope, *condition),
        kind=kind,
        scope=scope,
        severity=severity,
        message=message,
        first_seen_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock beside `path`, across processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def read_jsonl(path: Path) -> list[dict]:
    """Rows of a JSON Lines file; a torn last line (a crash mid-append) is ignored."""
    if not path.exists():
        return []
    rows = []
    for line in path.read_bytes().splitlines():
        try:
            rows.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            continue
    return rows


def append_jsonl(path: Path, rows: list[dict]) -> None:
    """Appends rows and syncs them to disk."""
    with open(path, "ab") as file:
        for row in rows:
            file.write(orjson.dumps(row) + b"\n")
        file.flush()


def raised_alerts_path(alerts_dir: Path) -> Path:
    return alerts_dir / "raised.jsonl"


def record_alert(alerts_dir: Path, alert: Alert) -> bool:
    """Records `alert` unless one with its id exists; True when it was new."""
    path = raised_alerts_path(alerts_dir)
    with locked(path):
        if any(row["alert_id"] == alert.alert_id for row in read_jsonl(path)):
            return False
        append_jsonl(path, [alert.to_json()])
        return True


def read_alerts(alerts_dir: Path) -> list[Alert]:
    """Every alert raised so far, oldest first."""
    return [Alert(**row) for row in read_jsonl(raised_alerts_path(alerts_dir))]
