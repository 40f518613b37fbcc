"""containerlab topology files: precedence, aliases, links, env expansion, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.engine import DEFAULT_TOPOLOGY
from lab.topology import TopologyError, load_topology, parse_topology

FULL = """
name: t1
prefix: lab
mgmt: {network: t1-mgmt, ipv4-subnet: 172.20.20.0/24}
topology:
  defaults:
    labels: {site: s0, level: defaults}
    env: {A: "1"}
    credentials: {username: dflt, password: dpw}
  kinds:
    srl: {image: srl:1, type: ixr-d2l, labels: {level: kind}}
    ceos: {image: ceos:2}
  groups:
    spines: {kind: ceos, labels: {level: group, role: spine}, credentials: {username: grp}}
  nodes:
    r1: {kind: srl, labels: {role: pe}}
    s1: {group: spines, image: "ceos:${CEOS_VER:-4.32}", labels: {level: node}}
    h1: {kind: linux, env: {A: "2"}, startup-config: "__clabDir__/__clabNodeName__.cfg"}
  links:
    - endpoints: ["r1:ethernet-1/1", "s1:eth1"]
      ipv4: ["10.0.0.1/30", "10.0.0.2/30"]
    - type: veth
      endpoints:
        - {node: s1, interface: eth2, mac: "aa:c1:ab:00:00:01"}
        - {node: h1, interface: eth1}
      mtu: 9000
      vars: {circuit: CKT-1}
    - endpoints: ["h1:eth2", "host:h1-eth2"]
    - type: dummy
      endpoint: {node: r1, interface: e1-9}
"""


def test_precedence_aliases_and_merges(tmp_path: Path) -> None:
    topo = parse_topology(FULL, tmp_path / "t1.clab.yml", env={})
    r1, s1, h1 = topo.nodes["r1"], topo.nodes["s1"], topo.nodes["h1"]
    assert r1.kind == "nokia_srlinux" and r1.image == "srl:1" and r1.type == "ixr-d2l"
    assert s1.kind == "arista_ceos" and s1.image == "ceos:4.32"  # node beats kind; env default
    # labels merge with the most specific level winning
    assert r1.labels == {"site": "s0", "level": "kind", "role": "pe"}
    assert s1.labels["level"] == "node" and s1.labels["role"] == "spine"
    # credentials are taken whole from the most specific level that sets them
    assert s1.credentials is not None and s1.credentials.username == "grp" and s1.credentials.password == ""
    assert r1.credentials is not None and r1.credentials.username == "dflt"
    assert h1.env == {"A": "2"}
    assert h1.startup_config == f"{tmp_path}/clab-t1/h1.cfg"
    assert topo.long_name("r1") == "lab-t1-r1"


def test_links(tmp_path: Path) -> None:
    topo = parse_topology(FULL, tmp_path / "t1.clab.yml", env={})
    first, second, hostlink, dummy = topo.links
    assert (str(first.a), str(first.z)) == ("r1:ethernet-1/1", "s1:eth1")  # split on the first colon
    assert first.a.ipv4 == "10.0.0.1/30" and first.z is not None and first.z.ipv4 == "10.0.0.2/30"
    assert second.mtu == 9000 and second.vars == {"circuit": "CKT-1"} and second.a.mac == "aa:c1:ab:00:00:01"
    assert hostlink.z is not None and hostlink.z.is_pseudo
    assert dummy.z is None and dummy.type == "dummy"
    assert [(str(a), str(b)) for a, b in topo.links_of("s1")] == [
        ("s1:eth1", "r1:ethernet-1/1"),
        ("s1:eth2", "h1:eth1"),
    ]


def test_env_expansion_uses_environment(tmp_path: Path) -> None:
    topo = parse_topology(FULL, tmp_path / "t1.clab.yml", env={"CEOS_VER": "4.33.1F"})
    assert topo.nodes["s1"].image == "ceos:4.33.1F"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("topology: {nodes: {a: {kind: linux}}}", "'name' is required"),
        ("name: x\ntopology: {nodes: {}}", "at least one node"),
        ("name: x\ntopology: {nodes: {a: {image: foo}}}", "no kind"),
        ("name: x\ntopology: {nodes: {a: {kind: linux, group: nope}}}", "no group named 'nope'"),
        (
            "name: x\ntopology: {nodes: {a: {kind: linux}}, links: [{endpoints: ['a:e1', 'b:e1']}]}",
            "unknown node 'b'",
        ),
        (
            "name: x\ntopology: {nodes: {a: {kind: linux}}, links: [{endpoints: ['a:e1', 'a:e1']}]}",
            "already used",
        ),
        (
            "name: x\ntopology: {nodes: {a: {kind: linux}}, links: [{endpoints: ['a']}]}",
            "exactly two endpoints",
        ),
        (
            "name: x\ntopology: {nodes: {a: {kind: linux}}, links: [{endpoints: ['ae1', 'a:e2']}]}",
            "node:interface",
        ),
        ("name: 'bad name'\ntopology: {nodes: {a: {kind: linux}}}", "must be letters"),
        ("name: x\ntopology: [1, 2]", "expected a mapping"),
        ("{{{", "not valid YAML"),
    ],
)
def test_clear_errors(text: str, message: str) -> None:
    with pytest.raises(TopologyError, match=message):
        parse_topology(text, env={})


def test_demo_topology_meets_the_brief() -> None:
    topo = load_topology(DEFAULT_TOPOLOGY)
    roles = [n.label("role") for n in topo.nodes.values()]
    assert roles.count("core") >= 2 and roles.count("pe") >= 2 and roles.count("access") >= 2
    # every access switch hangs off a PE and every PE off both cores
    for n in topo.nodes.values():
        # host: endpoints are customer cables (no node behind them)
        peers = {b.node for _, b in topo.links_of(n.name) if b is not None and not b.is_pseudo}
        peer_roles = {topo.nodes[p].label("role") for p in peers}
        if n.label("role") == "pe":
            assert {"core1", "core2"} <= peers
        if n.label("role") == "access":
            assert "pe" in peer_roles
