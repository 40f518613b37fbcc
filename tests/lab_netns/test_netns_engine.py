"""The netns engine end to end: `lab up --engine netns` from a topology file, `lab inspect`,
the generated inventory imported and discovered/polled by the agent's own code over real SNMP
to real Net-SNMP daemons, a real link cut seen by SNMP and as a linkDown trap, netem-style
latency measurably delaying an SNMP get, node down, `lab fault clear`; the fixture checks that
`lab down` leaves nothing behind."""

from __future__ import annotations

import asyncio
import os
import select
import signal
import time
from collections.abc import Callable

import pytest
from click.testing import CliRunner
from sqlalchemy import select as sql_select

from agent.cli import cli
from agent.context import Context
from agent.importers import load_inventory_file
from agent.jobs.snmp import run_discovery, run_poll
from agent.runtime import Runtime
from collectors.snmp.wire.usm import UserConfig
from collectors.traps.decode import Trap, TrapDecoder
from inventory.choices import DeviceStatus, IfStatus
from inventory.models import Device, Interface, InterfaceSample, Link
from inventory.store import import_hosts
from lab.netns.system import netns_list
from lab.procs import pid_alive
from tests.helpers import have, hex_value, netsnmp, parse_netsnmp_walk
from tests.lab_netns.conftest import NsLab

pytestmark = [pytest.mark.netns, pytest.mark.timeout(240)]

IF = "1.3.6.1.2.1.2.2.1"
IFX = "1.3.6.1.2.1.31.1.1.1"
LINK_DOWN = (1, 3, 6, 1, 6, 3, 1, 1, 5, 3)
IF_INDEX = (1, 3, 6, 1, 2, 1, 2, 2, 1, 1)


def run_all(ctx: Context, job: Callable, names: list[str] | None = None) -> list:  # type: ignore[type-arg]
    with ctx.begin() as s:
        ids = [d.id for d in s.scalars(sql_select(Device)) if names is None or d.name in names]

    async def go() -> list:  # type: ignore[type-arg]
        rt = Runtime(ctx)
        try:
            return list(await asyncio.gather(*(job(rt, i) for i in ids)))
        finally:
            rt.close()

    return asyncio.run(go())


def snmp_args(lab: NsLab, node: str) -> list[str]:
    n = lab.node(node)
    p = lab.state.profiles[n.snmp_profile]
    if p["version"] == "v2c":
        return ["-v2c", "-c", p["community"]]
    auth = {"sha": "SHA", "sha256": "SHA-256"}[p["auth_proto"]]
    priv = {"aes": "AES", "aes256": "AES-256"}[p["priv_proto"]]
    return ["-v3", "-l", "authPriv", "-u", p["user"], "-a", auth, "-A", p["auth_key"], "-x", priv, "-X", p["priv_key"]]  # fmt: skip


def walk(lab: NsLab, node: str, oid: str) -> dict[str, str]:
    r = netsnmp(["snmpbulkwalk", *snmp_args(lab, node), "-On", "-Oe", "-Ot", "-OQ", "-Ox", lab.node(node).address, oid])  # fmt: skip
    assert r.returncode == 0, r.stderr
    return parse_netsnmp_walk(r.stdout)


def timed_get(
    lab: NsLab, node: str, oid: str = "1.3.6.1.2.1.1.3.0", timeout_s: int = 2
) -> tuple[float, bool]:
    t = time.monotonic()
    r = netsnmp(["snmpget", *snmp_args(lab, node), "-t", str(timeout_s), "-r", "0", "-On", lab.node(node).address, oid])  # fmt: skip
    return time.monotonic() - t, r.returncode == 0


def traps_for(lab: NsLab, seconds: float) -> list[Trap]:
    # v2c from nodes managed over v2c; v3 authPriv from the others, as their profile's user
    users = [
        UserConfig(p["user"], p["auth_proto"], p["auth_key"], p["priv_proto"], p["priv_key"])
        for p in lab.state.profiles.values()
        if p["version"] == "v3"
    ]
    dec = TrapDecoder(["public"], users, bytes.fromhex("80001f88047465737430"))
    out: list[Trap] = []
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        ready, _, _ = select.select([lab.traps], [], [], left)
        if ready:
            data, src = lab.traps.recvfrom(65535)
            t, _ = dec.decode(data, src)
            if isinstance(t, Trap):
                out.append(t)
    return out


def drain(lab: NsLab) -> None:
    lab.traps.setblocking(False)
    try:
        while True:
            lab.traps.recv(65535)
    except BlockingIOError:
        pass
    finally:
        lab.traps.setblocking(True)


@pytest.fixture
def lab_ctx(sqlite_ctx: Context, nslab: NsLab) -> Context:
    """The generated nornir inventory imported (as `inventory import` does) and discovered."""
    plan = load_inventory_file(nslab.topology.parent / "clab-nstest" / "nornir-simple-inventory.yml")
    with sqlite_ctx.begin() as s:
        import_hosts(s, plan.hosts, plan.profiles)
    results = run_all(sqlite_ctx, run_discovery)
    assert all(r.ok for r in results), [r.error for r in results]
    return sqlite_ctx


def test_inspect_shows_nodes_kinds_and_interface_mapping(nslab: NsLab) -> None:
    nodes = {n["name"]: n for n in nslab.inspect["nodes"]}
    assert set(nodes) == {"r1", "sw1", "pe1"}
    assert nodes["r1"]["runs"].startswith("FRR router")
    assert nodes["sw1"]["runs"] == "stand-in for arista_ceos: FRR, snmpd, netconfd, sshd"
    # SR Linux names cannot be Linux names: containerlab's own raw names stand in, and show.
    assert nodes["pe1"]["ifname_map"] == {"ethernet-1/1": "e1-1", "ethernet-1/2": "e1-2"}
    assert nodes["sw1"]["ifname_map"] == {
        "Ethernet1": "Ethernet1",
        "Ethernet2": "Ethernet2",
        "Ethernet5": "Ethernet5",
    }
    # host: links never touch the host: the port is cabled to the lab's stub namespace.
    assert nslab.inspect["outside_ports"] == ["sw1:Ethernet5"]
    assert nodes["r1"]["services"]["frr"] == ["zebra", "staticd", "ospfd", "bgpd"]
    assert all(n["namespace"].startswith(nslab.inspect["prefix"] + "-") for n in nodes.values())
    text = nslab.cli("lab", "inspect", "--name", "nstest")
    assert "ethernet-1/1 -> e1-1" in text and "stand-in for nokia_srlinux" in text


@pytest.mark.skipif(not have("snmpbulkwalk"), reason="Net-SNMP tools not installed")
def test_frr_bgp_and_ospf_through_agentx(nslab: NsLab) -> None:
    """r1 and pe1 speak eBGP over their link: BGP4-MIB bgpPeerState (FRR's bgpd as an AgentX
    subagent of snmpd) reaches established (6); OSPF-MIB lists r1's two neighbours."""
    peer = nslab.inspect_addr("pe1", "ethernet-1/2")
    deadline = time.monotonic() + 20
    state = ""
    while time.monotonic() < deadline:
        state = walk(nslab, "r1", "1.3.6.1.2.1.15.3.1.2").get(f"1.3.6.1.2.1.15.3.1.2.{peer}", "")
        if state == "6":
            break
        time.sleep(0.5)
    assert state == "6"
    assert len(walk(nslab, "r1", "1.3.6.1.2.1.14.10.1.6")) == 2


@pytest.mark.skipif(not have("snmpbulkwalk"), reason="Net-SNMP tools not installed")
def test_discovery_and_polling_over_real_snmp(lab_ctx: Context, nslab: NsLab) -> None:
    for node in ("r1", "sw1", "pe1"):  # v2c, v3 SHA/AES, v3 SHA-256/AES-256
        names = walk(nslab, node, f"{IFX}.1")
        with lab_ctx.begin() as s:
            d = s.scalars(sql_select(Device).where(Device.name == node)).one()
            assert d.sys_name == node and d.status is DeviceStatus.UP
            got = {i.if_index: i.name for i in d.interfaces}
        assert got == {int(o.rsplit(".", 1)[1]): hex_value(raw).decode() for o, raw in names.items()}
        # Interfaces are the namespace's real ones: lo, mgmt0 and the file's links (Linux names).
        planned = {n["name"]: n for n in nslab.inspect["nodes"]}[node]["ifname_map"].values()
        assert set(got.values()) == {"lo", "mgmt0", *planned}, (node, got)
        before = walk(nslab, node, f"{IFX}.6")
        assert all(r.ok for r in run_all(lab_ctx, run_poll, [node]))
        after = walk(nslab, node, f"{IFX}.6")
        with lab_ctx.begin() as s:
            for iface in s.scalars(sql_select(Interface).join(Device).where(Device.name == node)):
                smp = s.get(InterfaceSample, iface.last_sample_id)
                assert smp is not None and smp.in_octets is not None
                key = f"{IFX}.6.{iface.if_index}"
                assert int(before[key]) <= smp.in_octets <= int(after[key])
    peers = {(n.name, i.name): i.peer for n in nslab.state.nodes for i in n.interfaces if i.peer}
    assert peers[("r1", "eth1")] == "sw1:Ethernet1" and peers[("sw1", "Ethernet2")] == "pe1:e1-1"
    assert peers[("pe1", "e1-2")] == "r1:eth2" and len(peers) == 6
    if not have("lldpd"):
        return

    # lldpd in every namespace speaks LLDP over the veths; discovery reads LLDP-MIB from snmpd
    # (lldpd is its AgentX subagent) and resolves each neighbour to the far interface. Every
    # cable of the file, both ways, and nothing else (not the management veths).
    def heard() -> dict[tuple[str, str], str]:
        with lab_ctx.begin() as s:
            return {
                (
                    ln.local_interface.device.name,
                    ln.local_interface.name,
                ): f"{ln.remote_sys_name}:{ln.remote_port_id}"
                for ln in s.scalars(sql_select(Link))
                if ln.remote_interface_id is not None
            }

    deadline = time.monotonic() + 15  # lldpd sends every second; discovery may have run first
    while heard() != peers and time.monotonic() < deadline:
        time.sleep(1)
        run_all(lab_ctx, run_discovery)
    assert heard() == peers


def test_link_cut_is_real_both_ends_and_traps(lab_ctx: Context, nslab: NsLab) -> None:
    drain(nslab)
    # The file's name or the Linux name both work.
    nslab.cli("lab", "fault", "link", "pe1:ethernet-1/1", "down", "--name", "nstest")
    try:
        run_all(lab_ctx, run_poll, ["pe1", "sw1"])
        with lab_ctx.begin() as s:
            pe1 = s.scalars(sql_select(Interface).join(Device).where(Device.name == "pe1", Interface.name == "e1-1")).one()  # fmt: skip
            sw1 = s.scalars(sql_select(Interface).join(Device).where(Device.name == "sw1", Interface.name == "Ethernet2")).one()  # fmt: skip
            assert pe1.oper_status is IfStatus.DOWN and sw1.oper_status is IfStatus.DOWN
            assert pe1.admin_status is IfStatus.DOWN and sw1.admin_status is IfStatus.UP  # pulled at pe1
            pe1_index = pe1.if_index
        # snmpd's monitors sample every 2 s: a linkDown from pe1 for that ifIndex, within a few s.
        got = []
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and not got:
            got = [
                t for t in traps_for(nslab, 1.0)
                if t.trap_oid == LINK_DOWN and t.source[0] == nslab.node("pe1").address
                and any(o[:10] == IF_INDEX and int(v) == pe1_index for o, v in t.varbinds)  # type: ignore[call-overload]
            ]  # fmt: skip
        assert got, "no linkDown trap from pe1"
        assert got[0].version == "v3"  # pe1 is managed over SNMPv3 (lab-v3-sha256): so are its traps
    finally:
        nslab.cli("lab", "fault", "link", "pe1:e1-1", "up", "--name", "nstest")
    run_all(lab_ctx, run_poll, ["pe1", "sw1"])
    with lab_ctx.begin() as s:
        pe1 = s.scalars(sql_select(Interface).join(Device).where(Device.name == "pe1", Interface.name == "e1-1")).one()  # fmt: skip
        assert pe1.oper_status is IfStatus.UP


def test_latency_and_loss_delay_and_drop_snmp(nslab: NsLab) -> None:
    base = min(timed_get(nslab, "r1")[0] for _ in range(3))
    out = nslab.cli("lab", "fault", "latency", "r1", "300", "--name", "nstest")
    try:
        assert "300 ms" in out
        slow, ok = timed_get(nslab, "r1")
        assert ok and slow >= base + 0.28, (base, slow)
        assert timed_get(nslab, "pe1")[0] < 0.28  # only r1 is delayed
        nslab.cli("lab", "fault", "loss", "r1", "100", "--name", "nstest")
        assert timed_get(nslab, "r1", timeout_s=1) == (pytest.approx(1.0, abs=0.6), False)
    finally:
        nslab.cli("lab", "fault", "clear", "--name", "nstest")
    fast, ok = timed_get(nslab, "r1")
    assert ok and fast < base + 0.2


def test_node_down_silences_it_and_the_nodes_behind_it(nslab: NsLab) -> None:
    nslab.cli("lab", "fault", "node", "r1", "down", "--name", "nstest")
    try:
        assert not timed_get(nslab, "r1", timeout_s=1)[1]
        assert not timed_get(nslab, "sw1", timeout_s=1)[1]  # ossagent-mgmt-via: r1
        assert timed_get(nslab, "pe1")[1]
        # r1's links are down: its neighbours lose carrier (pe1:e1-2 faces r1:eth2).
        oper = walk(nslab, "pe1", f"{IF}.8")
        idx = nslab.node("pe1").interface("e1-2").if_index
        assert oper[f"{IF}.8.{idx}"] == "2"
    finally:
        nslab.cli("lab", "fault", "clear", "--name", "nstest")
    assert timed_get(nslab, "r1")[1] and timed_get(nslab, "sw1")[1]


def test_a_killed_keeper_is_still_cleaned_up_by_lab_down(nslab: NsLab) -> None:
    """Last in the module: SIGKILL the keeper; the lab is no longer "running", and `lab down`
    (the fixture's teardown, which also checks nothing is left) still removes it all."""
    os.kill(nslab.state.pid, signal.SIGKILL)
    wait_gone = time.monotonic() + 5
    while pid_alive(nslab.state.pid) and time.monotonic() < wait_gone:
        time.sleep(0.05)
    res = CliRunner().invoke(
        cli, ["lab", "inspect", "--name", "nstest"], env={"OSSAGENT_HOME": str(nslab.home)}
    )
    assert res.exit_code == 1 and "not running" in res.output
    assert any(ns.startswith(nslab.inspect["prefix"] + "-") for ns in netns_list())  # still there
