"""The fast poller against real peers: Net-SNMP's snmpd and the simulated lab. It must read
what the pysnmp path reads (same samples), over v2c and v3 authPriv, and keep going when some
devices are dead, slow or misconfigured. No timing assertions: order and outcome only."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from collections.abc import Callable

import pytest

from collectors.rates import CounterPoint, compute_rates
from collectors.snmp.fastpoll import FastPoller, PollerPool, PollRequest
from inventory.choices import SnmpAuthProto, SnmpPrivProto
from inventory.domain import CounterReading, Observation, PerfData, SnmpCredentials, SnmpTarget
from inventory.types import utcnow
from tests.collectors_fast.conftest import PORTS, PROFILES, Lab, assert_between, pysnmp_poll, run
from tests.conftest import Snmpd

ROWS = PORTS + 2  # front ports, management, loopback


async def fast_once(req: PollRequest) -> Observation:
    async with FastPoller() as poller:
        return await poller.poll(req)


def _bracket(target: SnmpTarget, hc: bool, rows: int | None) -> tuple[PerfData, PerfData, PerfData]:
    async def go() -> tuple[Observation, Observation, Observation]:
        before = await pysnmp_poll(target, hc, rows)
        got = await fast_once(PollRequest(target, hc, rows))
        after = await pysnmp_poll(target, hc, rows)
        return before, got, after

    before, got, after = run(go())
    for obs in (before, got, after):
        assert obs.ok, obs.error
        assert obs.perf is not None
        assert obs.collector == "snmp-perf"
    assert before.perf and got.perf and after.perf
    return before.perf, got.perf, after.perf


# ------------------------------------------------------------------ same samples as pysnmp


@pytest.mark.netsnmp
@pytest.mark.parametrize(("kind", "hc"), [("v2c", True), ("v2c", False), ("v3", True), ("v3-sha256", True)])
def test_same_samples_as_pysnmp_against_snmpd(snmpd: Snmpd, kind: str, hc: bool) -> None:
    creds = {"v2c": SnmpCredentials.v2c(snmpd.community), "v3": snmpd.v3, "v3-sha256": snmpd.v3_sha256}[kind]
    target = SnmpTarget("real", snmpd.host, snmpd.port, creds, timeout=2, retries=1)
    # No row count: the first walk sizes itself, as for a device never discovered.
    before, got, after = _bracket(target, hc, None)
    assert got.readings, "snmpd has at least a loopback interface"
    assert_between(before, got, after)


@pytest.mark.parametrize("kind", ["v2c", "v3", "v3-sha256"])
def test_same_samples_as_pysnmp_against_the_simulator(lab: Lab, kind: str) -> None:
    before, got, after = _bracket(lab.target(0, PROFILES[kind]), True, ROWS)
    assert len(got.readings) == ROWS
    assert all(r.counter_bits == 64 for r in got.readings)
    assert_between(before, got, after)


def test_small_request_budget_walks_on_like_pysnmp(lab: Lab) -> None:
    """Tables larger than one request (or a wrong row count) continue from the last row."""
    target = lab.target(1)

    async def go() -> tuple[Observation, Observation, Observation]:
        before = await pysnmp_poll(target, True, ROWS)
        async with FastPoller(max_varbinds=23) as poller:
            got = await poller.poll(PollRequest(target, True, 2))
        after = await pysnmp_poll(target, True, ROWS)
        return before, got, after

    before, got, after = run(go())
    assert got.ok, got.error
    assert got.requests > 5
    assert before.perf and got.perf and after.perf
    assert_between(before.perf, got.perf, after.perf)


def test_pool_gives_the_same_samples(lab: Lab) -> None:
    targets = [lab.target(i, PROFILES[k]) for i, k in enumerate(["v2c", "v3", "v3-sha256", "v2c"])]

    async def go() -> tuple[list[Observation], list[Observation], list[Observation], list[int]]:
        before = [await pysnmp_poll(t, True, ROWS) for t in targets]
        async with PollerPool(2) as pool:
            got = await pool.poll_many([PollRequest(t, True, ROWS) for t in targets])
            got = await pool.poll_many([PollRequest(t, True, ROWS) for t in targets])  # warm state too
            owners = [pool.owner(t.device) for t in targets]
        after = [await pysnmp_poll(t, True, ROWS) for t in targets]
        return before, got, after, owners

    before, got, after, owners = run(go())
    assert [o.device for o in got] == [t.device for t in targets]
    for b, g, a in zip(before, got, after, strict=True):
        assert g.ok, g.error
        assert b.perf and g.perf and a.perf
        assert_between(b.perf, g.perf, a.perf)
    assert set(owners) <= {0, 1}


# ------------------------------------------------------------------ counter wrap


@pytest.mark.parametrize("bits", [32, 64])
def test_counter_wrap(lab: Lab, bits: int) -> None:
    """The simulator wraps an interface's octet counters within a second: the fast poller reads
    the values on both sides of the wrap (a 64-bit one needs nine content bytes), and the rate
    computed from them is the positive one a wrap implies."""
    node = lab.state.nodes[2]
    iface = next(i for i in node.interfaces if i.name == "Ethernet1")  # linked: up, counting
    lab.fault(op="counter-wrap", node=node.name, interface=iface.name, bits=bits, seconds=1)
    target = lab.target(2)
    hc = bits == 64

    def reading(obs: Observation) -> CounterReading:
        assert obs.ok and obs.perf, obs.error
        return next(r for r in obs.perf.readings if r.if_index == iface.if_index)

    async def go() -> tuple[Observation, Observation]:
        async with FastPoller() as poller:
            first = await poller.poll(PollRequest(target, hc, ROWS))
            mark = reading(first).in_octets
            # Wait for the wrap itself (not a duration): poll until the counter went down.
            for _ in range(40):
                await asyncio.sleep(0.1)
                second = await poller.poll(PollRequest(target, hc, ROWS))
                now = reading(second).in_octets
                if now is not None and mark is not None and now < mark:
                    return first, second
        raise AssertionError("the counter never wrapped")

    first, second = run(go())
    a, b = reading(first), reading(second)
    assert a.in_octets is not None and b.in_octets is not None
    assert a.in_octets > (1 << bits) * 3 // 4  # read close to the top of the range
    assert b.in_octets < a.in_octets
    assert a.counter_bits == b.counter_bits == bits
    assert first.perf and second.perf
    t0 = utcnow()

    def point(p: PerfData, r: CounterReading) -> CounterPoint:
        return CounterPoint(
            wall=t0, uptime_ticks=p.uptime_ticks, counter_bits=r.counter_bits, in_octets=r.in_octets,
            out_octets=r.out_octets, in_ucast_pkts=r.in_ucast_pkts, out_ucast_pkts=r.out_ucast_pkts,
            in_errors=r.in_errors, out_errors=r.out_errors, in_discards=r.in_discards, out_discards=r.out_discards,
        )  # fmt: skip

    rates = compute_rates(point(first.perf, a), point(second.perf, b), 0)
    assert rates.in_bps is not None and rates.in_bps > 0


# ------------------------------------------------------------------ dead, slow, misconfigured


def _silent_port() -> tuple[str, int, socket.socket]:
    """A bound UDP socket that never answers: a dead device (no ICMP either)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    return "127.0.0.1", s.getsockname()[1], s


def test_dead_and_slow_devices_do_not_delay_the_rest(lab: Lab) -> None:
    host, port, sock = _silent_port()
    slow = lab.state.nodes[3]
    lab.fault(op="slow", node=slow.name, delay_ms=800)
    try:
        dead = SnmpTarget("dead", host, port, lab.creds(PROFILES["v2c"]), timeout=2, retries=0)
        healthy = [lab.target(i, timeout=2) for i in (0, 1, 2, 4, 5)]
        slow_t = lab.target(3, timeout=2, retries=0)
        # The dead and slow devices are asked first, so any head-of-line blocking would show.
        reqs = [PollRequest(t, True, ROWS) for t in (dead, slow_t, *healthy)]
        order: list[str] = []

        async def go() -> list[Observation]:
            async with FastPoller() as poller:
                return await poller.poll_many(reqs, on_result=lambda o: order.append(o.device))

        results = {o.device: o for o in run(go())}
    finally:
        lab.fault(op="slow", node=slow.name, delay_ms=0)
        sock.close()
    assert all(results[t.device].ok for t in healthy)
    assert results[slow.name].ok, results[slow.name].error
    assert not results["dead"].ok
    assert results["dead"].error and "timeout" in results["dead"].error
    assert results["dead"].requests == 0  # no reply, nothing counted as answered
    # Every healthy device finished before the slow one, and the dead one came last.
    assert order == [*order[: len(healthy)], slow.name, "dead"]
    assert set(order[: len(healthy)]) == {t.device for t in healthy}


def _recorder(order: list[str]) -> Callable[[Observation], None]:
    return lambda obs: order.append(obs.device)


def test_a_dead_device_does_not_hold_the_window(lab: Lab) -> None:
    """With room for a single request in flight and the dead device asked first: in the first
    cycle it gives its slot back after half its timeout, in the second it is a known suspect
    and waits in a lane of its own; either way the healthy devices complete before it."""
    host, port, sock = _silent_port()
    try:
        dead = SnmpTarget("dead", host, port, lab.creds(PROFILES["v2c"]), timeout=1, retries=0)
        healthy = [lab.target(i, timeout=1.5) for i in range(3)]
        reqs = [PollRequest(t, True, ROWS) for t in (dead, *healthy)]

        async def go() -> tuple[list[list[str]], int]:
            orders: list[list[str]] = []
            async with FastPoller(window=1) as poller:
                for _ in range(2):
                    order: list[str] = []
                    results = await poller.poll_many(reqs, on_result=_recorder(order))
                    assert [r.ok for r in results] == [False, True, True, True]
                    orders.append(order)
                return orders, poller._devices["dead"].failures

        orders, failures = run(go())
    finally:
        sock.close()
    assert orders[0][-1] == "dead"
    assert orders[1][-1] == "dead"
    assert failures == 2


@pytest.mark.parametrize(
    ("auth", "priv", "why"),
    [
        ("wrong-auth-key", None, "wrong digest"),
        (None, "wrong-priv-key", "decryption error"),
    ],
)
def test_wrong_v3_keys_give_a_clear_per_device_error(
    lab: Lab, auth: str | None, priv: str | None, why: str
) -> None:
    good = lab.creds(PROFILES["v3"])
    assert good.user and good.auth_key and good.priv_key
    bad = SnmpCredentials.v3(good.user, auth or good.auth_key.reveal(), priv or good.priv_key.reveal())
    n = lab.state.nodes[4]
    wrong = SnmpTarget(n.name, n.address, n.snmp_port, bad, timeout=1, retries=0)
    ok = lab.target(5, PROFILES["v3"])

    async def go() -> list[Observation]:
        async with FastPoller() as poller:
            return await poller.poll_many([PollRequest(wrong, True, ROWS), PollRequest(ok, True, ROWS)])

    bad_obs, good_obs = run(go())
    assert good_obs.ok, good_obs.error
    assert not bad_obs.ok
    assert bad_obs.error and why in bad_obs.error, bad_obs.error


def test_unknown_v3_user_is_named(lab: Lab) -> None:
    n = lab.state.nodes[0]
    creds = SnmpCredentials.v3("nobody", "auth-key-123", "priv-key-123", SnmpAuthProto.SHA, SnmpPrivProto.AES)
    obs = run(fast_once(PollRequest(SnmpTarget(n.name, n.address, n.snmp_port, creds, timeout=1, retries=0))))
    assert not obs.ok
    assert obs.error and "unknown user name" in obs.error


@pytest.mark.netsnmp
def test_wrong_v3_auth_key_against_snmpd(snmpd: Snmpd) -> None:
    assert snmpd.v3.user
    bad = SnmpCredentials.v3(snmpd.v3.user, "not-the-auth-key", "priv-key-123")
    obs = run(fast_once(PollRequest(SnmpTarget("real", snmpd.host, snmpd.port, bad, timeout=1, retries=0))))
    assert not obs.ok
    # Net-SNMP reports usmStatsWrongDigests (or stays silent on some builds: then a timeout).
    assert obs.error and ("wrong digest" in obs.error or "timeout" in obs.error), obs.error


def test_pool_process_death_fails_its_polls_clearly(lab: Lab) -> None:
    async def go() -> tuple[Observation, Observation]:
        async with PollerPool(1) as pool:
            first = await pool.poll(PollRequest(lab.target(0), True, ROWS))
            for pid in pool.pids:
                os.kill(pid, signal.SIGKILL)
            # Wait for the pool to notice (the pipe closes), then poll again: a new process.
            for _ in range(100):
                if not pool.pids:
                    break
                await asyncio.sleep(0.02)
            second = await pool.poll(PollRequest(lab.target(0), True, ROWS))
            return first, second

    first, second = run(go())
    assert first.ok, first.error
    assert second.ok, second.error  # the pool restarted its process


def test_no_reply_after_close_and_ids_unique() -> None:
    """Request ids stay in the four-byte range and never repeat while in flight."""
    poller = FastPoller()
    ids = {poller._new_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all((1 << 24) <= i < (1 << 31) for i in ids)
    poller.close()


def test_v3_agent_restart_resynchronises(lab: Lab) -> None:
    """After a reboot the agent's engineBoots moved: its authenticated notInTimeWindow Report
    resynchronises the poller, which retries at once; the poll succeeds."""
    target = lab.target(5, PROFILES["v3-sha256"])

    async def go() -> tuple[Observation, Observation, int]:
        async with FastPoller() as poller:
            first = await poller.poll(PollRequest(target, True, ROWS))
            lab.fault(op="restart", node=target.device)
            second = await poller.poll(PollRequest(target, True, ROWS))
            return first, second, poller.stats.sent

    first, second, sent = run(go())
    assert first.ok and second.ok, (first.error, second.error)
    assert first.perf and second.perf
    assert second.perf.uptime_ticks < first.perf.uptime_ticks
    # discovery + poll, then the poll the Report answered + its retry: no new discovery needed
    assert (first.requests, second.requests, sent) == (1, 1, 4)
