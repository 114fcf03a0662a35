"""Render validation results as a Great Expectations Data Docs site (static HTML, offline)."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import great_expectations as gx
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)

from expectations.suites import SUITES_DIR, load_suite
from expectations.validate import SuiteResult

SITE_NAME = "local_site"


def build_data_docs(
    results: Iterable[SuiteResult],
    site_dir: Path,
    *,
    run_name: str = "factory-warehouse",
    run_time: dt.datetime | None = None,
    suites_dir: Path = SUITES_DIR,
) -> Path:
    """Build a Data Docs site for `results` into `site_dir`; returns its `index.html`.

    Each result appears as one validation page (chunks of a raw table already merged), next to
    the page of its suite. A throw-away in-memory GX context renders them; nothing but the HTML
    site is written. Results without a GX result (none here) are skipped.
    """
    site_dir = Path(site_dir).resolve()
    site_dir.mkdir(parents=True, exist_ok=True)
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        data_docs_sites={
            SITE_NAME: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(site_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        },
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    run_id = RunIdentifier(run_name=run_name, run_time=run_time or dt.datetime.now(dt.UTC))
    added: set[str] = set()
    for index, result in enumerate(results):
        if result.gx_result is None:
            continue
        if result.suite_name not in added:
            context.suites.add(load_suite(result.suite_name, suites_dir))
            added.add(result.suite_name)
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=result.suite_name),
            run_id=run_id,
            # one page per result, even for two results of one suite in one run
            batch_identifier=f"{result.suite_name}-{index}",
        )
        # a copy labelled with this run: the page header shows its name and time
        page = copy.copy(result.gx_result)
        page.meta = {**(result.gx_result.meta or {}), "run_id": run_id}
        context.validation_results_store.set(key, page)
    context.build_data_docs(site_names=[SITE_NAME])
    index_html = site_dir / "index.html"
    if not index_html.exists():
        raise RuntimeError(f"GX did not write {index_html}")
    return index_html
