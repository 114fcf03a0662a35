"""The one entry point: every asset, check, job, schedule, sensor and resource of the warehouse.

`dagster dev` (see README) and `dagster asset materialize -m orchestration.definitions` load `defs`.
Each concern lives in its own package: `inbox` (ingestion), `models` (dbt), `alerts`.
"""

from __future__ import annotations

import dagster as dg

from orchestration.alerts.sensors import alert_delivery, run_failure_alert
from orchestration.inbox.assets import ingestion_assets
from orchestration.inbox.sensors import inbox_sensor
from orchestration.insights.assets import insights_assets
from orchestration.models.assets import dbt_model_assets, dbt_resource
from orchestration.publishing.assets import publishing_assets, publishing_sensors
from orchestration.quality.checks import quality_checks, quality_sensors
from orchestration.resources import WarehouseResource
from orchestration.schedules import jobs, schedules


def build_definitions(warehouse: WarehouseResource | None = None) -> dg.Definitions:
    """Definitions on the warehouse at `warehouse` (default: from the environment)."""
    return dg.Definitions(
        assets=[*ingestion_assets, *dbt_model_assets, *publishing_assets, *insights_assets],
        asset_checks=quality_checks,
        jobs=jobs,
        schedules=schedules,
        sensors=[
            inbox_sensor,
            run_failure_alert,
            alert_delivery,
            *quality_sensors,
            *publishing_sensors,
        ],
        resources={
            "warehouse": warehouse or WarehouseResource.from_env(),
            "dbt": dbt_resource(),
        },
    )


defs = build_definitions()
