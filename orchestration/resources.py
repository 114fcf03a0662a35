"""Resources shared by every asset: where the warehouse lives, and the one writer pool."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from ingestion.settings import Settings

# DuckDB allows one writer per file, and while it writes nobody else can even open it: every
# asset that opens the work database runs in this pool, limited to 1 slot in dagster.yaml.
DUCKDB_WRITER_POOL = "duckdb_writer"

# dbt's unit tests check the models' logic on fixed inputs, not the data: they belong to
# development and CI (`factory-warehouse build`, the test suite), not to every scheduled refresh,
# where they only add time (dbt's advice). Data tests still run, as asset checks.
DBT_BUILD = ("build", "--exclude-resource-type", "unit_test")
# The incremental facts' partition window for dbt, START/END (ISO dates, end exclusive); see
# dbt_project/macros/incremental/incremental_window.sql
PARTITION_WINDOW_ENV = "FACTORY_WAREHOUSE_PARTITION_WINDOW"


class WarehouseResource(dg.ConfigurableResource):
    """Paths of the warehouse instance (see `ingestion.settings`)."""

    home: str

    @classmethod
    def from_env(cls) -> WarehouseResource:
        return cls(home=str(Settings.from_env().home))

    @property
    def settings(self) -> Settings:
        return Settings(home=Path(self.home))
