"""Billing exports (`inbox/billing/*.csv[.gz]`, `*.parquet`): FinOps FOCUS 1.0-1.2 cost rows.

Headers match the FOCUS column names case-insensitively; any other column (`Id`, `x_*`, ...) is
kept in `extra_columns_json`. Costs are parsed as exact decimals into DECIMAL(38,12), so the raw
zone sums to the file's own totals to the last digit. In CSV, an empty field and the literal
`NULL` are null.

A file without a mandatory column (`FOCUS_MANDATORY_COLUMNS`) is quarantined whole
(`missing_column`); a file whose header names no FOCUS column at all, or that is not CSV or
Parquet, is `unreadable_file`. Each bad row is quarantined with its data-row number (1-based,
header excluded) and its raw text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Context, Decimal, InvalidOperation
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from ingestion.errors import FileRejected
from ingestion.records import (
    Quarantined,
    RecordError,
    check_not_future,
    check_order,
    describe,
    iter_csv_records,
    load_limit,
    parse_timestamp,
    payload_text,
    to_json_text,
)
from ingestion.schemas import (
    FOCUS_COSTS,
    FOCUS_MANDATORY_COLUMNS,
    FOCUS_MONEY_COLUMNS,
    FOCUS_NUMBER_COLUMNS,
    FOCUS_STRING_COLUMNS,
    FOCUS_TIMESTAMP_COLUMNS,
)

Item = tuple[str, dict] | Quarantined

TABLE = "focus_costs"
FOCUS_COLUMNS = [f.name for f in FOCUS_COSTS if not f.name.startswith("_")]
FOCUS_COLUMNS.remove("extra_columns_json")
_CANONICAL = {name.lower(): name for name in FOCUS_COLUMNS}
_SCALE = FOCUS_COSTS.field("BilledCost").type.scale
_QUANTUM = Decimal(1).scaleb(-_SCALE)
_MAX_MONEY = Decimal(10) ** (FOCUS_COSTS.field("BilledCost").type.precision - _SCALE)
# A plain decimal that fits DECIMAL(38,12) as it is written (the common case).
_PLAIN_MONEY = re.compile(rf"-?[0-9]{{1,{38 - _SCALE}}}(?:\.[0-9]{{1,{_SCALE}}})?")
# Room for 38 digits and more: the default context (28 digits) would round before we can check.
_DECIMALS = Context(prec=80)
# Start timestamps must not be in the future; period *ends* may be (a mid-month export names the
# end of the month as BillingPeriodEnd).
_NOT_FUTURE = ("ChargePeriodStart", "BillingPeriodStart")
_NULL = "NULL"
_PARQUET_BATCH_ROWS = 10_000


def parse_billing_file(path: Path, *, now: datetime) -> Iterator[Item]:
    """Stream a FOCUS CSV (maybe gzip) or Parquet file: `("focus_costs", row)` or `Quarantined`.

    `now` is the load time (naive UTC): charge and billing period starts more than a day after it
    are rejected.
    """
    if path.name.lower().endswith(".parquet"):
        return _parse_parquet(path, load_limit(now))
    return _parse_csv(path, load_limit(now))


# --- CSV ----------------------------------------------------------------------------------------


def _parse_csv(path: Path, limit: datetime) -> Iterator[Item]:
    records = iter_csv_records(path)
    header = next(records, None)
    if header is None:
        return  # an empty file: loaded, 0 rows in
    columns = _map_header(header.fields)
    focus = [(name, i) for i, (name, is_focus) in enumerate(columns) if is_focus]
    other = [(name, i) for i, (name, is_focus) in enumerate(columns) if not is_focus]
    for record in records:
        try:
            if record.problem is not None:
                code, detail = record.problem.split(": ", 1)
                raise RecordError(code, detail)
            fields = record.fields
            # Empty and the literal NULL are null (inlined: this runs for every field).
            values = {n: v if (v := fields[i]) and v != _NULL else None for n, i in focus}
            extras = {n: v if (v := fields[i]) and v != _NULL else None for n, i in other}
            row = focus_row(values, extras, limit, text=True)
        except RecordError as exc:
            yield Quarantined(record.number, str(exc), payload_text(record.text))
            continue
        row["_line_number"] = record.number
        yield TABLE, row


def _map_header(header: list[str]) -> list[tuple[str, bool]]:
    """Header names -> (canonical FOCUS name, True) or (name as written, False) for extras."""
    columns: list[tuple[str, bool]] = []
    seen: dict[str, str] = {}
    for raw_name in header:
        name = raw_name.strip()
        canonical = _CANONICAL.get(name.lower())
        key = (canonical or name).lower()
        if key in seen:
            raise FileRejected(
                "duplicate_column",
                f"columns {describe(seen[key])} and {describe(name)} are the same column",
            )
        seen[key] = name
        columns.append((canonical, True) if canonical else (name, False))
    present = {name for name, is_focus in columns if is_focus}
    if not present:
        raise FileRejected(
            "unreadable_file",
            f"not a FOCUS file: the header names no FOCUS column (got {describe(header, 120)})",
        )
    missing = [c for c in FOCUS_MANDATORY_COLUMNS if c not in present]
    if missing:
        raise FileRejected(
            "missing_column", f"the file lacks mandatory FOCUS column(s) {', '.join(missing)}"
        )
    return columns


# --- Parquet ------------------------------------------------------------------------------------


def _parse_parquet(path: Path, limit: datetime) -> Iterator[Item]:
    try:
        parquet = pq.ParquetFile(path)
        names = parquet.schema_arrow.names
    except (pa.ArrowException, OSError) as exc:
        raise FileRejected("unreadable_file", f"not a Parquet file: {exc}") from exc
    columns = _map_header(names)
    row_number = 0
    try:
        batches = parquet.iter_batches(batch_size=_PARQUET_BATCH_ROWS)
        for batch in batches:
            data = [column.to_pylist() for column in batch.columns]
            for i in range(batch.num_rows):
                row_number += 1
                values: dict[str, object] = {}
                extras: dict[str, object] = {}
                for (name, is_focus), column in zip(columns, data, strict=True):
                    value = column[i]
                    if value == "" or value == _NULL:
                        value = None
                    if is_focus:
                        values[name] = value
                    else:
                        extras[name] = value
                try:
                    row = focus_row(values, extras, limit)
                except RecordError as exc:
                    payload = to_json_text({**values, **extras})
                    yield Quarantined(row_number, str(exc), payload_text(payload))
                    continue
                row["_line_number"] = row_number
                yield TABLE, row
    except (pa.ArrowException, OSError) as exc:
        raise FileRejected(
            "unreadable_file", f"cannot read Parquet row {row_number}: {exc}"
        ) from exc


# --- One row ------------------------------------------------------------------------------------


def focus_row(
    values: dict[str, object], extras: dict[str, object], limit: datetime, *, text: bool = False
) -> dict:
    """Type one FOCUS row (canonical name -> raw value, null already None); raises `RecordError`.

    `text`: every value is a string or None (CSV), so string columns need no conversion.
    """
    for column in FOCUS_MANDATORY_COLUMNS:
        if values.get(column) is None:
            raise RecordError("missing_field", f"{column} is required")
    row: dict[str, object] = {}
    for column in FOCUS_MONEY_COLUMNS:
        row[column] = money(values.get(column), column)
    for column in FOCUS_NUMBER_COLUMNS:
        row[column] = _number(values.get(column), column)
    for column in FOCUS_TIMESTAMP_COLUMNS:
        value = values.get(column)
        if isinstance(value, date) and not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day)
        row[column] = None if value is None else parse_timestamp(value, column)
    for column in _NOT_FUTURE:
        check_not_future(row[column], column, limit)
    for period in ("ChargePeriod", "BillingPeriod"):
        start, end = f"{period}Start", f"{period}End"
        check_order(row[start], start, row[end], end)
    if text:
        row.update({column: values.get(column) for column in FOCUS_STRING_COLUMNS})
    else:
        row.update({column: _string(values.get(column)) for column in FOCUS_STRING_COLUMNS})
    row["Tags"] = _tags(values.get("Tags"))
    row["extra_columns_json"] = to_json_text(extras) if extras else None
    return row


def money(value: object, column: str) -> Decimal | None:
    """An exact decimal with at most 12 places (the raw zone's DECIMAL(38,12)); never a float
    approximation: floats from Parquet are read by their shortest decimal representation."""
    if value is None:
        return None
    try:
        if isinstance(value, Decimal):
            number = value
        elif isinstance(value, bool):
            raise InvalidOperation
        elif isinstance(value, int):
            number = Decimal(value)
        elif isinstance(value, float):
            number = Decimal(repr(value))
        elif isinstance(value, str):
            if _PLAIN_MONEY.fullmatch(value):
                return Decimal(value)  # fits DECIMAL(38,12) as written: no rounding check needed
            number = Decimal(value.strip())
        else:
            raise InvalidOperation
    except (InvalidOperation, ValueError) as exc:
        raise RecordError(
            "invalid_type", f"{column} must be a decimal number, got {describe(value)}"
        ) from exc
    if not number.is_finite():
        raise RecordError(
            "invalid_type", f"{column} must be a finite number, got {describe(value)}"
        )
    exact = _DECIMALS.quantize(number, _QUANTUM)
    if exact != number:
        raise RecordError(
            "out_of_range",
            f"{column} {value} has more than {_SCALE} decimal places and cannot be kept exactly",
        )
    if abs(exact) >= _MAX_MONEY:
        raise RecordError("out_of_range", f"{column} {value} is too large for DECIMAL(38,{_SCALE})")
    return exact


def _number(value: object, column: str) -> float | None:
    if value is None:
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise RecordError(
            "invalid_type", f"{column} must be a number, got {describe(value)}"
        ) from exc
    if not math.isfinite(number):
        raise RecordError(
            "invalid_type", f"{column} must be a finite number, got {describe(value)}"
        )
    return number


def _string(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime | date | Decimal | int | float):
        return str(value)
    return to_json_text(value)


def _tags(value: object) -> str | None:
    """`Tags` as the JSON text of an object: CSV text is checked and kept as written; a Parquet
    map or struct is serialised."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise RecordError(
                "invalid_json", f"Tags must be a JSON object, got {describe(value)}"
            ) from exc
        if not isinstance(parsed, dict):
            raise RecordError("invalid_json", f"Tags must be a JSON object, got {describe(value)}")
        return value
    if isinstance(value, list) and all(isinstance(kv, tuple) and len(kv) == 2 for kv in value):
        return to_json_text(dict(value))  # a Parquet MAP column arrives as (key, value) pairs
    if isinstance(value, dict):
        return to_json_text(value)
    raise RecordError("invalid_json", f"Tags must be a JSON object, got {describe(value)}")
