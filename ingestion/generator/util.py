"""Small helpers shared by the generator modules: random draws, ids, time formatting."""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate

US_PER_SECOND = 1_000_000
US_PER_HOUR = 3_600 * US_PER_SECOND
US_PER_DAY = 24 * US_PER_HOUR
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)


def stream(seed: int, *parts: object) -> random.Random:
    """An independent, deterministic random stream for one purpose (and usually one day)."""
    return random.Random(":".join([str(seed), *map(str, parts)]))


class Weighted:
    """Fast repeated weighted choice among fixed values."""

    __slots__ = ("_cum", "_total", "values")

    def __init__(self, pairs: Sequence[tuple[object, float]]):
        self.values = [v for v, _ in pairs]
        self._cum = list(accumulate(w for _, w in pairs))
        self._total = self._cum[-1]

    def pick(self, rng: random.Random):
        """One value, drawn in proportion to its weight."""
        return self.values[bisect_right(self._cum, rng.random() * self._total)]


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (normal approximation for large means)."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def lognormal(rng: random.Random, median: float, sigma: float) -> float:
    """A lognormal draw given its median."""
    return median * math.exp(rng.gauss(0.0, sigma))


def hex_id(rng: random.Random, bits: int) -> str:
    """Lower-case hex of `bits` random bits, zero padded (trace and span ids)."""
    return f"{rng.getrandbits(bits):0{bits // 4}x}"


def between(rng: random.Random, lo: int, hi: int) -> int:
    """A uniform integer in [lo, hi) (much cheaper than `randrange` on the hot path)."""
    return lo + int(rng.random() * (hi - lo))


def uuid_like(rng: random.Random) -> str:
    """A random UUID-formatted string (session ids)."""
    h = hex_id(rng, 128)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"


def day_start_us(day: date) -> int:
    """Microseconds since the epoch at 00:00 UTC of `day`."""
    return (day.toordinal() - 719_163) * US_PER_DAY


def us_to_ordinal(us: int) -> int:
    """The proleptic ordinal of the UTC day containing the instant."""
    return us // US_PER_DAY + 719_163


def rfc3339(us: int, offset_minutes: int = 0) -> str:
    """RFC 3339 with milliseconds, in the given offset (`Z` for UTC): same instant."""
    dt = _EPOCH_NAIVE + timedelta(microseconds=us + offset_minutes * 60 * US_PER_SECOND)
    text = dt.isoformat(timespec="milliseconds")
    if offset_minutes == 0:
        return text + "Z"
    sign = "+" if offset_minutes > 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


def csv_timestamp(us: int) -> str:
    """The CSV form `YYYY-MM-DD HH:MM:SS` (UTC)."""
    return (_EPOCH_NAIVE + timedelta(microseconds=us)).isoformat(sep=" ", timespec="seconds")


def naive_utc(us: int) -> datetime:
    """A naive UTC datetime (Parquet timestamps)."""
    return _EPOCH_NAIVE + timedelta(microseconds=us)
