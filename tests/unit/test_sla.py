"""SLA arithmetic: minutes, merging, business hours, planned exclusion, bands, cap, cents."""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal as D

import pytest

from bss_bridge.sla import Band, BusinessHours, Outage, Sla, credit, measured_minutes, months_between

BANDS = (Band(D("99.9"), D(10)), Band(D("99.5"), D(25)), Band(D("99.0"), D(50)))
SLA = Sla(D("99.9"), BANDS, cap_pct=D(40))


def t(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


def test_one_outage_to_the_cent() -> None:
    r = credit(
        SLA, [Outage(t(2026, 3, 2, 10, 15), t(2026, 3, 2, 12, 45))], "2026-03", D("199.00"), t(2026, 4, 1)
    )
    assert r.measured_minutes == 31 * 24 * 60
    assert r.unavailable_minutes == 150
    # 1 - 150/44640 = 99.66397% -> below 99.9, not below 99.5 -> 10% of 199.00
    assert r.availability_pct == D("99.6640") and r.credit_pct == 10 and r.amount == D("19.90")


def test_overlaps_merge_and_planned_is_excluded() -> None:
    outages = [
        Outage(t(2026, 3, 2, 10, 0), t(2026, 3, 2, 11, 0)),
        Outage(t(2026, 3, 2, 10, 30), t(2026, 3, 2, 11, 30)),  # overlaps: 90 minutes in all
        Outage(t(2026, 3, 9, 0, 0), t(2026, 3, 9, 6, 0), planned=True),
    ]
    r = credit(SLA, outages, "2026-03", D("100"), t(2026, 4, 1))
    assert r.unavailable_minutes == 90
    with_planned = credit(
        Sla(D("99.9"), BANDS, D(40), exclude_planned=False), outages, "2026-03", D("100"), t(2026, 4, 1)
    )
    assert with_planned.unavailable_minutes == 90 + 360


def test_bands_and_cap() -> None:
    long = [Outage(t(2026, 2, 1), t(2026, 2, 3))]  # 2 of 28 days: 92.86%
    r = credit(SLA, long, "2026-02", D("1000.00"), t(2026, 3, 1))
    assert r.credit_pct == 40 and r.amount == D("400.00")  # 50% band capped at 40%


def test_outage_clipped_to_the_month_and_open_counts_to_now() -> None:
    o = Outage(t(2026, 2, 28, 23, 0), None)
    r = credit(SLA, [o], "2026-03", D("100"), now=t(2026, 3, 1, 1, 0))
    assert r.unavailable_minutes == 60
    assert months_between(t(2026, 2, 28), t(2026, 3, 1)) == ["2026-02", "2026-03"]


def test_business_hours() -> None:
    bh = BusinessHours(frozenset({1, 2, 3, 4, 5}), time(8), time(18))
    sla = Sla(D("99.5"), BANDS, D(50), bh)
    assert measured_minutes(sla, "2026-03") == 22 * 10 * 60  # 22 weekdays in March 2026
    # 17:00-20:00 on a Monday counts one hour; a Saturday outage counts nothing
    r = credit(sla, [Outage(t(2026, 3, 2, 17), t(2026, 3, 2, 20)), Outage(t(2026, 3, 7, 9), t(2026, 3, 7, 17))],
               "2026-03", D("100"), t(2026, 4, 1))  # fmt: skip
    assert r.unavailable_minutes == 60


@pytest.mark.parametrize(
    ("minutes", "pct"), [(0, 0), (44, 0), (45, 10), (223, 10), (224, 25), (446, 25), (447, 50)]
)
def test_band_edges(minutes: int, pct: int) -> None:
    from datetime import timedelta

    start = t(2026, 3, 10)
    r = credit(
        Sla(D("99.9"), BANDS),
        [Outage(start, start + timedelta(minutes=minutes))],
        "2026-03",
        D("100"),
        t(2026, 4, 1),
    )
    assert r.credit_pct == pct
