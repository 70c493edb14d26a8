"""The typical yearly rates by credit score range that payment estimates use, as staff set them
(`MortgageSettings`); until they do, the defaults below."""

from __future__ import annotations

import math
from collections.abc import Mapping

from sqlmodel.ext.asyncio.session import AsyncSession

from core.errors import Invalid
from core.timeutil import utcnow
from domains.mortgage.models import MortgageSettings

CREDIT_RANGES = ("excellent", "good", "fair", "poor")
DEFAULT_RATES: dict[str, float] = {"excellent": 6.25, "good": 6.75, "fair": 7.5, "poor": 8.5}
MAX_RATE = 30.0


def make_rates(rates: Mapping[str, float]) -> dict[str, float]:
    """A rate in percent for every credit score range; Invalid saying what is wrong."""
    unknown = set(rates) - set(CREDIT_RANGES)
    if unknown:
        raise Invalid(f"No such credit score range: {', '.join(sorted(unknown))}.")
    missing = [r for r in CREDIT_RANGES if r not in rates]
    if missing:
        raise Invalid(f"Give a rate for every credit score range; missing: {', '.join(missing)}.")
    clean: dict[str, float] = {}
    for name in CREDIT_RANGES:
        value = float(rates[name])
        if not math.isfinite(value) or not 0 <= value <= MAX_RATE:
            raise Invalid(f"The {name} rate is a yearly percentage from 0 to {MAX_RATE:g}, such as 6.5.")
        clean[name] = round(value, 3)
    return clean


async def load_rates(session: AsyncSession) -> dict[str, float]:
    row = await session.get(MortgageSettings, 1)
    return make_rates(row.rates) if row is not None else dict(DEFAULT_RATES)


async def save_rates(session: AsyncSession, rates: Mapping[str, float]) -> dict[str, float]:
    clean = make_rates(rates)
    row = await session.get(MortgageSettings, 1) or MortgageSettings(id=1)
    row.rates, row.updated_at = clean, utcnow()
    session.add(row)
    await session.flush()
    return clean
