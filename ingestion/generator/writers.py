"""Deterministic file writers: gzip with mtime 0 and no name, atomic renames, FOCUS CSV/Parquet.

Files are written under a temporary name and renamed, so an ingestion polling the inbox never
reads half a file.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ingestion.generator import catalog

_PARTIAL = ".partial"


def _partial(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(path.name + _PARTIAL)


def write_text_atomic(path: Path, text: str) -> None:
    """Writes UTF-8 text (no BOM, `\\n` line endings)."""
    tmp = _partial(path)
    tmp.write_bytes(text.encode("utf-8"))
    os.replace(tmp, path)


def write_gzip_lines(path: Path, lines: Iterable[bytes]) -> int:
    """Writes byte lines (each ending in `\\n`) gzip-compressed, byte-identical run to run."""
    tmp = _partial(path)
    count = 0
    with (
        tmp.open("wb") as raw,
        gzip.GzipFile(
            filename="", mode="wb", fileobj=raw, compresslevel=catalog.GZIP_LEVEL, mtime=0
        ) as gz,
    ):
        for line in lines:
            gz.write(line)
            count += 1
    os.replace(tmp, path)
    return count


def _csv_cell(value) -> str:
    if value is None:
        return "NULL"
    text = str(value)
    if any(ch in text for ch in ',"\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_focus_csv_gz(path: Path, columns: tuple[str, ...], rows: list[dict]) -> int:
    """A FOCUS CSV with a header; nulls written as `NULL`."""
    lines = [(",".join(columns) + "\n").encode()]
    lines += [(",".join(_csv_cell(r.get(c)) for c in columns) + "\n").encode() for r in rows]
    write_gzip_lines(path, lines)
    return len(rows)


_MONEY = pa.decimal128(38, 12)
_MONEY_COLUMNS = {"BilledCost", "EffectiveCost", "ListCost", "ContractedCost"}
_NUMBER_COLUMNS = {"ConsumedQuantity", "PricingQuantity", "ListUnitPrice", "ContractedUnitPrice"}
_TIME_COLUMNS = {"BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd"}


def write_focus_parquet(path: Path, columns: tuple[str, ...], rows: list[dict]) -> int:
    """A FOCUS Parquet file: costs as decimals, timestamps naive UTC, the rest strings."""
    arrays, fields = [], []
    for column in columns:
        values = [r.get(column) for r in rows]
        if column in _MONEY_COLUMNS:
            type_ = _MONEY
            values = [None if v is None else Decimal(v) for v in values]
        elif column in _NUMBER_COLUMNS:
            type_ = pa.float64()
            values = [None if v is None else float(v) for v in values]
        elif column in _TIME_COLUMNS:
            type_ = pa.timestamp("us")
            values = [None if v is None else datetime.fromisoformat(v) for v in values]
        else:
            type_ = pa.string()
        arrays.append(pa.array(values, type=type_))
        fields.append(pa.field(column, type_))
    table = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    tmp = _partial(path)
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)
    return len(rows)
