"""dbt models as Dagster assets: one `DbtProject`, one translator, `dbt build` streamed.

dbt tests become asset checks. dbt sources translate to the ingestion assets' keys (`raw/<table>`).
"""

import fcntl
import json
import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DbtCliInvocation,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from ingestion.settings import DBT_PROJECT_DIR
from orchestration.inbox.assets import raw_asset_key
from orchestration.partitions import daily_partitions
from orchestration.resources import DBT_BUILD, DUCKDB_WRITER_POOL, PARTITION_WINDOW_ENV

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# The dbt installed next to this interpreter: the venv need not be on PATH (`make`, CI, cron).
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
PARTIAL_PARSE_FILE = "partial_parse.msgpack"


def dbt_resource() -> DbtCliResource:
    """The dbt CLI resource on this repository's project."""
    return DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)


def keep_partial_parse_current(invocation: DbtCliInvocation) -> None:
    """Copy the `partial_parse.msgpack` an invocation wrote back to the project's target.

    dagster-dbt seeds every invocation with the project's copy, and dbt throws it away and parses
    the whole project again (~8 s, 15-20 s on a busy machine) when the profile (the database
    path) or the vars differ from the parse that wrote it. Without this, every dbt step of every
    run on another database than the last `dbt parse` paid that parse.
    """
    written = invocation.target_path / PARTIAL_PARSE_FILE
    if not written.exists():
        return
    project_copy = dbt_project.project_dir / dbt_project.target_path / PARTIAL_PARSE_FILE
    temporary = project_copy.with_name(f".{PARTIAL_PARSE_FILE}.{os.getpid()}")
    shutil.copyfile(written, temporary)
    os.replace(temporary, project_copy)  # a concurrent reader sees the old or the new file


def _newest_source_mtime(project_dir: Path) -> float:
    watched = ("models", "macros", "seeds", "tests", "analyses", "snapshots")
    files = [project_dir / "dbt_project.yml", project_dir / "profiles.yml"]
    for folder in watched:
        files.extend(p for p in (project_dir / folder).rglob("*") if p.is_file())
    return max(p.stat().st_mtime for p in files if p.exists())


def ensure_manifest(project: DbtProject = dbt_project) -> Path:
    """Parses the dbt project when its manifest is missing or older than any project file.

    `prepare_if_dev()` only re-parses under `dagster dev`; the CLI, tests and
    `dagster asset materialize` would otherwise load a stale manifest and miss new models.
    Processes starting together (parallel test workers, the UI and a cron run) parse once: the
    first holds a lock while it writes, the others wait and find the manifest fresh.
    """
    manifest = project.manifest_path
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with open(manifest.parent / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime(
            project.project_dir
        ):
            dbt_resource().cli(["parse", "--quiet"], target_path=project.target_path).wait()
    return manifest


class FactoryDbtTranslator(DagsterDbtTranslator):
    """Sources map to the ingestion assets; models are grouped by layer (staging, marts, …)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return raw_asset_key(dbt_resource_props["name"])
        return dg.AssetKey([dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "seeds"
        fqn = dbt_resource_props.get("fqn", [])
        # fqn: [project, layer, area?, model]
        return fqn[1] if len(fqn) > 2 else "dbt"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return ["team:analytics-engineering"]


ensure_manifest()


# The incremental facts are partitioned by day. dbt runs in three steps so the graph between
# steps stays acyclic: every model not downstream of the facts (staging, intermediate, dims),
# then the facts for the run's days, then every model downstream of them.
DAILY_FACTS = "tag:daily_partitioned"


def _models_downstream_of_facts(manifest_path: Path) -> list[str]:
    """Names of the models that read the facts, directly or not (the facts excluded)."""
    nodes = json.loads(manifest_path.read_text())["nodes"]
    children: dict[str, list[str]] = {}
    for unique_id, node in nodes.items():
        for parent in node.get("depends_on", {}).get("nodes", []):
            children.setdefault(parent, []).append(unique_id)
    facts = [u for u, n in nodes.items() if "daily_partitioned" in n.get("tags", [])]
    seen, stack = set(), list(facts)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return sorted(
        nodes[u]["name"] for u in seen - set(facts) if nodes[u]["resource_type"] == "model"
    )


# Tests of the later models that also read a fact (e.g. a relationship to `fct_runs`) would
# otherwise be picked up by the facts' step and fail on a table not built yet.
LATER_MODELS_AND_TESTS = " ".join(
    f"{name}+1" for name in _models_downstream_of_facts(dbt_project.manifest_path)
)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    exclude=f"{DAILY_FACTS}+",
    name="dbt_fact_inputs",
    dagster_dbt_translator=FactoryDbtTranslator(),
    pool=DUCKDB_WRITER_POOL,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def dbt_fact_inputs(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Builds every model not downstream of the incremental facts: staging, intermediate, dims."""
    invocation = dbt.cli([*DBT_BUILD], context=context)
    yield from invocation.stream()
    keep_partial_parse_current(invocation)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    select=DAILY_FACTS,
    exclude=LATER_MODELS_AND_TESTS or None,
    name="dbt_daily_facts",
    dagster_dbt_translator=FactoryDbtTranslator(),
    partitions_def=daily_partitions,
    pool=DUCKDB_WRITER_POOL,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def dbt_daily_facts(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Rebuilds the run's days (its partition range) of the incremental facts."""
    with partition_window_environment(context.partition_time_window):
        invocation = dbt.cli([*DBT_BUILD], context=context)
    yield from invocation.stream()
    keep_partial_parse_current(invocation)


@contextmanager
def partition_window_environment(window: dg.TimeWindow) -> Iterator[None]:
    """The partition window (end exclusive) in the environment of the dbt processes started
    inside: `dbt.cli` copies `os.environ` when it starts dbt. An environment variable rather
    than `--vars`, which would make dbt parse the whole project again on every run."""
    previous = os.environ.get(PARTITION_WINDOW_ENV)
    os.environ[PARTITION_WINDOW_ENV] = f"{window.start.date()}/{window.end.date()}"
    try:
        yield
    finally:
        if previous is None:
            del os.environ[PARTITION_WINDOW_ENV]
        else:
            os.environ[PARTITION_WINDOW_ENV] = previous


@dbt_assets(
    manifest=dbt_project.manifest_path,
    select=f"{DAILY_FACTS}+",
    exclude=DAILY_FACTS,
    name="dbt_models",
    dagster_dbt_translator=FactoryDbtTranslator(),
    pool=DUCKDB_WRITER_POOL,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Builds (runs and tests) every model downstream of the facts: marts and reports."""
    invocation = dbt.cli([*DBT_BUILD], context=context)
    yield from invocation.stream()
    keep_partial_parse_current(invocation)


dbt_model_assets = [dbt_fact_inputs, dbt_daily_facts, dbt_models]
