"""Rollups of interface samples on SQLite and PostgreSQL: 5-minute average and maximum from raw
samples, hourly from the 5-minute ones (weighted by sample count), idempotent re-runs, gaps
skipped, and retention per period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from agent.config import with_overrides
from agent.context import Context
from agent.worker.rollups import FIVE_MIN, HOUR, prune_rollups, storage_retention
from inventory.models import Device, Interface, InterfaceSample
from inventory.scale_models import InterfaceRollup

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def _iface(ctx: Context) -> int:
    with ctx.begin() as s:
        d = Device(name="r1", host="192.0.2.1")
        s.add(d)
        s.flush()
        i = Interface(device_id=d.id, if_index=1, name="eth0")
        s.add(i)
        s.flush()
        return i.id


def _sample(ctx: Context, iface: int, ts: datetime, in_bps: float | None, out_bps: float = 0.0) -> None:
    with ctx.begin() as s:
        s.add(
            InterfaceSample(
                interface_id=iface,
                ts=ts,
                uptime_ticks=0,
                counter_bits=64,
                oper_status=1,
                in_bps=in_bps,
                out_bps=out_bps,
            )
        )


def _rollups(ctx: Context, period: int) -> list[InterfaceRollup]:
    with ctx.begin() as s:
        return list(
            s.scalars(
                select(InterfaceRollup)
                .where(InterfaceRollup.period_s == period)
                .order_by(InterfaceRollup.bucket)
            )
        )


def test_five_minute_and_hourly_rollups(ctx: Context) -> None:
    iface = _iface(ctx)
    # One sample a minute for two hours: in_bps = minute number (the first one has no rate yet).
    for m in range(120):
        _sample(ctx, iface, T0 + timedelta(minutes=m, seconds=7), None if m == 0 else float(m))
    storage_retention(ctx, now=T0 + timedelta(hours=2, minutes=1))
    five = _rollups(ctx, FIVE_MIN)
    assert len(five) == 24
    assert [r.bucket for r in five[:2]] == [T0, T0 + timedelta(minutes=5)]
    assert (five[0].samples, five[0].in_bps_max) == (4, 4.0)
    assert five[0].in_bps_avg == pytest.approx(2.5)
    assert (five[1].in_bps_avg, five[1].in_bps_max) == (7.0, 9.0)
    hourly = _rollups(ctx, HOUR)
    assert [r.bucket for r in hourly] == [T0, T0 + timedelta(hours=1)]
    # Weighted by the samples that had a rate: minutes 1..59 average 30.
    assert hourly[0].samples == 59
    assert hourly[0].in_bps_avg == pytest.approx(30.0)
    assert hourly[0].in_bps_max == 59.0
    assert hourly[1].in_bps_avg == pytest.approx(89.5)

    # Running again changes nothing; a late sample in the newest bucket is taken in.
    storage_retention(ctx, now=T0 + timedelta(hours=2, minutes=2))
    assert len(_rollups(ctx, FIVE_MIN)) == 24
    _sample(ctx, iface, T0 + timedelta(hours=1, minutes=59, seconds=30), 1000.0)
    storage_retention(ctx, now=T0 + timedelta(hours=2, minutes=3))
    five = _rollups(ctx, FIVE_MIN)
    assert len(five) == 24 and five[-1].in_bps_max == 1000.0 and five[-1].samples == 6


def test_a_gap_is_skipped_and_old_rollups_expire(ctx: Context) -> None:
    iface = _iface(ctx)
    _sample(ctx, iface, T0 + timedelta(minutes=1), 1.0)
    storage_retention(ctx, now=T0 + timedelta(minutes=10))
    # Ten days later polling resumes: the next run rolls the new data, not ten days of nothing.
    later = T0 + timedelta(days=10)
    _sample(ctx, iface, later + timedelta(minutes=1), 2.0)
    run = storage_retention(ctx, now=later + timedelta(minutes=10))
    assert run.buckets_5m == 2  # the old newest bucket again, and the new one
    assert [r.bucket for r in _rollups(ctx, FIVE_MIN)] == [T0, later]
    short = with_overrides(ctx.settings, rollup_5m_retention_days=5, rollup_1h_retention_days=5)
    assert [r.bucket for r in _rollups(ctx, HOUR)] == [T0]  # the hour of `later` is not over
    assert prune_rollups(ctx, short, now=later + timedelta(minutes=30)) == 2
    assert [r.bucket for r in _rollups(ctx, FIVE_MIN)] == [later]
    assert _rollups(ctx, HOUR) == []
