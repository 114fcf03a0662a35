"""Jobs and the schedules that run them (cron in UTC, said explicitly)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
from dagster_dbt import build_dbt_asset_selection

from orchestration.models.assets import dbt_models
from orchestration.partitions import daily_partitions, partition_key_for

RAW = dg.AssetSelection.groups("raw")

# Ingest new exports of the run's days, build every model (incremental facts incrementally) and
# run every check; the inbox sensor and the hourly schedule start it.
refresh_warehouse_job = dg.define_asset_job(
    "refresh_warehouse",
    selection=dg.AssetSelection.all(),
    partitions_def=daily_partitions,
    description="Ingest new inbox files of the run's export days, then build and test every model.",
)

# Everything downstream of the raw zone, with every check: the nightly full pass over yesterday.
daily_models_and_checks_job = dg.define_asset_job(
    "daily_models_and_checks",
    selection=dg.AssetSelection.all() - RAW,
    partitions_def=daily_partitions,
    description="Rebuild every model and run every check (insights are added here as they land).",
)

monthly_reports_job = dg.define_asset_job(
    "monthly_customer_reports",
    selection=build_dbt_asset_selection([dbt_models], dbt_select="tag:monthly_report"),
    description="Build the monthly customer and project report marts.",
)


@dg.schedule(
    job=refresh_warehouse_job,
    cron_schedule="15 * * * *",  # every hour at :15, after the runtime's hourly export at :00
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def hourly_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Refreshes today's partition: the exports landing today."""
    tick = context.scheduled_execution_time or datetime.now(UTC)
    key = partition_key_for(tick.astimezone(UTC).date(), daily_partitions)
    return dg.RunRequest(run_key=f"hourly:{tick.isoformat()}", partition_key=key)


@dg.schedule(
    name="daily_models_and_checks",
    job=daily_models_and_checks_job,
    cron_schedule="30 5 * * *",  # 05:30 UTC, after the nightly billing export
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def daily_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Rebuilds yesterday's partition, complete now, and everything downstream."""
    tick = context.scheduled_execution_time or datetime.now(UTC)
    yesterday = tick.astimezone(UTC).date() - timedelta(days=1)
    return dg.RunRequest(
        run_key=f"daily:{yesterday.isoformat()}",
        partition_key=partition_key_for(yesterday, daily_partitions),
    )


monthly_schedule = dg.ScheduleDefinition(
    name="monthly_customer_reports",
    job=monthly_reports_job,
    cron_schedule="0 7 1 * *",  # 07:00 UTC on the 1st: the previous month is complete
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

jobs = [refresh_warehouse_job, daily_models_and_checks_job, monthly_reports_job]
schedules = [hourly_refresh, daily_schedule, monthly_schedule]
