"""Schedules, sensors, backfills and alert delivery, evaluated with Dagster's context builders."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import dagster as dg
import duckdb
import pytest

from ingestion.settings import warehouse_environment
from orchestration.alerts.delivery import WEBHOOK_URL_ENV, outbox_path
from orchestration.alerts.sensors import alert_delivery, run_failure_alert
from orchestration.alerts.store import new_alert, read_alerts, record_alert
from orchestration.definitions import defs
from orchestration.inbox.sensors import inbox_sensor
from orchestration.partitions import partition_range_tags
from orchestration.resources import WarehouseResource
from orchestration.schedules import daily_schedule, hourly_refresh, monthly_schedule
from tests.conftest import REPO_ROOT, SAMPLE_END_DATE

# ---------------------------------------------------------------- schedules


def test_hourly_refresh_targets_the_partition_of_its_tick():
    tick = datetime(2026, 11, 3, 10, 15, tzinfo=UTC)
    with dg.build_schedule_context(
        scheduled_execution_time=tick, repository_def=defs.get_repository_def()
    ) as context:
        request = hourly_refresh.evaluate_tick(context).run_requests[0]
    assert request.partition_key == "2026-11-03"
    assert hourly_refresh.job_name == "refresh_warehouse"
    assert hourly_refresh.cron_schedule == "15 * * * *"
    assert hourly_refresh.execution_timezone == "UTC"


@pytest.mark.parametrize(
    ("schedule", "job", "cron", "partition"),
    [
        (daily_schedule, "daily_models_and_checks", "30 5 * * *", "2026-10-31"),  # yesterday
        (monthly_schedule, "monthly_customer_reports", "0 7 1 * *", None),
    ],
)
def test_daily_and_monthly_schedules_request_their_job(schedule, job, cron, partition):
    tick = datetime(2026, 11, 1, 7, 0, tzinfo=UTC)
    with dg.build_schedule_context(
        scheduled_execution_time=tick, repository_def=defs.get_repository_def()
    ) as context:
        result = schedule.evaluate_tick(context)
    assert len(result.run_requests) == 1
    assert result.run_requests[0].partition_key == partition
    assert schedule.job_name == job
    assert schedule.cron_schedule == cron
    assert schedule.execution_timezone == "UTC"


# ---------------------------------------------------------------- inbox sensor


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _tick(sensor, home: Path, cursor: str | None = None):
    with dg.build_sensor_context(
        cursor=cursor, resources={"warehouse": WarehouseResource(home=str(home))}
    ) as context:
        result = sensor.evaluate_tick(context)
        return result, context.cursor


def test_inbox_sensor_starts_one_run_per_new_files_and_never_two(tmp_path: Path):
    inbox = tmp_path / "inbox"
    _write(inbox / "runs" / "runs-2026-10-02.jsonl", "{}\n")
    _write(inbox / "billing" / "focus-infra-2026-10-04.csv", "BilledCost\n")

    first, cursor = _tick(inbox_sensor, tmp_path)
    assert len(first.run_requests) == 1
    tags = first.run_requests[0].tags
    assert tags["dagster/asset_partition_range_start"] == "2026-10-02"
    assert tags["dagster/asset_partition_range_end"] == "2026-10-04"

    again, cursor = _tick(inbox_sensor, tmp_path, cursor)
    assert not again.run_requests  # the same files never start a second run

    _write(inbox / "runs" / "runs-2026-10-05.jsonl", "{}\n")
    third, cursor = _tick(inbox_sensor, tmp_path, cursor)
    (request,) = third.run_requests
    assert request.tags["dagster/asset_partition_range_start"] == "2026-10-05"
    assert request.tags["factory/new_files"] == "1"
    assert request.run_key != first.run_requests[0].run_key


def test_inbox_sensor_run_key_is_stable_without_its_cursor(tmp_path: Path):
    _write(tmp_path / "inbox" / "runs" / "runs-2026-10-02.jsonl", "{}\n")
    one, _ = _tick(inbox_sensor, tmp_path)
    two, _ = _tick(inbox_sensor, tmp_path)  # cursor lost: Dagster dedups on the run key
    assert one.run_requests[0].run_key == two.run_requests[0].run_key


# ---------------------------------------------------------------- run-failure sensor


@dg.op
def _always_fails():
    raise RuntimeError("disk full")


@dg.job
def _failing_job():
    _always_fails()


def test_a_failed_run_raises_one_alert(tmp_path: Path):
    with dg.DagsterInstance.ephemeral() as instance:
        result = _failing_job.execute_in_process(instance=instance, raise_on_error=False)
        assert not result.success
        run = instance.get_run_by_id(result.run_id)
        failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
        for _ in range(2):  # the sensor may see the same failure twice: one alert
            context = dg.build_run_status_sensor_context(
                sensor_name="run_failure_alert",
                dagster_instance=instance,
                dagster_run=run,
                dagster_event=failure,
                resources={"warehouse": WarehouseResource(home=str(tmp_path))},
            ).for_run_failure()
            run_failure_alert(context)
    (alert,) = read_alerts(tmp_path / "alerts")
    assert alert.kind == "run_failure"
    assert alert.severity == "critical"
    assert result.run_id in alert.message and "_failing_job" in alert.scope


# ---------------------------------------------------------------- alert delivery


class _Webhook(BaseHTTPRequestHandler):
    """Answers 500 to the first POST, 200 afterwards; records every body."""

    received: ClassVar[list[dict]] = []
    statuses: ClassVar[list[int]] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        status = 500 if not self.statuses else 200
        type(self).received.append(body)
        type(self).statuses.append(status)
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch):
    _Webhook.received, _Webhook.statuses = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(WEBHOOK_URL_ENV, f"http://127.0.0.1:{server.server_port}/hook")
    yield _Webhook
    server.shutdown()


def _serving_with_alerts_mart(home: Path) -> None:
    serving = home / "serving" / "warehouse.duckdb"
    serving.parent.mkdir(parents=True)
    with duckdb.connect(str(serving)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.alerts as select 'budget:cus_0001:2026-11' as alert_id, "
            "'budget' as alert_kind, 'customer cus_0001' as scope, 'warning' as severity, "
            "'80% of the November budget used' as message, "
            "timestamp '2026-11-20 08:00:00' as first_seen_at"
        )


def test_each_alert_is_delivered_exactly_once_across_ticks_with_a_retry(tmp_path, webhook):
    alerts_dir = tmp_path / "alerts"
    for job in ("refresh_warehouse", "daily_models_and_checks"):
        record_alert(alerts_dir, new_alert("run_failure", f"job {job}", "critical", "failed", job))
    _serving_with_alerts_mart(tmp_path)

    first, _ = _tick(alert_delivery, tmp_path)
    second, _ = _tick(alert_delivery, tmp_path)

    # 3 alerts: the first POST got a 500 and was retried, then all succeeded; tick 2 sent nothing.
    assert webhook.statuses == [500, 200, 200, 200]
    delivered_ids = [
        body["text"]
        for body, status in zip(webhook.received, webhook.statuses, strict=True)
        if status == 200
    ]
    assert len(delivered_ids) == len(set(delivered_ids)) == 3
    assert any("80% of the November budget" in text for text in delivered_ids)
    assert all("blocks" in body for body in webhook.received)  # Slack-compatible
    outbox = outbox_path(alerts_dir).read_text().splitlines()
    assert len(outbox) == 3
    assert "3 delivered to webhook" in first.skip_message
    assert second.skip_message == "no new alerts"


def test_an_unreachable_webhook_keeps_alerts_pending(tmp_path, monkeypatch):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv(WEBHOOK_URL_ENV, f"http://127.0.0.1:{port}/hook")
    alerts_dir = tmp_path / "alerts"
    record_alert(alerts_dir, new_alert("run_failure", "job x", "critical", "failed", "run-1"))
    result, _ = _tick(alert_delivery, tmp_path)
    assert "1 delivered to outbox" in result.skip_message
    assert "1 failed on webhook" in result.skip_message
    again, _ = _tick(alert_delivery, tmp_path)
    assert "1 failed on webhook" in again.skip_message  # retried on the next tick
    assert "outbox" not in again.skip_message  # the outbox got it once


# ---------------------------------------------------------------- backfill


def test_a_backfill_of_three_partitions_ingests_exactly_those_days(small_inbox, warehouse_home):
    from orchestration.inbox.assets import ingestion_assets

    shutil.copytree(small_inbox / "inbox", warehouse_home / "inbox")
    first = SAMPLE_END_DATE - timedelta(days=5)
    days = [first + timedelta(days=i) for i in range(3)]
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            ingestion_assets,
            instance=instance,
            resources={"warehouse": WarehouseResource(home=str(warehouse_home))},
            tags=partition_range_tags(days[0], days[-1]),
        )
        assert result.success
        materialized = instance.get_materialized_partitions(dg.AssetKey(["raw", "runs"]))
    assert materialized == {day.isoformat() for day in days}
    with duckdb.connect(str(warehouse_home / "warehouse.duckdb"), read_only=True) as con:
        files = {
            row[0] for row in con.execute("select distinct _source_file from raw.runs").fetchall()
        }
        invoices = {
            row[0]
            for row in con.execute(
                "select distinct _source_file from raw.focus_costs where _source_file like "
                "'%invoice%'"
            ).fetchall()
        }
        customers = con.execute("select count(*) from raw.customers").fetchall()[0][0]
    assert files == {f"runs/runs-{day.isoformat()}.jsonl.gz" for day in days}
    # the month's LLM invoices (filed under the 1st) and the undated reference snapshots come too
    assert invoices and all("2026-10" in name for name in invoices), invoices
    assert customers > 0


# ---------------------------------------------------------------- the webserver


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_webserver_serves_the_whole_lineage_graph(tmp_path: Path):
    port = _free_port()
    env = {**os.environ, **warehouse_environment(tmp_path)}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("dagster-webserver")),
            "-m",
            "orchestration.definitions",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so the whole tree stops with it
    )
    query = json.dumps({"query": "{ assetNodes { assetKey { path } } }"}).encode()
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/graphql",
                    data=query,
                    headers={"Content-Type": "application/json"},
                )
                with urllib.request.urlopen(request, timeout=5) as response:
                    nodes = json.loads(response.read())["data"]["assetNodes"]
                break
            except (OSError, KeyError):
                assert server.poll() is None, "the webserver exited"
                assert time.monotonic() < deadline, "the webserver did not answer in 180 s"
                time.sleep(1)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    keys = {"/".join(node["assetKey"]["path"]) for node in nodes}
    assert {"raw/runs", "raw/spans", "raw/focus_costs", "customer_daily_usage"} <= keys
