"""Cost-optimisation recommendations with estimated monthly savings, from the marts' frames.

Five kinds, each judged on the last `window_days` days and scaled to a month:

* model_selection: on one template, a cheaper model whose success rate is similar (within
  `success_tolerance` and not significantly lower) to the model in use; saves the difference in
  AI cost per run over the current model's runs.
* right_sizing: a worker pool busy less than `low_utilisation` of its provisioned time; saves
  the provisioned cost above what `target_utilisation` needs.
* committed_capacity: a pool paid on demand with a steady baseline of provisioned workers (the
  `baseline_quantile` of its hours); saves the commitment discount on that baseline.
* auto_scaling: a pool whose queue latency peaks at some hours of the day while other hours sit
  idle; saves part of the idle cost of the quiet hours a schedule would release.
* prompt_caching: a customer x model with large inputs per call and a low cache-read share;
  saves the input-price difference on the share that caching would serve.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from scipy import stats

from orchestration.insights.config import RecommendationConfig

DEFAULT_CONFIG = RecommendationConfig()
# Column types of marts.recommendations, in order (an empty frame has none of its own).
RECOMMENDATION_SCHEMA = {
    "recommendation_id": "varchar",
    "recommendation_kind": "varchar",
    "scope": "varchar",
    "message": "varchar",
    "current_monthly_cost_usd": "double",
    "estimated_monthly_savings_usd": "double",
    "evidence": "varchar",
    "as_of_date": "date",
}
RECOMMENDATION_COLUMNS = list(RECOMMENDATION_SCHEMA)


def _rec(kind: str, scope: str, message: str, current: float, savings: float, evidence) -> dict:
    return {
        "recommendation_id": hashlib.sha256(f"{kind}\x1f{scope}".encode()).hexdigest()[:20],
        "recommendation_kind": kind,
        "scope": scope,
        "message": message,
        "current_monthly_cost_usd": float(current),
        "estimated_monthly_savings_usd": float(savings),
        "evidence": evidence,
    }


def _recent(frame: pd.DataFrame, date_col: str, config: RecommendationConfig) -> pd.DataFrame:
    dates = pd.to_datetime(frame[date_col])
    if dates.empty:
        return frame.iloc[0:0]
    return frame[dates > dates.max() - pd.Timedelta(days=config.window_days)]


def _monthly(config: RecommendationConfig) -> float:
    return config.days_per_month / config.window_days


# --- model selection -----------------------------------------------------------------------------


def model_selection(
    run_models: pd.DataFrame, config: RecommendationConfig = DEFAULT_CONFIG
) -> list[dict]:
    """`run_models`: one row per finished run (run_date, template_key, is_succeeded,
    model_name, run_ai_cost_usd)."""
    recent = _recent(run_models, "run_date", config)
    stats_ = (
        recent.assign(ok=recent["is_succeeded"].astype(float))
        .groupby(["template_key", "model_name"])
        .agg(runs=("ok", "size"), successes=("ok", "sum"), cost=("run_ai_cost_usd", "mean"))
        .reset_index()
    )
    stats_ = stats_[stats_["runs"] >= config.min_runs_per_model]
    out = []
    for template, group in stats_.groupby("template_key"):
        for current in group.itertuples():
            best = None
            for other in group.itertuples():
                if other.cost > (1 - config.min_cost_reduction) * current.cost:
                    continue
                p_cur, p_other = current.successes / current.runs, other.successes / other.runs
                if p_other < p_cur - config.success_tolerance:
                    continue
                # One-sided two-proportion test: is the cheaper model worse?
                pooled = (current.successes + other.successes) / (current.runs + other.runs)
                se = np.sqrt(pooled * (1 - pooled) * (1 / current.runs + 1 / other.runs))
                p_value = stats.norm.sf((p_cur - p_other) / se) if se > 0 else 1.0
                if p_value < config.success_p_value:
                    continue
                savings = (current.cost - other.cost) * current.runs * _monthly(config)
                if best is None or savings > best[1]:
                    best = (other, savings, p_cur, p_other)
            if best is None or best[1] < config.min_monthly_savings_usd:
                continue
            other, savings, p_cur, p_other = best
            out.append(
                _rec(
                    "model_selection",
                    f"template {template} model {current.model_name}",
                    f"runs of {template} on {current.model_name} (${current.cost:,.2f} AI cost "
                    f"per run, {p_cur:.0%} success) could use {other.model_name} "
                    f"(${other.cost:,.2f} per run, {p_other:.0%} success on {other.runs} runs)",
                    current.cost * current.runs * _monthly(config),
                    savings,
                    f"runs {current.runs} vs {other.runs}; success {p_cur:.3f} vs {p_other:.3f}",
                )
            )
    return out


# --- capacity: right-sizing, committed capacity, auto-scaling ------------------------------------


def _pool_hours(capacity_hourly: pd.DataFrame, config: RecommendationConfig) -> pd.DataFrame:
    recent = _recent(capacity_hourly, "usage_date", config)
    return recent.assign(
        busy=pd.to_numeric(recent["busy_seconds"]).astype(float),
        provisioned=pd.to_numeric(recent["provisioned_seconds"]).astype(float),
        cost=pd.to_numeric(recent["effective_cost_usd"]).astype(float),
        hour=pd.to_datetime(recent["hour_start_at"]).dt.hour,
    )


def right_sizing(
    capacity_hourly: pd.DataFrame, config: RecommendationConfig = DEFAULT_CONFIG
) -> list[dict]:
    """`capacity_hourly`: marts.capacity_utilisation_hourly (busy and provisioned seconds and
    effective cost per pool and hour)."""
    hours = _pool_hours(capacity_hourly, config)
    out = []
    for pool, g in hours.groupby("worker_pool"):
        provisioned, cost = g["provisioned"].sum(), g["cost"].sum()
        if provisioned <= 0:
            continue
        utilisation = g["busy"].sum() / provisioned
        if utilisation >= config.low_utilisation:
            continue
        monthly = cost * _monthly(config)
        savings = monthly * (1 - utilisation / config.target_utilisation)
        if savings < config.min_monthly_savings_usd:
            continue
        out.append(
            _rec(
                "right_sizing",
                f"worker_pool {pool}",
                f"{pool} was busy {utilisation:.0%} of its provisioned worker time over the last "
                f"{config.window_days} days: fewer or smaller workers (min nodes, scale-in "
                f"delay) to reach {config.target_utilisation:.0%}",
                monthly,
                savings,
                f"utilisation {utilisation:.3f}",
            )
        )
    return out


def committed_capacity(
    capacity_hourly: pd.DataFrame,
    infra_costs: pd.DataFrame,
    config: RecommendationConfig = DEFAULT_CONFIG,
) -> list[dict]:
    """`infra_costs`: fct_infra_costs rows (cost_date, worker_pool, effective_cost_usd,
    list_cost_usd): a pool whose effective cost is its list cost is paid on demand."""
    hours = _pool_hours(capacity_hourly, config)
    infra = _recent(infra_costs[infra_costs["worker_pool"].notna()], "cost_date", config)
    paid = infra.groupby("worker_pool")[["effective_cost_usd", "list_cost_usd"]].sum()
    out = []
    for pool, g in hours.groupby("worker_pool"):
        if pool not in paid.index or paid.loc[pool, "list_cost_usd"] <= 0:
            continue
        share = paid.loc[pool, "effective_cost_usd"] / paid.loc[pool, "list_cost_usd"]
        if share < config.on_demand_share:
            continue  # already covered by a commitment
        workers = g["provisioned"] / 3600.0
        baseline = float(workers.quantile(config.baseline_quantile))
        if baseline < config.min_baseline_workers or workers.sum() <= 0:
            continue
        price = g["cost"].sum() / workers.sum()  # effective cost per worker-hour
        monthly_baseline = baseline * 24 * config.days_per_month * price
        savings = monthly_baseline * config.commitment_discount
        if savings < config.min_monthly_savings_usd:
            continue
        out.append(
            _rec(
                "committed_capacity",
                f"worker_pool {pool}",
                f"{pool} runs at least {baseline:.1f} workers in "
                f"{1 - config.baseline_quantile:.0%} of the hours, all on demand: a 1-year "
                f"commitment on that baseline saves about {config.commitment_discount:.0%} of it",
                g["cost"].sum() * _monthly(config),
                savings,
                f"baseline workers {baseline:.2f}; on-demand share {share:.3f}",
            )
        )
    return out


def auto_scaling(
    runs: pd.DataFrame,
    capacity_hourly: pd.DataFrame,
    config: RecommendationConfig = DEFAULT_CONFIG,
) -> list[dict]:
    """`runs`: fct_runs rows (worker_pool, queued_at, queue_seconds)."""
    recent = _recent(runs.dropna(subset=["queued_at"]), "queued_at", config)
    recent = recent.assign(
        hour=pd.to_datetime(recent["queued_at"]).dt.hour,
        queue=pd.to_numeric(recent["queue_seconds"]).astype(float),
    )
    hours = _pool_hours(capacity_hourly, config)
    out = []
    for pool, g in recent.groupby("worker_pool"):
        per_hour = g.groupby("hour")["queue"].agg(["mean", "size"])
        # An hour with a few runs has a mean queue of one or two waits: not a pattern.
        by_hour = per_hour.loc[per_hour["size"] >= config.min_runs_per_hour, "mean"]
        if len(by_hour) < 6:
            continue
        peak_hour, peak = int(by_hour.idxmax()), float(by_hour.max())
        if peak < config.peak_queue_seconds or peak < config.peak_factor * by_hour.median():
            continue
        peaks = sorted(int(h) for h in by_hour.index[by_hour >= config.peak_queue_seconds])
        cap = hours[hours["worker_pool"] == pool]
        load = cap.groupby("hour")[["busy", "provisioned", "cost"]].sum()
        quiet = load[load["busy"] < config.off_peak_utilisation * load["provisioned"]]
        idle_cost = float(
            (quiet["cost"] * (1 - quiet["busy"] / quiet["provisioned"].where(lambda s: s > 0)))
            .fillna(0.0)
            .sum()
        )
        savings = idle_cost * config.releasable_idle_share * _monthly(config)
        if savings < config.min_monthly_savings_usd:
            continue  # peaks without quiet hours to release: a capacity question, not scaling
        out.append(
            _rec(
                "auto_scaling",
                f"worker_pool {pool}",
                f"queue latency of {pool} peaks at {peak:,.0f} s on average at {peak_hour:02d}:00 "
                f"UTC (median hour {by_hour.median():,.0f} s): scale out ahead of hours "
                f"{', '.join(f'{h:02d}' for h in peaks)} and in during the {len(quiet)} quiet "
                "hours",
                float(load["cost"].sum()) * _monthly(config),
                savings,
                f"peak hours {peaks}; quiet hours {sorted(int(h) for h in quiet.index)}",
            )
        )
    return out


# --- prompt caching ------------------------------------------------------------------------------


def prompt_caching(
    llm_usage: pd.DataFrame,
    models: pd.DataFrame,
    config: RecommendationConfig = DEFAULT_CONFIG,
) -> list[dict]:
    """`llm_usage`: llm_usage_daily rows (call_date, customer_id, model_name, llm_calls,
    input_tokens, cache_read_tokens); `models`: dim_models (input and cache-read price)."""
    recent = _recent(llm_usage, "call_date", config)
    usage = recent.groupby(["customer_id", "model_name"])[
        ["llm_calls", "input_tokens", "cache_read_tokens", "ai_cost_usd"]
    ].sum()
    prices = models.drop_duplicates("model_name").set_index("model_name")
    out = []
    for (customer, model), u in usage.iterrows():
        if u["llm_calls"] < config.min_calls or model not in prices.index:
            continue
        per_call = u["input_tokens"] / u["llm_calls"]
        share = u["cache_read_tokens"] / u["input_tokens"] if u["input_tokens"] else 1.0
        if per_call < config.large_input_tokens_per_call or share >= config.low_cache_read_share:
            continue
        gap = prices.loc[model, "input_usd_per_mtok"] - prices.loc[model, "cache_read_usd_per_mtok"]
        if not gap > 0:
            continue
        moved = u["input_tokens"] * (config.target_cache_read_share - share)
        savings = moved * gap / 1e6 * _monthly(config)
        if savings < config.min_monthly_savings_usd:
            continue
        out.append(
            _rec(
                "prompt_caching",
                f"customer {customer} model {model}",
                f"{customer}'s calls to {model} send {per_call:,.0f} input tokens per call but "
                f"only {share:.0%} are cache reads: caching the repeated context (stable prefix, "
                f"cache breakpoints) to {config.target_cache_read_share:.0%} saves the input "
                "price difference",
                float(u["ai_cost_usd"]) * _monthly(config),
                savings,
                f"calls {int(u['llm_calls'])}; cache-read share {share:.3f}",
            )
        )
    return out


# --- the mart ------------------------------------------------------------------------------------


def build_recommendations(
    frames: dict, config: RecommendationConfig = DEFAULT_CONFIG
) -> pd.DataFrame:
    """marts.recommendations from the frames of `assets.QUERIES`, largest savings first."""
    rows = [
        *model_selection(frames["run_models"], config),
        *right_sizing(frames["capacity_hourly"], config),
        *committed_capacity(frames["capacity_hourly"], frames["infra_costs"], config),
        *auto_scaling(frames["runs"], frames["capacity_hourly"], config),
        *prompt_caching(frames["llm_usage"], frames["models"], config),
    ]
    out = pd.DataFrame(rows, columns=[c for c in RECOMMENDATION_COLUMNS if c != "as_of_date"])
    dates = pd.to_datetime(frames["cost_daily"]["cost_date"])
    out["as_of_date"] = dates.max().date() if len(dates) else None
    return (
        out[RECOMMENDATION_COLUMNS]
        .sort_values(
            ["estimated_monthly_savings_usd", "recommendation_id"], ascending=[False, True]
        )
        .reset_index(drop=True)
    )
