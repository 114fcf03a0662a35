"""Alert sensors: failed runs raise an alert; every new alert is delivered once."""

from __future__ import annotations

import os

import dagster as dg

from orchestration.alerts.delivery import WEBHOOK_URL_ENV, all_alerts, deliver
from orchestration.alerts.store import new_alert, record_alert
from orchestration.resources import WarehouseResource


@dg.run_failure_sensor(
    name="run_failure_alert",
    description="Raises a critical alert for every failed run of this code location.",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def run_failure_alert(context: dg.RunFailureSensorContext, warehouse: WarehouseResource):
    run = context.dagster_run
    error = context.failure_event.message or "no error message"
    alert = new_alert(
        "run_failure",
        f"job {run.job_name}",
        "critical",
        f"Run {run.run_id} of `{run.job_name}` failed: {error}",
        run.run_id,
    )
    if record_alert(warehouse.settings.alerts_dir, alert):
        context.log.info(f"raised alert {alert.alert_id}")


@dg.sensor(
    name="alert_delivery",
    description="Sends every new alert (raised by the pipeline or in the alerts mart) once to the "
    f"outbox file and to the webhook in ${WEBHOOK_URL_ENV}, retrying with backoff.",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def alert_delivery(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    settings = warehouse.settings
    report = deliver(
        all_alerts(settings.alerts_dir, settings.serving_path),
        settings.alerts_dir,
        os.environ.get(WEBHOOK_URL_ENV),
    )
    summary = ", ".join(
        [f"{len(ids)} delivered to {channel}" for channel, ids in report.delivered.items()]
        + [f"{len(ids)} failed on {channel}" for channel, ids in report.failed.items()]
    )
    return dg.SkipReason(summary or "no new alerts")
