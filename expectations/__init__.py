"""Great Expectations (GX Core 1.x) suites of the warehouse and the engine that runs them.

- `expectations.suites`: the suites, built by code and kept as JSON under `expectations/suites/`
  (`python -m expectations.suites` rewrites the files; they are the source of truth at run time).
- `expectations.validate`: validate a pandas frame or a raw table against a suite
  (`validate_frame`, `validate_raw_table`, `validate_query`) into a `SuiteResult`.
- `expectations.data_docs`: render validation results as a GX Data Docs site.

GX sends usage statistics unless told otherwise; the defaults below switch that off before any
module of this package imports GX.
"""

from __future__ import annotations

import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
