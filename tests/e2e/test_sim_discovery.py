"""Issue 2 end to end on the simulated lab: import, discover, poll; what we read equals what
Net-SNMP's snmpwalk reads; LLDP links match the topology; a cut link shows down within one
poll; rates survive counter wraps and agent restarts; the artifacts import."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import select

from agent.context import Context
from agent.importers import load_inventory_file
from agent.jobs.snmp import run_discovery, run_poll
from agent.runtime import Runtime
from inventory.choices import DeviceStatus, IfStatus
from inventory.models import Device, Interface, InterfaceSample, Link
from inventory.store import import_hosts
from tests.e2e.conftest import SimLab, lab_inventory
from tests.helpers import have, hex_value, netsnmp, parse_netsnmp_walk

IF = "1.3.6.1.2.1.2.2.1"
IFX = "1.3.6.1.2.1.31.1.1.1"


def run_all(ctx: Context, job, names: list[str] | None = None):  # type: ignore[no-untyped-def]
    with ctx.begin() as s:
        ids = [d.id for d in s.scalars(select(Device)) if names is None or d.name in names]

    async def go():  # type: ignore[no-untyped-def]
        rt = Runtime(ctx)
        try:
            return await asyncio.gather(*(job(rt, i) for i in ids))
        finally:
            rt.close()

    return asyncio.run(go())


@pytest.fixture
def lab_ctx(sqlite_ctx: Context, sim_lab: SimLab) -> Context:
    hosts, profiles = lab_inventory(sim_lab)
    with sqlite_ctx.begin() as s:
        import_hosts(s, hosts, profiles)
    results = run_all(sqlite_ctx, run_discovery)
    assert all(r.ok for r in results), [r.error for r in results]
    return sqlite_ctx


def walk(lab: SimLab, node: str, oid: str) -> dict[str, str]:
    n = lab.node(node)
    prof = lab.state.profiles[n.snmp_profile]
    if prof["version"] == "v2c":
        auth = ["-v2c", "-c", prof["community"]]
    else:
        auth = [
            "-v3",
            "-l",
            "authPriv",
            "-u",
            prof["user"],
            "-a",
            "SHA",
            "-A",
            prof["auth_key"],
            "-x",
            "AES",
            "-X",
            prof["priv_key"],
        ]
    r = netsnmp(
        ["snmpbulkwalk", *auth, "-On", "-Oe", "-Ot", "-OQ", "-Ox", f"udp:{n.address}:{n.snmp_port}", oid]
    )
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
    return parse_netsnmp_walk(r.stdout)


@pytest.mark.netsnmp
@pytest.mark.skipif(not have("snmpbulkwalk"), reason="Net-SNMP tools not installed")
@pytest.mark.parametrize("node", ["core1", "core2", "pe1"])  # v2c, v3, v2c
def test_discovered_equals_netsnmp_walk(lab_ctx: Context, sim_lab: SimLab, node: str) -> None:
    names = walk(sim_lab, node, f"{IFX}.1")
    descrs = walk(sim_lab, node, f"{IF}.2")
    with lab_ctx.begin() as s:
        d = s.scalars(select(Device).where(Device.name == node)).one()
        got = {i.if_index: i for i in d.interfaces}
        assert sorted(got) == sorted(int(o.rsplit(".", 1)[1]) for o in names)
        for oid, raw in names.items():
            i = got[int(oid.rsplit(".", 1)[1])]
            assert i.name.encode() == hex_value(raw)
            assert i.descr.encode() == hex_value(descrs[f"{IF}.2.{i.if_index}"])
        assert d.sys_name == node and d.status is DeviceStatus.UP
    before = walk(sim_lab, node, f"{IFX}.6")
    assert all(r.ok for r in run_all(lab_ctx, run_poll, [node]))
    after = walk(sim_lab, node, f"{IFX}.6")
    with lab_ctx.begin() as s:
        for iface in s.scalars(select(Interface).join(Device).where(Device.name == node)):
            smp = s.get(InterfaceSample, iface.last_sample_id)
            assert smp is not None and smp.in_octets is not None
            key = f"{IFX}.6.{iface.if_index}"
            assert int(before[key]) <= smp.in_octets <= int(after[key])


def test_lldp_links_match_the_topology(lab_ctx: Context, sim_lab: SimLab) -> None:
    with lab_ctx.begin() as s:
        seen = set()
        for link in s.scalars(select(Link)):
            assert link.remote_interface is not None, link.remote_port_id
            a = (link.local_interface.device.name, link.local_interface.name)
            b = (link.remote_interface.device.name, link.remote_interface.name)
            seen.add(frozenset((a, b)))
    want = set()
    for node in sim_lab.state.nodes:
        for itf in node.interfaces:
            if itf.peer:
                pn, pi = itf.peer.split(":", 1)
                want.add(frozenset(((node.name, itf.name), (pn, pi))))
    assert seen == want and len(want) == 8


def test_cut_link_shows_down_after_one_poll_both_ends(lab_ctx: Context, sim_lab: SimLab) -> None:
    sim_lab.fault(op="link", node="pe1", interface="ethernet-1/3", state="down")
    try:
        run_all(lab_ctx, run_poll, ["pe1", "acc1"])
        with lab_ctx.begin() as s:
            pe1 = s.scalars(
                select(Interface).join(Device).where(Device.name == "pe1", Interface.name == "ethernet-1/3")
            ).one()
            acc1 = s.scalars(
                select(Interface).join(Device).where(Device.name == "acc1", Interface.name == "Ethernet1")
            ).one()
            assert pe1.oper_status is IfStatus.DOWN and acc1.oper_status is IfStatus.DOWN
            assert pe1.admin_status is IfStatus.UP
    finally:
        sim_lab.fault(op="link", node="pe1", interface="ethernet-1/3", state="up")
    run_all(lab_ctx, run_poll, ["pe1"])
    with lab_ctx.begin() as s:
        pe1 = s.scalars(
            select(Interface).join(Device).where(Device.name == "pe1", Interface.name == "ethernet-1/3")
        ).one()
        assert pe1.oper_status is IfStatus.UP


def _rates(ctx: Context, node: str, ifname: str) -> list[InterfaceSample]:
    with ctx.begin() as s:
        iface = s.scalars(
            select(Interface).join(Device).where(Device.name == node, Interface.name == ifname)
        ).one()
        return list(
            s.scalars(
                select(InterfaceSample)
                .where(InterfaceSample.interface_id == iface.id)
                .order_by(InterfaceSample.id)
            )
        )


@pytest.mark.parametrize("bits", [32, 64])
def test_rates_across_a_counter_wrap_are_right(lab_ctx: Context, sim_lab: SimLab, bits: int) -> None:
    node, ifname = "acc2", "Ethernet2"
    run_all(lab_ctx, run_poll, [node])
    sim_lab.fault(op="counter-wrap", node=node, interface=ifname, bits=bits, seconds=2)
    run_all(lab_ctx, run_poll, [node])
    time.sleep(3.0)  # the counter wraps in between
    run_all(lab_ctx, run_poll, [node])
    samples = _rates(lab_ctx, node, ifname)
    last, prev = samples[-1], samples[-2]
    if bits == 64:
        assert (
            prev.in_octets is not None and last.in_octets is not None and last.in_octets < prev.in_octets
        )  # wrapped
    assert last.in_bps is not None and 0 < last.in_bps <= 10e9  # the true rate of a 10G port, not 2**bits
    assert last.discontinuity is None


def test_agent_restart_gives_no_spike(lab_ctx: Context, sim_lab: SimLab) -> None:
    node = "acc1"
    run_all(lab_ctx, run_poll, [node])
    time.sleep(1.1)
    run_all(lab_ctx, run_poll, [node])
    sim_lab.fault(op="restart", node=node)
    run_all(lab_ctx, run_poll, [node])
    after = _rates(lab_ctx, node, "Ethernet1")[-1]
    assert after.discontinuity == "agent restart" and after.in_bps is None
    time.sleep(1.1)
    run_all(lab_ctx, run_poll, [node])
    again = _rates(lab_ctx, node, "Ethernet1")[-1]
    assert again.in_bps is not None and 0 < again.in_bps <= 10e9


def test_generated_inventories_import(sim_lab: SimLab) -> None:
    lab_dir = sim_lab.topology.parent / "clab-demo"
    nornir = load_inventory_file(lab_dir / "nornir-simple-inventory.yml")
    ansible = load_inventory_file(lab_dir / "ansible-inventory.yml")
    for plan in (nornir, ansible):
        by = {h.name: h for h in plan.hosts}
        assert set(by) == {"core1", "core2", "pe1", "pe2", "acc1", "acc2"}
        assert (
            by["pe1"].host == sim_lab.node("pe1").address
            and by["pe1"].snmp_port == sim_lab.node("pe1").snmp_port
        )
        assert by["core2"].snmp_profile == "lab-v3" and by["acc2"].mgmt_via == ("pe1", "pe2")
        assert set(plan.profiles) >= {"lab-v2c", "lab-v3"}
    assert (lab_dir / "ossagent-snmp-profiles.yml").stat().st_mode & 0o077 == 0
