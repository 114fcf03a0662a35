"""The scale benchmark: generate a data set, then measure every cost of the warehouse in one run.

    .venv/bin/python -m benchmarks.scale                        # 365 days x 200 customers
    .venv/bin/python -m benchmarks.scale --days 365 --customers 5 --history-days 90
    .venv/bin/python -m benchmarks.scale --smoke                # seconds; what the test runs

For each history length (`--history-days`, then `--days`) it generates that many days plus one
with the project's generator (`ingestion.generator`), holds the last day back, and measures:

1. ingestion (`benchmarks.ingest_timed`) against the floor, DuckDB reading the same files;
2. the full `dbt build` (models and tests): wall time and peak RSS of the dbt process;
3. the refresh after the held-back day arrives: its ingestion and a `dbt build` over that one
   daily partition (`FACTORY_WAREHOUSE_PARTITION_WINDOW`, as the hourly Dagster job runs it).

On the longest history it then publishes the serving snapshot and times 10 analyst queries
(`benchmarks.queries`), and finally times `factory-warehouse demo` in a fresh home. Results go
to `benchmarks/results/<days>d-<customers>c.json` and the table in `docs/benchmarks.md`.
Every phase runs in its own process so its peak memory is its own (`os.wait4`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from ingestion.settings import DBT_PROJECT_DIR, REPO_ROOT, warehouse_environment
from orchestration.resources import DBT_BUILD, PARTITION_WINDOW_ENV

RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
# written by benchmarks/default_scale.py, which measures the default scale in phases
DEFAULT_SCALE_RESULTS = RESULTS_DIR / "365d-200c.json"
DOCS_PATH = REPO_ROOT / "docs" / "benchmarks.md"
# A fixed last day keeps a data set identical from one run to the next.
END_DATE = date(2026, 10, 31)
# The default data set: a year of 200 customers, "about 2 million runs". The generator's
# scale 0.5 gives that (2.04 M runs, 13 M spans, 32 M metric points a year; see docs/benchmarks.md).
DEFAULT_SCALE = {"days": 365, "customers": 200, "scale": 0.5}

TARGETS = {
    "ingestion_vs_floor": 2.0,  # ingestion wall time / DuckDB read of the same files
    "incremental_vs_full": 0.10,  # one-day refresh (dbt) / full build (dbt)
    "incremental_growth": 1.25,  # refresh at the long history / at the short one ("flat")
    "query_p95_ms": 100.0,
    "peak_memory_gib": 4.0,
    "full_build_default_scale_s": 900.0,
}

MARK_START = "<!-- benchmark-results:start -->"
MARK_END = "<!-- benchmark-results:end -->"


# ---------------------------------------------------------------------------- measuring phases


def run_measured(command: list[str], env: dict[str, str], cwd: Path = REPO_ROOT) -> dict:
    """Run a command; its wall time, peak RSS (its own process tree) and stdout."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=err)
        # wait4 gives this child's rusage alone, not the sum over every child so far
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({process.returncode}):\n{stdout[-4000:]}\n"
            f"{stderr[-4000:]}"
        )
    return {
        "seconds": round(seconds, 3),
        "peak_rss_bytes": usage.ru_maxrss * 1024,  # kB on Linux
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
        "stdout": stdout,
    }


def environment(home: Path) -> dict[str, str]:
    """The environment every phase runs in: one warehouse home, dbt's defaults of the project."""
    env = {**os.environ, **warehouse_environment(home)}
    # The target is the process's peak RSS under 4 GiB. DuckDB's limit caps its buffer pool only
    # ("4GB" is 3.73 GiB), and the dbt process adds ~0.35 GiB: at 365 d x 12 customers a 4GB
    # limit peaked at 4.06 GiB. 3GB leaves that headroom.
    env.setdefault("FACTORY_WAREHOUSE_DUCKDB_MEMORY_LIMIT", "3GB")
    return env


def dbt_build(home: Path, extra: list[str], label: str, window: str | None = None) -> dict:
    """`dbt build` on the warehouse in `home` as the Dagster refresh runs it (data tests, no unit
    tests), with the partition `window` (`one_day_window`) if given; time, memory and the
    slowest nodes."""
    # one target folder per home: the second build reuses the first one's partial parse
    target = home / "dbt-target"
    command = [
        str(Path(sys.executable).with_name("dbt")),
        *DBT_BUILD,
        *extra,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target),
        "--log-path",
        str(home / "dbt-logs"),
    ]
    env = environment(home)
    if window:
        env[PARTITION_WINDOW_ENV] = window
    measured = run_measured(command, env, cwd=DBT_PROJECT_DIR)
    # the threads dbt ran with, as it reports them (the profile's default or the environment's)
    measured["threads"] = int(re.search(r"Concurrency: (\d+) threads", measured.pop("stdout"))[1])
    shutil.copy(target / "run_results.json", home / f"run_results-{label}.json")
    results = json.loads((target / "run_results.json").read_text())["results"]
    models = [r for r in results if r["unique_id"].startswith("model.")]
    tests = [r for r in results if r["unique_id"].startswith("test.")]
    slowest = sorted(models, key=lambda r: -r["execution_time"])[:8]
    measured.update(
        {
            "models": len(models),
            "tests": len(tests),
            "unit_tests": sum(r["unique_id"].startswith("unit_test.") for r in results),
            "model_seconds": round(sum(r["execution_time"] for r in models), 3),
            "test_seconds": round(sum(r["execution_time"] for r in tests), 3),
            "slowest_models": {
                r["unique_id"].split(".")[-1]: round(r["execution_time"], 3) for r in slowest
            },
            "slowest_tests": {
                r["unique_id"].split(".")[-2]: round(r["execution_time"], 3)
                for r in sorted(tests, key=lambda r: -r["execution_time"])[:5]
            },
        }
    )
    return measured


def ingest(home: Path, *, floor: bool, compare_one_worker: bool = False) -> dict:
    """Ingestion of the inbox in `home` in its own process (and, when asked, the floor before
    and after it: the faster read counts)."""
    command = [sys.executable, "-m", "benchmarks.ingest_timed", str(home)]
    if not floor:
        command.append("--ingest-only")
    elif compare_one_worker:
        command.append("--compare-one-worker")
    measured = run_measured(command, environment(home))
    result = json.loads(measured.pop("stdout"))
    result["process_peak_rss_bytes"] = measured["peak_rss_bytes"]
    if floor:
        result["ratio_to_floor"] = round(
            result["ingestion"]["seconds"] / result["floor"]["seconds"], 3
        )
    result["records_per_s"] = round(result["ingestion"]["records"] / result["ingestion"]["seconds"])
    result["raw_rows_per_s"] = round(
        result["ingestion"]["raw_rows"] / result["ingestion"]["seconds"]
    )
    result["mb_per_s"] = round(result["bytes"] / 1e6 / result["ingestion"]["seconds"], 2)
    if "ingestion_one_worker" in result:
        one = result["ingestion_one_worker"]["seconds"]
        result["one_worker_ratio_to_floor"] = round(one / result["floor"]["seconds"], 3)
        result["pool_speedup"] = round(one / result["ingestion"]["seconds"], 3)
    return result


# ------------------------------------------------------------------------------ the data set


def generate_held_back(
    out: Path, home: Path, *, days: int, customers: int, scale: float, seed: int
) -> dict:
    """Generate `days + 1` days; put all but the last day's files in `home/inbox/` and the last
    day's (its daily files and its month's invoices) in `out/held/`."""
    from ingestion.generator import generate

    started = time.perf_counter()
    summary = generate(
        out, days=days + 1, customers=customers, seed=seed, scale=scale, end_date=END_DATE
    )
    seconds = time.perf_counter() - started
    last = summary.end_date
    held = out / "held"
    (home / "inbox").mkdir(parents=True, exist_ok=True)
    for path in sorted((out / "inbox").rglob("*")):
        if not path.is_file():
            continue
        folder = held if is_held_back(path, last) else home / "inbox"
        target = folder / path.relative_to(out / "inbox")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)
    return {
        "seconds": round(seconds, 3),
        "first_day": summary.start_date.isoformat(),
        "last_day": last.isoformat(),
        "rows": summary.rows,
        "held": held,
    }


def is_held_back(path: Path, last_day: date) -> bool:
    """Whether an export file is the held-back day's: its daily file, or its month's invoice."""
    from ingestion.pipeline import export_period

    period = export_period(path)
    return period is not None and period[0] <= last_day <= period[1]


def release_held(held: Path, home: Path) -> None:
    """The held-back day's files arrive in the inbox."""
    for path in sorted(held.rglob("*")):
        if path.is_file():
            target = home / "inbox" / path.relative_to(held)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, target)


# -------------------------------------------------------------------------------- the phases


def measure_history(
    work: Path,
    *,
    days: int,
    customers: int,
    scale: float,
    seed: int,
    select: str | None,
    compare_one_worker: bool = False,
) -> dict:
    """Generate, ingest against the floor, full build, then the one-day refresh."""
    home = work / f"home-{days}d"
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(work / f"gen-{days}d", ignore_errors=True)
    generated = generate_held_back(
        work / f"gen-{days}d", home, days=days, customers=customers, scale=scale, seed=seed
    )
    held = generated.pop("held")
    # cautious: leave out the tests that also read models outside the selection
    selection = ["--select", select, "--indirect-selection", "cautious"] if select else []
    print(f"[{days}d] generated in {generated['seconds']:.0f} s; ingesting", flush=True)
    ingestion = ingest(home, floor=True, compare_one_worker=compare_one_worker)
    print(f"[{days}d] ingestion {ingestion['ratio_to_floor']}x floor; full build", flush=True)
    full = dbt_build(home, selection, "full")
    print(f"[{days}d] full build {full['seconds']:.0f} s; one more day", flush=True)

    release_held(held, home)
    refresh_ingest = ingest(home, floor=False)
    refresh_window = one_day_window(generated["last_day"])
    _save_before_refresh(home)
    incremental = dbt_build(home, selection, "incremental", refresh_window)
    print(f"[{days}d] incremental build {incremental['seconds']:.0f} s", flush=True)
    return {
        "home": home,
        "days": days,
        "generation": generated,
        "ingestion": ingestion,
        "full_build": full,
        "incremental": {
            "ingestion": refresh_ingest,
            "build": incremental,
            "ratio_to_full_build": round(incremental["seconds"] / full["seconds"], 3),
        },
        "refresh_selection": selection,
        "refresh_window": refresh_window,
    }


def one_day_window(day: str) -> str:
    """The partition window of the refresh of one day (ISO), as `PARTITION_WINDOW_ENV` takes it:
    START/END, end exclusive."""
    start = date.fromisoformat(day)
    return f"{start}/{start + timedelta(1)}"


# What a refresh build changes, in a home: the warehouse, and dbt's partial parse (a repeat must
# parse as much as the first refresh did, after the full build).
_REFRESHED = (Path("warehouse.duckdb"), Path("dbt-target") / "partial_parse.msgpack")


def _save_before_refresh(home: Path) -> None:
    for path in _REFRESHED:
        shutil.copyfile(home / path, home / f"before-refresh-{path.name}")
    _write_back_copies()


def _write_back_copies() -> None:
    """Write the copies' dirty pages to disk before a refresh starts. Left in the page cache, the
    refresh's first fsync (the commit of its first model with a sizeable change) waited for
    them: a cost of the harness, as large as the warehouse, so it grew with history (one
    commit of `fct_cost_allocations` at 365 days x 12 customers: 1.40 s after a copy, 0.32 s
    after a sync)."""
    os.sync()


def repeat_refreshes(histories: list[dict], rounds: int) -> None:
    """The one-day refresh again, `rounds` times, the histories in turn (90 d, 365 d, 90 d, ...),
    each from the state it had before its first refresh. On a shared machine the load drifts
    over the minutes between two histories' first refreshes; back to back, their ratio holds."""
    for round_ in range(1, rounds + 1):
        for history in histories:
            home = history["home"]
            for path in _REFRESHED:
                shutil.copyfile(home / f"before-refresh-{path.name}", home / path)
            _write_back_copies()
            build = dbt_build(
                home,
                history["refresh_selection"],
                f"incremental-{round_}",
                history["refresh_window"],
            )
            history["incremental"].setdefault("repeats", []).append(build["seconds"])
            days, seconds = history["days"], build["seconds"]
            print(f"[{days}d] refresh round {round_}: {seconds:.0f} s", flush=True)
    for history in histories:
        runs = [history["incremental"]["build"]["seconds"], *history["incremental"]["repeats"]]
        history["incremental"]["median_seconds"] = round(statistics.median(runs), 3)
        history["incremental"]["ratio_to_full_build"] = round(
            history["incremental"]["median_seconds"] / history["full_build"]["seconds"], 3
        )


def measure_queries(home: Path, serving_db: Path | None, repeat: int) -> dict:
    """Publish the serving snapshot of `home` (unless one is given) and time the queries."""
    from benchmarks.queries import run_queries

    publish_seconds = None
    if serving_db is None:
        from orchestration.publishing.snapshot import publish_snapshot

        started = time.perf_counter()
        publish_snapshot(home / "warehouse.duckdb", home / "serving", run_id="benchmark")
        publish_seconds = round(time.perf_counter() - started, 3)
        serving_db = home / "serving" / "warehouse.duckdb"
    queries = run_queries(serving_db, repeat)
    return {
        "publish_seconds": publish_seconds,
        "serving_bytes": serving_db.resolve().stat().st_size,
        "repeat": repeat,
        "per_query": queries,
        "p95_ms_worst": max(q["p95_ms"] for q in queries.values()),
        "p50_ms_median": sorted(q["p50_ms"] for q in queries.values())[len(queries) // 2],
    }


def measure_demo(work: Path) -> dict:
    """`factory-warehouse demo` (its defaults: 30 days, 10 customers) in a fresh home."""
    home = work / "home-demo"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    command = [
        str(Path(sys.executable).with_name("factory-warehouse")),
        "demo",
        "--home",
        str(home),
    ]
    measured = run_measured(command, environment(home))
    measured.pop("stdout")
    return measured


# ------------------------------------------------------------------------------- the verdict


def machine_facts() -> dict:
    """What the figures were measured on: a noisy shared machine, so load is recorded too."""
    import dbt.version
    import duckdb

    # The first processor's fields: machines sold under one model name ("AMD EPYC") differ in
    # speed, and more for Python than for DuckDB; family and model tell them apart.
    cpuinfo: dict[str, str] = {}
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if not line.strip():
                break
            key, _, value = line.partition(":")
            cpuinfo[key.strip()] = value.strip()
    with open("/proc/meminfo") as handle:
        mem_kb = int(handle.readline().split()[1])
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpu": cpuinfo.get("model name", "unknown"),
        "cpu_model": f"family {cpuinfo.get('cpu family')}, model {cpuinfo.get('model')}, "
        f"stepping {cpuinfo.get('stepping')}",
        "cpu_mhz": cpuinfo.get("cpu MHz"),
        "cpus_available": len(os.sched_getaffinity(0)),
        "memory_gib": round(mem_kb / 2**20, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dbt_core": dbt.version.__version__,
        "os": platform.platform(),
        "commit": commit,
    }


def verdicts(results: dict) -> dict[str, dict]:
    """Each target with its measured figure and met / missed (or not measured)."""
    longest = results["histories"][-1]
    out = {}
    ratio = longest["ingestion"]["ratio_to_floor"]
    out["ingestion_vs_floor"] = _verdict(ratio, TARGETS["ingestion_vs_floor"], f"{ratio:.2f}x")
    ratio = longest["incremental"]["ratio_to_full_build"]
    out["incremental_vs_full"] = _verdict(
        ratio, TARGETS["incremental_vs_full"], f"{ratio * 100:.0f}%"
    )
    if not _is_default_scale(results) and (refresh := default_scale_refresh_verdict()):
        out["incremental_vs_full_default_scale"] = refresh
    if len(results["histories"]) > 1:
        short = results["histories"][0]
        growth = (
            longest["incremental"]["build"]["seconds"] / short["incremental"]["build"]["seconds"]
        )
        if longest["incremental"].get("repeats"):
            # the median of the ratios of the back-to-back rounds
            growth = statistics.median(
                long / short_
                for long, short_ in zip(
                    longest["incremental"]["repeats"], short["incremental"]["repeats"], strict=True
                )
            )
        results["incremental_growth"] = round(growth, 3)
        out["incremental_growth"] = _verdict(
            growth,
            TARGETS["incremental_growth"],
            f"{growth:.2f}x from {short['days']} to {longest['days']} days",
        )
    if results.get("queries"):
        p95 = results["queries"]["p95_ms_worst"]
        out["query_p95_ms"] = _verdict(p95, TARGETS["query_p95_ms"], f"{p95:.1f} ms (worst)")
    peak = (
        max(
            max(h["full_build"]["peak_rss_bytes"], h["incremental"]["build"]["peak_rss_bytes"])
            for h in results["histories"]
        )
        / 2**30
    )
    out["peak_memory_gib"] = _verdict(peak, TARGETS["peak_memory_gib"], f"{peak:.2f} GiB")
    full = longest["full_build"]["seconds"]
    if _is_default_scale(results):
        out["full_build_default_scale_s"] = _verdict(
            full, TARGETS["full_build_default_scale_s"], f"{full:.0f} s"
        )
    else:
        out["full_build_default_scale_s"] = default_scale_verdict(results)
    return out


def _is_default_scale(results: dict) -> bool:
    return all(results["parameters"][key] == value for key, value in DEFAULT_SCALE.items())


def default_scale_refresh_verdict() -> dict | None:
    """The one-day refresh at the default scale as benchmarks/default_scale.py last measured it
    (where dbt's fixed cost per run weighs least), judged; None before any measurement."""
    if not DEFAULT_SCALE_RESULTS.exists():
        return None
    measured = json.loads(DEFAULT_SCALE_RESULTS.read_text())
    if "refresh" not in measured:
        return None
    refresh, full = measured["refresh"]["seconds"], measured["full_build"]["seconds"]
    ratio = refresh / full
    return _verdict(
        ratio,
        TARGETS["incremental_vs_full"],
        f"{ratio * 100:.0f}% ({refresh:.0f} s against {full:.0f} s), measured by "
        f"`benchmarks/default_scale.py` at `{measured['code']}`",
    )


def default_scale_verdict(results: dict) -> dict:
    """The default-scale full build as benchmarks/default_scale.py last measured it, judged,
    with this run's estimate beside it; the estimate alone (not judged) before any measurement."""
    estimate = default_scale_estimate(results)
    if not DEFAULT_SCALE_RESULTS.exists():
        return estimate
    measured = json.loads(DEFAULT_SCALE_RESULTS.read_text())
    seconds = measured["full_build"]["seconds"]
    verdict = _verdict(
        seconds,
        TARGETS["full_build_default_scale_s"],
        f"{seconds:.0f} s, measured by `benchmarks/default_scale.py` at `{measured['code']}` "
        f"(benchmarks/results/{DEFAULT_SCALE_RESULTS.name}); this run's fit estimates "
        f"{estimate['value']} s",
    )
    return {**verdict, "estimate": estimate}


def default_scale_estimate(results: dict) -> dict:
    """The full build at the default scale, estimated (never judged) from this run's builds.

    With two history lengths, the line through (raw rows, seconds) of their full builds: a fixed
    part (dbt start-up, parse, per-test overhead) plus a cost per raw row. With one, proportional
    to raw rows. Either is a floor on the estimate when sorts and windows grow worse than linearly.
    """
    params, histories = results["parameters"], results["histories"]
    longest = histories[-1]
    rows = longest["ingestion"]["ingestion"]["raw_rows"]
    volume = params["days"] * params["customers"] * params["scale"]
    default_volume = DEFAULT_SCALE["days"] * DEFAULT_SCALE["customers"] * DEFAULT_SCALE["scale"]
    default_rows = rows * default_volume / volume
    full = longest["full_build"]["seconds"]
    short = histories[0]
    short_rows = short["ingestion"]["ingestion"]["raw_rows"]
    if len(histories) > 1 and rows > short_rows:
        per_row = (full - short["full_build"]["seconds"]) / (rows - short_rows)
        fixed = full - per_row * rows
        how = (
            f"{fixed:.0f} s fixed + {per_row * 1e6:.1f} s per million raw rows "
            f"(fitted on the {short['days']}- and {longest['days']}-day builds)"
        )
    else:
        per_row, fixed = full / rows, 0.0
        how = f"{full:.0f} s here, proportional to raw rows"
    estimate = fixed + per_row * default_rows
    return {
        "value": round(estimate),
        "target": TARGETS["full_build_default_scale_s"],
        "met": None,
        "default_raw_rows": round(default_rows),
        "text": f"not measured; estimated {estimate:.0f} s for {default_rows / 1e6:.0f} M raw "
        f"rows: {how}",
    }


def _floor_seconds(floor: dict) -> str:
    reads = floor.get("reads_seconds", [])
    if len(reads) < 2:  # results of a harness that read the files once
        return f"{floor['seconds']:.1f} s"
    return f"{floor['seconds']:.1f} s (the faster of {', '.join(f'{r:.1f}' for r in reads)})"


def _verdict(value: float, target: float, text: str) -> dict:
    return {"value": round(value, 4), "target": target, "met": value <= target, "text": text}


# ------------------------------------------------------------------------------- the report


def _refresh_seconds(incremental: dict) -> str:
    """The refresh build's time: the median of its runs when it was repeated, with each run."""
    first = incremental["build"]["seconds"]
    if not incremental.get("repeats"):
        return f"{first:.1f} s"
    runs = ", ".join(f"{x:.1f}" for x in [first, *incremental["repeats"]])
    return f"{incremental['median_seconds']:.1f} s (median of {runs})"


def markdown(results: dict) -> str:
    """The results table for docs/benchmarks.md."""
    params, machine = results["parameters"], results["machine"]
    longest = results["histories"][-1]
    lines = [
        f"Measured {results['measured_at']} at commit `{machine['commit']}`: "
        f"{params['days']} days x {params['customers']} customers (scale {params['scale']}, "
        f"seed {params['seed']}), history lengths "
        f"{', '.join(str(h['days']) for h in results['histories'])} days.",
        "",
        f"Machine: {machine['cpu']}"
        + (f" ({machine['cpu_model']})" if "cpu_model" in machine else "")
        + f", {machine['cpus_available']} CPUs, "
        f"{machine['memory_gib']} GiB RAM, load average {machine['load_average_at_start']} at "
        f"start; Python {machine['python']}, DuckDB {machine['duckdb']}, dbt-core "
        f"{machine['dbt_core']}; DuckDB memory_limit {params['memory_limit']}, "
        f"{params['threads']} dbt threads.",
        "",
        "| target | measured | verdict |",
        "| --- | --- | --- |",
    ]
    names = {
        "ingestion_vs_floor": "ingestion within 2x the DuckDB read floor",
        "incremental_vs_full": "one-day refresh within 10% of a full build",
        "incremental_vs_full_default_scale": (
            "one-day refresh within 10% of a full build, at 365 days x 200 customers"
        ),
        "incremental_growth": "refresh flat in history length (within 1.25x)",
        "query_p95_ms": "serving query p95 under 100 ms",
        "peak_memory_gib": "peak memory (dbt process RSS) under 4 GiB",
        "full_build_default_scale_s": "full build at 365 days x 200 customers within 15 min",
    }
    for key, verdict in results["verdicts"].items():
        met = {True: "met", False: "**missed**", None: "not measured"}[verdict["met"]]
        lines.append(f"| {names[key]} | {verdict['text']} | {met} |")
    lines += [
        "",
        "| history | raw rows | ingestion | floor | full build (models + data tests) | peak RSS | "
        "refresh: ingest | refresh: dbt build | refresh / full |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for h in results["histories"]:
        ing = h["ingestion"]
        lines.append(
            f"| {h['days']} days | {ing['ingestion']['raw_rows']:,} | "
            f"{ing['ingestion']['seconds']:.1f} s ({ing['raw_rows_per_s']:,} rows/s, "
            f"{ing['mb_per_s']} MB/s) | {_floor_seconds(ing['floor'])} | "
            f"{h['full_build']['seconds']:.1f} s | "
            f"{h['full_build']['peak_rss_bytes'] / 2**30:.2f} GiB | "
            f"{h['incremental']['ingestion']['ingestion']['seconds']:.1f} s | "
            f"{_refresh_seconds(h['incremental'])} | "
            f"{h['incremental']['ratio_to_full_build'] * 100:.0f}% |"
        )
    if "pool_speedup" in longest["ingestion"]:
        ing = longest["ingestion"]
        lines += [
            "",
            f"Ingestion at {longest['days']} days with {ing['ingestion']['workers']} worker "
            f"processes: {ing['ratio_to_floor']:.2f}x the floor; in one process "
            f"{ing['ingestion_one_worker']['seconds']:.1f} s, "
            f"{ing['one_worker_ratio_to_floor']:.2f}x the floor (the pool: "
            f"{ing['pool_speedup']:.2f}x faster).",
        ]
    lines += [
        "",
        f"Slowest models of the full build at {longest['days']} days (s): "
        + ", ".join(f"`{k}` {v:.1f}" for k, v in longest["full_build"]["slowest_models"].items()),
        "",
        "Slowest models of the one-day refresh (s): "
        + ", ".join(
            f"`{k}` {v:.1f}" for k, v in longest["incremental"]["build"]["slowest_models"].items()
        ),
    ]
    if results.get("queries"):
        q = results["queries"]
        lines += [
            "",
            f"Serving queries ({q['repeat']} runs each after one warm-up, one read-only "
            f"connection, snapshot {q['serving_bytes'] / 2**20:.0f} MiB):",
            "",
            "| query | rows | p50 ms | p95 ms |",
            "| --- | --- | --- | --- |",
        ]
        for row in q["per_query"].values():
            lines.append(
                f"| {row['question']} | {row['rows']} | {row['p50_ms']} | {row['p95_ms']} |"
            )
    if results.get("demo"):
        lines += ["", f"`factory-warehouse demo` end to end: {results['demo']['seconds']:.0f} s."]
    return "\n".join(lines) + "\n"


def write_docs(results: dict, path: Path) -> None:
    """Replace the generated part of docs/benchmarks.md, keeping the hand-written text."""
    table = markdown(results)
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{MARK_START}\n{MARK_END}\n"
    if MARK_START not in text:
        text += f"\n{MARK_START}\n{MARK_END}\n"
    head, rest = text.split(MARK_START, 1)
    tail = rest.split(MARK_END, 1)[1]
    path.write_text(f"{head}{MARK_START}\n{table}{MARK_END}{tail}")


def _clean(value):
    """Paths out of the JSON (they belong to the machine, not to the figures)."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k != "home"}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def run(args: argparse.Namespace) -> dict:
    """Every phase, in order; returns the results (also written to `args.results`)."""
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "parameters": {
            "days": args.days,
            "customers": args.customers,
            "scale": args.scale,
            "seed": args.seed,
            "history_days": sorted({d for d in (args.history_days, args.days) if d}),
            "select": args.select,
            "memory_limit": environment(work)["FACTORY_WAREHOUSE_DUCKDB_MEMORY_LIMIT"],
            "ingest_workers": int(os.environ.get("FACTORY_WAREHOUSE_INGEST_WORKERS", "2")),
        },
        "machine": machine_facts(),
        "targets": TARGETS,
    }
    started = time.perf_counter()
    results["histories"] = [
        measure_history(
            work,
            days=days,
            customers=args.customers,
            scale=args.scale,
            seed=args.seed,
            select=args.select,
            # once, on the longest history: a second ingestion costs minutes at scale
            compare_one_worker=days == args.days and not args.smoke,
        )
        for days in results["parameters"]["history_days"]
    ]
    results["parameters"]["threads"] = results["histories"][-1]["full_build"]["threads"]
    if args.refresh_rounds:
        repeat_refreshes(results["histories"], args.refresh_rounds)
    if not args.skip_queries:
        results["queries"] = measure_queries(
            results["histories"][-1]["home"], args.serving_db, args.repeat
        )
    if not args.skip_demo:
        print("timing the demo", flush=True)
        results["demo"] = measure_demo(work)
    results["verdicts"] = verdicts(results)
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    results = _clean(results)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=2, default=str) + "\n")
    if args.docs:
        write_docs(results, args.docs)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return results


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=DEFAULT_SCALE["days"])
    parser.add_argument("--customers", type=int, default=DEFAULT_SCALE["customers"])
    parser.add_argument("--scale", type=float, default=DEFAULT_SCALE["scale"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--history-days",
        type=int,
        default=90,
        help="a shorter history also measured, for the refresh's growth (0: none)",
    )
    parser.add_argument("--select", default=None, help="dbt selection (default: everything)")
    parser.add_argument(
        "--refresh-rounds",
        type=int,
        default=None,
        help="repeat every history's refresh this many times, in turn, and report the medians "
        "(default 5; 0 in smoke mode)",
    )
    parser.add_argument("--repeat", type=int, default=30, help="runs of each query")
    parser.add_argument("--serving-db", type=Path, default=None, help="query this snapshot")
    parser.add_argument("--skip-queries", action="store_true")
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: tmp)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--results", type=Path, default=None)
    parser.add_argument("--docs", type=Path, default=None, help=f"default {DOCS_PATH}")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny: 2+1 days of one customer, fct_llm_calls and its parents, one history, "
        "no demo, no docs",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.days, args.customers, args.scale, args.history_days = 2, 1, 0.2, 0
        args.select = args.select or "+fct_llm_calls"
        args.skip_demo, args.no_docs, args.repeat = True, True, min(args.repeat, 3)
        args.skip_queries = args.skip_queries or args.serving_db is None
    if args.refresh_rounds is None:
        # two rounds were too few on a shared machine: one 90-day refresh 25% fast decided the
        # growth verdict (docs/benchmarks.md); five back-to-back ratios give it a median
        args.refresh_rounds = 0 if args.smoke else 5
    if args.history_days >= args.days:
        args.history_days = 0
    args.work = args.work or Path(tempfile.mkdtemp(prefix="factory-bench-"))
    label = "smoke" if args.smoke else f"{args.days}d-{args.customers}c"
    args.results = args.results or RESULTS_DIR / f"{label}.json"
    args.docs = None if args.no_docs else (args.docs or DOCS_PATH)
    return args


def main(argv: list[str] | None = None) -> None:
    results = run(parse_args(argv))
    for key, verdict in results["verdicts"].items():
        met = {True: "met", False: "MISSED", None: "not measured"}[verdict["met"]]
        print(f"{key:<28} {verdict['text']:<50} {met}")


if __name__ == "__main__":
    main()
