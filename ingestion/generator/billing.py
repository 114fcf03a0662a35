"""FOCUS 1.0 billing: the daily AWS cost export and the monthly LLM provider invoices.

Data-plane rows are hourly per worker pool: the autoscaler keeps enough instances for the runs
of that hour at its target utilisation (never fewer than the pool's warm nodes), so the bill is
always above the compute the runs used. LLM invoices bill the tokens seen in telemetry that day
at the seed's prices, the provider's own count differing by a little.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import orjson

from ingestion.generator import catalog
from ingestion.generator.anomalies import Effects
from ingestion.generator.catalog import FixedService
from ingestion.generator.prices import PriceBook
from ingestion.generator.runs import Attempt, hour_usage
from ingestion.generator.util import US_PER_HOUR, csv_timestamp, day_start_us, us_to_ordinal
from ingestion.generator.world import World
from ingestion.generator.writers import write_focus_csv_gz, write_focus_parquet

AWS_COLUMNS = catalog.FOCUS_COLUMNS + catalog.AWS_EXTRA_COLUMNS
AI_CATEGORY = "AI and Machine Learning"


def _money(x: float) -> str:
    return f"{x:.10f}"


def _qty(x: float) -> str:
    return f"{x:.6f}"


def _tags(tags: dict | None) -> str | None:
    return None if tags is None else orjson.dumps(tags).decode()


def _month_bounds(day: date) -> tuple[str, str, int]:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return (
        csv_timestamp(day_start_us(first)),
        csv_timestamp(day_start_us(following)),
        (following - first).days,
    )


class Billing:
    """Accumulates what drives cost (instance hours, activity, tokens) and emits FOCUS rows."""

    def __init__(self, world: World, prices: PriceBook, effects: Effects):
        self.world, self.prices, self.effects = world, prices, effects
        self._used: dict[tuple[str, int], float] = defaultdict(float)  # (pool, hour) -> seconds
        self._started: dict[int, int] = defaultdict(int)  # day ordinal -> attempts started
        self._stored_gb = catalog.STORAGE_BASE_GB
        # month (year, month) -> (day ordinal, model, token type) -> tokens
        self._tokens: dict[tuple[int, int], dict[tuple[int, str, str], int]] = defaultdict(
            lambda: defaultdict(int)
        )

    def add_attempt(self, a: Attempt) -> None:
        """Records the instance time an attempt held on its pool."""
        for hour, seconds in hour_usage(a):
            self._used[(a.pool.name, hour)] += seconds
        self._started[us_to_ordinal(a.started_us)] += 1

    def add_llm_usage(self, day: int, usage: dict[tuple[str, str], int]) -> None:
        """Adds a day's billed tokens per (model, token type) to its month's invoices."""
        d = date.fromordinal(day)
        month = self._tokens[(d.year, d.month)]
        for (model, token_type), tokens in usage.items():
            month[(day, model, token_type)] += tokens

    # --- AWS ------------------------------------------------------------------------------------

    def infra_rows(self, day: date, rng: random.Random) -> list[dict]:
        """The day's AWS FOCUS rows: data plane (hourly), control plane, storage, network,
        the dedicated database, and a few untagged services."""
        period_start, period_end, days_in_month = _month_bounds(day)
        start_us = day_start_us(day)
        end_us = day_start_us(day + timedelta(days=1))
        ordinal = day.toordinal()
        common = {
            **catalog.AWS_ACCOUNT,
            **catalog.AWS_SUB_ACCOUNT,
            **catalog.AWS_REGION,
            "BillingCurrency": "USD",
            "BillingPeriodStart": period_start,
            "BillingPeriodEnd": period_end,
            "ChargeCategory": "Usage",
            "ChargeFrequency": "Usage-Based",
            "InvoiceIssuerName": "Amazon Web Services, Inc.",
            "ProviderName": "AWS",
            "PublisherName": "Amazon Web Services, Inc.",
        }
        day_period = (csv_timestamp(start_us), csv_timestamp(end_us))
        rows: list[dict] = []

        def add(
            service,
            category,
            resource_id,
            resource_type,
            unit,
            quantity,
            unit_price,
            tags,
            description,
            usage_type,
            period=day_period,
            discount=0.0,
            commitment=None,
            zone=None,
        ):
            list_cost = quantity * unit_price
            effective = list_cost * (1.0 - discount)
            row = {
                **common,
                "AvailabilityZone": zone,
                "ChargePeriodStart": period[0],
                "ChargePeriodEnd": period[1],
                "ServiceName": service,
                "ServiceCategory": category,
                "ResourceId": resource_id,
                "ResourceName": resource_id.rsplit("/", 1)[-1].rsplit(":", 1)[-1],
                "ResourceType": resource_type,
                "SkuId": f"{usage_type}:{unit}",
                "SkuPriceId": f"{usage_type}:{unit}:{unit_price}",
                "ConsumedQuantity": _qty(quantity),
                "ConsumedUnit": unit,
                "PricingQuantity": _qty(quantity),
                "PricingUnit": unit,
                "ListUnitPrice": f"{unit_price}",
                "ContractedUnitPrice": f"{unit_price * (1.0 - discount):.10f}",
                "ListCost": _money(list_cost),
                "BilledCost": _money(list_cost),
                "ContractedCost": _money(effective),
                "EffectiveCost": _money(effective),
                "PricingCategory": "Committed" if commitment else "Standard",
                "ChargeDescription": description,
                "Tags": _tags(tags),
                "x_UsageType": usage_type,
            }
            if commitment:
                row.update(commitment)
            rows.append(row)
            return list_cost

        # Data plane: hourly, per pool.
        for pool in catalog.POOLS.values():
            spike = self.effects.factor("cost_spike", pool.name, ordinal)
            commitment = None
            if pool.commitment_discount:
                commitment = {
                    "CommitmentDiscountCategory": "Spend",
                    "CommitmentDiscountId": catalog.SAVINGS_PLAN_ARN,
                    "CommitmentDiscountName": "factory-compute-savings-plan",
                    "CommitmentDiscountStatus": "Used",
                    "CommitmentDiscountType": "Compute Savings Plan",
                }
            first_hour = start_us // US_PER_HOUR
            for h in range(24):
                used = self._used.pop((pool.name, first_hour + h), 0.0) / 3600.0
                provisioned = max(float(pool.min_nodes), used / pool.target_utilization)
                if provisioned <= 0:
                    continue  # the pool scaled to zero for the hour
                provisioned *= rng.uniform(1.0, 1.08) * spike  # boot and drain overhead
                hour_start = (first_hour + h) * US_PER_HOUR
                add(
                    "Amazon Elastic Compute Cloud",
                    "Compute",
                    f"arn:aws:autoscaling:us-east-1:444455556666:autoScalingGroup:eks-{pool.name}",
                    "Auto Scaling Group",
                    "Hours",
                    provisioned,
                    pool.hourly_usd,
                    {"factory:component": "data-plane", "factory:worker-pool": pool.name},
                    f"{pool.instance_type} on-demand instance hours ({pool.name})",
                    f"BoxUsage:{pool.instance_type}",
                    (csv_timestamp(hour_start), csv_timestamp(hour_start + US_PER_HOUR)),
                    pool.commitment_discount,
                    commitment,
                    "us-east-1a",
                )

        for service in catalog.CONTROL_PLANE:
            self._fixed(add, service, {"factory:component": "control-plane"})
        self._fixed(
            add, catalog.DEDICATED_SERVICE, {"factory:customer": self.world.dedicated_customer}
        )

        started = self._started.pop(ordinal, 0)
        self._stored_gb += started * catalog.STORAGE_GB_PER_RUN
        storage_spike = self.effects.factor("cost_spike", "storage", ordinal)
        add(
            "Amazon Simple Storage Service",
            "Storage",
            "arn:aws:s3:::factory-run-artifacts",
            "Bucket",
            "GB-Mo",
            self._stored_gb / days_in_month * storage_spike,
            catalog.STORAGE_USD_PER_GB_MONTH,
            {"factory:component": "storage"},
            "S3 Standard storage, run artifacts and logs",
            "TimedStorage-ByteHrs",
        )
        add(
            "Amazon Simple Storage Service",
            "Storage",
            "arn:aws:s3:::factory-run-artifacts",
            "Bucket",
            "1K Requests",
            started * catalog.STORAGE_REQUESTS_PER_RUN / 1000,
            catalog.STORAGE_USD_PER_1K_REQUESTS,
            {"factory:component": "storage"},
            "S3 PUT/COPY/POST requests (per 1,000)",
            "Requests-Tier1",
        )

        network_spike = self.effects.factor("cost_spike", "network", ordinal)
        gb = catalog.NETWORK_BASE_GB_PER_DAY + started * catalog.NETWORK_GB_PER_RUN
        gb *= rng.uniform(0.9, 1.1) * network_spike
        add(
            "AWS Data Transfer",
            "Networking",
            "arn:aws:ec2:us-east-1:444455556666:vpc/factory-prod",
            "VPC",
            "GB",
            gb,
            catalog.NETWORK_USD_PER_GB,
            {"factory:component": "network"},
            "Data transfer out to the internet",
            "DataTransfer-Out-Bytes",
        )
        add(
            "Amazon Virtual Private Cloud",
            "Networking",
            "arn:aws:ec2:us-east-1:444455556666:natgateway/nat-factory-prod",
            "NAT Gateway",
            "GB",
            gb * 0.6,
            catalog.NAT_USD_PER_GB,
            {"factory:component": "network"},
            "NAT gateway data processed",
            "NatGateway-Bytes",
        )

        tagged = sum(float(r["BilledCost"]) for r in rows)
        for service, category, share, tags in catalog.UNTAGGED_SERVICES:
            amount = tagged * share * rng.uniform(0.85, 1.15)
            slug = service.lower().replace(" ", "-")
            add(
                service,
                category,
                f"arn:aws:{slug}:us-east-1:444455556666:shared",
                "Shared",
                "Units",
                amount,
                1.0,
                None if tags is None else dict(tags),
                f"{service} (not tagged)",
                f"{slug}-usage",
            )
        return rows

    def _fixed(self, add, service: FixedService, tags: dict) -> None:
        commitment = None
        if service.commitment_discount:
            commitment = {
                "CommitmentDiscountCategory": "Usage",
                "CommitmentDiscountId": catalog.RESERVATION_ARN,
                "CommitmentDiscountName": f"{service.key}-reserved",
                "CommitmentDiscountStatus": "Used",
                "CommitmentDiscountType": "Reserved Instance",
            }
        add(
            service.service,
            service.category,
            f"arn:aws:{service.key}:us-east-1:444455556666:{service.key}",
            service.resource_type,
            service.sku_unit,
            service.quantity_per_day,
            service.unit_price,
            tags,
            f"{service.service}: {service.key}",
            f"{service.key}-usage",
            discount=service.commitment_discount,
            commitment=commitment,
        )

    # --- LLM providers ------------------------------------------------------------------------

    def invoice_rows(self, year: int, month: int, rng: random.Random) -> dict[str, list[dict]]:
        """FOCUS rows of each provider's invoice for the month (days seen so far); forgets them."""
        tokens = self._tokens.pop((year, month), {})
        period_start, period_end, _ = _month_bounds(date(year, month, 1))
        by_provider: dict[str, list[dict]] = defaultdict(list)
        for (day, model, token_type), count in sorted(tokens.items()):
            provider = self.prices.provider(model)
            info = catalog.AI_PROVIDERS.get(provider)
            if info is None or count <= 0:
                continue
            price = self.prices.price(model, date.fromordinal(day))
            unit_price = price.usd_per_mtok[token_type]
            if unit_price == 0:
                continue  # free token types are not invoiced
            # The provider's meter differs a little from our telemetry.
            billed_tokens = round(count * (1 + rng.uniform(-1, 1) * catalog.AI_INVOICE_VARIANCE))
            cost = billed_tokens * unit_price / 1e6
            start = day_start_us(date.fromordinal(day))
            by_provider[provider].append(
                {
                    "BillingAccountId": info["BillingAccountId"],
                    "BillingAccountName": info["BillingAccountName"],
                    "BillingCurrency": "USD",
                    "BillingPeriodStart": period_start,
                    "BillingPeriodEnd": period_end,
                    "ChargePeriodStart": csv_timestamp(start),
                    "ChargePeriodEnd": csv_timestamp(start + 24 * US_PER_HOUR),
                    "ChargeCategory": "Usage",
                    "ChargeFrequency": "Usage-Based",
                    "ChargeDescription": f"{model} {token_type.replace('_', ' ')} tokens",
                    "ConsumedQuantity": str(billed_tokens),
                    "ConsumedUnit": "Tokens",
                    "PricingQuantity": _qty(billed_tokens / 1e6),
                    "PricingUnit": "1M Tokens",
                    "PricingCategory": "Standard",
                    "ListUnitPrice": f"{unit_price}",
                    "ContractedUnitPrice": f"{unit_price}",
                    "ListCost": _money(cost),
                    "BilledCost": _money(cost),
                    "ContractedCost": _money(cost),
                    "EffectiveCost": _money(cost),
                    "InvoiceIssuerName": info["InvoiceIssuerName"],
                    "ProviderName": info["ProviderName"],
                    "PublisherName": info["PublisherName"],
                    "ServiceName": info["ServiceName"],
                    "ServiceCategory": AI_CATEGORY,
                    "ResourceId": f"{info['BillingAccountId']}/factory-production",
                    "ResourceName": "factory-production",
                    "ResourceType": "API Workspace",
                    "SkuId": f"{model}:{token_type}",
                    "SkuPriceId": f"{model}:{token_type}:{price.effective_from.isoformat()}",
                    "Tags": None,
                }
            )
        return dict(by_provider)


def write_invoices(
    billing_dir: Path, year: int, month: int, rows: dict[str, list[dict]]
) -> list[tuple[Path, int]]:
    """One file per provider and month: Parquet or CSV.gz as the catalogue says."""
    written = []
    for provider in sorted(rows):
        info = catalog.AI_PROVIDERS[provider]
        stem = f"{info['file_stem']}-{year:04d}-{month:02d}"
        if info["format"] == "parquet":
            path = billing_dir / f"{stem}.parquet"
            n = write_focus_parquet(path, catalog.FOCUS_COLUMNS, rows[provider])
        else:
            path = billing_dir / f"{stem}.csv.gz"
            n = write_focus_csv_gz(path, catalog.FOCUS_COLUMNS, rows[provider])
        written.append((path, n))
    return written


def write_infra(billing_dir: Path, day: date, rows: list[dict]) -> tuple[Path, int]:
    """The day's AWS cost file."""
    path = billing_dir / f"focus-infra-{day.isoformat()}.csv.gz"
    return path, write_focus_csv_gz(path, AWS_COLUMNS, rows)
