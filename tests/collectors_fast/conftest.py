"""A small simulated lab (a few 8-port devices) for the fast poller's tests, and helpers that
run the pysnmp path and the fast path side by side."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from agent.importers import credentials_from_mapping
from collectors.snmp.client import close_engine, new_engine
from collectors.snmp.collect import poll_interfaces
from inventory.domain import Observation, PerfData, SnmpCredentials, SnmpTarget
from lab.sim import LabState, start, stop
from lab.sim.runner import LabError, send
from lab.sim.state import PROFILE_V2C, PROFILE_V3, PROFILE_V3_SHA256, lab_profiles
from lab.topology import load_topology
from tests.helpers import pid_alive, random_loopback_base

T = TypeVar("T")
NODES = 6
PORTS = 8


@dataclass
class Lab:
    state: LabState
    state_dir: Path

    def creds(self, profile: str) -> SnmpCredentials:
        return credentials_from_mapping(lab_profiles()[profile], profile)

    def target(
        self, i: int, profile: str = PROFILE_V2C, timeout: float = 1.0, retries: int = 1
    ) -> SnmpTarget:
        n = self.state.nodes[i]
        return SnmpTarget(
            n.name, n.address, n.snmp_port, self.creds(profile), timeout=timeout, retries=retries
        )

    def fault(self, **cmd: object) -> dict[str, Any]:
        return send(self.state_dir, cmd)


PROFILES = {"v2c": PROFILE_V2C, "v3": PROFILE_V3, "v3-sha256": PROFILE_V3_SHA256}


def _topology(path: Path) -> None:
    lines = [
        "name: fastpoll",
        "topology:",
        "  defaults:",
        f"    labels: {{ossagent-ports: '{PORTS}', role: access, site: test}}",
        "  nodes:",
        *(f"    fp{i}: {{kind: arista_ceos}}" for i in range(NODES)),
        "  links:",
        *(f'    - endpoints: ["fp{i}:Ethernet1", "fp{(i + 1) % NODES}:Ethernet2"]' for i in range(NODES)),
    ]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    tmp = tmp_path_factory.mktemp("fastlab")
    _topology(tmp / "fp.clab.yml")
    state: LabState | None = None
    last: Exception | None = None
    for _ in range(5):
        try:
            state = start(
                load_topology(tmp / "fp.clab.yml"), tmp / "state", address_base=random_loopback_base(),
                snmp_port=random.randint(20000, 60000), faces=False,
            )  # fmt: skip
            break
        except LabError as exc:  # a port taken by chance: try another
            last = exc
    if state is None:
        raise RuntimeError(f"could not start the sim lab: {last}")
    try:
        yield Lab(state, tmp / "state")
    finally:
        stop(tmp / "state")
        assert not pid_alive(state.pid)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def pysnmp_poll(target: SnmpTarget, hc: bool = True, expected_rows: int | None = None) -> Observation:
    engine = new_engine()
    try:
        return await poll_interfaces(engine, target, hc=hc, expected_rows=expected_rows)
    finally:
        close_engine(engine)


_COUNTERS = (
    "in_octets",
    "out_octets",
    "in_ucast_pkts",
    "out_ucast_pkts",
    "in_errors",
    "out_errors",
    "in_discards",
    "out_discards",
)


def assert_between(before: PerfData, got: PerfData, after: PerfData) -> None:
    """``got`` was read between ``before`` and ``after`` (two pysnmp polls of the same agent):
    the same interfaces, statuses and counter width; every counter and the uptime between the
    two readings (equal where nothing moved). Live agents count our own polls on loopback, so
    this is as exact as a comparison with a running agent can be."""
    assert before.uptime_ticks <= got.uptime_ticks <= after.uptime_ticks
    assert [r.if_index for r in got.readings] == [r.if_index for r in before.readings]
    assert [r.if_index for r in got.readings] == [r.if_index for r in after.readings]
    for b, g, a in zip(before.readings, got.readings, after.readings, strict=True):
        assert (g.admin_status, g.oper_status, g.counter_bits) == (
            b.admin_status,
            b.oper_status,
            b.counter_bits,
        )
        assert (g.admin_status, g.oper_status) == (a.admin_status, a.oper_status)
        for name in _COUNTERS:
            lo, mid, hi = getattr(b, name), getattr(g, name), getattr(a, name)
            if lo is None or hi is None:
                assert mid is lo is hi, (g.if_index, name)
            else:
                assert mid is not None and lo <= mid <= hi, (g.if_index, name, lo, mid, hi)
