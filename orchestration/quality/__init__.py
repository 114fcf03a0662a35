"""Quality gates: the Great Expectations suites, the quarantine gate and source freshness as
Dagster asset checks (`checks`), the frames of the business invariants (`invariants`), source
SLAs (`freshness`) and the Data Docs site of the latest validations (`data_docs`)."""
