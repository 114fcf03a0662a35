"""The default scale (365 days x 200 customers, scale 0.5) in two phases, as `benchmarks.scale`
measures it in one: generating and ingesting it takes over an hour on 2 cores, so it can run
ahead of the code it measures.

    .venv/bin/python -m benchmarks.default_scale prepare --work /tmp/default-scale
    .venv/bin/python -m benchmarks.default_scale build --work /tmp/default-scale
    .venv/bin/python -m benchmarks.default_scale hold-again --work /tmp/default-scale

`prepare` generates the data set with its last day held back and ingests the rest
(`generation.json`, `ingestion.json`; `--floor` measures the floor first, but at this scale
DuckDB's copy of every JSON line and its spill ran out of 50 GB of free disk here); `build`
times the full `dbt build` and the one-day refresh on that home (`build.json`; with
`--no-refresh` the full build only, `full-build.json`), with the functions `benchmarks.scale`
uses (the smoke test covers them). A refresh releases the held-back day; `hold-again` takes it
out of the inbox and the raw zone again, in seconds rather than `prepare`'s hour. The figures
go into docs/benchmarks.md by hand, next to the harness's table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from datetime import date
from pathlib import Path

from benchmarks.scale import (
    DEFAULT_SCALE,
    DEFAULT_SCALE_RESULTS,
    dbt_build,
    generate_held_back,
    ingest,
    is_held_back,
    machine_facts,
    one_day_window,
    release_held,
)
from ingestion.pipeline import file_sha256
from ingestion.warehouse import register_raw_views


def prepare(work: Path, seed: int, floor: bool) -> None:
    home = work / "home-365d"
    generated = generate_held_back(work / "gen-365d", home, seed=seed, **DEFAULT_SCALE)
    generated["held"] = str(generated["held"])
    (work / "generation.json").write_text(json.dumps(generated, indent=1))
    print(f"generated in {generated['seconds']:.0f} s; ingesting", flush=True)
    ingestion = ingest(home, floor=floor)
    (work / "ingestion.json").write_text(json.dumps(ingestion, indent=1))
    print(f"ingested: {ingestion['raw_rows_per_s']:,} raw rows/s", flush=True)


def build(work: Path, refresh: bool = True) -> None:
    home = work / "home-365d"
    generated = json.loads((work / "generation.json").read_text())
    results = {"machine": machine_facts(), "parameters": DEFAULT_SCALE}
    # the full build starts from the raw zone alone, also after a build that failed
    for leftover in home.glob("warehouse.duckdb*"):
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            leftover.unlink()
    register_raw_views(home / "warehouse.duckdb", home / "raw")
    started = time.perf_counter()
    results["full_build"] = dbt_build(home, [], "full")
    print(f"full build {results['full_build']['seconds']:.0f} s", flush=True)
    if refresh:
        release_held(Path(generated["held"]), home)
        results["refresh_ingestion"] = ingest(home, floor=False)
        window = one_day_window(generated["last_day"])
        results["refresh"] = dbt_build(home, [], "incremental", window)
        results["refresh"]["ratio_to_full_build"] = round(
            results["refresh"]["seconds"] / results["full_build"]["seconds"], 3
        )
        print(f"refresh {results['refresh']['seconds']:.0f} s", flush=True)
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    name = "build.json" if refresh else "full-build.json"
    (work / name).write_text(json.dumps(results, indent=1, default=str))
    record(work, results)


def hold_again(home: Path, held: Path, last_day: date) -> int:
    """Undo `release_held`: the last day's files (the same choice as `generate_held_back`'s)
    leave the inbox for `held`, and their rows the raw zone, so that `build` can measure the
    refresh again. The number of files held back."""
    moved = 0
    for path in sorted((home / "inbox").rglob("*")):
        if not (path.is_file() and is_held_back(path, last_day)):
            continue
        # a raw file of every table is named after the inbox file's hash, its manifest row too
        for loaded in (home / "raw").glob(f"*/load_date=*/{file_sha256(path)}.parquet"):
            loaded.unlink()
        target = held / path.relative_to(home / "inbox")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)
        moved += 1
    return moved


def record(work: Path, built: dict) -> None:
    """benchmarks/results/365d-200c.json: the data set's phases and this build. A refresh
    measured by an earlier build is kept, under its own commit, when this one measured none."""
    previous = (
        json.loads(DEFAULT_SCALE_RESULTS.read_text()) if DEFAULT_SCALE_RESULTS.exists() else {}
    )
    recorded = {
        "code": built["machine"]["commit"],
        "parameters": DEFAULT_SCALE,
        "machine": built["machine"],
        "generation": json.loads((work / "generation.json").read_text()),
        "ingestion": json.loads((work / "ingestion.json").read_text()),
        "full_build": built["full_build"],
    }
    if "refresh" in built:
        recorded["refresh_ingestion"] = built["refresh_ingestion"]
        recorded["refresh"] = built["refresh"]
    elif "refresh" in previous:
        recorded["earlier_refresh"] = {
            "code": previous["code"],
            "full_build_seconds": previous["full_build"]["seconds"],
            "refresh": previous["refresh"],
        }
    DEFAULT_SCALE_RESULTS.write_text(json.dumps(recorded, indent=1, default=str) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("phase", choices=["prepare", "build", "hold-again"])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--floor", action="store_true", help="prepare: measure the floor too")
    parser.add_argument(
        "--no-refresh",
        action="store_true",
        help="build: the full build only (the held-back day was released by an earlier build)",
    )
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    if args.phase == "prepare":
        prepare(args.work, args.seed, args.floor)
    elif args.phase == "hold-again":
        generated = json.loads((args.work / "generation.json").read_text())
        last_day = date.fromisoformat(generated["last_day"])
        moved = hold_again(args.work / "home-365d", Path(generated["held"]), last_day)
        print(f"{moved} files held back again", flush=True)
    else:
        build(args.work, refresh=not args.no_refresh)


if __name__ == "__main__":
    main()
