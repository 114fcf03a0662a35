"""Billing: FOCUS CSV and Parquet, exact decimals, extra columns, the public FOCUS 1.0 sample."""

from __future__ import annotations

import csv
import shutil
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.ingestion_helpers import FOCUS_SAMPLE, ingest, read_raw

pytestmark = pytest.mark.skipif(not FOCUS_SAMPLE.exists(), reason="shared FOCUS sample missing")


def sample_rows() -> list[dict]:
    with open(FOCUS_SAMPLE, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def file_sum(rows: list[dict], column: str) -> Decimal:
    """The file's own total, computed independently of ingestion."""
    return sum((Decimal(r[column]) for r in rows if r[column] not in ("", "NULL")), Decimal(0))


def test_focus_sample_every_row_is_accounted_for_and_costs_reconcile_exactly(tmp_path: Path):
    (tmp_path / "inbox/billing").mkdir(parents=True)
    shutil.copy(FOCUS_SAMPLE, tmp_path / "inbox/billing/focus_sample.csv")

    result = ingest(tmp_path / "inbox", tmp_path / "raw", "billing")

    expected = sample_rows()
    assert result.rows_in == len(expected) == 1000
    assert result.rows_loaded + result.rows_quarantined == 1000
    quarantined = read_raw(tmp_path / "raw", "quarantine")
    assert len(quarantined) == result.rows_quarantined
    assert all(q["reason"] and q["line_number"] for q in quarantined)
    loaded = read_raw(tmp_path / "raw", "focus_costs")
    assert len(loaded) == result.rows_loaded
    # Every row of the sample is valid FOCUS: all of them load.
    assert result.rows_loaded == 1000
    for column in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"):
        raw_total = sum((r[column] for r in loaded if r[column] is not None), Decimal(0))
        assert raw_total == file_sum(expected, column), column
    assert file_sum(expected, "BilledCost") == Decimal("20.52022672899")


def test_focus_sample_values_nulls_tags_and_extra_columns(tmp_path: Path):
    (tmp_path / "inbox/billing").mkdir(parents=True)
    shutil.copy(FOCUS_SAMPLE, tmp_path / "inbox/billing/focus_sample.csv")
    ingest(tmp_path / "inbox", tmp_path / "raw", "billing")

    rows = {r["_line_number"]: r for r in read_raw(tmp_path / "raw", "focus_costs")}
    first, second = rows[1], rows[2]
    assert first["BilledCost"] == Decimal("0.000000800000")
    assert first["AvailabilityZone"] is None and first["Tags"] is None  # the literal NULL
    assert first["ChargePeriodStart"] == datetime(2024, 9, 18, 22, 0)
    assert first["ChargePeriodEnd"] == datetime(2024, 9, 18, 23, 0)
    assert first["ListUnitPrice"] == pytest.approx(0.0000004)
    assert first["SubAccountName"] == "Atlas Nimbus"
    assert orjson.loads(first["extra_columns_json"]) == {"Id": "11472"}
    assert orjson.loads(second["Tags"])["application"] == "BrightLensMatrix"
    # Credits are negative costs: loaded as they are.
    assert min(r["BilledCost"] for r in rows.values()) == Decimal("-2.6137")


def test_focus_parquet_with_decimals_is_loaded_exactly(tmp_path: Path):
    expected = sample_rows()
    columns = list(expected[0])
    arrays = []
    for column in columns:
        values = [None if r[column] == "NULL" else r[column] for r in expected]
        if column in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"):
            arrays.append(
                pa.array([None if v is None else Decimal(v) for v in values], pa.decimal128(38, 12))
            )
        elif column.endswith(("PeriodStart", "PeriodEnd")):
            arrays.append(pa.array([datetime.fromisoformat(v) for v in values], pa.timestamp("us")))
        else:
            arrays.append(pa.array(values, pa.string()))
    (tmp_path / "inbox/billing").mkdir(parents=True)
    pq.write_table(pa.table(arrays, names=columns), tmp_path / "inbox/billing/focus.parquet")

    result = ingest(tmp_path / "inbox", tmp_path / "raw", "billing")

    assert (result.rows_in, result.rows_loaded) == (1000, 1000)
    loaded = read_raw(tmp_path / "raw", "focus_costs")
    for column in ("BilledCost", "EffectiveCost"):
        assert sum(r[column] for r in loaded) == file_sum(expected, column)
    assert {r["_line_number"] for r in loaded} == set(range(1, 1001))
    by_line = {r["_line_number"]: r for r in loaded}
    assert orjson.loads(by_line[1]["extra_columns_json"]) == {"Id": "11472"}


def test_focus_parquet_with_float_costs_lower_case_names_and_aware_timestamps(tmp_path: Path):
    table = pa.table(
        {
            "billedcost": pa.array([0.1, 0.2, -0.3], pa.float64()),
            "EFFECTIVECOST": pa.array([0.1, 0.2, -0.3], pa.float64()),
            "BillingCurrency": ["USD", "USD", "USD"],
            "ChargePeriodStart": pa.array(
                [datetime(2026, 10, 1, 10)] * 3, pa.timestamp("us", tz="Europe/Paris")
            ),
            "ChargePeriodEnd": pa.array(
                [datetime(2026, 10, 1, 11)] * 3, pa.timestamp("us", tz="Europe/Paris")
            ),
            "Tags": pa.array(
                [[("factory:component", "storage")], None, []], pa.map_(pa.string(), pa.string())
            ),
            "x_Team": ["a", "b", None],
        }
    )
    (tmp_path / "inbox/billing").mkdir(parents=True)
    pq.write_table(table, tmp_path / "inbox/billing/provider.parquet")

    result = ingest(tmp_path / "inbox", tmp_path / "raw", "billing")

    assert result.rows_loaded == 3
    rows = sorted(read_raw(tmp_path / "raw", "focus_costs"), key=lambda r: r["_line_number"])
    # Floats are read by their shortest representation: 0.1 + 0.2 + -0.3 is exactly 0.
    assert sum(r["BilledCost"] for r in rows) == Decimal(0)
    assert rows[0]["BilledCost"] == Decimal("0.1")
    assert rows[0]["ChargePeriodStart"] == datetime(2026, 10, 1, 10)  # stored as UTC
    assert orjson.loads(rows[0]["Tags"]) == {"factory:component": "storage"}
    assert orjson.loads(rows[2]["extra_columns_json"]) == {"x_Team": None}


def test_csv_rows_are_numbered_by_data_row_even_with_multi_line_fields(tmp_path: Path):
    header = (
        "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,"
        "ChargeDescription"
    )
    rows = [
        '1,1,USD,2026-10-01 10:00:00,2026-10-01 11:00:00,"two\nlines"',
        "x,1,USD,2026-10-01 10:00:00,2026-10-01 11:00:00,bad cost",
        "3,3,USD,2026-10-01T10:00:00Z,2026-10-01T11:00:00Z,",
    ]
    (tmp_path / "inbox/billing").mkdir(parents=True)
    (tmp_path / "inbox/billing/b.csv").write_text("\n".join([header, *rows]) + "\n")

    result = ingest(tmp_path / "inbox", tmp_path / "raw", "billing")

    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    loaded = {r["_line_number"]: r for r in read_raw(tmp_path / "raw", "focus_costs")}
    assert loaded[1]["ChargeDescription"] == "two\nlines"
    assert loaded[3]["BilledCost"] == Decimal(3)
    (bad,) = read_raw(tmp_path / "raw", "quarantine")
    assert bad["line_number"] == 2
    assert bad["reason"] == 'invalid_type: BilledCost must be a decimal number, got "x"'
    assert bad["payload"] == rows[1]
