"""Ingestion assets: one per inbox source, each materialising the raw tables its files load into.

The asset keys (`raw/<table>`) are the keys the dbt sources translate to, so raw files, loaders
and dbt models form one lineage graph.
"""

import dagster as dg

from ingestion.pipeline import ingest_source
from ingestion.schemas import SOURCE_TABLES
from ingestion.warehouse import register_raw_views
from orchestration.partitions import ExportDays, daily_partitions
from orchestration.resources import DUCKDB_WRITER_POOL, WarehouseResource

RAW_GROUP = "raw"
SOURCE_DESCRIPTIONS = {
    "runs": "Run-attempt snapshots (with jobs and steps) from the runtime's JSON Lines exports.",
    "telemetry": "LLM and agent telemetry: OTLP JSON spans (GenAI conventions) and Droid metrics.",
    "billing": "FinOps FOCUS billing exports: infrastructure and AI-provider cost line items.",
    "customers": "Customer reference export.",
    "projects": "Project reference export.",
}
BOOKKEEPING_TABLES = ["ingest_manifest", "quarantine"]


def raw_asset_key(table: str) -> dg.AssetKey:
    """The asset key of a raw table; dbt sources in schema `raw` map to the same key."""
    return dg.AssetKey([RAW_GROUP, table])


def _build_ingestion_asset(source: str) -> dg.AssetsDefinition:
    tables = SOURCE_TABLES[source]

    @dg.multi_asset(
        name=f"ingest_{source}",
        specs=[
            dg.AssetSpec(
                raw_asset_key(table),
                description=f"raw.{table}: {SOURCE_DESCRIPTIONS[source]}",
                group_name=RAW_GROUP,
                kinds={"python", "parquet"},
                owners=["team:data-platform"],
            )
            for table in tables
        ],
        pool=DUCKDB_WRITER_POOL,
        partitions_def=daily_partitions,
        # A backfill of any range is one run: ingestion is idempotent and cheap per file.
        backfill_policy=dg.BackfillPolicy.single_run(),
        # The raw zone and the DuckDB file can be briefly held by another process.
        retry_policy=dg.RetryPolicy(max_retries=3, delay=5, backoff=dg.Backoff.EXPONENTIAL),
    )
    def _ingest(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        """Ingests the inbox files of the run's export days (its partitions)."""
        settings = warehouse.settings
        result = ingest_source(
            source,
            settings.inbox_dir,
            settings.raw_dir,
            on_file=context.log.info,
            export_dates=ExportDays(context.partition_keys, daily_partitions),
        )
        row_counts = register_raw_views(settings.warehouse_path, settings.raw_dir, tables)
        context.log.info(
            f"{source}: {result.files_loaded} files loaded, {result.files_skipped} skipped, "
            f"{result.files_rejected} rejected; {result.rows_loaded} rows loaded, "
            f"{result.rows_quarantined} quarantined"
        )
        for table in tables:
            yield dg.MaterializeResult(
                asset_key=raw_asset_key(table),
                metadata={
                    "rows_added": dg.MetadataValue.int(result.rows_per_table.get(table, 0)),
                    "rows_total": dg.MetadataValue.int(row_counts[table]),
                    "files_loaded": dg.MetadataValue.int(result.files_loaded),
                    "files_skipped": dg.MetadataValue.int(result.files_skipped),
                    "files_rejected": dg.MetadataValue.int(result.files_rejected),
                    "rows_quarantined": dg.MetadataValue.int(result.rows_quarantined),
                },
            )

    return _ingest


@dg.multi_asset(
    name="ingestion_bookkeeping",
    specs=[
        dg.AssetSpec(
            raw_asset_key("ingest_manifest"),
            description="raw.ingest_manifest: one row per inbox file ever seen, with its hash and "
            "rows in, loaded and quarantined (rows in = loaded + quarantined).",
            group_name=RAW_GROUP,
            kinds={"python", "parquet"},
            owners=["team:data-platform"],
            deps=[raw_asset_key(t) for tables in SOURCE_TABLES.values() for t in tables],
        ),
        dg.AssetSpec(
            raw_asset_key("quarantine"),
            description="raw.quarantine: every rejected record or file, with source file, line, "
            "reason and raw payload.",
            group_name=RAW_GROUP,
            kinds={"python", "parquet"},
            owners=["team:data-platform"],
            deps=[raw_asset_key(t) for tables in SOURCE_TABLES.values() for t in tables],
        ),
    ],
    pool=DUCKDB_WRITER_POOL,
    backfill_policy=dg.BackfillPolicy.single_run(),  # so a range backfill of `raw` is one run
)
def ingestion_bookkeeping(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Registers the manifest and quarantine that every ingestion asset appends to."""
    settings = warehouse.settings
    row_counts = register_raw_views(settings.warehouse_path, settings.raw_dir, BOOKKEEPING_TABLES)
    for table in BOOKKEEPING_TABLES:
        yield dg.MaterializeResult(
            asset_key=raw_asset_key(table),
            metadata={"rows_total": dg.MetadataValue.int(row_counts[table])},
        )


ingestion_assets = [
    *(_build_ingestion_asset(source) for source in SOURCE_TABLES),
    ingestion_bookkeeping,
]
