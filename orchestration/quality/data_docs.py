"""Keep the latest validation result of every suite and render them as one GX Data Docs site.

Checks run in different steps (and, under `dagster dev`, different processes), so each step saves
its results as JSON (`$FACTORY_WAREHOUSE_HOME/quality/results/<suite>.json`) and the site
(`$FACTORY_WAREHOUSE_HOME/data_docs/index.html`) is rebuilt from all saved results, under a lock.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable
from pathlib import Path

from great_expectations.core.expectation_validation_result import (
    ExpectationSuiteValidationResultSchema,
)

from expectations.data_docs import build_data_docs
from expectations.suites import SUITE_NAMES
from expectations.validate import FailedExpectation, SuiteResult
from ingestion.settings import Settings
from orchestration.alerts.store import locked


def results_dir(settings: Settings) -> Path:
    return settings.home / "quality" / "results"


def data_docs_dir(settings: Settings) -> Path:
    """Where the Data Docs site is built (`index.html`)."""
    return settings.home / "data_docs"


def save_result(settings: Settings, result: SuiteResult) -> Path:
    """Save `result` as the latest of its suite (atomically)."""
    directory = results_dir(settings)
    directory.mkdir(parents=True, exist_ok=True)
    payload = {
        "summary": {
            **{k: v for k, v in dataclasses.asdict(result).items() if k != "gx_result"},
        },
        "gx_result": result.gx_result.to_json_dict() if result.gx_result is not None else None,
    }
    path = directory / f"{result.suite_name}.json"
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(payload, default=str), encoding="utf-8")
    os.replace(tmp, path)
    return path


def load_results(settings: Settings) -> list[SuiteResult]:
    """The latest saved result of every suite that has one, in suite order."""
    results = []
    for name in SUITE_NAMES:
        path = results_dir(settings) / f"{name}.json"
        if not path.exists():
            continue
        payload = json.loads(path.read_text(encoding="utf-8"))
        summary = payload["summary"]
        summary["failures"] = [FailedExpectation(**f) for f in summary["failures"]]
        gx_result = (
            ExpectationSuiteValidationResultSchema().load(payload["gx_result"])
            if payload["gx_result"]
            else None
        )
        results.append(SuiteResult(**summary, gx_result=gx_result))
    return results


def record_and_render(settings: Settings, results: Iterable[SuiteResult]) -> Path:
    """Save `results` and rebuild the site from every suite's latest result; returns its index."""
    for result in results:
        save_result(settings, result)
    site = data_docs_dir(settings)
    with locked(results_dir(settings) / "site"):
        return build_data_docs(load_results(settings), site, run_name="factory-warehouse")
