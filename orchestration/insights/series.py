"""The daily series the detectors and the forecasts are computed on."""

from __future__ import annotations

import pandas as pd


def daily_sums(
    frame: pd.DataFrame, date_col: str, key: str | None = None, value: str | None = None
) -> pd.DataFrame:
    """Columns dimension_value, date, value: the day's sum of `value` (the number of rows when
    None) per `key` (one series, "all", when None). Rows without a key belong to no series."""
    if key is not None:
        frame = frame[frame[key].notna()]
    frame = frame.assign(
        date=pd.to_datetime(frame[date_col]),
        value=1.0 if value is None else pd.to_numeric(frame[value], errors="coerce").astype(float),
        dimension_value="all" if key is None else frame[key].astype(str),
    )
    return frame.groupby(["dimension_value", "date"], as_index=False)["value"].sum()
