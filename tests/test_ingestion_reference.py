"""Reference exports: customers and projects from CSV (case-insensitive headers) or JSON Lines."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tests.ingestion_helpers import ingest, quarantine_codes, read_raw, write_file, write_jsonl


def test_customers_csv(tmp_path: Path):
    write_file(
        tmp_path / "inbox/customers/customers.csv",
        b"Customer_ID,Name,Organization_Id,Plan,Created_At,unused\r\n"
        b"cust-a,Acme,org-1,enterprise,2026-01-05 10:00:00,x\r\n"
        b'cust-b,"Bolt, Inc.",NULL,team,2026-02-01T12:00:00+01:00,\r\n'
        b"cust-c,Cogs,,platinum,,\r\n",
    )

    result = ingest(tmp_path / "inbox", tmp_path / "raw", "customers")

    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    a, b = sorted(read_raw(tmp_path / "raw", "customers"), key=lambda r: r["customer_id"])
    assert (a["name"], a["organization_id"], a["plan"]) == ("Acme", "org-1", "enterprise")
    assert a["created_at"] == datetime(2026, 1, 5, 10, 0)
    assert (b["name"], b["organization_id"]) == ("Bolt, Inc.", None)
    assert b["created_at"] == datetime(2026, 2, 1, 11, 0)
    assert b["_line_number"] == 2
    (bad,) = read_raw(tmp_path / "raw", "quarantine")
    assert bad["reason"].startswith("unknown_enum: plan must be one of business, enterprise")
    assert (bad["line_number"], bad["payload"]) == (3, "cust-c,Cogs,,platinum,,")


def test_projects_jsonl(tmp_path: Path):
    write_jsonl(
        tmp_path / "inbox/projects/projects.jsonl.gz",
        [
            {
                "project_id": "proj-a",
                "customer_id": "cust-a",
                "name": "API",
                "team": "platform",
                "repository": "acme/api",
                "created_at": "2026-03-01T00:00:00Z",
                "ignored": 1,
            },
            {"project_id": "proj-b", "customer_id": "cust-b"},
            {"project_id": "proj-c"},
        ],
    )

    result = ingest(tmp_path / "inbox", tmp_path / "raw", "projects")

    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    a, b = sorted(read_raw(tmp_path / "raw", "projects"), key=lambda r: r["project_id"])
    assert (a["name"], a["team"], a["repository"]) == ("API", "platform", "acme/api")
    assert a["created_at"] == datetime(2026, 3, 1)
    assert b["name"] is None
    assert quarantine_codes(tmp_path / "raw") == ["missing_field"]


def test_reference_csv_without_required_column_is_rejected_whole(tmp_path: Path):
    write_file(tmp_path / "inbox/projects/projects.csv", b"project_id,name\nproj-a,API\n")

    result = ingest(tmp_path / "inbox", tmp_path / "raw", "projects")

    assert (result.files_rejected, result.rows_in, result.rows_quarantined) == (1, 1, 1)
    (row,) = read_raw(tmp_path / "raw", "quarantine")
    assert row["reason"] == "missing_column: the file lacks required column(s) customer_id"
    assert row["line_number"] is None
