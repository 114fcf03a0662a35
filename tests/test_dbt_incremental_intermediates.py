"""The incremental intermediate models: a refresh after new raw files equals a full rebuild.

`int_spans_deduplicated` and `int_metric_points_deltas` only read the raw files they have not
seen; a re-sent span or a re-exported metric point in a new file must still replace the row kept
from an older file, and a cumulative series that goes on in a new file must get its deltas from
its earlier points. Both find the kept rows of a key by its stored hash (`_key_hash`); the
refresh here starts from hashes a refresh must mend first: none (a table from before the column)
and stale ones (as if DuckDB's hash() had changed).
"""

from __future__ import annotations

import gzip
import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from benchmarks.scale import generate_held_back, release_held
from tests.dbt_helpers import compiled_model, ingest_home, run_dbt

MODELS = ("int_spans_deduplicated", "int_metric_points_deltas")


def dbt_run(home: Path, *args: str) -> str:
    """`dbt run` of the two models and their staging views on the warehouse in `home`."""
    return run_dbt(home, "run", "--select", " ".join(f"+{model}" for model in MODELS), *args)


def ingest(home: Path) -> None:
    ingest_home(home, ("telemetry", "customers", "projects"))


def resend(path: Path, target: Path) -> None:
    """An exporter sending a whole earlier file again, uncompressed: other bytes, same records."""
    target.write_bytes(gzip.decompress(path.read_bytes()))


def table_rows(database: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return sorted(con.execute(f"select * from intermediate.{table}").fetchall(), key=repr)


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A warehouse built on 3 days, refreshed after a 4th day and re-sent earlier files, and a
    full rebuild of the same raw zone."""
    tmp = tmp_path_factory.mktemp("incremental")
    home = tmp / "home"
    generated = generate_held_back(tmp / "generated", home, days=3, customers=1, scale=0.3, seed=5)
    ingest(home)
    dbt_run(home)
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("alter table intermediate.int_spans_deduplicated drop column _key_hash")
        con.execute("update intermediate.int_metric_points_deltas set _key_hash = _key_hash // 2")
        before = {
            m: con.execute(f"select count(*) from intermediate.{m}").fetchone()[0] for m in MODELS
        }
        seen = {
            m: {r[0] for r in con.execute(f"select _file_sha256 from intermediate.{m}").fetchall()}
            for m in MODELS
        }
    release_held(tmp / "generated" / "held", home)
    last_day = date.fromisoformat(generated["last_day"])
    telemetry = home / "inbox" / "telemetry"
    first = sorted(telemetry.glob("traces-*.jsonl.gz"))[0]
    resend(first, telemetry / f"traces-{last_day}-resent.jsonl")
    resend(
        sorted(telemetry.glob("metrics-*.jsonl.gz"))[1],
        telemetry / f"metrics-{last_day}-resent.jsonl",
    )
    ingest(home)
    output = dbt_run(home)
    compiled = {model: compiled_model(home, model) for model in MODELS}
    incremental = tmp / "incremental.duckdb"
    incremental.write_bytes((home / "warehouse.duckdb").read_bytes())
    with duckdb.connect(str(incremental), read_only=True) as con:
        staging = {"int_spans_deduplicated": "stg_otel__spans"}
        unseen = {
            m: {
                r[0]
                for r in con.execute(
                    "select distinct _file_sha256 from "
                    f"staging.{staging.get(m, 'stg_otel__metric_points')}"
                ).fetchall()
            }
            - seen[m]
            for m in MODELS
        }
    dbt_run(home, "--full-refresh")
    return {
        "home": home,
        "incremental": incremental,
        "rebuilt": home / "warehouse.duckdb",
        "before": before,
        "output": output,
        "compiled": compiled,
        "unseen": unseen,
    }


@pytest.mark.parametrize("model", MODELS)
def test_a_refresh_after_new_and_resent_files_equals_a_full_rebuild(refreshed, model):
    incremental = table_rows(refreshed["incremental"], model)
    assert len(incremental) > refreshed["before"][model], "the new day's rows were added"
    assert incremental == table_rows(refreshed["rebuilt"], model)


def test_the_refresh_reads_only_files_it_has_not_seen(refreshed):
    for model in MODELS:
        assert f"incremental model intermediate.{model}" in refreshed["output"]
        compiled = refreshed["compiled"][model]
        # the new files' hashes are inlined as literals (DuckDB prunes the other files' row
        # groups in the Parquet scan), not an anti-join that reads every raw row first
        assert "_file_sha256 not in" not in compiled
        listed = set(re.findall(r"'([0-9a-f]{64})'", compiled))
        assert refreshed["unseen"][model], "the refresh brought new files"
        assert listed == refreshed["unseen"][model]
        # the kept rows are found by their key's hash (8 bytes a row), not by the key's strings,
        # and fetched by row id (key_hash.sql: rows_with_key_hash)
        assert "rowid in (" in compiled and "keyed._key_hash in (select" in compiled


KEYS = {
    "int_spans_deduplicated": ("trace_id, span_id", "stg_otel__spans"),
    "int_metric_points_deltas": ("series_key", "stg_otel__metric_points"),
}


@pytest.mark.parametrize("model", MODELS)
def test_the_refresh_records_the_rows_of_the_new_files_keys_for_its_tests(refreshed, model):
    """The rows the model's tests read in the refresh (rewritten_rows.sql) are every row of a
    key in the files it had not seen, found by key hash and row id as the model finds them."""
    keys, staging = KEYS[model]
    files = ", ".join(f"'{sha}'" for sha in refreshed["unseen"][model])
    with duckdb.connect() as con:
        # the predicate names its tables in the catalog dbt wrote them in
        con.execute(f"attach '{refreshed['incremental']}' as warehouse (read_only)")
        con.execute("use warehouse")
        [(predicate,)] = con.execute(
            f"select predicate from intermediate.{model}__rewritten_rows"
        ).fetchall()
        assert "rowid in (" in predicate and "keyed._key_hash in (" in predicate
        recorded = con.execute(f"select * from intermediate.{model} where {predicate}").fetchall()
        expected = con.execute(
            f"select * from intermediate.{model} where ({keys}) in"
            f" (select {keys} from staging.{staging} where _file_sha256 in ({files}))"
        ).fetchall()
    assert expected and sorted(recorded, key=repr) == sorted(expected, key=repr)
