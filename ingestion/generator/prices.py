"""LLM prices, read from the analysts' seed `dbt_project/seeds/model_prices.csv` (never duplicated).

Token semantics follow the OpenTelemetry GenAI conventions: `input_tokens` includes the cached
(`cache_read`) and cache-creation tokens, `output_tokens` includes reasoning tokens. So a call is
billed `input - cache_read - cache_write` at the input price, `cache_read` and `cache_write` at
their own prices, and `output` at the output price; reasoning tokens too, unless the seed's
optional `reasoning_usd_per_mtok` gives them a price of their own (then they are taken out of
`output` and billed as `reasoning`).
"""

from __future__ import annotations

import csv
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ingestion.settings import DBT_PROJECT_DIR

PRICES_CSV = DBT_PROJECT_DIR / "seeds" / "model_prices.csv"
TOKEN_TYPES = ("input", "output", "cache_read", "cache_write", "reasoning")


@dataclass(frozen=True)
class ModelPrice:
    """Prices of one model from `effective_from` on, in USD per million tokens."""

    provider: str
    model: str
    effective_from: date
    usd_per_mtok: dict[str, float | None]  # token type -> price (reasoning: None unless priced)


class PriceBook:
    """Every model of the price seed, with its price history."""

    def __init__(self, prices: list[ModelPrice]):
        self._history: dict[str, list[ModelPrice]] = {}
        for price in sorted(prices, key=lambda p: (p.model, p.effective_from)):
            self._history.setdefault(price.model, []).append(price)
        self._starts = {m: [p.effective_from for p in h] for m, h in self._history.items()}

    @classmethod
    def from_csv(cls, path: Path | None = None) -> PriceBook:
        """Reads the seed (columns provider, model, effective_from, *_usd_per_mtok)."""
        path = path or PRICES_CSV
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
        return cls(
            [
                ModelPrice(
                    provider=row["provider"],
                    model=row["model"],
                    effective_from=date.fromisoformat(row["effective_from"]),
                    usd_per_mtok={
                        "input": float(row["input_usd_per_mtok"]),
                        "output": float(row["output_usd_per_mtok"]),
                        "cache_read": float(row["cache_read_usd_per_mtok"]),
                        "cache_write": float(row["cache_write_usd_per_mtok"]),
                        "reasoning": (
                            float(row["reasoning_usd_per_mtok"])
                            if row.get("reasoning_usd_per_mtok")
                            else None
                        ),
                    },
                )
                for row in rows
            ]
        )

    @property
    def models(self) -> list[str]:
        """Model names, sorted."""
        return sorted(self._history)

    def provider(self, model: str) -> str:
        """The provider of a model, as spelled in the seed (`anthropic`, `gcp.gemini`, …)."""
        return self._history[model][0].provider

    def is_embedding(self, model: str) -> bool:
        """An embedding model has no output price."""
        return all(p.usd_per_mtok["output"] == 0 for p in self._history[model])

    def price(self, model: str, day: date) -> ModelPrice:
        """The price in effect on `day` (the earliest one if `day` precedes them all)."""
        index = bisect_right(self._starts[model], day) - 1
        return self._history[model][max(index, 0)]


def billable_tokens(
    input_tokens: int,
    output_tokens: int,
    cache_read: int,
    cache_write: int,
    reasoning: int = 0,
    reasoning_priced: bool = False,
) -> dict[str, int]:
    """Splits a call's usage into billed token types (see the module docstring)."""
    tokens = {
        "input": input_tokens - cache_read - cache_write,
        "output": output_tokens,
        "cache_read": cache_read,
        "cache_write": cache_write,
    }
    if reasoning_priced and reasoning:
        tokens["output"] -= reasoning
        tokens["reasoning"] = reasoning
    return tokens
