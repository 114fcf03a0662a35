"""Alert delivery: every alert once to an outbox file and, when configured, to a webhook.

Deliveries are recorded per alert and channel in `alerts/deliveries.jsonl`; an alert counts as
delivered on a channel once a `delivered` row exists, so a later tick never sends it again. A
webhook that answers 5xx or cannot be reached is retried with exponential backoff; what still
fails stays pending for the next tick. The payload carries the alert id, so a receiver can
deduplicate the one case left (a crash between the webhook's answer and the log write).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.alerts.store import Alert, append_jsonl, locked, read_alerts, read_jsonl

WEBHOOK_URL_ENV = "FACTORY_WAREHOUSE_ALERT_WEBHOOK_URL"
SEVERITY_EMOJI = {
    "info": ":information_source:",
    "warning": ":warning:",
    "critical": ":rotating_light:",
}


@dataclass
class DeliveryReport:
    """What one delivery pass did."""

    delivered: dict[str, list[str]] = field(default_factory=dict)  # channel -> alert ids
    failed: dict[str, list[str]] = field(default_factory=dict)
    attempts: int = 0


def deliveries_path(alerts_dir: Path) -> Path:
    return alerts_dir / "deliveries.jsonl"


def outbox_path(alerts_dir: Path) -> Path:
    return alerts_dir / "outbox.jsonl"


def slack_payload(alert: Alert) -> dict:
    """A Slack-compatible incoming-webhook message for `alert`."""
    headline = f"{SEVERITY_EMOJI.get(alert.severity, '')} *{alert.severity.upper()}* {alert.scope}"
    return {
        "text": f"[{alert.severity}] {alert.scope}: {alert.message}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": headline.strip()}},
            {"type": "section", "text": {"type": "mrkdwn", "text": alert.message}},
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"{alert.kind} · first seen {alert.first_seen_at} · "
                        f"id `{alert.alert_id}`",
                    }
                ],
            },
        ],
    }


def mart_alerts(serving_path: Path) -> list[Alert]:
    """Rows of `marts.alerts` in the published snapshot (none until it exists)."""
    if not serving_path.exists():
        return []
    with duckdb.connect(str(serving_path), read_only=True) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'marts' and table_name = 'alerts'"
        ).fetchall()[0][0]
        if not exists:
            return []
        rows = con.execute(
            "select alert_id, alert_kind, scope, severity, message, "
            "strftime(first_seen_at, '%Y-%m-%dT%H:%M:%S+00:00') "
            "from marts.alerts order by first_seen_at, alert_id"
        ).fetchall()
    return [Alert(*map(str, row)) for row in rows]


def pending(alerts: Iterable[Alert], alerts_dir: Path, channel: str) -> list[Alert]:
    """The alerts not yet delivered on `channel`, in order, each once."""
    done = {
        row["alert_id"]
        for row in read_jsonl(deliveries_path(alerts_dir))
        if row["channel"] == channel and row["status"] == "delivered"
    }
    seen: set[str] = set()
    result = []
    for alert in alerts:
        if alert.alert_id not in done and alert.alert_id not in seen:
            seen.add(alert.alert_id)
            result.append(alert)
    return result


def post_json(url: str, payload: dict, timeout: float = 5.0) -> int:
    """POSTs `payload` as JSON; returns the HTTP status (raises on connection errors)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _send_with_retries(
    url: str, alert: Alert, attempts: int, backoff_seconds: float, sleep: Callable[[float], None]
) -> tuple[bool, int, str]:
    error = ""
    for attempt in range(1, attempts + 1):
        try:
            status = post_json(url, slack_payload(alert))
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            status, error = 0, f"unreachable: {exc}"
        else:
            if 200 <= status < 300:
                return True, attempt, ""
            error = f"HTTP {status}"
            if 400 <= status < 500 and status != 429:
                return False, attempt, error  # the request itself is wrong: retrying won't help
        if attempt < attempts:
            sleep(backoff_seconds * 2 ** (attempt - 1))
    return False, attempts, error


def deliver(
    alerts: list[Alert],
    alerts_dir: Path,
    webhook_url: str | None,
    *,
    attempts: int = 3,
    backoff_seconds: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    """Delivers every pending alert to the outbox and, if `webhook_url`, to the webhook."""
    report = DeliveryReport()
    log = deliveries_path(alerts_dir)
    with locked(log):  # one delivery pass at a time, so two ticks never send the same alert
        now = datetime.now(UTC).isoformat(timespec="seconds")
        outbox = pending(alerts, alerts_dir, "outbox")
        if outbox:
            append_jsonl(outbox_path(alerts_dir), [a.to_json() | slack_payload(a) for a in outbox])
            append_jsonl(
                log,
                [
                    {
                        "alert_id": a.alert_id,
                        "channel": "outbox",
                        "status": "delivered",
                        "attempts": 1,
                        "at": now,
                        "error": "",
                    }
                    for a in outbox
                ],
            )
            report.delivered["outbox"] = [a.alert_id for a in outbox]
        if not webhook_url:
            return report
        for alert in pending(alerts, alerts_dir, "webhook"):
            ok, tries, error = _send_with_retries(
                webhook_url, alert, attempts, backoff_seconds, sleep
            )
            report.attempts += tries
            append_jsonl(
                log,
                [
                    {
                        "alert_id": alert.alert_id,
                        "channel": "webhook",
                        "status": "delivered" if ok else "failed",
                        "attempts": tries,
                        "at": datetime.now(UTC).isoformat(timespec="seconds"),
                        "error": error,
                    }
                ],
            )
            (report.delivered if ok else report.failed).setdefault("webhook", []).append(
                alert.alert_id
            )
    return report


def all_alerts(alerts_dir: Path, serving_path: Path) -> list[Alert]:
    """Operational alerts raised by the pipeline, then the alerts mart's rows."""
    return [*read_alerts(alerts_dir), *mart_alerts(serving_path)]
