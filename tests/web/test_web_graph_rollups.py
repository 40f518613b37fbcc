"""Graphs past the raw retention read the rollups: which resolution a window gets, rollup
buckets up to the newest rolled up and the rest made from raw samples (SQLite and
PostgreSQL), and the samples API answering a 7-day range with 5-minute buckets."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agent.context import Context
from inventory import queries
from inventory.models import Device, Interface, InterfaceSample
from inventory.scale_models import InterfaceRollup
from tests.web.webtesting import World, bearer

T = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
M5, H1 = timedelta(minutes=5), timedelta(hours=1)


def _sample(iface: int, ts: datetime, bps: float) -> InterfaceSample:
    return InterfaceSample(
        interface_id=iface, ts=ts, uptime_ticks=0, counter_bits=64, oper_status=1, in_bps=bps, out_bps=bps / 2
    )


def _rollup(iface: int, period: int, bucket: datetime, bps: float) -> InterfaceRollup:
    return InterfaceRollup(
        interface_id=iface, period_s=period, bucket=bucket, samples=5, in_bps_avg=bps, in_bps_max=bps * 2,
        out_bps_avg=bps / 2, out_bps_max=bps,
    )  # fmt: skip


def _steps(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    out = []
    while start < end:
        out.append(start)
        start += step
    return out


def _store(ctx: Context) -> tuple[int, int]:
    """An interface after weeks of polling every 5 minutes (raw samples kept 2 days, the last
    hour every minute), 5-minute rollups up to an hour ago and hourly ones up to 3 hours ago;
    and a new interface, polled for 3 hours, nothing rolled up."""
    with ctx.begin() as s:
        d = Device(name="r1", host="192.0.2.1")
        s.add(d)
        s.flush()
        old, new = (
            Interface(device_id=d.id, if_index=1, name="e1"),
            Interface(device_id=d.id, if_index=2, name="e2"),
        )
        s.add_all([old, new])
        s.flush()
        rows: list[Any] = [
            _sample(old.id, ts + timedelta(seconds=30), 50.0)
            for ts in _steps(T - timedelta(days=2), T - H1, M5)
        ]
        rows += [_sample(old.id, T - H1 + timedelta(minutes=m, seconds=30), float(m)) for m in range(60)]
        rows += [_rollup(old.id, 300, b, 100.0) for b in _steps(T - timedelta(days=7), T - H1, M5)]
        rows += [_rollup(old.id, 3600, b, 200.0) for b in _steps(T - timedelta(days=30), T - 2 * H1, H1)]
        rows += [_sample(new.id, ts, 7.0) for ts in _steps(T - 3 * H1, T, M5)]
        s.add_all(rows)
        return old.id, new.id


def test_resolution_and_rollup_reads(ctx: Context) -> None:
    old, new = _store(ctx)
    with ctx.begin() as s:

        def period(iface: int, since: datetime, until: datetime = T) -> int:
            return queries.series_period(s, iface, since, until)

        assert period(old, T - H1) == queries.RAW
        assert period(old, T - timedelta(days=1)) == queries.RAW  # raw samples reach back 2 days
        assert period(old, T - timedelta(days=7)) == queries.FIVE_MIN
        assert period(old, T - timedelta(days=30)) == queries.HOUR
        # A day before the raw retention: its rollups.
        assert period(old, T - timedelta(days=4), T - timedelta(days=3)) == queries.FIVE_MIN
        # A new interface: nothing older than its raw samples, so a day is read raw.
        assert period(new, T - timedelta(days=1)) == queries.RAW

        week = queries.interface_rollups(s, old, T - timedelta(days=7), T, queries.FIVE_MIN)
        assert [p.ts for p in week] == _steps(T - timedelta(days=7), T, M5)  # 2,016 buckets, none missing
        rolled, tail = week[:-12], week[-12:]
        assert {(p.in_bps, p.in_bps_max, p.period_s) for p in rolled} == {(100.0, 200.0, 300)}
        # The last hour, not rolled up yet: made from the raw samples, a minute apart.
        assert [(p.samples, p.in_bps, p.in_bps_max) for p in tail[:2]] == [(5, 2.0, 4.0), (5, 7.0, 9.0)]
        assert tail[0].out_bps == pytest.approx(1.0)

        month = queries.interface_rollups(s, old, T - timedelta(days=30), T, queries.HOUR)
        assert [p.ts for p in month] == _steps(T - timedelta(days=30), T, H1)
        assert {p.in_bps for p in month[:-2]} == {200.0}
        assert (month[-2].samples, month[-2].in_bps) == (12, 50.0)  # 5-minute raw samples
        assert month[-1].samples == 60 and month[-1].in_bps == pytest.approx(29.5)


def test_samples_api_reads_rollups_for_a_week(world: World, app: Any) -> None:
    client = app.test_client()
    headers = bearer(world)
    path = f"/api/v1/interfaces/{world.ids['r1_e1']}/samples"

    day = client.get(path, query_string={"range": "1d"}, headers=headers)
    assert day.headers["X-Sample-Period"] == "0" and "oper_status" in day.get_json()[0]

    # No rollups in this store yet: the week's 5-minute buckets are made from its 25 hours
    # of one-a-minute samples.
    week = client.get(path, query_string={"range": "7d"}, headers=headers)
    assert week.status_code == 200 and week.headers["X-Sample-Period"] == "300"
    points = week.get_json()
    assert 290 <= len(points) <= 305 and week.headers["X-Total-Count"] == str(len(points))
    full = [p for p in points if p["samples"] == 5]
    assert full and all(p["period_s"] == 300 and p["in_bps_max"] >= p["in_bps"] for p in full)
    stamps = [datetime.fromisoformat(p["ts"].replace("Z", "+00:00")) for p in points]
    assert all(b - a == M5 for a, b in itertools.pairwise(stamps))

    hourly = client.get(path, query_string={"range": "7d", "resolution": "1h"}, headers=headers)
    assert hourly.headers["X-Sample-Period"] == "3600" and 25 <= len(hourly.get_json()) <= 27
    raw = client.get(path, query_string={"range": "7d", "resolution": "raw", "limit": 10}, headers=headers)
    assert raw.headers["X-Sample-Period"] == "0" and len(raw.get_json()) == 10
    assert client.get(path, query_string={"resolution": "2m"}, headers=headers).status_code == 400
