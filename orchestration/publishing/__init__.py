"""Write–audit–publish: the serving snapshot analysts and BI tools read (see `snapshot`), and the
Dagster asset that publishes it once every blocking check has passed (see `assets`)."""
