"""Source freshness: when each inbox source last delivered a file, against its SLA.

A source is measured by its newest *loaded* file in the ingestion manifest (read from the raw
zone's Parquet, so no DuckDB lock is taken): the ingestion assets materialise on every run even
when nothing arrived, so the time of the last materialisation says nothing about the source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from ingestion.schemas import SOURCE_TABLES

# How long each source may stay silent. The runtime and the telemetry collector export hourly
# (a few missed hours are tolerated), billing exports land once a day (36 h: a day and a margin),
# reference exports (customers, projects) weekly at least.
SOURCE_SLAS: dict[str, timedelta] = {
    "runs": timedelta(hours=6),
    "telemetry": timedelta(hours=6),
    "billing": timedelta(hours=36),
    "customers": timedelta(days=7),
    "projects": timedelta(days=7),
}
assert set(SOURCE_SLAS) == set(SOURCE_TABLES), "every inbox source needs an SLA"


@dataclass(frozen=True)
class SourceFreshness:
    """How fresh one source is at `checked_at` (all times naive UTC)."""

    source: str
    sla: timedelta
    checked_at: datetime
    last_arrival_at: datetime | None  # newest file loaded from the source; None: never
    files_loaded: int

    @property
    def age(self) -> timedelta | None:
        return None if self.last_arrival_at is None else self.checked_at - self.last_arrival_at

    @property
    def is_stale(self) -> bool:
        return self.age is None or self.age > self.sla

    @property
    def message(self) -> str:
        sla_hours = self.sla.total_seconds() / 3600
        if self.last_arrival_at is None:
            return f"source {self.source}: no file loaded yet (SLA {sla_hours:g} h)"
        age_hours = self.age.total_seconds() / 3600
        state = "stale" if self.is_stale else "fresh"
        return (
            f"source {self.source} is {state}: last file loaded {age_hours:.1f} h ago "
            f"({self.last_arrival_at.isoformat(timespec='seconds')} UTC), SLA {sla_hours:g} h"
        )

    def to_metadata(self) -> dict:
        return {
            "source": self.source,
            "sla_hours": self.sla.total_seconds() / 3600,
            "last_arrival_at": self.last_arrival_at.isoformat() if self.last_arrival_at else None,
            "age_hours": None if self.age is None else round(self.age.total_seconds() / 3600, 2),
            "files_loaded": self.files_loaded,
            "is_stale": self.is_stale,
        }


def source_freshness(raw_dir: Path, now: datetime | None = None) -> dict[str, SourceFreshness]:
    """Freshness of every inbox source at `now` (default: the current UTC time)."""
    checked_at = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    newest: dict[str, tuple[datetime, int]] = {}
    manifest_glob = Path(raw_dir) / "ingest_manifest" / "*" / "*.parquet"
    if list(Path(raw_dir).glob("ingest_manifest/*/*.parquet")):
        with duckdb.connect() as con:
            rows = con.execute(
                "select source, max(loaded_at), count(*) "
                "from read_parquet(?, union_by_name = true) "
                "where status = 'loaded' group by source",
                [str(manifest_glob)],
            ).fetchall()
        newest = {source: (loaded_at, files) for source, loaded_at, files in rows}
    return {
        source: SourceFreshness(
            source=source,
            sla=sla,
            checked_at=checked_at,
            last_arrival_at=newest.get(source, (None, 0))[0],
            files_loaded=newest.get(source, (None, 0))[1],
        )
        for source, sla in SOURCE_SLAS.items()
    }


def stale_alert_condition(freshness: SourceFreshness) -> tuple[str, ...]:
    """What makes one staleness episode: the source and its last arrival (a new file ends it)."""
    last = freshness.last_arrival_at.isoformat() if freshness.last_arrival_at else "never"
    return (freshness.source, last)


__all__ = ["SOURCE_SLAS", "SourceFreshness", "source_freshness", "stale_alert_condition"]
