"""The Dagster layer: one lineage graph, a full materialisation, the schedule and the CLI."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ingestion.settings import warehouse_environment
from tests.conftest import REPO_ROOT


def test_dbt_sources_are_the_ingestion_assets():
    from orchestration.definitions import defs
    from orchestration.inbox.assets import ingestion_assets

    ingestion_keys = {key for asset in ingestion_assets for key in asset.keys}
    graph = defs.resolve_asset_graph()
    dbt_keys = {
        key
        for key in graph.get_all_asset_keys()
        if "dbt" in (graph.get(key).kinds or set()) and key not in ingestion_keys
    }
    upstream_of_dbt = {
        parent for key in dbt_keys for parent in graph.get(key).parent_keys
    } - dbt_keys
    assert upstream_of_dbt, "dbt models read nothing"
    # Every dbt source resolves to an ingestion asset: no dangling external raw asset.
    assert upstream_of_dbt <= ingestion_keys, upstream_of_dbt - ingestion_keys
    assert dg.AssetKey(["customer_daily_usage"]) in dbt_keys


def test_every_asset_has_a_description_group_owner_and_kind():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    incomplete = [
        key.to_user_string()
        for key in graph.get_all_asset_keys()
        if not (
            graph.get(key).description
            and graph.get(key).group_name
            and graph.get(key).owners
            and graph.get(key).kinds
        )
    ]
    assert not incomplete


def test_dbt_tests_become_asset_checks():
    from orchestration.definitions import defs

    checks = defs.resolve_asset_graph().asset_check_keys
    mart_checks = [c.name for c in checks if c.asset_key == dg.AssetKey(["cost_daily"])]
    # the primary key's uniqueness (its not_null is an enforced constraint, not a test)
    assert "unique_cost_daily_cost_daily_id" in mart_checks


def test_a_full_refresh_materialises_every_asset_and_passes_every_blocking_check(baseline: Path):
    """The shared baseline is one `refresh_warehouse` run over the generated inbox, in a
    temporary home on an ephemeral instance (`tests.test_publishing.publish_baseline`)."""
    from orchestration.definitions import defs

    run = json.loads((baseline / ".baseline-done").read_text())
    all_assets = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert set(run["materialized"]) == all_assets
    assert run["checks_evaluated"] > 0 and run["checks_failed_with_error"] == []
    # data tests ran (as the checks above); dbt's unit tests are left to development and CI
    assert run["dbt_nodes_run"]["model"] > 0 and run["dbt_nodes_run"]["test"] > 0
    assert "unit_test" not in run["dbt_nodes_run"]


def test_the_marts_agree_with_what_the_generator_sent(baseline: Path, small_inbox: Path):
    # The mart agrees with the generator's own record of what it sent (truth/summary.json),
    # computed independently of ingestion and dbt.
    truth = json.loads((small_inbox / "truth" / "summary.json").read_text())
    with duckdb.connect(str(baseline / "warehouse.duckdb"), read_only=True) as con:
        ai_cost = dict(
            con.execute(
                "select customer_id, sum(ai_cost_usd)::double from marts.customer_daily_usage "
                "group by all"
            ).fetchall()
        )
        lines_modified, commits = con.execute(
            "select sum(code_lines_modified), sum(git_commits) from marts.customer_daily_usage"
        ).fetchall()[0]
    expected_cost = truth["llm"]["list_cost_usd_by_customer"]
    assert set(ai_cost) == set(expected_cost)  # including the explicit `unattributed`
    for customer, cost in expected_cost.items():
        assert ai_cost[customer] == pytest.approx(cost, abs=0.01), customer
    # Cumulative metric series are exported many times but count once.
    assert lines_modified == truth["metrics_truth"]["droid.code.lines_modified"]
    assert commits == truth["metrics_truth"]["droid.git.commits"]


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {"PATH": str(Path(sys.executable).parent), **warehouse_environment(home)}
    return subprocess.run(
        [str(Path(sys.executable).with_name("factory-warehouse")), *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize("command", ["generate", "ingest", "build", "demo", "summary"])
def test_every_cli_command_has_help(command: str, tmp_path: Path):
    completed = _cli(command, "--help", home=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "Usage:" in completed.stdout


def test_ingest_without_an_inbox_says_what_to_do(tmp_path: Path):
    completed = _cli("ingest", "--home", str(tmp_path / "empty"), home=tmp_path)
    assert completed.returncode != 0
    assert "no inbox at" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_demo_materialises_everything_on_the_local_instance(tmp_path: Path):
    home = tmp_path / "demo"
    completed = _cli("demo", "--days", "3", "--customers", "2", "--home", str(home), home=home)
    assert completed.returncode == 0, completed.stderr[-3000:]
    output = completed.stdout + completed.stderr
    assert "customer_daily_usage" in output
    assert "total cost by component" in output.lower()
    # dbt parses the whole project at most once per run, for a database path it has not parsed
    # for (the first step); the facts' step (its partition window is not a dbt var) and the
    # last step reuse that parse (`keep_partial_parse_current`).
    assert output.count("Unable to do partial parsing") <= 1, output.count("Unable to do partial")
    # The run is recorded in the instance that dagster.yaml configures, as `dagster dev` shows it.
    run_id = re.search(r"run id ([0-9a-f-]{36})", output)[1]
    with sqlite3.connect(home / "dagster" / "storage" / "history" / "runs.db") as runs:
        status = runs.execute("select status from runs where run_id = ?", (run_id,)).fetchall()
    assert status == [("SUCCESS",)]
