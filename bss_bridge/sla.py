"""SLA arithmetic (pure): unavailable minutes in a month, availability, and the credit.

- Outage windows are clipped to the month, merged where they overlap (two outages of one
  service at once are one outage), and, when the SLA has business hours, intersected with
  them. Planned windows are excluded when the SLA says so.
- Availability = 1 - unavailable / measured minutes of the month (all minutes, or the
  business minutes).
- The credit is the percentage of the band the availability falls in (the worst band that
  applies), capped, times the monthly fee, rounded half-up to the cent.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

CENT = Decimal("0.01")


@dataclass(frozen=True)
class BusinessHours:
    days: frozenset[int]  # ISO weekdays, 1 = Monday
    start: time
    end: time
    tz: str = "UTC"

    def windows(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The business-hour intervals inside [start, end), in UTC."""
        zone = ZoneInfo(self.tz)
        out = []
        day = start.astimezone(zone).date() - timedelta(days=1)
        last = end.astimezone(zone).date() + timedelta(days=1)
        while day <= last:
            if day.isoweekday() in self.days:
                a = datetime.combine(day, self.start, zone).astimezone(UTC)
                b = datetime.combine(day, self.end, zone).astimezone(UTC)
                lo, hi = max(a, start), min(b, end)
                if hi > lo:
                    out.append((lo, hi))
            day += timedelta(days=1)
        return out


@dataclass(frozen=True)
class Band:
    below_pct: Decimal  # availability strictly below this ...
    credit_pct: Decimal  # ... earns this share of the monthly fee


@dataclass(frozen=True)
class Sla:
    target_pct: Decimal
    bands: tuple[Band, ...]
    cap_pct: Decimal = Decimal(100)
    business_hours: BusinessHours | None = None
    exclude_planned: bool = True


@dataclass(frozen=True)
class Outage:
    start: datetime
    end: datetime | None  # None: still open (counted up to ``now``)
    planned: bool = False


@dataclass(frozen=True)
class CreditResult:
    month: str
    measured_minutes: float
    unavailable_minutes: float
    availability_pct: Decimal
    credit_pct: Decimal
    amount: Decimal
    windows: tuple[tuple[datetime, datetime], ...] = field(default=())


def month_bounds(month: str) -> tuple[datetime, datetime]:
    year, mon = (int(x) for x in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=UTC)
    days = calendar.monthrange(year, mon)[1]
    return start, start + timedelta(days=days)


def month_of(dt: datetime) -> str:
    return f"{dt.astimezone(UTC):%Y-%m}"


def _merge(windows: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for a, b in sorted(windows):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _minutes(windows: Iterable[tuple[datetime, datetime]]) -> float:
    return sum((b - a).total_seconds() for a, b in windows) / 60.0


def _intersect(
    a: Sequence[tuple[datetime, datetime]], b: Sequence[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    out = []
    for x0, x1 in a:
        for y0, y1 in b:
            lo, hi = max(x0, y0), min(x1, y1)
            if hi > lo:
                out.append((lo, hi))
    return out


def unavailable_windows(
    sla: Sla, outages: Iterable[Outage], month: str, now: datetime
) -> list[tuple[datetime, datetime]]:
    m0, m1 = month_bounds(month)
    raw = []
    for o in outages:
        if o.planned and sla.exclude_planned:
            continue
        a, b = max(o.start, m0), min(o.end or now, m1)
        if b > a:
            raw.append((a, b))
    merged = _merge(raw)
    if sla.business_hours is not None:
        merged = _merge(_intersect(merged, sla.business_hours.windows(m0, m1)))
    return merged


def measured_minutes(sla: Sla, month: str) -> float:
    m0, m1 = month_bounds(month)
    if sla.business_hours is None:
        return (m1 - m0).total_seconds() / 60.0
    return _minutes(sla.business_hours.windows(m0, m1))


def credit_pct_for(sla: Sla, availability: Decimal) -> Decimal:
    earned = Decimal(0)
    for band in sla.bands:
        if availability < band.below_pct:
            earned = max(earned, band.credit_pct)
    return min(earned, sla.cap_pct)


def credit(
    sla: Sla, outages: Iterable[Outage], month: str, monthly_fee: Decimal, now: datetime
) -> CreditResult:
    windows = unavailable_windows(sla, outages, month, now)
    measured = measured_minutes(sla, month)
    down = _minutes(windows)
    availability = (
        (Decimal(1) - Decimal(str(down)) / Decimal(str(measured))) * 100 if measured else Decimal(100)
    )
    availability = availability.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    pct = credit_pct_for(sla, availability)
    amount = (monthly_fee * pct / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    return CreditResult(month, measured, round(down, 4), availability, pct, amount, tuple(windows))


def months_between(start: datetime, end: datetime) -> list[str]:
    out, cur = [], date(start.year, start.month, 1)
    while cur <= date(end.year, end.month, 1):
        out.append(f"{cur:%Y-%m}")
        cur = date(cur.year + (cur.month == 12), cur.month % 12 + 1, 1)
    return out
