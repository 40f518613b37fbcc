"""When is a maintenance window open? Pure functions over plain values.

A window is one interval [starts_at, ends_at), repeated every day or week from its first
occurrence until ``until`` (inclusive of occurrences that start before it) when recurring.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

PERIODS = {"none": None, "daily": timedelta(days=1), "weekly": timedelta(weeks=1)}


class WindowError(ValueError):
    pass


@dataclass(frozen=True)
class WindowSpec:
    starts_at: datetime
    ends_at: datetime
    recurrence: str = "none"
    until: datetime | None = None

    def __post_init__(self) -> None:
        if self.recurrence not in PERIODS:
            raise WindowError(f"recurrence must be one of {', '.join(PERIODS)}")
        if self.ends_at <= self.starts_at:
            raise WindowError("a window must end after it starts")
        period = PERIODS[self.recurrence]
        if period is not None and self.ends_at - self.starts_at > period:
            raise WindowError(f"a {self.recurrence} window cannot last longer than its period")


def occurrence_at(spec: WindowSpec, t: datetime) -> tuple[datetime, datetime] | None:
    """The occurrence of the window that contains ``t``, if any."""
    period = PERIODS[spec.recurrence]
    if t < spec.starts_at:
        return None
    if period is None:
        return (spec.starts_at, spec.ends_at) if t < spec.ends_at else None
    n = (t - spec.starts_at) // period
    start = spec.starts_at + n * period
    if spec.until is not None and start > spec.until:
        return None
    end = start + (spec.ends_at - spec.starts_at)
    return (start, end) if t < end else None


def is_open(spec: WindowSpec, t: datetime) -> bool:
    return occurrence_at(spec, t) is not None


def planned_minutes(spec: WindowSpec, start: datetime, end: datetime) -> float:
    """Minutes of [start, end) covered by the window's occurrences (for SLA exclusions)."""
    if end <= start:
        return 0.0
    period = PERIODS[spec.recurrence]
    total = timedelta()
    if period is None:
        occurrences = [(spec.starts_at, spec.ends_at)]
    else:
        first = max(0, (start - spec.starts_at) // period - 1)
        occurrences = []
        k = first
        while True:
            s = spec.starts_at + k * period
            if s >= end or (spec.until is not None and s > spec.until):
                break
            occurrences.append((s, s + (spec.ends_at - spec.starts_at)))
            k += 1
    for s, e in occurrences:
        lo, hi = max(s, start), min(e, end)
        if hi > lo:
            total += hi - lo
    return total.total_seconds() / 60.0
