"""Thresholds of the cost recommendations, in one place (the detectors' and alerts' live in
`anomalies.DetectorConfig`, `alerts.AlertConfig`, `forecasting.ForecastConfig`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RecommendationConfig:
    window_days: int = 28  # evidence: the last four weeks
    days_per_month: float = 30.4
    min_monthly_savings_usd: float = 5.0  # below this a recommendation is noise

    # model selection: a cheaper model on the same template
    min_runs_per_model: int = 30
    success_tolerance: float = 0.03  # "similar": at most 3 points lower ...
    success_p_value: float = 0.05  # ... and not significantly lower (one-sided test)
    min_cost_reduction: float = 0.2  # at least 20 % cheaper per run

    # right-sizing: pools with low utilisation
    low_utilisation: float = 0.4
    target_utilisation: float = 0.65

    # committed capacity: a steady on-demand baseline
    baseline_quantile: float = 0.1  # the workers provisioned in 90 % of the hours
    min_baseline_workers: float = 0.5
    on_demand_share: float = 0.98  # effective / list cost above this: not committed yet
    commitment_discount: float = 0.28  # a 1-year compute savings plan, no upfront

    # auto-scaling: queue latency peaks by hour of day
    peak_queue_seconds: float = 120.0
    peak_factor: float = 3.0  # the peak hour's mean queue against the median hour's
    min_runs_per_hour: int = 10  # hours of the day with fewer runs in the window are ignored
    off_peak_utilisation: float = 0.3  # hours whose idle capacity a schedule can release
    releasable_idle_share: float = 0.5

    # prompt caching: low cache-read share on large repeated inputs
    large_input_tokens_per_call: float = 20_000.0
    low_cache_read_share: float = 0.3
    target_cache_read_share: float = 0.6
    min_calls: int = 100
