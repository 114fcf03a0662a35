"""The incremental pricing models: a refresh equals a full rebuild, and reads only what changed.

`int_llm_calls_priced` re-prices the spans whose winning line comes from a raw file it has not
seen, and every call when the model_prices seed changed; `int_llm_costs_daily` recomputes the
days whose calls changed. A re-sent file, and an amended one where a call stops being an LLM
call and another moves to an earlier day, must give the rows of a full rebuild of the same raw
zone; so must an edited price list, for the past calls too.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from benchmarks.scale import generate_held_back, release_held
from ingestion.settings import DBT_PROJECT_DIR
from tests.dbt_helpers import compiled_model, ingest_home, run_dbt

# six dbt runs on a small data set: 64-76 s on the shared two cores, hence `slow`
pytestmark = pytest.mark.slow

MODELS = ("int_llm_calls_priced", "int_llm_costs_daily")
LLM_OPERATIONS = {"chat", "text_completion", "generate_content", "embeddings"}
DAY_NS = 86_400 * 10**9
DAY = r"cast\('(\d{4}-\d{2}-\d{2})' as date\)"  # a day to recompute, inlined


def dbt(project: Path, home: Path, *args: str) -> str:
    """dbt on the warehouse in `home`, with the project copy in `project` (its seed is edited)."""
    return run_dbt(home, *args, project=project)


def run(project: Path, home: Path, *args: str) -> dict:
    """The two models and their parents, the model_prices seed (re)loaded first, without tests:
    dbt's output and the two compiled models."""
    selection = ["--select", "model_prices", "+int_llm_costs_daily"]
    output = dbt(project, home, "build", *selection, "--resource-type", "seed", "model", *args)
    compiled = {model: compiled_model(home, model) for model in MODELS}
    return {"output": output, "compiled": compiled}


def ingest(home: Path) -> None:
    ingest_home(home, ("telemetry", "customers", "projects"))


def resend(path: Path, target: Path) -> None:
    """An exporter sending a whole earlier file again, uncompressed: other bytes, same records."""
    target.write_bytes(gzip.decompress(path.read_bytes()))


def amend(path: Path, target: Path) -> dict[str, tuple[str, str]]:
    """The first line of an earlier file sent again with two LLM calls changed: one becomes a
    tool call, the other starts a day earlier. Returns their (trace_id, span_id)."""
    line = json.loads(gzip.decompress(path.read_bytes()).decode().splitlines()[0])
    changed: dict[str, tuple[str, str]] = {}
    for resource in line["resourceSpans"]:
        for scope in resource["scopeSpans"]:
            for span in scope["spans"]:
                operation = next(
                    (a for a in span["attributes"] if a["key"] == "gen_ai.operation.name"), None
                )
                if operation is None or operation["value"]["stringValue"] not in LLM_OPERATIONS:
                    continue
                key = (span["traceId"], span["spanId"])
                if "flipped" not in changed:
                    operation["value"]["stringValue"] = "execute_tool"
                    changed["flipped"] = key
                elif "moved" not in changed:
                    for field in ("startTimeUnixNano", "endTimeUnixNano"):
                        span[field] = str(int(span[field]) - DAY_NS)
                    changed["moved"] = key
    assert set(changed) == {"flipped", "moved"}, "the line holds two LLM calls"
    target.write_text(json.dumps(line) + "\n")
    return changed


def table_rows(database: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return sorted(con.execute(f"select * from intermediate.{table}").fetchall(), key=repr)


def snapshot(home: Path, path: Path) -> dict[str, list[tuple]]:
    shutil.copy(home / "warehouse.duckdb", path)
    return {model: table_rows(path, model) for model in MODELS}


def raise_prices(seed: Path) -> None:
    """Every output price doubled, from the first row on: every past call costs more."""
    with seed.open(newline="") as file:
        rows = list(csv.DictReader(file))
    for row in rows:
        row["output_usd_per_mtok"] = str(Decimal(row["output_usd_per_mtok"]) * 2)
    with seed.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def pricing(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A warehouse built on 3 days, refreshed after a 4th day with a re-sent and an amended
    earlier file, refreshed again without anything new, fully rebuilt; then refreshed after a
    price change and fully rebuilt again."""
    tmp = tmp_path_factory.mktemp("pricing")
    project = tmp / "dbt_project"
    shutil.copytree(
        DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    home = tmp / "home"
    generated = generate_held_back(tmp / "generated", home, days=3, customers=1, scale=0.3, seed=5)
    ingest(home)
    run(project, home)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        seen = {
            r[0]
            for r in con.execute(
                "select distinct _file_sha256 from intermediate.int_spans_deduplicated"
            ).fetchall()
        }
    before = snapshot(home, tmp / "before.duckdb")

    release_held(tmp / "generated" / "held", home)
    last_day = date.fromisoformat(generated["last_day"])
    telemetry = home / "inbox" / "telemetry"
    traces = sorted(telemetry.glob("traces-*.jsonl.gz"))
    resend(traces[1], telemetry / f"traces-{last_day}-resent.jsonl")
    amended = amend(traces[0], telemetry / f"traces-{last_day}-amended.jsonl")
    ingest(home)
    refresh = run(project, home)
    refreshed = snapshot(home, tmp / "refreshed.duckdb")
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        unseen = {
            r[0]
            for r in con.execute(
                "select distinct _file_sha256 from intermediate.int_spans_deduplicated"
            ).fetchall()
        } - seen
    nothing_new = run(project, home)
    unchanged = snapshot(home, tmp / "unchanged.duckdb")
    run(project, home, "--full-refresh")
    rebuilt = snapshot(home, tmp / "rebuilt.duckdb")

    raise_prices(project / "seeds" / "model_prices.csv")
    price_change = run(project, home)
    repriced = snapshot(home, tmp / "repriced.duckdb")
    run(project, home, "--full-refresh")
    return {
        "before": before,
        "amended": amended,
        "refresh": refresh,
        "unseen": unseen,
        "refreshed": refreshed,
        "nothing_new": nothing_new,
        "unchanged": unchanged,
        "rebuilt": rebuilt,
        "price_change": price_change,
        "repriced": repriced,
        "repriced_rebuilt": snapshot(home, tmp / "repriced_rebuilt.duckdb"),
        "paths": {name: tmp / f"{name}.duckdb" for name in ("before", "refreshed")},
    }


def assert_incremental(run_: dict) -> None:
    for model in MODELS:
        assert f"incremental model intermediate.{model}" in run_["output"]


@pytest.mark.parametrize("model", MODELS)
def test_a_refresh_after_new_resent_and_amended_files_equals_a_full_rebuild(pricing, model):
    assert_incremental(pricing["refresh"])
    refreshed = pricing["refreshed"][model]
    assert len(refreshed) > len(pricing["before"][model]), "the new day's rows were added"
    assert refreshed == pricing["rebuilt"][model]


def test_the_refresh_drops_an_amended_calls_old_row(pricing):
    """The call that became a tool call is gone, though the refresh inserts only LLM calls; the
    one that moved is priced on its new day (the equality with the rebuild checks the rest)."""
    assert_incremental(pricing["refresh"])

    def call_dates(name: str) -> dict[tuple[str, str], date]:
        with duckdb.connect(str(pricing["paths"][name]), read_only=True) as con:
            rows = con.execute(
                "select trace_id, span_id, call_date from intermediate.int_llm_calls_priced"
            ).fetchall()
        return {(trace_id, span_id): day for trace_id, span_id, day in rows}

    before, refreshed = call_dates("before"), call_dates("refreshed")
    flipped, moved = pricing["amended"]["flipped"], pricing["amended"]["moved"]
    assert flipped in before and flipped not in refreshed
    assert refreshed[moved] == before[moved] - timedelta(days=1)


def test_the_refresh_reprices_only_the_changed_spans_and_days(pricing):
    compiled = pricing["refresh"]["compiled"]
    # the spans of the files not seen yet, inlined as literals (DuckDB skips the other row
    # groups), not every span
    listed = set(re.findall(r"'([0-9a-f]{64})'", compiled["int_llm_calls_priced"]))
    assert pricing["unseen"] and listed == pricing["unseen"]
    assert "where 1 = 1" not in compiled["int_llm_calls_priced"]
    days = set(re.findall(DAY, compiled["int_llm_costs_daily"]))
    all_days = {str(r[0]) for r in pricing["refreshed"]["int_llm_costs_daily"]}
    assert days and days < all_days


def test_a_refresh_without_new_files_reads_no_calls(pricing):
    assert_incremental(pricing["nothing_new"])
    for model in MODELS:
        assert "where 1 = 0" in pricing["nothing_new"]["compiled"][model]
        assert pricing["unchanged"][model] == pricing["refreshed"][model]


@pytest.mark.parametrize("model", MODELS)
def test_a_price_change_reprices_the_past_calls(pricing, model):
    assert_incremental(pricing["price_change"])
    compiled = pricing["price_change"]["compiled"][model]
    repriced = pricing["repriced"][model]
    if model == "int_llm_calls_priced":
        assert "where 1 = 1" in compiled
    else:
        assert set(re.findall(DAY, compiled)) == {str(row[0]) for row in repriced}
    assert repriced == pricing["repriced_rebuilt"][model]
    assert repriced != pricing["rebuilt"][model], "the new prices changed past costs"
