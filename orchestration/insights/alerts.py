"""The alerts mart: budget, cost-per-run, anomaly, trend, run-failure and run-summary alerts.

Every alert has a stable id: a hash of (kind, scope, condition period), e.g. a budget alert per
customer x month x threshold x basis, an anomaly alert per incident (family of metrics x day),
a trend alert per (metric, scope, ISO week). `merge_alerts` keeps the `first_seen_at` of ids already
in the previous mart, so re-running never yields a second alert nor moves its first-seen time;
alerts whose condition is gone stay (is_active = false) so their history is kept.
Severities are the delivery's: info, warning, critical.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from orchestration.alerts.store import alert_id_for
from orchestration.insights.anomalies import FAMILY

ALERT_COLUMNS = [
    "alert_id",
    "alert_kind",
    "scope",
    "severity",
    "message",
    "first_seen_at",
    "last_seen_at",
    "condition_period",
    "is_active",
]
ANOMALY_SEVERITY = {"minor": "info", "major": "warning", "critical": "critical"}


@dataclass(frozen=True)
class AlertConfig:
    budget_thresholds: tuple[float, ...] = (0.8, 1.0)
    cost_per_run_threshold_usd: float = 10.0
    trend_days: int = 28  # trends are judged on the last 4 weeks of daily values
    trend_p_value: float = 0.01  # the slope must be significant at this level
    trend_min_change: float = 0.10  # and change the metric by 10 % over the window
    failure_rate_warning: float = 0.2  # a day's failures of a customer: warning from 20 %


def _alert(kind, scope, severity, message, period) -> dict:
    return {
        "alert_id": alert_id_for(kind, scope, period),
        "alert_kind": kind,
        "scope": scope,
        "severity": severity,
        "message": message,
        "condition_period": period,
    }


# --- budget --------------------------------------------------------------------------------------


def budget_alerts(
    cost_daily: pd.DataFrame,
    budgets: pd.DataFrame,
    month_end: pd.DataFrame | None = None,
    config: AlertConfig = AlertConfig(),
) -> list[dict]:
    """80 % / 100 % of the monthly budget, on the actual month to date and on the forecast to
    month end (`month_end`: marts.month_end_cost_forecast, customer_id, month_start_date,
    forecast_month_total_usd; customers without one: the run rate of the last 7 days)."""
    cost = cost_daily.assign(
        cost=pd.to_numeric(cost_daily["total_cost_usd"]).astype(float),
        cost_date=pd.to_datetime(cost_daily["cost_date"]),
    )
    last = cost["cost_date"].max()
    if pd.isna(last):
        return []
    month_start = last.replace(day=1)
    month = cost[cost["cost_date"] >= month_start]
    actual = month.groupby("customer_id")["cost"].sum()
    budgets = budgets.assign(
        budget_month=pd.to_datetime(budgets["budget_month"]),
        budget_usd=pd.to_numeric(budgets["budget_usd"]).astype(float),
    )
    budget = budgets[budgets["budget_month"] == month_start].set_index("customer_id")["budget_usd"]
    recent = cost[cost["cost_date"] > last - pd.Timedelta(days=7)]
    rate = recent.groupby("customer_id")["cost"].sum() / 7.0
    remaining = (month_start + pd.offsets.MonthEnd(0) - last).days
    forecast = actual.add(rate * remaining, fill_value=0.0)
    if month_end is not None and not month_end.empty:
        # The model's month-end forecast where there is one (marts.month_end_cost_forecast);
        # the 7-day run rate for the other customers.
        me = month_end[pd.to_datetime(month_end["month_start_date"]) == month_start]
        modelled = me.set_index("customer_id")["forecast_month_total_usd"].astype(float)
        forecast = modelled.combine_first(forecast)
    alerts = []
    period = month_start.strftime("%Y-%m")
    for customer, limit in budget.items():
        if limit <= 0:
            continue
        for basis, values in (("actual", actual), ("forecast", forecast)):
            value = float(values.get(customer, 0.0))
            # Every threshold crossed: one alert per customer, month, basis and threshold.
            for threshold in sorted(config.budget_thresholds, reverse=True):
                if value >= threshold * limit:
                    severity = (
                        "critical"
                        if basis == "actual" and threshold >= 1.0
                        else "warning"
                        if basis == "actual" or threshold >= 1.0
                        else "info"
                    )
                    what = "spent" if basis == "actual" else "forecast to spend by month end"
                    alerts.append(
                        _alert(
                            f"budget_{basis}",
                            f"customer {customer}",
                            severity,
                            f"{customer} has {what} ${value:,.2f} in {period}, "
                            f"{value / limit:.0%} of its ${limit:,.0f} budget "
                            f"(threshold {threshold:.0%})",
                            f"{period}|{threshold:g}",
                        )
                    )
    return alerts


# --- cost per run --------------------------------------------------------------------------------


def cost_per_run_alerts(run_costs: pd.DataFrame, config: AlertConfig = AlertConfig()) -> list[dict]:
    """One alert per run that cost more than the threshold."""
    cost = pd.to_numeric(run_costs["total_cost_usd"]).astype(float)
    over = run_costs[cost > config.cost_per_run_threshold_usd].assign(cost=cost)
    return [
        _alert(
            "cost_per_run",
            f"customer {r.customer_id}",
            "critical" if r.cost >= 2 * config.cost_per_run_threshold_usd else "warning",
            f"run {r.run_id} ({r.template_key}) cost ${r.cost:,.2f}, over the "
            f"${config.cost_per_run_threshold_usd:,.2f} threshold per run",
            f"{r.run_id}",
        )
        for r in over.itertuples()
    ]


# --- anomalies -----------------------------------------------------------------------------------


def _describe(a) -> str:
    day = pd.Timestamp(a.anomaly_date).date().isoformat()
    return (
        f"{a.metric} of {a.dimension} {a.dimension_value} on {day}: {a.actual:,.4g} {a.unit} "
        f"against {a.expected:,.4g} expected ({a.impact_pct:+.0%}, score {a.score:.1f}, "
        f"{a.severity})"
    )


def anomaly_alerts(anomalies: pd.DataFrame) -> list[dict]:
    """One alert per incident (marts.anomalies' incident_id): its root detection, with the
    related detections in the message, at the gravest severity of the incident. The id is the
    incident's (family and day), so a root that changes when a late detection joins does not
    raise a second alert."""
    out = []
    grade = {"minor": 0, "major": 1, "critical": 2}
    for _, incident in anomalies.groupby("incident_id", sort=False):
        ordered = incident.sort_values(["is_incident_root", "score"], ascending=[False, False])
        rows = list(ordered.itertuples())
        root = rows[0]
        day = pd.Timestamp(root.anomaly_date).date().isoformat()  # date or timestamp: same id
        family = FAMILY[root.metric]
        severity = max(incident["severity"], key=grade.__getitem__)
        message = _describe(root)
        if len(rows) > 1:
            related = "; ".join(
                f"{a.metric} of {a.dimension} {a.dimension_value} {a.impact_pct:+.0%}"
                for a in rows[1:4]
            )
            more = f" and {len(rows) - 4} more" if len(rows) > 4 else ""
            message += f". Related: {related}{more}"
        alert = _alert(
            "anomaly",
            f"{root.dimension} {root.dimension_value}",
            ANOMALY_SEVERITY[severity],
            message,
            f"{family}|{day}",
        )
        alert["alert_id"] = alert_id_for("anomaly", f"{family} incident", day)
        out.append(alert)
    return out


# --- trends --------------------------------------------------------------------------------------


def trend_test(dates: pd.Series, values: pd.Series, weights: pd.Series | None = None) -> tuple:
    """(relative change over the window, p-value) of a linear trend of daily `values`, with
    weekday effects removed (weighted least squares on time + weekday dummies)."""
    import statsmodels.api as sm

    frame = pd.DataFrame({"date": pd.to_datetime(dates), "y": values.astype(float)}).dropna()
    if len(frame) < 14 or frame["y"].std() == 0:
        return 0.0, 1.0
    t = (frame["date"] - frame["date"].min()).dt.days.astype(float)
    dummies = pd.get_dummies(frame["date"].dt.dayofweek, prefix="dow", drop_first=True).astype(
        float
    )
    x = sm.add_constant(pd.concat([t.rename("t"), dummies], axis=1))
    w = np.ones(len(frame)) if weights is None else weights.loc[frame.index].astype(float)
    fit = sm.WLS(frame["y"], x, weights=w).fit()
    level = np.average(frame["y"], weights=w)
    change = fit.params["t"] * (t.max() - t.min()) / level if level else 0.0
    return float(change), float(fit.pvalues["t"])


def trend_alerts(
    runs: pd.DataFrame, cost_daily: pd.DataFrame, config: AlertConfig = AlertConfig()
) -> list[dict]:
    """Success rate falling, p95 duration rising (factory-wide and per template), cost rising
    (per customer), each judged by a trend test over the last `trend_days` days."""
    out = []
    runs = runs[runs["is_finished"].astype(bool)].assign(date=pd.to_datetime(runs["run_date"]))
    end = runs["date"].max()
    if pd.isna(end):
        return out
    week = f"{end.isocalendar().year}-W{end.isocalendar().week:02d}"
    recent = runs[runs["date"] > end - pd.Timedelta(days=config.trend_days)]
    groups = [("factory", recent)] + [
        (f"template {k}", g) for k, g in recent.groupby("template_key")
    ]
    for scope, g in groups:
        daily = g.groupby("date").agg(
            runs=("is_succeeded", "size"),
            success=("is_succeeded", "mean"),
            p95=("duration_seconds", lambda s: s.quantile(0.95)),
        )
        daily = daily[daily["runs"] >= 3]
        for metric, sign, label in (
            ("success", -1, "success rate falling"),
            ("p95", 1, "p95 duration rising"),
        ):
            change, p = trend_test(daily.index.to_series(), daily[metric], daily["runs"])
            if p < config.trend_p_value and sign * change >= config.trend_min_change:
                out.append(
                    _alert(
                        "trend",
                        scope,
                        "warning",
                        f"{label} for {scope}: {change:+.0%} over the last "
                        f"{config.trend_days} days (trend p = {p:.1g})",
                        f"{metric}|{week}",
                    )
                )
    cost = cost_daily.assign(
        cost=pd.to_numeric(cost_daily["total_cost_usd"]).astype(float),
        date=pd.to_datetime(cost_daily["cost_date"]),
    )
    cost = cost[cost["date"] > end - pd.Timedelta(days=config.trend_days)]
    for customer, g in cost.groupby("customer_id"):
        daily = g.groupby("date")["cost"].sum()
        change, p = trend_test(daily.index.to_series(), daily)
        if p < config.trend_p_value and change >= config.trend_min_change:
            out.append(
                _alert(
                    "trend",
                    f"customer {customer}",
                    "warning",
                    f"cost of {customer} rising: {change:+.0%} over the last "
                    f"{config.trend_days} days (trend p = {p:.1g})",
                    f"cost|{week}",
                )
            )
    return out


# --- runs ----------------------------------------------------------------------------------------


def run_alerts(runs: pd.DataFrame, config: AlertConfig = AlertConfig()) -> list[dict]:
    """Per customer and day: the failed runs (if any); per day: the completion summary."""
    out = []
    done = runs[runs["is_finished"].astype(bool)].assign(day=pd.to_datetime(runs["run_date"]))
    for (customer, day), g in done.groupby(["customer_id", "day"]):
        failed = int((~g["is_succeeded"].astype(bool)).sum())
        if failed:
            rate = failed / len(g)
            out.append(
                _alert(
                    "run_failures",
                    f"customer {customer}",
                    "warning" if rate >= config.failure_rate_warning else "info",
                    f"{failed} of {len(g)} runs of {customer} failed on {day.date()} ({rate:.0%})",
                    f"{day.date()}",
                )
            )
    for day, g in done.groupby("day"):
        ok = g["is_succeeded"].astype(bool)
        out.append(
            _alert(
                "run_summary",
                "factory",
                "info",
                f"{day.date()}: {len(g)} runs completed, {ok.mean():.1%} succeeded, "
                f"median duration {g['duration_seconds'].median():,.0f} s",
                f"{day.date()}",
            )
        )
    return out


# --- the mart ------------------------------------------------------------------------------------


def merge_alerts(
    current: list[dict], previous: pd.DataFrame | None, now: datetime | None = None
) -> pd.DataFrame:
    """The new alerts mart: `current` alerts, with the first_seen_at of ids already in
    `previous`, plus previous alerts no longer raised (is_active false). One row per id."""
    now = (now or datetime.now(UTC)).replace(tzinfo=None, microsecond=0)  # UTC, naive
    cur = pd.DataFrame(
        current,
        columns=[
            c for c in ALERT_COLUMNS if c not in ("first_seen_at", "last_seen_at", "is_active")
        ],
    )
    cur = cur.drop_duplicates("alert_id", keep="first")
    cur["first_seen_at"] = pd.Timestamp(now)
    cur["last_seen_at"] = pd.Timestamp(now)
    cur["is_active"] = True
    if previous is not None and not previous.empty:
        prev = previous.copy()
        for col in ALERT_COLUMNS:
            if col not in prev:
                prev[col] = None
        prev = prev[ALERT_COLUMNS].drop_duplicates("alert_id", keep="first")
        first = pd.to_datetime(prev.set_index("alert_id")["first_seen_at"])
        known = cur["alert_id"].isin(first.index)
        cur.loc[known, "first_seen_at"] = cur.loc[known, "alert_id"].map(first).to_numpy()
        gone = prev[~prev["alert_id"].isin(cur["alert_id"])].assign(is_active=False)
        cur = pd.concat([cur, gone], ignore_index=True)
    cur["first_seen_at"] = pd.to_datetime(cur["first_seen_at"])
    cur["last_seen_at"] = pd.to_datetime(cur["last_seen_at"])
    cur["is_active"] = cur["is_active"].astype(bool)
    return cur[ALERT_COLUMNS].sort_values(["first_seen_at", "alert_id"]).reset_index(drop=True)


def build_alerts(
    *,
    cost_daily: pd.DataFrame,
    budgets: pd.DataFrame,
    run_costs: pd.DataFrame,
    runs: pd.DataFrame,
    anomalies: pd.DataFrame,
    month_end: pd.DataFrame | None = None,
    previous: pd.DataFrame | None = None,
    config: AlertConfig = AlertConfig(),
    now: datetime | None = None,
) -> pd.DataFrame:
    """Every alert of the marts' frames, merged with the previous mart (stable ids and times)."""
    current = [
        *budget_alerts(cost_daily, budgets, month_end, config),
        *cost_per_run_alerts(run_costs, config),
        *anomaly_alerts(anomalies),
        *trend_alerts(runs, cost_daily, config),
        *run_alerts(runs, config),
    ]
    return merge_alerts(current, previous, now)
