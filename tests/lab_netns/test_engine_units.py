"""Pure parts of the netns and containerlab engines (no root, no daemons): interface-name
mapping, kinds, trap receivers, routing labels, daemon config text, the NFQUEUE netlink
messages, and containerlab's command lines and ``inspect --format json`` parsing."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from click.testing import CliRunner

from agent.cli import cli
from lab import engine as lab_engine
from lab import engine_containerlab as clab
from lab import engine_netns as ns
from lab.netns import configs
from lab.netns import netem as nfq
from lab.topology import parse_topology

HERE = Path(__file__).resolve().parent


# ------------------------------------------------------------------ interface names
@pytest.mark.parametrize(
    ("name", "kind", "linux"),
    [
        ("eth1", "linux", "eth1"),
        ("Ethernet1", "arista_ceos", "Ethernet1"),  # valid as it is: kept
        ("ethernet-1/1", "nokia_srlinux", "e1-1"),  # containerlab's raw SR Linux name
        ("ethernet-1/3/2", "nokia_srlinux", "e1-3-2"),
        ("Ethernet1/1", "arista_ceos", "eth1_1"),  # containerlab's raw cEOS name
        ("Gi0/0/0/1", "cisco_xrd", "Gi0-0-0-1"),
    ],
)
def test_interface_names_map_deterministically(name: str, kind: str, linux: str) -> None:
    got = ns.linux_ifname(name, kind)
    assert got == linux and ns.valid_ifname(got)


def test_the_labs_own_names_are_never_reused() -> None:
    got = ns.linux_ifname("mgmt0", "linux")  # the management veth already has that name
    assert got.startswith("mgmt0-") and ns.valid_ifname(got) and got == ns.linux_ifname("mgmt0", "linux")


def test_long_names_are_cut_with_a_hash_and_stay_unique() -> None:
    a = ns.linux_ifname("TenGigabitEthernet0/0/0/10", "cisco_xrd")
    b = ns.linux_ifname("TenGigabitEthernet0/0/0/11", "cisco_xrd")
    assert len(a) <= 15 and len(b) <= 15 and a != b
    assert a == ns.linux_ifname("TenGigabitEthernet0/0/0/10", "cisco_xrd")
    assert ns.linux_ifname("eth1", "linux", {"eth1"}) != "eth1"


def test_plan_covers_every_link_end() -> None:
    topo = parse_topology((HERE / "small.clab.yml").read_text())
    plan = ns.plan_interfaces(topo)
    assert plan["pe1"] == {"ethernet-1/1": "e1-1", "ethernet-1/2": "e1-2"}
    assert plan["r1"] == {"eth1": "eth1", "eth2": "eth2"}


# ------------------------------------------------------------------ kinds, receivers, routing
def test_unknown_kinds_fail_with_a_clear_message() -> None:
    topo = parse_topology(
        "name: x\ntopology:\n  nodes:\n    a: {kind: juniper_mx960}\n    b: {kind: linux}\n"
    )
    with pytest.raises(ns.NetnsEngineError, match=r"no stand-in for node kind\(s\) a \(juniper_mx960\)"):
        ns.check_kinds(topo)
    assert ns.runs_as("arista_ceos") == "stand-in for arista_ceos: FRR, snmpd, netconfd, sshd"
    assert ns.runs_as("linux").startswith("FRR router")


def test_trap_receivers_are_this_host_only() -> None:
    assert ns.trap_ports([("127.0.0.1", 162), ("0.0.0.0", 1162), ("127.0.0.1", 162)]) == [162, 1162]
    with pytest.raises(ns.NetnsEngineError, match="only to this host"):
        ns.trap_ports([("192.0.2.1", 162)])


def test_routing_labels() -> None:
    topo = parse_topology((HERE / "small.clab.yml").read_text())
    nodes = list(topo.nodes.values())
    assert ns.routing_of(nodes[0], 0) == ns.Routing(ospf=True, bgp=True, asn=65001)
    assert ns.routing_of(nodes[1], 1) == ns.Routing(ospf=True, bgp=False, asn=None)
    bad = parse_topology(
        "name: x\ntopology:\n  nodes:\n    a: {kind: linux, labels: {ossagent-routing: isis}}\n"
    )
    with pytest.raises(ns.NetnsEngineError, match="ossagent-routing"):
        ns.routing_of(bad.nodes["a"], 0)


# ------------------------------------------------------------------ daemon config text
def test_snmpd_conf_serves_the_lab_profiles_and_traps() -> None:
    text = configs.snmpd_conf(
        sys_name="r1",
        sys_descr="d",
        location="l",
        communities=["public"],
        v3_users=[
            {"user": "u1", "auth_proto": "sha", "auth_key": "a k", "priv_proto": "aes", "priv_key": "p"},
            {"user": "u2", "auth_proto": "sha256", "auth_key": "a", "priv_proto": "aes256", "priv_key": "p"},
        ],
        trap_targets=[("10.1.1.1", 1162)],
        trap_community="public",
        engine_id="80001f880472",
    )
    assert 'createUser u1 SHA "a k" AES "p"' in text and "rouser u1 authpriv" in text
    assert 'createUser u2 SHA-256 "a" AES-256 "p"' in text
    assert "trap2sink 10.1.1.1:1162 public\n" in text  # a bare word: quotes would be sent as-is
    assert "master agentx" in text and "exactEngineID 0x80001f880472" in text
    assert 'monitor -r 2 -e oaLinkDown "linkDown" .1.3.6.1.2.1.2.2.1.8 == 2' in text
    with pytest.raises(ValueError):
        configs.snmpd_conf(sys_name="r", sys_descr="d", location="l", communities=['pu"b'], v3_users=[],
                           trap_targets=[], trap_community="x")  # fmt: skip


def test_frr_conf_has_p2p_ospf_and_policy_free_ebgp() -> None:
    text = configs.frr_routing_conf(
        hostname="r1", router_id="10.0.0.2", interfaces={"mgmt0": "management", "eth1": "to sw1:Ethernet1"},
        p2p_interfaces=["eth1"], ospf_networks=["10.0.0.128/30"], passive=["mgmt0"], asn=65001,
        bgp_neighbors=[("10.0.0.130", 65002)], agentx=True, ospf=True,
    )  # fmt: skip
    assert "interface eth1\n description to sw1:Ethernet1\n ip ospf network point-to-point\n" in text
    assert " passive-interface mgmt0\n network 10.0.0.128/30 area 0\n" in text
    assert " no bgp ebgp-requires-policy\n neighbor 10.0.0.130 remote-as 65002\n" in text
    assert "\nagentx\n" in text
    assert configs.frr_daemon_args("bgpd", Path("/d"), snmp=True)[-2:] == ["-M", "snmp"]
    assert "-M" not in configs.frr_daemon_args("staticd", Path("/d"), snmp=True)


# ------------------------------------------------------------------ latency / loss
def test_tc_netem_args() -> None:
    assert ns.tc_netem_args("eth1", 100, 0) == ["tc", "qdisc", "replace", "dev", "eth1", "root", "netem", "delay", "100ms"]  # fmt: skip
    assert ns.tc_netem_args("mgmt0", 0, 12.5)[-2:] == ["loss", "12.5%"]


def test_nfqueue_messages() -> None:
    bind, _params = nfq.config_messages(3)
    length, mtype, flags = struct.unpack_from("=IHH", bind)
    assert length == len(bind) and mtype == (3 << 8) | 2 and flags == 5  # REQUEST|ACK
    assert struct.unpack_from("!H", bind, 18)[0] == 3  # res_id = queue number
    verdict = nfq.verdict_message(3, 0x01020304, nfq.NF_ACCEPT)
    assert verdict.endswith(struct.pack("!II", 1, 0x01020304))
    # An NFQNL_MSG_PACKET with a packet header attribute, as the kernel sends it.
    attr = struct.pack("=HH", 11, 1) + struct.pack("!IHB", 77, 0x0800, 4) + b"\0"
    body = struct.pack("=BBH", 2, 0, 0) + attr
    msg = struct.pack("=IHHII", 16 + len(body), (3 << 8) | 0, 0, 0, 0) + body
    assert nfq.packet_ids(msg + msg) == [77, 77]
    assert "--queue-bypass" in nfq.iptables_add(0)[1]


# ------------------------------------------------------------------ containerlab
INSPECT_NEW = {
    "nstest": [
        {"lab_name": "nstest", "labPath": "small.clab.yml", "absLabPath": "/labs/small.clab.yml",
         "name": f"clab-nstest-{n}", "container_id": cid, "image": img, "kind": kind, "state": "running",
         "status": "Up 2 minutes", "ipv4_address": f"172.20.20.{i}/24", "ipv6_address": f"3fff:172:20:20::{i}/64",
         "owner": "root"}
        for i, (n, cid, img, kind) in enumerate(
            [("r1", "2c70173f3f41", "quay.io/frrouting/frr:8.4.4", "linux"),
             ("sw1", "9a12e9566d8c", "ceos:4.32.0F", "arista_ceos"),
             ("pe1", "4a60ed6861ec", "ghcr.io/nokia/srlinux:24.10.1", "nokia_srlinux")], start=2)
    ]
}  # fmt: skip


def test_containerlab_command_lines() -> None:
    p = Path("/labs/small.clab.yml")
    assert clab.deploy_command(p) == ["containerlab", "deploy", "--topo", "/labs/small.clab.yml"]
    assert clab.destroy_command(p) == [
        "containerlab",
        "destroy",
        "--topo",
        "/labs/small.clab.yml",
        "--cleanup",
    ]
    assert clab.inspect_command(p) == ["containerlab", "inspect", "--topo", "/labs/small.clab.yml", "--format", "json"]  # fmt: skip
    c = {"r1": "clab-nstest-r1"}
    assert clab.fault_commands({"op": "link", "node": "r1", "interface": "eth1", "state": "down"}, c) == [
        ["docker", "exec", "clab-nstest-r1", "ip", "link", "set", "dev", "eth1", "down"]
    ]
    assert clab.fault_commands({"op": "node", "node": "r1", "state": "down"}, c) == [["docker", "pause", "clab-nstest-r1"]]  # fmt: skip
    assert clab.fault_commands({"op": "latency", "node": "r1", "ms": 50}, c) == [
        ["containerlab", "tools", "netem", "set", "-n", "clab-nstest-r1", "-i", "eth0", "--delay", "50ms"]
    ]
    with pytest.raises(clab.ContainerlabError):
        clab.fault_commands({"op": "trap-storm"}, c)


def test_containerlab_inspect_json_into_lab_state(tmp_path: Path) -> None:
    topo = parse_topology((HERE / "small.clab.yml").read_text(), HERE / "small.clab.yml")
    rows = clab.parse_inspect(json.dumps(INSPECT_NEW), "nstest")
    assert [r["name"] for r in rows] == ["clab-nstest-r1", "clab-nstest-sw1", "clab-nstest-pe1"]
    # Older containerlab releases wrapped the list in {"containers": [...]}.
    assert clab.parse_inspect(json.dumps({"containers": INSPECT_NEW["nstest"]}), "nstest") == rows
    st = clab.state_from_inspect(topo, rows, tmp_path, started="2026-01-01T00:00:00Z")
    assert st.engine == "containerlab" and st.node("sw1").address == "172.20.20.3"
    assert st.node("sw1").snmp_profile == "lab-v3" and st.node("sw1").mgmt_via == ("r1",)
    assert st.node("pe1").interface("ethernet-1/1").peer == "sw1:Ethernet2"
    hosts, profiles = lab_engine.hosts(st)
    assert {h.name: h.host for h in hosts}["pe1"] == "172.20.20.4" and "lab-v3-sha256" in profiles
    with pytest.raises(clab.ContainerlabError, match="no containers"):
        clab.parse_inspect('{"other": []}', "nstest")
    stopped = json.loads(json.dumps(INSPECT_NEW))
    stopped["nstest"][0]["state"] = "exited"
    with pytest.raises(clab.ContainerlabError, match="not running"):
        clab.state_from_inspect(topo, clab.parse_inspect(json.dumps(stopped), "nstest"), tmp_path)


def test_lab_up_containerlab_without_containerlab_fails_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clab.shutil, "which", lambda _name: None)
    topo = tmp_path / "small.clab.yml"
    topo.write_text((HERE / "small.clab.yml").read_text())
    res = CliRunner().invoke(
        cli,
        ["lab", "up", "-t", str(topo), "--engine", "containerlab"],
        env={"OSSAGENT_HOME": str(tmp_path / "h")},
    )
    assert res.exit_code == 1
    assert "containerlab is not installed" in res.output and "--engine netns" in res.output


def test_config_face_follows_the_kind_a_label_overrides_and_netconfd_lists_the_ports() -> None:
    from lab.topology import Node

    assert ns.config_face(Node("pe1", "nokia_srlinux")) == "netconf"
    assert ns.config_face(Node("acc1", "arista_ceos")) == "cli"
    assert ns.config_face(Node("r1", "linux", labels={"ossagent-config-face": "netconf"})) == "netconf"
    with pytest.raises(ns.NetnsEngineError, match="ossagent-config-face"):
        ns.config_face(Node("r1", "linux", labels={"ossagent-config-face": "telnet"}))
    startup = configs.netconf_startup_with_ports(["e1-1", "a<b"])
    assert startup.count("<interface>") == 2 and "<name>a&lt;b</name>" in startup
    assert "ianaift:ethernetCsmacd" in startup and "<enabled>true</enabled>" in startup
    assert configs.netconf_startup_with_ports([]) == configs.EMPTY_NETCONF_STARTUP
