"""The inbox sensor: new export files start one refresh run covering their export days."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import dagster as dg

from ingestion.pipeline import export_date, inbox_files
from ingestion.schemas import SOURCE_TABLES
from orchestration.partitions import partition_range_tags
from orchestration.resources import WarehouseResource


def file_fingerprint(path: Path) -> str:
    """Size and modification time: a rewritten file is new again, an untouched one is not."""
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def new_inbox_files(inbox_dir: Path, seen: dict[str, str]) -> dict[str, tuple[str, date]]:
    """Files (relative path -> (fingerprint, export day)) not in `seen` with that fingerprint."""
    found = {}
    for source in SOURCE_TABLES:
        for path in inbox_files(inbox_dir, source):
            relative = path.relative_to(inbox_dir).as_posix()
            fingerprint = file_fingerprint(path)
            if seen.get(relative) != fingerprint:
                found[relative] = (fingerprint, export_date(path))
    return found


def refresh_request(new_files: dict[str, tuple[str, date]]) -> dg.RunRequest:
    """One run over the partition range of the new files' export days.

    The run key is derived from the files and their fingerprints, so the same files never start
    two runs, even if the cursor were lost.
    """
    days = sorted(day for _, day in new_files.values())
    digest = hashlib.sha256(
        json.dumps(sorted((p, fp) for p, (fp, _) in new_files.items())).encode()
    ).hexdigest()[:20]
    return dg.RunRequest(
        run_key=f"inbox:{digest}",
        tags={**partition_range_tags(days[0], days[-1]), "factory/new_files": str(len(new_files))},
    )


@dg.sensor(
    name="inbox_sensor",
    job_name="refresh_warehouse",
    description="Starts a refresh when new export files land in the inbox.",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def inbox_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    inbox_dir = warehouse.settings.inbox_dir
    if not inbox_dir.is_dir():
        return dg.SkipReason(f"no inbox at {inbox_dir}")
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    new_files = new_inbox_files(inbox_dir, seen)
    if not new_files:
        return dg.SkipReason("no new files")
    seen.update({path: fingerprint for path, (fingerprint, _) in new_files.items()})
    context.update_cursor(json.dumps(seen, sort_keys=True))
    return refresh_request(new_files)
