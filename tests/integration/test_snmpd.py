"""Against a real Net-SNMP snmpd: what we discover and poll equals what Net-SNMP's own
snmpbulkwalk reads from the same agent, over v2c, v3 SHA/AES and v3 SHA-256/AES-256."""

from __future__ import annotations

import asyncio

import pytest

from collectors.snmp.client import close_engine, new_engine
from collectors.snmp.collect import discover, poll_interfaces
from inventory.domain import Observation, SnmpCredentials, SnmpTarget
from tests.conftest import Snmpd
from tests.helpers import hex_value

pytestmark = pytest.mark.netsnmp

IF = "1.3.6.1.2.1.2.2.1"
IFX = "1.3.6.1.2.1.31.1.1.1"


def _creds(snmpd: Snmpd, kind: str) -> SnmpCredentials:
    return {"v2c": SnmpCredentials.v2c(snmpd.community), "v3": snmpd.v3, "v3-sha256": snmpd.v3_sha256}[kind]


def _run(coro_factory):  # type: ignore[no-untyped-def]
    async def go() -> Observation:
        engine = new_engine()
        try:
            return await coro_factory(engine)  # type: ignore[no-any-return]
        finally:
            close_engine(engine)

    return asyncio.run(go())


@pytest.mark.parametrize("kind", ["v2c", "v3", "v3-sha256"])
def test_discovery_equals_netsnmp_walk(snmpd: Snmpd, kind: str) -> None:
    target = SnmpTarget("real", snmpd.host, snmpd.port, _creds(snmpd, kind), timeout=2, retries=1)
    obs = _run(lambda e: discover(e, target))
    assert obs.ok, obs.error
    assert obs.discovery is not None
    walk = snmpd.walk(
        f"{IF}.2", f"{IF}.3", f"{IF}.4", f"{IF}.6", f"{IF}.7", f"{IF}.8", f"{IFX}.1", "1.3.6.1.2.1.1.5"
    )
    indexes = sorted(int(oid.rsplit(".", 1)[1]) for oid in walk if oid.startswith(f"{IF}.2."))
    got = {i.if_index: i for i in obs.discovery.interfaces}
    assert sorted(got) == indexes and indexes
    for n in indexes:
        i = got[n]
        assert i.descr.encode() == hex_value(walk[f"{IF}.2.{n}"])
        assert i.name.encode() == hex_value(walk[f"{IFX}.1.{n}"])
        assert i.if_type == int(walk[f"{IF}.3.{n}"])
        assert i.mtu == int(walk[f"{IF}.4.{n}"])
        assert bytes.fromhex(i.mac.replace(":", "")) == hex_value(walk[f"{IF}.6.{n}"])
        assert int(i.admin_status) == int(walk[f"{IF}.7.{n}"])
        assert int(i.oper_status) == int(walk[f"{IF}.8.{n}"])
    assert obs.discovery.system.sys_name.encode() == hex_value(walk["1.3.6.1.2.1.1.5.0"]) == b"real-snmpd"
    # ENTITY-MIB rows from the agent's override lines
    chassis = {c.index: c for c in obs.discovery.components}[1]
    assert (chassis.name, chassis.serial, chassis.model) == ("chassis-1", "LAB0001", "LABBOX-3000")


@pytest.mark.parametrize("kind", ["v2c", "v3"])
def test_counters_equal_netsnmp_walk(snmpd: Snmpd, kind: str) -> None:
    """Counters move between two reads, so ours must lie between two Net-SNMP walks."""
    target = SnmpTarget("real", snmpd.host, snmpd.port, _creds(snmpd, kind), timeout=2, retries=1)
    before = snmpd.walk(f"{IFX}.6", f"{IFX}.10", v3=kind == "v3")
    obs = _run(lambda e: poll_interfaces(e, target, hc=True))
    after = snmpd.walk(f"{IFX}.6", f"{IFX}.10", v3=kind == "v3")
    assert obs.ok, obs.error
    assert obs.perf is not None and obs.perf.uptime_ticks > 0
    readings = {r.if_index: r for r in obs.perf.readings}
    assert readings
    for n, r in readings.items():
        assert r.in_octets is not None and r.out_octets is not None
        assert int(before[f"{IFX}.6.{n}"]) <= r.in_octets <= int(after[f"{IFX}.6.{n}"])
        assert int(before[f"{IFX}.10.{n}"]) <= r.out_octets <= int(after[f"{IFX}.10.{n}"])
    assert obs.requests <= 3  # all columns side by side: a handful of GETBULKs, not a walk per column


@pytest.mark.parametrize(
    "creds",
    [
        SnmpCredentials.v2c("wrong-community"),
        SnmpCredentials.v3("nobody-here", "auth-key-123", "priv-key-123"),
        SnmpCredentials.v3("ossv3", "wrong-auth-key", "priv-key-123"),
    ],
    ids=["community", "v3-user", "v3-authkey"],
)
def test_wrong_credentials_fail_cleanly(snmpd: Snmpd, creds: SnmpCredentials) -> None:
    target = SnmpTarget("real", snmpd.host, snmpd.port, creds, timeout=0.5, retries=0)
    obs = _run(lambda e: discover(e, target))
    assert not obs.ok and obs.error
    for secret in ("auth-key-123", "priv-key-123", "wrong-auth-key", "wrong-community"):
        assert secret not in obs.error
