"""Daily partitions: one per export day, so a date range can be backfilled from the UI or CLI."""

from __future__ import annotations

from datetime import date

import dagster as dg

from ingestion.settings import Settings

# end_offset=1: today's partition exists while today's hourly exports are still landing.
daily_partitions = dg.DailyPartitionsDefinition(
    start_date=Settings.from_env().partition_start.isoformat(),
    end_offset=1,
    timezone="UTC",
)


class ExportDays:
    """The export days a run's partitions cover; files dated before the first partition or
    after the last one belong to that edge partition, so no file is ever unreachable."""

    def __init__(self, partition_keys: list[str], partitions: dg.DailyPartitionsDefinition):
        self.days = {date.fromisoformat(key) for key in partition_keys}
        all_keys = partitions.get_partition_keys()
        self.first = date.fromisoformat(all_keys[0]) if all_keys else None
        self.last = date.fromisoformat(all_keys[-1]) if all_keys else None

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        if day in self.days:
            return True
        if self.first is not None and day < self.first:
            return self.first in self.days
        return self.last is not None and day > self.last and self.last in self.days


def partition_key_for(day: date, partitions: dg.DailyPartitionsDefinition) -> str:
    """The partition an export day belongs to (clamped to the first and last partition)."""
    keys = partitions.get_partition_keys()
    key = day.isoformat()
    if key < keys[0]:
        return keys[0]
    if key > keys[-1]:
        return keys[-1]
    return key


def partition_range_tags(first: date, last: date) -> dict[str, str]:
    """Run tags that make one run cover the partitions of `first`..`last` (the assets' backfill
    policy is a single run)."""
    return {
        "dagster/asset_partition_range_start": partition_key_for(first, daily_partitions),
        "dagster/asset_partition_range_end": partition_key_for(last, daily_partitions),
    }
