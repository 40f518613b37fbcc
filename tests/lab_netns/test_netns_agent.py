"""The earlier issues' end-to-end scenarios on the netns engine, against real daemons nobody
here wrote: the demo topology in namespaces (FRR, Net-SNMP snmpd, lldpd, yuma123 netconfd,
OpenSSH), imported from the lab's own nornir inventory as `ossagent inventory import` does,
with the whole agent running (scheduler, poller, trap receiver, fault engine, outbox).

- a cut veth raises one root alarm (the far end suppressed through the LLDP link lldpd
  advertised), from a real linkDown trap, and both clear on restore;
- a frozen core router gives one root alarm, the routers reached through it suppressed, the
  dual-homed ones untouched;
- one transaction changes FRR over SSH (vtysh) and netconfd over NETCONF; delete restores both
  exactly; a commit netconfd refuses (another session holds its running lock) rolls both back;
- an order on a customer port completes, a cut there sends one notice per channel and books
  the credit the SLA gives for the measured outage.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from agent.context import Context
from agent.importers import load_inventory_file
from agent.jobs.snmp import run_discovery
from agent.provisioning.executor import Executor
from agent.scheduler import run_agent
from bss_bridge.orders import place_order
from bss_bridge.provisioning import submit_many
from bss_bridge.seed import DEMO_SEED, load_seed_file
from inventory.choices import AlarmState, DeviceStatus, EventSource, TxState
from inventory.fault_models import Alarm, Event
from inventory.models import Device, Interface
from inventory.provisioning_models import ConfigAccess, Transaction
from inventory.store import import_hosts
from lab import engine as lab_engine
from lab import engine_netns, sim
from lab.netns import check_clean, why_unavailable
from lab.procs import pid_alive
from tests.agent_harness import Background
from tests.e2e.test_sim_bss import Hook, Smtp, finish, order_body, outage_notices_and_credit, strict_sla
from tests.e2e.test_sim_discovery import run_all
from tests.helpers import free_udp_port, wait_for

pytestmark = [pytest.mark.netns, pytest.mark.slow, pytest.mark.timeout(300)]

DEMO = lab_engine.DEFAULT_TOPOLOGY


@dataclass
class NsDemo:
    root: Path
    topology: Path
    state: sim.LabState
    inspect: dict[str, Any]
    trap_port: int

    def fault(self, **cmd: object) -> dict[str, object]:
        return lab_engine.fault(self.root, dict(cmd), self.state.name)

    def xnode(self, name: str) -> dict[str, Any]:
        return next(n for n in self.inspect["nodes"] if n["name"] == name)

    def netns_exec(self, node: str, *argv: str) -> str:
        """A command in the node's network and UTS namespaces (vtysh must see the node's
        hostname, or it configures the host's)."""
        x = self.xnode(node)
        cmd = [
            "ip",
            "netns",
            "exec",
            x["namespace"],
            "nsenter",
            "-t",
            str(x["uts_holder"]),
            "-u",
            "--",
            *argv,
        ]
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout

    def frr_running(self, node: str) -> str:
        d = self.xnode(node)["dir"]
        out = self.netns_exec(
            node, "vtysh", "--vty_socket", d, "--config_dir", d, "-c", "show running-config"
        )
        return "\n".join(
            x for x in out.splitlines() if not x.startswith(("Building", "Current configuration"))
        )

    def netconf_running(self, node: str) -> str:
        from ncclient import manager

        n = next(x for x in self.state.nodes if x.name == node)
        with manager.connect(
            host=n.address, port=n.netconf_port, username=n.username, password=n.password,
            hostkey_verify=False, allow_agent=False, look_for_keys=False, timeout=10,
        ) as m:  # fmt: skip
            return str(m.get_config("running").data_xml)


@pytest.fixture(scope="module")
def nsdemo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NsDemo]:
    why = why_unavailable(netconf=True, frr=True, snmp=True)
    if why:
        pytest.skip(f"netns lab unavailable: {why}")
    if not shutil.which("lldpd"):
        pytest.skip("lldpd not installed (scripts/install-system-packages.sh installs it)")
    base = tmp_path_factory.mktemp("nsdemo")
    topo = base / DEMO.name
    shutil.copy(DEMO, topo)
    root = base / "labstate"
    trap_port = free_udp_port("0.0.0.0")
    state = lab_engine.up(topo, root, engine="netns", trap_receivers=[("127.0.0.1", trap_port)])
    extra = engine_netns.read_extra(Path(state.state_dir))
    dirs = [x["dir"] for x in extra["nodes"].values()]
    try:
        doc = lab_engine.inspect(state)
        for n in doc["nodes"]:  # where each node's files are, and who holds its UTS namespace
            n["dir"] = extra["nodes"][n["name"]]["dir"]
            n["uts_holder"] = extra["nodes"][n["name"]]["uts_holder"]
        yield NsDemo(root, topo, state, doc, trap_port)
    finally:
        lab_engine.down(root, state.name)
        assert not pid_alive(state.pid), "the keeper outlived lab down"
        assert check_clean(extra["prefix"]) == [], check_clean(extra["prefix"])
        # no daemon of the lab left anywhere (they all run with their node's directory)
        left = [p for p in Path("/proc").glob("[0-9]*") if any(d in _cmdline(p) for d in dirs)]
        assert left == [], [_cmdline(p) for p in left]


def _cmdline(p: Path) -> str:
    try:
        return (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def import_lab(ctx: Context, lab: NsDemo) -> None:
    """The lab's nornir inventory, as `ossagent inventory import` reads it."""
    plan = load_inventory_file(lab.topology.parent / f"clab-{lab.state.name}" / "nornir-simple-inventory.yml")
    with ctx.begin() as s:
        import_hosts(s, plan.hosts, plan.profiles)


def _all_polled(ctx: Context) -> bool:
    with ctx.begin() as s:
        devices = list(s.scalars(select(Device)))
        return len(devices) == 6 and all(
            d.last_polled is not None and d.status is DeviceStatus.UP for d in devices
        )


def start_agent(ctx: Context, lab: NsDemo, poll_s: int, **settings: Any) -> Background:
    ctx.settings = replace(
        ctx.settings, poll_interval_s=poll_s, reconcile_interval_s=1, snmp_timeout_s=1.0, snmp_retries=1,
        trap_host="0.0.0.0", trap_port=lab.trap_port, hub_allow_networks="127.0.0.0/8", fault_settle_s=1.0,
        flap_window_s=60, flap_stable_s=4, **settings,
    )  # fmt: skip
    bg = Background(ctx, run_agent)
    try:
        wait_for(lambda: _all_polled(ctx), timeout=60, what="every device discovered and polled")
    except BaseException:
        bg.close()
        raise
    return bg


def active(ctx: Context) -> dict[str, Alarm]:
    with ctx.begin() as s:
        out = {a.reduction_key: a for a in s.scalars(select(Alarm).where(Alarm.state != AlarmState.CLEARED))}
        for a in out.values():
            s.expunge(a)
        return out


def outages(ctx: Context) -> dict[str, Alarm]:
    # The lab's traffic is whatever the kernel carries: no threshold alarms are expected, but
    # they are not what these tests are about either.
    return {
        k: a
        for k, a in active(ctx).items()
        if not k.endswith(("util-in", "util-out", "errors-in", "errors-out"))
    }


def if_index(ctx: Context, device: str, name: str) -> int:
    with ctx.begin() as s:
        return int(
            s.scalars(
                select(Interface.if_index).join(Device).where(Device.name == device, Interface.name == name)
            ).one()
        )


# ------------------------------------------------------------------ faults
def test_link_cut_one_root_from_a_real_trap_cleared_on_restore(sqlite_ctx: Context, nsdemo: NsDemo) -> None:
    ctx = sqlite_ctx
    import_lab(ctx, nsdemo)
    # Polls far apart: what raises the alarm within seconds is the trap snmpd sends.
    bg = start_agent(ctx, nsdemo, poll_s=120)
    try:
        keys = {
            f"pe2/ifIndex={if_index(ctx, 'pe2', 'e1-3')}/link",
            f"acc2/ifIndex={if_index(ctx, 'acc2', 'Ethernet1')}/link",
        }
        # LLDP: discovery learnt the cable from lldpd on both ends.
        with ctx.begin() as s:
            from inventory.models import Link

            heard = {
                (ln.local_interface.device.name, ln.remote_sys_name, ln.remote_port_id)
                for ln in s.scalars(select(Link))
            }
        assert ("pe2", "acc2", "Ethernet1") in heard and ("acc2", "pe2", "e1-3") in heard
        nsdemo.fault(op="link", node="pe2", interface="ethernet-1/3", state="down")
        t0 = time.monotonic()
        wait_for(lambda: keys <= set(active(ctx)), timeout=20, what="both ends alarmed")
        raised_in = time.monotonic() - t0
        act = active(ctx)
        roots = [k for k in keys if act[k].is_root_cause]
        assert len(roots) == 1, {k: (act[k].is_root_cause, act[k].correlation) for k in keys}
        other = (keys - set(roots)).pop()
        assert act[other].suppressed_by_id == act[roots[0]].id and "same link" in act[other].correlation
        with ctx.begin() as s:
            downs = {
                (e.source_address, e.if_index, e.version)
                for e in s.scalars(
                    select(Event).where(Event.source == EventSource.TRAP, Event.name == "linkDown")
                )
            }
        addr = {n.name: n.address for n in nsdemo.state.nodes}
        # pe2 is managed over SNMPv3 (lab-v3): its trap is v3 authPriv; acc2's is v2c
        assert (addr["pe2"], if_index(ctx, "pe2", "e1-3"), "v3") in downs, downs
        assert (addr["acc2"], if_index(ctx, "acc2", "Ethernet1"), "v2c") in downs, downs
        # raised from the traps, long before the next poll
        assert all(act[k].source is EventSource.TRAP for k in keys), (
            raised_in,
            [act[k].source for k in keys],
        )
        nsdemo.fault(op="link", node="pe2", interface="ethernet-1/3", state="up")
        wait_for(lambda: not (keys & set(active(ctx))), timeout=20, what="both cleared by linkUp")
        with ctx.begin() as s:
            for k in keys:
                assert len(list(s.scalars(select(Alarm).where(Alarm.reduction_key == k)))) == 1
    finally:
        bg.close()
        nsdemo.fault(op="clear")


def test_core_router_down_one_root_behind_it_suppressed(sqlite_ctx: Context, nsdemo: NsDemo) -> None:
    ctx = sqlite_ctx
    import_lab(ctx, nsdemo)
    bg = start_agent(ctx, nsdemo, poll_s=2)
    try:
        reply = nsdemo.fault(op="node", node="core1", state="down")
        assert set(reply["unreachable"]) - {"core1"} == {"pe1", "acc1"}  # type: ignore[arg-type]
        devs = {"core1/device/device", "pe1/device/device", "acc1/device/device"}
        wait_for(lambda: devs <= set(active(ctx)), timeout=30, what="device alarms")
        wait_for(lambda: all(active(ctx)[k].suppressed_by_id for k in devs - {"core1/device/device"}),
                 timeout=15, what="correlated")  # fmt: skip
        act = outages(ctx)
        root = act["core1/device/device"]
        assert root.is_root_cause
        for key in ("pe1/device/device", "acc1/device/device"):
            assert act[key].suppressed_by_id == root.id and act[key].correlation, key
        assert "pe2/device/device" not in act and "acc2/device/device" not in act  # dual-homed
        # The ports that faced core1 lost carrier on the routers still reachable: symptoms.
        facing = [a for k, a in act.items() if k.endswith("/link") and k.split("/")[0] in ("core2", "pe2")]
        assert facing and all(a.suppressed_by_id == root.id for a in facing), {
            k: (a.suppressed_by_id, a.correlation) for k, a in act.items()
        }
        roots = [k for k, a in act.items() if a.is_root_cause and not a.planned]
        assert roots == ["core1/device/device"], roots
        nsdemo.fault(op="node", node="core1", state="up")
        wait_for(lambda: not outages(ctx), timeout=60, what=lambda: f"all clear: {sorted(outages(ctx))}")
    finally:
        bg.close()
        nsdemo.fault(op="clear")


# ------------------------------------------------------------------ provisioning
def internet(
    sid: str, device: str, port: str, ipv4: str, action: str = "create", **extra: Any
) -> dict[str, Any]:
    params = {"service_id": sid, "customer_id": "CUST-42", "device": device, "port": port, "vlan": 100,
              "ipv4": ipv4, "bandwidth_mbps": 100, **extra}  # fmt: skip
    return {"service": "internet-access", "action": action, "params": params}


@pytest.fixture
def prov_ctx(sqlite_ctx: Context, nsdemo: NsDemo) -> Context:
    import_lab(sqlite_ctx, nsdemo)
    results = run_all(sqlite_ctx, run_discovery, ["acc1", "pe1"])
    assert all(r.ok for r in results), [r.error for r in results]
    with sqlite_ctx.begin() as s:
        rows = s.execute(
            select(Device.name, ConfigAccess.driver, ConfigAccess.platform).join(ConfigAccess.device)
        )
        access = {name: (driver, platform) for name, driver, platform in rows if name in ("acc1", "pe1")}
    # From the lab's nornir inventory: FRR through vtysh, the SR Linux stand-in through netconfd.
    assert access == {"acc1": ("cli", "frr"), "pe1": ("netconf", "ietf")}, access
    return sqlite_ctx


def apply(ctx: Context, services: list[dict[str, Any]]) -> tuple[TxState, Transaction]:
    with ctx.begin() as s:
        tx_id = submit_many(s, services, user="test", origin="test").id
    state = Executor(ctx, fault="").run(tx_id)
    with ctx.begin() as s:
        tx = s.get(Transaction, tx_id)
        assert tx is not None
        _ = [(d.device.name, d.state) for d in tx.devices]
        s.expunge_all()
    return state, tx


def test_one_transaction_over_frr_cli_and_netconfd_and_back(prov_ctx: Context, nsdemo: NsDemo) -> None:
    ctx = prov_ctx
    before = (nsdemo.frr_running("acc1"), nsdemo.netconf_running("pe1"))
    services = [
        internet("INET-N1", "acc1", "Ethernet7", "203.0.113.1/30", customer_prefix="198.51.100.0/24"),
        internet("INET-N2", "pe1", "e1-9", "192.0.2.1/30"),
    ]
    state, tx = apply(ctx, services)
    assert state is TxState.DONE, tx.error
    frr, nc = nsdemo.frr_running("acc1"), nsdemo.netconf_running("pe1")
    assert (
        "interface Ethernet7\n description INET-N1 CUST-42 internet 100M\n ip address 203.0.113.1/30" in frr
    )
    assert "ip route 198.51.100.0/24 203.0.113.2" in frr
    # FRR put it into the kernel: the address is on the veth and the route in the table.
    assert "203.0.113.1/30" in nsdemo.netns_exec("acc1", "ip", "-4", "addr", "show", "dev", "Ethernet7")
    assert re.search(
        r"^198\.51\.100\.0/24 .*via 203\.0\.113\.2 dev Ethernet7 proto static",
        nsdemo.netns_exec("acc1", "ip", "route"),
        re.M,
    )
    assert "<description>INET-N2 CUST-42 internet 100M</description>" in nc and "<ip>192.0.2.1</ip>" in nc
    saved = Path(nsdemo.xnode("acc1")["dir"]) / "frr.conf"
    assert "INET-N1" in saved.read_text()  # confirmed = saved (write memory)

    state, tx = apply(ctx, [dict(s, action="delete") for s in services])
    assert state is TxState.DONE, tx.error
    assert (nsdemo.frr_running("acc1"), nsdemo.netconf_running("pe1")) == before
    # netconfd takes a port down when its entry is deleted: the service removed leaves only.
    assert "state UP" in nsdemo.netns_exec("pe1", "ip", "link", "show", "dev", "e1-9")
    assert "203.0.113.1" not in nsdemo.netns_exec("acc1", "ip", "-4", "addr", "show", "dev", "Ethernet7")


def test_a_commit_netconfd_refuses_rolls_both_devices_back(prov_ctx: Context, nsdemo: NsDemo) -> None:
    """Another NETCONF session (an operator, another NMS) holds pe1's running datastore lock:
    netconfd refuses our commit with its own words; FRR, committed or not by then, is taken back
    by compensating commands; both end exactly as before."""
    from ncclient import manager

    ctx = prov_ctx
    before = (nsdemo.frr_running("acc1"), nsdemo.netconf_running("pe1"))
    n = next(x for x in nsdemo.state.nodes if x.name == "pe1")
    with manager.connect(
        host=n.address, port=n.netconf_port, username=n.username, password=n.password,
        hostkey_verify=False, allow_agent=False, look_for_keys=False, timeout=10,
    ) as other:  # fmt: skip
        other.lock("running")
        try:
            state, tx = apply(
                ctx,
                [
                    internet("INET-N3", "acc1", "Ethernet6", "203.0.113.5/30"),
                    internet("INET-N4", "pe1", "e1-9", "192.0.2.5/30"),
                ],
            )
        finally:
            other.unlock("running")
    assert state is TxState.ROLLED_BACK, tx.error
    assert tx.error and "pe1" in tx.error and "locked" in tx.error, tx.error
    assert (nsdemo.frr_running("acc1"), nsdemo.netconf_running("pe1")) == before
    assert "203.0.113.5" not in nsdemo.netns_exec("acc1", "ip", "-4", "addr", "show", "dev", "Ethernet6")


def test_a_line_frr_refuses_rolls_back_what_it_took_and_netconfd_too(
    prov_ctx: Context, nsdemo: NsDemo
) -> None:
    """FRR refuses a gateway address in 224/4 ("% Invalid address") after it took the lines
    before it: the lines it took are compensated and netconfd's pending commit cancelled."""
    ctx = prov_ctx
    before = (nsdemo.frr_running("acc1"), nsdemo.netconf_running("pe1"))
    state, tx = apply(
        ctx,
        [
            internet("INET-N5", "acc1", "Ethernet6", "224.0.0.5/30"),
            internet("INET-N6", "pe1", "e1-9", "192.0.2.9/30"),
        ],
    )
    assert state is TxState.ROLLED_BACK, tx.error
    assert tx.error and "acc1" in tx.error and "Invalid address" in tx.error, tx.error
    assert (nsdemo.frr_running("acc1"), nsdemo.netconf_running("pe1")) == before


# ------------------------------------------------------------------ order -> outage -> credit
def test_order_outage_notice_and_credit(
    sqlite_ctx: Context, nsdemo: NsDemo, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = sqlite_ctx
    smtp, hook = Smtp(), Hook()
    monkeypatch.setenv("ACME_WEBHOOK_URL", hook.url)
    monkeypatch.setenv("ACME_WEBHOOK_SECRET", "netns-webhook-secret")
    import_lab(ctx, nsdemo)
    with ctx.begin() as s:
        load_seed_file(s, DEMO_SEED)
        strict_sla(s)
    bg = start_agent(ctx, nsdemo, poll_s=2, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_starttls=False)
    port = order_body()["productOrderItem"][0]["product"]["productCharacteristic"][1]["value"]
    try:
        with ctx.begin() as s:
            order_id = place_order(s, order_body(), idempotency_key="netns-1", user="bss").id
        finish(ctx, order_id)
        assert "203.0.113.1/30" in nsdemo.frr_running("acc1")
        # The customer's cable goes dark at the far side: acc1's port loses carrier.
        outage_notices_and_credit(
            ctx,
            smtp,
            hook,
            cut=lambda: nsdemo.fault(op="link", node="acc1", interface=port, state="down"),
            restore=lambda: nsdemo.fault(op="link", node="acc1", interface=port, state="up"),
        )
    finally:
        bg.close()
        smtp.close()
        hook.close()
        nsdemo.fault(op="clear")
