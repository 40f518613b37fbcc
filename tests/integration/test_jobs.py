"""Discovery and poll jobs write the inventory, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from agent.context import Context
from agent.jobs.snmp import JobResult, run_discovery, run_poll
from agent.runtime import Runtime
from agent.scheduler import Agent
from inventory.choices import DeviceStatus, IfStatus
from inventory.domain import InventoryHost, SnmpCredentials
from inventory.models import Device, InterfaceSample
from inventory.store import upsert_host
from tests.conftest import Snmpd
from tests.helpers import free_udp_port

pytestmark = pytest.mark.netsnmp


def add(ctx: Context, name: str, host: str, port: int, creds: SnmpCredentials) -> int:
    with ctx.begin() as s:
        d, _ = upsert_host(s, InventoryHost(name=name, host=host, snmp_port=port, snmp=creds))
        return d.id


def run(ctx: Context, coro_fn, *args):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        rt = Runtime(ctx)
        try:
            return await coro_fn(rt, *args)
        finally:
            rt.close()

    return asyncio.run(go())


def test_discover_then_poll_twice_gives_rates(ctx: Context, snmpd: Snmpd) -> None:
    dev = add(ctx, "real", snmpd.host, snmpd.port, snmpd.v3)
    assert run(ctx, run_poll, dev).needs_discovery  # never polled before discovery
    r = run(ctx, run_discovery, dev)
    assert r.ok, r.error
    with ctx.begin() as s:
        # Net-SNMP says lo runs at 10 Mb/s, and a busy test machine moves more than that over
        # loopback: the rate logic would rightly call such a jump a counter reset. Give lo
        # the speed it really has (as discovery of a real port would).
        lo = next(i for i in s.get(Device, dev).interfaces if i.name == "lo")  # type: ignore[union-attr]
        assert lo.speed_bps == 10_000_000
        lo.speed_bps = 40_000_000_000
    first = run(ctx, run_poll, dev)
    # snmpd caches its interface table for a few seconds: poll until the counters move.
    deadline = time.monotonic() + 15
    while True:
        time.sleep(1.0)
        second = run(ctx, run_poll, dev)
        with ctx.begin() as s:
            lo = next(i for i in s.get(Device, dev).interfaces if i.name == "lo")  # type: ignore[union-attr]
            if lo.in_bps or time.monotonic() > deadline:
                break
    assert first.ok and second.ok and first.samples == second.samples > 0
    with ctx.begin() as s:
        d = s.get(Device, dev)
        assert d is not None and d.status is DeviceStatus.UP and d.sys_name == "real-snmpd"
        assert d.sys_location == "rack <b>7</b>"  # stored verbatim; escaping is the renderer's job
        lo = next(i for i in d.interfaces if i.name == "lo")
        assert lo.oper_status is IfStatus.UP and lo.last_sample_id is not None
        newest = s.get(InterfaceSample, lo.last_sample_id)
        assert newest is not None and newest.discontinuity is None
        # our own SNMP traffic crosses lo, so the rate is real and positive
        assert newest.in_bps is not None and newest.in_bps > 0
        history = s.scalars(
            select(InterfaceSample).where(InterfaceSample.interface_id == lo.id).order_by(InterfaceSample.id)
        ).all()
        assert history[0].discontinuity == "first sample" and all(
            x.discontinuity is None for x in history[1:]
        )
        prev = history[-2]
        assert prev.in_octets is not None and newest.in_octets is not None
        expected = (newest.in_octets - prev.in_octets) * 8 / ((newest.uptime_ticks - prev.uptime_ticks) / 100)
        assert newest.in_bps == pytest.approx(expected)
        total = s.scalar(select(func.count()).select_from(InterfaceSample))
        assert total == len(history) * first.samples


def test_unreachable_after_retries_and_back(ctx: Context, snmpd: Snmpd) -> None:
    dead_port = free_udp_port(snmpd.host)
    dev = add(ctx, "flaky", snmpd.host, dead_port, SnmpCredentials.v2c(snmpd.community))
    r = run(ctx, run_discovery, dev)
    assert not r.ok and r.status_changed
    with ctx.begin() as s:
        d = s.get(Device, dev)
        assert d is not None and d.status is DeviceStatus.UNREACHABLE and d.consecutive_failures == 1
        assert "timeout" in d.last_error.lower() or "no snmp response" in d.last_error.lower()
    add(ctx, "flaky", snmpd.host, snmpd.port, SnmpCredentials.v2c(snmpd.community))
    r = run(ctx, run_discovery, dev)
    assert r.ok and r.status_changed
    with ctx.begin() as s:
        d = s.get(Device, dev)
        assert d is not None and d.status is DeviceStatus.UP and d.consecutive_failures == 0


def test_dead_device_does_not_delay_the_others(sqlite_ctx: Context, snmpd: Snmpd) -> None:
    """Each device has its own job: a device that never answers (and holds its job for 6 s
    of retries) must not stop a healthy one from being polled on its 1 s schedule."""
    ctx = sqlite_ctx
    ctx.settings = replace(ctx.settings, poll_interval_s=1, snmp_timeout_s=3.0, snmp_retries=1)
    healthy = add(ctx, "healthy", snmpd.host, snmpd.port, SnmpCredentials.v2c(snmpd.community))
    dead = add(ctx, "dead", snmpd.host, free_udp_port(snmpd.host), SnmpCredentials.v2c(snmpd.community))
    polls: dict[str, list[float]] = {"healthy": [], "dead": []}

    async def go() -> None:
        rt = Runtime(ctx)
        agent = Agent(rt)

        async def record(kind: str, result: JobResult) -> None:
            # a poll that went on the wire (not one skipped while discovery is pending)
            if kind == "poll" and result.device in polls and not result.needs_discovery:
                polls[result.device].append(time.monotonic())

        agent.on_result = record
        agent.start()
        try:
            await asyncio.sleep(8)
        finally:
            await agent.stop(grace_s=1)
            rt.close()

    asyncio.run(go())
    with ctx.begin() as s:
        h, d = s.get(Device, healthy), s.get(Device, dead)
        assert h is not None and d is not None
        assert h.status is DeviceStatus.UP and d.status is DeviceStatus.UNREACHABLE
    # healthy: discovered, then polled about every second; the dead one finished at most once
    assert len(polls["healthy"]) >= 4, polls
    assert len(polls["dead"]) <= 1
