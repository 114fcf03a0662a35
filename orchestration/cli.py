"""`factory-warehouse`: generate sample exports, ingest them, build the models, or do it all.

Paths come from the environment (see `ingestion.settings`); every command accepts `--home`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ingestion.settings import DBT_PROJECT_DIR, Settings, warehouse_environment

console = Console(stderr=True)


class UserError(click.ClickException):
    """An error the user can act on: printed as one clear message, no traceback."""

    def show(self, file=None) -> None:
        console.print(f"[bold red]error:[/] {self.message}")


def configure_environment(home: Path | None) -> Settings:
    """Points every tool (ingestion, dbt, Dagster) at one warehouse home, via the environment."""
    if home is not None:
        os.environ["FACTORY_WAREHOUSE_HOME"] = str(home.resolve())
    settings = Settings.from_env()
    os.environ["FACTORY_WAREHOUSE_HOME"] = str(settings.home)
    for name, value in warehouse_environment(settings.home).items():
        os.environ.setdefault(name, value)  # what the caller set wins
    settings.home.mkdir(parents=True, exist_ok=True)
    return settings


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator:
    """A progress bar on a terminal; plain log lines otherwise (CI, pipes, log files)."""
    if console.is_terminal:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task(description, total=total)

            def advance(
                done: int | None = None, total_: int | None = None, label: str = ""
            ) -> None:
                if done is None:
                    progress.advance(task)
                else:
                    progress.update(task, completed=done, total=total_)
                if label:
                    progress.update(task, description=f"{description}: {label}")

            yield advance
    else:

        def advance(done: int | None = None, total_: int | None = None, label: str = "") -> None:
            if done is not None:
                console.print(f"{description}: {done}/{total_} {label}".rstrip())
            elif label:
                console.print(f"{description}: {label}")

        yield advance


home_option = click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Warehouse data folder (inbox/, raw/, warehouse.duckdb). "
    "Default: $FACTORY_WAREHOUSE_HOME or data/ in the repository.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """factory-warehouse: the analytics warehouse of the AI software factory."""


@main.command()
@click.option("--days", type=click.IntRange(1, 3660), default=30, show_default=True)
@click.option("--customers", type=click.IntRange(1, 100_000), default=10, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--scale", type=click.FloatRange(0.001, 10_000), default=1.0, show_default=True)
@click.option(
    "--end-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Last day generated (default: yesterday, UTC).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Writes OUT/inbox/<source>/… and the anomaly truth to OUT/truth/. Default: the home.",
)
@home_option
def generate(days, customers, seed, scale, end_date, out, home) -> None:
    """Write internally consistent sample exports of every source into an inbox."""
    from ingestion.generator import generate as generate_exports

    settings = configure_environment(home)
    out = out or settings.home
    started = time.perf_counter()
    with progress_bar("generating days", days) as advance:
        summary = generate_exports(
            out,
            days=days,
            customers=customers,
            seed=seed,
            scale=scale,
            end_date=end_date.date() if end_date else None,
            progress=lambda done, total: advance(done, total),
        )
    console.print(
        f"wrote {len(summary.files_written)} files to {out / 'inbox'} "
        f"in {time.perf_counter() - started:.1f} s; truth in {out / 'truth'}"
    )


def run_ingestion(settings: Settings) -> dict:
    """Ingests every inbox source and registers the raw views; returns results per source."""
    from ingestion.errors import IngestionError
    from ingestion.pipeline import ingest_source
    from ingestion.schemas import RAW_TABLES, SOURCE_TABLES
    from ingestion.warehouse import register_raw_views

    if not settings.inbox_dir.is_dir():
        raise UserError(
            f"no inbox at {settings.inbox_dir}: run `factory-warehouse generate` or put exports "
            "in inbox/<runs|telemetry|billing|customers|projects>/"
        )
    results = {}
    try:
        with progress_bar("ingesting", len(SOURCE_TABLES)) as advance:
            for done, source in enumerate(SOURCE_TABLES, start=1):
                results[source] = ingest_source(
                    source,
                    settings.inbox_dir,
                    settings.raw_dir,
                    on_file=lambda name: advance(label=name),
                )
                advance(done, len(SOURCE_TABLES), source)
        with_warehouse_lock_hint(
            register_raw_views, settings.warehouse_path, settings.raw_dir, RAW_TABLES
        )
    except IngestionError as error:
        raise UserError(str(error)) from error
    return results


def with_warehouse_lock_hint(function, *args):
    """Runs `function`, turning DuckDB's lock error into advice on what holds the file."""
    import duckdb

    from orchestration.summary import WarehouseNotBuilt

    try:
        return function(*args)
    except WarehouseNotBuilt as error:
        raise UserError(str(error)) from error
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise UserError(
                f"the warehouse file {args[0]} is open in another process (DuckDB allows one "
                "writer and no readers while writing): close the other client and retry"
            ) from error
        raise


@main.command()
@home_option
def ingest(home) -> None:
    """Load new inbox files into the raw zone (Parquet) and register them in DuckDB."""
    settings = configure_environment(home)
    results = run_ingestion(settings)
    for source, result in results.items():
        console.print(
            f"{source:<10} files: {result.files_loaded} loaded, {result.files_skipped} skipped, "
            f"{result.files_rejected} rejected | rows: {result.rows_loaded} loaded, "
            f"{result.rows_quarantined} quarantined"
        )


def run_dbt(args: list[str]) -> None:
    """Runs a dbt command on the project, streaming dbt's own per-model progress lines."""
    dbt = Path(sys.executable).with_name("dbt")
    command = [
        str(dbt),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
    ]
    completed = subprocess.run(command, check=False)
    if completed.returncode != 0:
        raise UserError(
            f"`dbt {' '.join(args)}` failed (exit {completed.returncode}); the failing model or "
            "test is named above, details in dbt_project/logs/dbt.log"
        )


@main.command()
@click.option("--select", "-s", default=None, help="dbt selection, e.g. `+customer_daily_usage`.")
@click.option("--full-refresh", is_flag=True, help="Rebuild incremental models from scratch.")
@home_option
def build(select, full_refresh, home) -> None:
    """Build and test the dbt models on the warehouse (`dbt seed` + `dbt build`)."""
    configure_environment(home)
    args = ["build"]
    if select:
        args += ["--select", select]
    if full_refresh:
        args.append("--full-refresh")
    run_dbt(args)


@main.command()
@home_option
def summary(home) -> None:
    """Print rows per table, total cost by component and the top customers."""
    from orchestration.summary import print_summary

    settings = configure_environment(home)
    if not settings.warehouse_path.exists():
        raise UserError(
            f"no warehouse at {settings.warehouse_path}: run `factory-warehouse ingest` and "
            "`factory-warehouse build` (or `demo`) first"
        )
    with_warehouse_lock_hint(print_summary, settings.warehouse_path, console)


@main.command()
@click.option("--days", type=click.IntRange(1, 3660), default=30, show_default=True)
@click.option("--customers", type=click.IntRange(1, 100_000), default=10, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@home_option
def demo(days, customers, seed, home) -> None:
    """Generate sample exports, materialise every Dagster asset, and print a summary."""
    from ingestion.generator import generate as generate_exports
    from orchestration.summary import print_summary

    settings = configure_environment(home)
    started = time.perf_counter()
    with progress_bar("generating days", days) as advance:
        generated = generate_exports(
            settings.home,
            days=days,
            customers=customers,
            seed=seed,
            progress=lambda done, total: advance(done, total),
        )
    console.print("materialising every asset (ingestion, dbt models and their checks) …")
    result = materialize_everything(generated.start_date, generated.end_date)
    if not result.success:
        raise UserError("the materialisation failed: see the step errors above")
    console.print(f"done in {time.perf_counter() - started:.0f} s; run id {result.run_id}")
    with_warehouse_lock_hint(print_summary, settings.warehouse_path, console)


def materialize_everything(first_day: date, last_day: date):
    """Materialises the whole asset graph in one run over the partitions of the given export
    days, in-process, recorded on the local Dagster instance (the one `dagster dev` shows)."""
    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.partitions import partition_range_tags
    from orchestration.publishing.recovery import recover_interrupted_runs

    with dg.DagsterInstance.get() as instance:
        # a run killed earlier would hold the writer pool's only slot and this run would wait
        for run_id in recover_interrupted_runs(instance):
            console.print(f"marked interrupted run {run_id} as failed and freed its pool slot")
        job = defs.resolve_job_def("refresh_warehouse")
        return job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            tags=partition_range_tags(first_day, last_day),
        )


if __name__ == "__main__":
    main()
