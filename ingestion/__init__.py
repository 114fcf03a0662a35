"""Ingestion: inbox exports -> validated, immutable Parquet in the raw zone -> `raw.*` in DuckDB.

Entry points (plain Python, wrapped by the Dagster assets in `orchestration/`):

- `ingestion.pipeline.ingest_inbox` / `ingest_source`: load new inbox files into `raw/`.
- `ingestion.warehouse.register_raw_views`: expose `raw/` to DuckDB as the `raw` schema.

One parser module per source (`runs`, `telemetry`, `billing`, `reference`) enforces
`docs/data-contracts.md`; `raw_zone` owns the layout on disk and the commit protocol.
"""
