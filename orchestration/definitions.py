"""The one entry point: every asset, check, job, schedule and resource of the warehouse.

`dagster dev` (see README) and `dagster asset materialize -m orchestration.definitions` load `defs`.
"""

from __future__ import annotations

import dagster as dg

from orchestration.inbox.assets import ingestion_assets
from orchestration.models.assets import dbt_resource, dbt_warehouse_models
from orchestration.resources import WarehouseResource

# Everything, upstream first: ingestion, then the dbt build (models, seeds, tests as checks).
refresh_warehouse_job = dg.define_asset_job(
    "refresh_warehouse",
    selection=dg.AssetSelection.all(),
    description="Ingest new inbox files, then build and test every dbt model.",
)

daily_refresh_schedule = dg.ScheduleDefinition(
    name="daily_refresh",
    job=refresh_warehouse_job,
    cron_schedule="0 6 * * *",  # 06:00 UTC, after the nightly billing export lands
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)


def build_definitions(warehouse: WarehouseResource | None = None) -> dg.Definitions:
    """Definitions on the warehouse at `warehouse` (default: from the environment)."""
    return dg.Definitions(
        assets=[*ingestion_assets, dbt_warehouse_models],
        jobs=[refresh_warehouse_job],
        schedules=[daily_refresh_schedule],
        resources={
            "warehouse": warehouse or WarehouseResource.from_env(),
            "dbt": dbt_resource(),
        },
    )


defs = build_definitions()
