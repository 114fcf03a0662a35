"""Where the warehouse keeps its files: the one home of configuration.

Every path derives from two environment variables, documented in the README:

- `FACTORY_WAREHOUSE_HOME`: the data folder (default `data/` in the repository), holding
  `inbox/` (exports land here), `raw/` (the immutable Parquet raw zone), the DuckDB work file,
  `serving/` (the published snapshot readers open) and `alerts/`.
- `FACTORY_WAREHOUSE_START_DATE`: the first daily partition (default 2024-01-01); exports
  dated earlier belong to it.
- `FACTORY_WAREHOUSE_DB`: the DuckDB work database
  (default `$FACTORY_WAREHOUSE_HOME/warehouse.duckdb`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


def warehouse_environment(home: Path) -> dict[str, str]:
    """The environment that points ingestion, dbt and Dagster at the warehouse in `home` (the
    CLI, the tests and the benchmarks run every tool under it)."""
    return {
        "FACTORY_WAREHOUSE_HOME": str(home),
        "FACTORY_WAREHOUSE_DB": str(home / "warehouse.duckdb"),
        "DAGSTER_HOME": str(REPO_ROOT),
        "DAGSTER_STORAGE_DIR": str(home / "dagster" / "storage"),
        "DAGSTER_COMPUTE_LOGS_DIR": str(home / "dagster" / "logs"),
        "DO_NOT_TRACK": "1",
    }


@dataclass(frozen=True)
class Settings:
    """Resolved paths of one warehouse instance."""

    home: Path

    @property
    def inbox_dir(self) -> Path:
        return self.home / "inbox"

    @property
    def raw_dir(self) -> Path:
        return self.home / "raw"

    @property
    def warehouse_path(self) -> Path:
        override = os.environ.get("FACTORY_WAREHOUSE_DB")
        return Path(override).resolve() if override else self.home / "warehouse.duckdb"

    @property
    def serving_dir(self) -> Path:
        """Published snapshot for readers: `warehouse.duckdb` and `parquet/<mart>.parquet`."""
        return self.home / "serving"

    @property
    def serving_path(self) -> Path:
        return self.serving_dir / "warehouse.duckdb"

    @property
    def alerts_dir(self) -> Path:
        """Raised alerts, the delivery log and the outbox (see `orchestration.alerts`)."""
        return self.home / "alerts"

    @property
    def partition_start(self) -> date:
        return date.fromisoformat(os.environ.get("FACTORY_WAREHOUSE_START_DATE", "2024-01-01"))

    @classmethod
    def from_env(cls) -> Settings:
        """Settings from `FACTORY_WAREHOUSE_HOME`, defaulting to `data/` in the repository."""
        home = os.environ.get("FACTORY_WAREHOUSE_HOME")
        return cls(home=Path(home).resolve() if home else REPO_ROOT / "data")
