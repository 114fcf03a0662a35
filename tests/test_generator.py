"""Tests of the sample-data generator (`ingestion.generator`), on real files in tmp_path."""

from __future__ import annotations

import csv
import gzip
import json
import re
import statistics
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest

from ingestion.generator import generate
from ingestion.generator.prices import PriceBook
from ingestion.schemas import FOCUS_MANDATORY_COLUMNS

END = date(2026, 11, 30)
DAYS = 28
RUN_STATUSES = {"queued", "running", "succeeded", "failed", "cancelled", "timed_out"}
JOB_STATUSES = RUN_STATUSES | {"skipped"}
TRIGGERS = {"manual", "schedule", "webhook", "api", "retry"}
RUN_TYPES = {"microservice", "library", "pipeline", "frontend", "data", "infrastructure", "docs"}
HEX32, HEX16 = re.compile(r"^[0-9a-f]{32}$"), re.compile(r"^[0-9a-f]{16}$")
PRICES = PriceBook.from_csv()


# --- helpers ------------------------------------------------------------------------------------


def jsonl(path: Path) -> list[dict]:
    with gzip.open(path) as f:
        return [orjson.loads(line) for line in f]


def focus_csv(path: Path) -> list[dict]:
    with gzip.open(path, "rt", newline="", encoding="utf-8") as f:
        return [{k: (None if v == "NULL" else v) for k, v in r.items()} for r in csv.DictReader(f)]


def ts(text: str) -> datetime:
    """RFC 3339 (any offset) or CSV `YYYY-MM-DD HH:MM:SS`, as naive UTC."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = (parsed - parsed.utcoffset()).replace(tzinfo=None)
    return parsed


def attrs(items: list[dict]) -> dict:
    out = {}
    for item in items:
        ((kind, value),) = item["value"].items()
        out[item["key"]] = int(value) if kind == "intValue" else value
    return out


def spans_of(inbox: Path):
    """(resource attributes, span) of every span, duplicates included."""
    for path in sorted((inbox / "telemetry").glob("traces-*.jsonl.gz")):
        for request in jsonl(path):
            for rs in request["resourceSpans"]:
                resource = attrs(rs["resource"]["attributes"])
                for ss in rs["scopeSpans"]:
                    for span in ss["spans"]:
                        yield resource, span


def metric_requests(inbox: Path):
    for path in sorted((inbox / "telemetry").glob("metrics-*.jsonl.gz")):
        yield from jsonl(path)


def latest_snapshots(inbox: Path) -> dict[tuple[str, int], dict]:
    latest: dict[tuple[str, int], dict] = {}
    for path in sorted((inbox / "runs").glob("runs-*.jsonl.gz")):
        for record in jsonl(path):
            key = (record["run_id"], record["attempt"])
            if key not in latest or ts(record["updated_at"]) >= ts(latest[key]["updated_at"]):
                latest[key] = record
    return latest


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("generated")
    calls = []
    summary = generate(
        out,
        days=DAYS,
        customers=6,
        seed=11,
        scale=0.5,
        end_date=END,
        progress=lambda done, total: calls.append((done, total)),
    )
    return out, summary, calls


# --- tests --------------------------------------------------------------------------------------


def test_deterministic_byte_identical_output(tmp_path):
    params = dict(days=4, customers=3, seed=3, scale=0.3, end_date=END)
    first = generate(tmp_path / "a", **params)
    second = generate(tmp_path / "b", **params)
    generate(tmp_path / "c", **{**params, "seed": 4})
    names = sorted(p.relative_to(tmp_path / "a") for p in first.files_written)
    assert names == sorted(p.relative_to(tmp_path / "b") for p in second.files_written)
    for name in [*names, Path("truth/summary.json"), Path("truth/anomalies.csv")]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    runs = Path("inbox/runs") / f"runs-{END.isoformat()}.jsonl.gz"
    assert (tmp_path / "a" / runs).read_bytes() != (tmp_path / "c" / runs).read_bytes()


def test_every_source_written_and_summary_consistent(generated):
    out, summary, calls = generated
    inbox = out / "inbox"
    day_names = [(END - timedelta(days=i)).isoformat() for i in range(DAYS)]
    for day in day_names:
        assert (inbox / "runs" / f"runs-{day}.jsonl.gz").exists()
        assert (inbox / "telemetry" / f"traces-{day}.jsonl.gz").exists()
        assert (inbox / "telemetry" / f"metrics-{day}.jsonl.gz").exists()
        assert (inbox / "billing" / f"focus-infra-{day}.csv.gz").exists()
    assert (inbox / "billing" / "anthropic-invoice-2026-11.parquet").exists()
    assert (inbox / "customers" / "customers.csv").exists()
    assert (inbox / "projects" / "projects.jsonl").exists()
    assert all(p.exists() and inbox in p.parents for p in summary.files_written)
    assert not list(out.rglob("*.partial"))
    assert calls == [(i, DAYS) for i in range(1, DAYS + 1)]

    truth = json.loads((out / "truth" / "summary.json").read_text())
    snapshots = sum(len(jsonl(p)) for p in (inbox / "runs").glob("*.jsonl.gz"))
    assert snapshots == summary.run_snapshots == truth["rows"]["run_snapshots"]
    spans = sum(1 for _ in spans_of(inbox))
    assert spans == summary.spans == truth["rows"]["spans"] > 0
    assert truth["files"]["runs"] == DAYS and truth["anomalies"] == summary.anomalies
    assert summary.focus_rows == truth["rows"]["focus_infra_rows"] + truth["rows"]["focus_ai_rows"]


def test_reference_exports(generated):
    out, _, _ = generated
    with (out / "inbox" / "customers" / "customers.csv").open() as f:
        customers = list(csv.DictReader(f))
    assert [c["customer_id"] for c in customers] == [f"cus_{i:04d}" for i in range(1, 7)]
    assert {c["plan"] for c in customers} <= {"free", "team", "business", "enterprise"}
    assert "enterprise" in {c["plan"] for c in customers}
    assert all(c["organization_id"].startswith("org_") for c in customers)
    projects = [orjson.loads(line) for line in (out / "inbox/projects/projects.jsonl").open()]
    per_customer = Counter(p["customer_id"] for p in projects)
    assert set(per_customer) == {c["customer_id"] for c in customers}
    assert all(2 <= n <= 6 for n in per_customer.values())
    assert all(p["project_id"].startswith("prj_") and "/" in p["repository"] for p in projects)


def test_run_snapshots_follow_the_contract(generated):
    out, _, _ = generated
    inbox = out / "inbox"
    seen: dict[tuple[str, int], list[str]] = defaultdict(list)
    lines_by_key: dict[tuple[str, int], list[bytes]] = defaultdict(list)
    offsets = Counter()
    projects = {orjson.loads(x)["project_id"] for x in (inbox / "projects/projects.jsonl").open()}
    for path in sorted((inbox / "runs").glob("runs-*.jsonl.gz")):
        file_day = path.name[5:15]
        with gzip.open(path) as f:
            for line in f:
                r = orjson.loads(line)
                key = (r["run_id"], r["attempt"])
                seen[key].append(r["status"])
                lines_by_key[key].append(line)
                assert r["attempt"] >= 1 and r["run_type"] in RUN_TYPES
                assert r["trigger"] in TRIGGERS and r["status"] in RUN_STATUSES
                assert (r["trigger"] == "retry") == (r["attempt"] > 1)
                assert r["project_id"] in projects
                offsets[r["queued_at"][-6:] if r["queued_at"][-1] != "Z" else "Z"] += 1
                queued, updated = ts(r["queued_at"]), ts(r["updated_at"])
                assert updated.date().isoformat() <= file_day
                if r["started_at"]:
                    assert queued <= ts(r["started_at"]) <= updated
                    assert r["worker_pool"] and r["instance_type"] and r["cpu_seconds"] >= 0
                else:
                    assert r["cpu_seconds"] is None and r["status"] == "queued"
                if r["finished_at"]:
                    assert ts(r["started_at"]) <= ts(r["finished_at"]) <= updated
                    assert r["status"] not in ("queued", "running")
                    assert r["jobs"] and 2 <= len(r["jobs"]) <= 4
                    assert (r["status"] == "succeeded") == (r["error_code"] is None)
                for job in r["jobs"]:
                    assert job["status"] in JOB_STATUSES and job["steps"]
                    for item in (job, *job["steps"]):
                        assert item["status"] in JOB_STATUSES
                        if item["finished_at"]:
                            assert ts(item["started_at"]) <= ts(item["finished_at"])
                        if item["status"] in ("queued", "skipped"):
                            assert item["started_at"] is None
    statuses = Counter(s for values in seen.values() for s in values[-1:])
    assert {"succeeded", "failed", "cancelled", "timed_out"} <= set(statuses)
    assert statuses["succeeded"] > 0.6 * sum(statuses.values())
    # Exports overlap: in flight in one file, finished in a later one; some repeated verbatim.
    assert any(
        v[0] in ("running", "queued") and v[-1] not in ("running", "queued") for v in seen.values()
    )
    assert any(len(v) != len(set(v)) for v in lines_by_key.values())
    assert any(key[1] >= 2 for key in seen)
    assert offsets["Z"] > 0.7 * sum(offsets.values()) and {"+02:00", "-05:00"} <= set(offsets)


def test_compute_is_consistent_with_duration_and_instance(generated):
    out, _, _ = generated
    capacity = {"m7i.2xlarge": (8, 32), "m7i.8xlarge": (32, 128), "g5.2xlarge": (8, 32)}
    for r in latest_snapshots(out / "inbox").values():
        if not r["finished_at"]:
            continue
        seconds = (ts(r["finished_at"]) - ts(r["started_at"])).total_seconds()
        vcpus, memory = capacity[r["instance_type"]]
        assert r["cpu_seconds"] <= seconds * vcpus + 1e-3
        assert r["memory_gib_seconds"] <= seconds * memory + 1e-3


def test_otlp_traces_structure_and_semantics(generated):
    out, _, _ = generated
    operations, kinds, providers = Counter(), Counter(), Counter()
    legacy = modes = unattributed = total = 0
    mode_values, roots = Counter(), set()
    for resource, span in spans_of(out / "inbox"):
        total += 1
        assert HEX32.match(span["traceId"]) and HEX16.match(span["spanId"])
        assert isinstance(span["kind"], int) and isinstance(span["startTimeUnixNano"], str)
        assert int(span["endTimeUnixNano"]) >= int(span["startTimeUnixNano"])
        a = attrs(span["attributes"])
        operations[a["gen_ai.operation.name"]] += 1
        kinds[(a["gen_ai.operation.name"], span["kind"])] += 1
        mode_values[a["factory.session.mode"]] += 1
        modes += "session.id" in a
        if "parentSpanId" not in span:
            assert a["gen_ai.operation.name"] == "invoke_agent"
            roots.add(span["traceId"])
        if "factory.customer.id" not in resource:
            unattributed += 1
        if a["gen_ai.operation.name"] in ("chat", "embeddings"):
            provider = a.get("gen_ai.provider.name", a.get("gen_ai.system"))
            providers[provider] += 1
            legacy += "gen_ai.system" in a
            assert a["gen_ai.request.model"] in PRICES.models
            assert PRICES.provider(a["gen_ai.request.model"]) == provider
            if span["status"].get("code") == 2:
                assert "error.type" in a
            else:
                tokens = a.get("gen_ai.usage.input_tokens", a.get("gen_ai.usage.prompt_tokens"))
                assert tokens >= a.get("gen_ai.usage.cache_read.input_tokens", 0) >= 0
        if a["gen_ai.operation.name"] == "execute_tool":
            assert a["factory.tool.risk_level"] in ("low", "medium", "high")
            assert a["gen_ai.tool.name"]
        if a["factory.session.mode"] == "interactive":
            assert "user.id" in a and "factory.run.id" not in a
        elif resource["service.name"] == "factory-agent":
            assert "factory.run.id" in a
    assert {"chat", "execute_tool", "invoke_agent", "embeddings"} <= set(operations)
    assert kinds[("chat", 3)] == operations["chat"]
    assert set(providers) == {"anthropic", "openai", "gcp.gemini"}
    assert modes == total and {"headless", "interactive"} <= set(mode_values)
    # About 10 % of LLM spans use the deprecated names; about 1 % carry no customer.
    assert 0.04 < legacy / sum(providers.values()) < 0.2
    assert 0.002 < unattributed / total < 0.04
    assert len(roots) > 0.97 * operations["invoke_agent"]  # one root per trace (some re-sent)


def test_metrics_temporalities_and_true_totals(generated):
    """Counting the points the way the contract says gives exactly the true totals."""
    out, _, _ = generated
    truth = json.loads((out / "truth" / "summary.json").read_text())["metrics_truth"]
    temporalities, names = Counter(), Counter()
    series: dict[tuple, dict] = defaultdict(dict)  # key -> start -> {time: value}
    delta_totals = Counter()
    for request in metric_requests(out / "inbox"):
        for rm in request["resourceMetrics"]:
            resource = json.dumps(rm["resource"]["attributes"], sort_keys=True)
            for sm in rm["scopeMetrics"]:
                for metric in sm["metrics"]:
                    names[metric["name"]] += 1
                    body = metric.get("sum") or metric.get("histogram")
                    if body is None:
                        assert "gauge" in metric
                        continue
                    temporality = body["aggregationTemporality"]
                    temporalities[temporality] += 1
                    cumulative = temporality in (2, "AGGREGATION_TEMPORALITY_CUMULATIVE")
                    if metric["name"] not in truth:
                        continue
                    for p in body["dataPoints"]:
                        value = int(p["asInt"])
                        if not cumulative:
                            delta_totals[metric["name"]] += value
                            continue
                        key = (metric["name"], resource, json.dumps(p["attributes"]))
                        series[key].setdefault(p["startTimeUnixNano"], {})[p["timeUnixNano"]] = (
                            value
                        )
    assert {1, 2, "AGGREGATION_TEMPORALITY_CUMULATIVE"} <= set(temporalities)
    resets = sum(1 for starts in series.values() if len(starts) > 1)
    assert resets > 0
    for name in truth:
        counted = delta_totals[name]
        for (metric, _, _), starts in series.items():
            if metric == name:
                counted += sum(max(points.values()) for points in starts.values())
        assert counted == truth[name] > 0, name
    droid = {
        "droid.code.lines_modified",
        "droid.git.commits",
        "droid.tool.invocations",
        "droid.tool.execution_time",
        "droid.repo.metadata",
        "gen_ai.client.token.usage",
        "gen_ai.client.operation.duration",
        "droid.mcp.tool_invocations",
    }
    assert droid <= set(names)


def test_focus_files_have_mandatory_columns_and_tags(generated):
    out, _, _ = generated
    billing = out / "inbox" / "billing"
    components, untagged, total, dedicated = Counter(), 0.0, 0.0, set()
    for path in sorted(billing.glob("focus-infra-*.csv.gz")):
        rows = focus_csv(path)
        assert set(FOCUS_MANDATORY_COLUMNS) <= set(rows[0])
        for r in rows:
            cost = float(r["BilledCost"])
            total += cost
            assert float(r["EffectiveCost"]) <= cost + 1e-9 and r["ProviderName"] == "AWS"
            assert r["BillingCurrency"] == "USD"
            assert ts(r["ChargePeriodStart"]) < ts(r["ChargePeriodEnd"])
            tags = json.loads(r["Tags"]) if r["Tags"] else {}
            assert isinstance(tags, dict)
            if "factory:customer" in tags:
                dedicated.add(tags["factory:customer"])
            elif "factory:component" in tags:
                components[tags["factory:component"]] += cost
            else:
                untagged += cost
    assert set(components) == {"data-plane", "control-plane", "storage", "network"}
    assert 0.015 < untagged / total < 0.05
    assert len(dedicated) == 1
    table = pq.read_table(billing / "anthropic-invoice-2026-11.parquet")
    assert set(FOCUS_MANDATORY_COLUMNS) <= set(table.column_names)
    for path in billing.glob("*-invoice-*.csv.gz"):
        assert set(FOCUS_MANDATORY_COLUMNS) <= set(focus_csv(path)[0])


def test_ai_invoices_match_telemetry_tokens_at_seed_prices(generated):
    out, _, _ = generated
    inbox = out / "inbox"
    expected: dict[tuple[str, str, str], float] = defaultdict(float)  # (day, model, type)
    seen = set()
    for _, span in spans_of(inbox):
        if (span["traceId"], span["spanId"]) in seen:
            continue  # a batch exported twice counts once
        seen.add((span["traceId"], span["spanId"]))
        a = attrs(span["attributes"])
        if a["gen_ai.operation.name"] not in ("chat", "embeddings") or span["status"]:
            continue
        model = a["gen_ai.request.model"]
        day = datetime.fromtimestamp(int(span["startTimeUnixNano"]) / 1e9, UTC).date()
        end_day = datetime.fromtimestamp(int(span["endTimeUnixNano"]) / 1e9, UTC).date()
        assert day == end_day  # no call straddles midnight: billed the day it was made
        price = PRICES.price(model, day).usd_per_mtok
        total_in = a.get("gen_ai.usage.input_tokens", a.get("gen_ai.usage.prompt_tokens"))
        out_tokens = a.get("gen_ai.usage.output_tokens", a.get("gen_ai.usage.completion_tokens"))
        cache_read = a.get("gen_ai.usage.cache_read.input_tokens", 0)
        cache_write = a.get("gen_ai.usage.cache_creation.input_tokens", 0)
        reasoning = a.get("gen_ai.usage.reasoning.output_tokens", 0)
        usage = {
            "input": total_in - cache_read - cache_write,
            "output": out_tokens or 0,
            "cache_read": cache_read,
            "cache_write": cache_write,
        }
        if price.get("reasoning") is not None:  # priced apart: out of the output tokens
            usage["output"] -= reasoning
            usage["reasoning"] = reasoning
        for token_type, tokens in usage.items():
            expected[(day.isoformat(), model, token_type)] += tokens * price[token_type] / 1e6
    billed: dict[tuple[str, str, str], float] = defaultdict(float)
    rows = pq.read_table(inbox / "billing/anthropic-invoice-2026-11.parquet").to_pylist()
    assert {r["ProviderName"] for r in rows} == {"Anthropic"}
    for path in (inbox / "billing").glob("*-invoice-*.csv.gz"):
        rows += [
            {**r, "ChargePeriodStart": ts(r["ChargePeriodStart"]), "BilledCost": r["BilledCost"]}
            for r in focus_csv(path)
        ]
    for r in rows:
        assert r["ServiceCategory"] == "AI and Machine Learning"
        model, token_type = r["SkuId"].split(":")
        billed[(r["ChargePeriodStart"].date().isoformat(), model, token_type)] += float(
            r["BilledCost"]
        )
    priced = {k: v for k, v in expected.items() if v > 0}
    assert set(billed) == set(priced)
    for key, cost in priced.items():
        assert abs(billed[key] - cost) <= 0.03 * cost + 1e-6, key
    total_expected, total_billed = sum(priced.values()), sum(billed.values())
    assert abs(total_billed - total_expected) <= 0.01 * total_expected
    assert total_billed != pytest.approx(total_expected, rel=1e-6)  # the variance is there


def test_invoice_prices_come_from_the_seed(tmp_path, monkeypatch):
    """Change the seed, and the invoice follows (no price is duplicated in code)."""
    from ingestion.generator import prices

    seed = tmp_path / "model_prices.csv"
    rows = list(csv.DictReader(prices.PRICES_CSV.open()))
    for row in rows:
        row.setdefault("reasoning_usd_per_mtok", "")
        if row["model"] == "claude-sonnet-4-5":
            row["input_usd_per_mtok"] = "30.00"
        if row["model"] == "gpt-5":
            row["reasoning_usd_per_mtok"] = "20.00"
    with seed.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    monkeypatch.setattr(prices, "PRICES_CSV", seed)
    generate(tmp_path / "out", days=2, customers=4, seed=2, scale=0.5, end_date=END)
    billing = tmp_path / "out" / "inbox" / "billing"
    anthropic = pq.read_table(billing / "anthropic-invoice-2026-11.parquet").to_pylist()
    unit = {r["SkuId"]: r["ListUnitPrice"] for r in anthropic}
    assert unit["claude-sonnet-4-5:input"] == 30.0
    openai = focus_csv(billing / "openai-invoice-2026-11.csv.gz")
    assert {r["ListUnitPrice"] for r in openai if r["SkuId"] == "gpt-5:reasoning"} == {"20.0"}


def test_data_plane_cost_covers_used_compute(generated):
    out, _, _ = generated
    inbox = out / "inbox"
    price, provisioned = {}, defaultdict(float)
    for path in (inbox / "billing").glob("focus-infra-*.csv.gz"):
        for r in focus_csv(path):
            tags = json.loads(r["Tags"]) if r["Tags"] else {}
            if tags.get("factory:component") == "data-plane":
                pool = tags["factory:worker-pool"]
                price[pool] = float(r["ListUnitPrice"])
                day = ts(r["ChargePeriodStart"]).date()
                provisioned[(pool, day)] += float(r["EffectiveCost"])
    used = defaultdict(float)
    for r in latest_snapshots(inbox).values():
        if not r["started_at"]:
            continue
        start = ts(r["started_at"])
        end = ts(r["finished_at"]) if r["finished_at"] else ts(r["updated_at"])
        while start < end:  # split at midnight
            cut = min(end, datetime.combine(start.date() + timedelta(days=1), datetime.min.time()))
            used[(r["worker_pool"], start.date())] += (cut - start).total_seconds() / 3600
            start = cut
    assert used and set(used) <= set(provisioned)
    for (pool, day), hours in used.items():
        assert provisioned[(pool, day)] >= hours * price[pool], (pool, day)


def test_anomalies_truth_outside_inbox_and_visible(generated):
    out, _, _ = generated
    path = out / "truth" / "anomalies.csv"
    assert not list((out / "inbox").rglob("anomalies*"))
    with path.open() as f:
        anomalies = list(csv.DictReader(f))
    assert len(anomalies) >= 4
    assert {a["kind"] for a in anomalies} == {
        "cost_spike",
        "token_surge",
        "duration_regression",
        "success_rate_drop",
    }
    first = END - timedelta(days=DAYS - 1)
    for a in anomalies:
        start, end = date.fromisoformat(a["start_date"]), date.fromisoformat(a["end_date"])
        assert first + timedelta(days=14) <= start <= end < END
        assert float(a["magnitude"]) > 1
    # The token surge shows in telemetry: that customer's tokens jump on that day.
    surge = next(a for a in anomalies if a["kind"] == "token_surge")
    per_day = Counter()
    for resource, span in spans_of(out / "inbox"):
        a = attrs(span["attributes"])
        if resource.get("factory.customer.id") == surge["dimension_value"]:
            day = datetime.fromtimestamp(int(span["endTimeUnixNano"]) / 1e9, UTC).date()
            per_day[day] += a.get(
                "gen_ai.usage.output_tokens", a.get("gen_ai.usage.completion_tokens", 0)
            )
    surge_day = date.fromisoformat(surge["start_date"])
    weekend = surge_day.weekday() >= 5  # compare with days of the same kind
    others = [v for d, v in per_day.items() if d != surge_day and (d.weekday() >= 5) == weekend]
    assert per_day[surge_day] > 2 * statistics.median(others)


def test_short_window_still_writes_truth_header(tmp_path):
    summary = generate(tmp_path, days=3, customers=2, seed=1, scale=0.2, end_date=END)
    text = (tmp_path / "truth" / "anomalies.csv").read_text()
    assert text.splitlines()[0].startswith("anomaly_id,kind,dimension,dimension_value")
    assert len(text.splitlines()) == 1 and summary.anomalies == 0


def test_scale_increases_volume(tmp_path):
    params = dict(days=3, customers=3, seed=5, end_date=END)
    small = generate(tmp_path / "small", scale=0.5, **params)
    large = generate(tmp_path / "large", scale=2.0, **params)
    assert large.run_snapshots > 2.5 * small.run_snapshots
    assert large.spans > 2.5 * small.spans


def test_default_end_date_is_yesterday_utc(tmp_path):
    summary = generate(tmp_path, days=1, customers=1, scale=0.1)
    assert summary.end_date == datetime.now(UTC).date() - timedelta(days=1)
    assert (tmp_path / "inbox" / "runs" / f"runs-{summary.end_date}.jsonl.gz").exists()
