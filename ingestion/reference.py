"""Reference exports (`inbox/customers/`, `inbox/projects/`): CSV with a header, or JSON Lines.

CSV headers match case-insensitively; columns the raw table does not have are ignored (reference
exports carry no payload worth keeping beyond their documented fields). A CSV without a required
column is quarantined whole (`missing_column`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from ingestion.errors import FileRejected
from ingestion.records import (
    Quarantined,
    RecordError,
    describe,
    get_enum,
    get_str,
    get_timestamp,
    iter_csv_records,
    iter_lines,
    json_type_name,
    load_limit,
    parse_json_line,
    payload_text,
    too_long_reason,
)

Item = tuple[str, dict] | Quarantined

PLANS = frozenset({"free", "team", "business", "enterprise"})
_NULL = "NULL"


def customer_row(record: dict, limit: datetime) -> dict:
    """Validate one customer record (field -> value; empty is null)."""
    return {
        "customer_id": get_str(record, "customer_id", required=True),
        "name": get_str(record, "name"),
        "organization_id": get_str(record, "organization_id"),
        "plan": get_enum(record, "plan", PLANS),
        "created_at": get_timestamp(record, "created_at", limit),
    }


def project_row(record: dict, limit: datetime) -> dict:
    """Validate one project record (field -> value; empty is null)."""
    return {
        "project_id": get_str(record, "project_id", required=True),
        "customer_id": get_str(record, "customer_id", required=True),
        "name": get_str(record, "name"),
        "team": get_str(record, "team"),
        "repository": get_str(record, "repository"),
        "created_at": get_timestamp(record, "created_at", limit),
    }


ENTITIES: dict[str, tuple[Callable[[dict, datetime], dict], tuple[str, ...], tuple[str, ...]]] = {
    # table: (validator, columns, required columns)
    "customers": (
        customer_row,
        ("customer_id", "name", "organization_id", "plan", "created_at"),
        ("customer_id",),
    ),
    "projects": (
        project_row,
        ("project_id", "customer_id", "name", "team", "repository", "created_at"),
        ("project_id", "customer_id"),
    ),
}


def parse_reference_file(path: Path, table: str, *, now: datetime) -> Iterator[Item]:
    """Stream a customers or projects export (`table`), CSV or JSON Lines by file name.

    Yields `(table, row)` or `Quarantined`; `now` is the load time (naive UTC).
    """
    if table not in ENTITIES:
        raise ValueError(f"unknown reference table {table!r}; expected one of {list(ENTITIES)}")
    name = path.name.lower()
    if name.endswith((".csv", ".csv.gz")):
        return _parse_csv(path, table, load_limit(now))
    return _parse_jsonl(path, table, load_limit(now))


def _parse_jsonl(path: Path, table: str, limit: datetime) -> Iterator[Item]:
    validate = ENTITIES[table][0]
    for number, line, raw in iter_lines(path):
        if line is None:
            yield Quarantined(number, too_long_reason(), payload_text(raw))
            continue
        if not line.strip():
            continue
        try:
            record = parse_json_line(line)
            if not isinstance(record, dict):
                raise RecordError(
                    "invalid_type",
                    f"a {table[:-1]} record must be a JSON object, got {json_type_name(record)}",
                )
            row = validate(record, limit)
        except RecordError as exc:
            yield Quarantined(number, str(exc), payload_text(line))
            continue
        row["_line_number"] = number
        yield table, row


def _parse_csv(path: Path, table: str, limit: datetime) -> Iterator[Item]:
    validate, columns, required = ENTITIES[table]
    records = iter_csv_records(path)
    header = next(records, None)
    if header is None:
        return
    names = [name.strip().lower() for name in header.fields]
    known = [name if name in columns else None for name in names]
    if not any(known):
        raise FileRejected(
            "unreadable_file",
            f"not a {table} CSV: the header names none of {', '.join(columns)} "
            f"(got {describe(header.fields, 120)})",
        )
    missing = [c for c in required if c not in names]
    if missing:
        raise FileRejected(
            "missing_column", f"the file lacks required column(s) {', '.join(missing)}"
        )
    for record in records:
        try:
            if record.problem is not None:
                code, detail = record.problem.split(": ", 1)
                raise RecordError(code, detail)
            values = {
                name: (None if value == _NULL else value)
                for name, value in zip(known, record.fields, strict=True)
                if name is not None
            }
            row = validate(values, limit)
        except RecordError as exc:
            yield Quarantined(record.number, str(exc), payload_text(record.text))
            continue
        row["_line_number"] = record.number
        yield table, row
