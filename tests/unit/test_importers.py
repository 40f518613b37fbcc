"""Inventory files: Nornir (with groups and defaults), Ansible, containerlab's generated ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.importers import ImportError_, load_inventory_file
from inventory.choices import SnmpAuthProto, SnmpPrivProto, SnmpVersion


def write(p: Path, text: str) -> Path:
    p.write_text(text)
    return p


def test_nornir_with_groups_defaults_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORE_AUTH", "very-secret-auth")
    hosts = write(
        tmp_path / "hosts.yaml",
        """
r1:
  hostname: 127.0.0.11
  platform: nokia_srlinux
  groups: [core]
  data: {role: pe}
r2:
  hostname: 127.0.0.12
  groups: [core]
  data:
    snmp: {version: v3, user: ops, auth_proto: sha256, auth_key: "${CORE_AUTH}", priv_proto: aes256, priv_key: priv-key-9}
r3:
  hostname: 127.0.0.13
  connection_options:
    snmp: {port: 1161, extras: {community: c3}}
""",
    )
    write(
        tmp_path / "groups.yaml",
        "core:\n  groups: [lab]\n  data: {site: east}\nlab:\n  data: {snmp: {profile: shared}}\n",
    )
    write(tmp_path / "defaults.yaml", "data: {site: nowhere}\n")
    plan = load_inventory_file(hosts)
    by = {h.name: h for h in plan.hosts}
    assert plan.format == "nornir"
    assert by["r1"].snmp_profile == "shared" and by["r1"].snmp is None and by["r1"].site == "east"
    assert by["r1"].role == "pe" and by["r1"].platform == "nokia_srlinux"
    creds = by["r2"].snmp
    assert creds is not None and creds.version is SnmpVersion.V3 and creds.auth_proto is SnmpAuthProto.SHA256
    assert creds.priv_proto is SnmpPrivProto.AES256 and creds.auth_key is not None
    assert creds.auth_key.reveal() == "very-secret-auth"
    assert "very-secret-auth" not in repr(plan)
    assert by["r3"].snmp_port == 1161 and by["r3"].snmp is not None and by["r3"].site == "nowhere"


def test_ansible_generated_by_containerlab(tmp_path: Path) -> None:
    inv = write(
        tmp_path / "ansible-inventory.yml",
        """
all:
  vars: {ossagent_snmp_profile: lab-v2c}
  children:
    nokia_srlinux:
      vars: {ansible_network_os: nokia.srlinux.srlinux}
      hosts:
        clab-demo-pe1: {ansible_host: 127.9.9.3, ossagent_snmp_port: 16100, ossagent_role: pe}
    arista_ceos:
      hosts:
        clab-demo-core1: {ansible_host: 127.9.9.1, ossagent_snmp_port: 16100, ossagent_snmp_profile: lab-v3}
""",
    )
    (tmp_path / "topology-data.json").write_text(
        json.dumps(
            {"nodes": {"pe1": {"longname": "clab-demo-pe1"}, "core1": {"longname": "clab-demo-core1"}}}
        )
    )
    (tmp_path / "ossagent-snmp-profiles.yml").write_text(
        "profiles:\n  lab-v2c: {version: v2c, community: public}\n"
        "  lab-v3: {version: v3, user: ossim, auth_proto: sha, auth_key: k1k1k1k1, priv_proto: aes, priv_key: k2k2k2k2}\n"
    )
    plan = load_inventory_file(inv)
    by = {h.name: h for h in plan.hosts}
    assert set(by) == {"pe1", "core1"}  # long names mapped back to node names
    assert by["pe1"].snmp_profile == "lab-v2c" and by["pe1"].snmp_port == 16100 and by["pe1"].role == "pe"
    assert by["core1"].snmp_profile == "lab-v3" and by["pe1"].platform == "nokia.srlinux.srlinux"
    assert set(plan.profiles) == {"lab-v2c", "lab-v3"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("r1: {platform: x}", "no hostname"),
        ("r1: {hostname: h, data: {snmp: {version: v2c}}}", "needs a community"),
        ("r1: {hostname: h, data: {snmp: {version: v9, community: x}}}", "unknown SNMP version"),
        (
            "r1: {hostname: h, data: {snmp: {version: v3, user: u, auth_key: short, priv_key: longenough}}}",
            "at least 8",
        ),
        ("r1: {hostname: h, data: {snmp: {port: 70000, community: c}}}", "out of range"),
        ("[]", "empty or not a mapping"),
        ("name: x\ntopology: {nodes: {a: {kind: linux}}}", "needs a running lab"),
    ],
)
def test_bad_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ImportError_, match=message):
        load_inventory_file(write(tmp_path / "hosts.yaml", text))


def test_nornir_config_face_picks_the_connection_and_its_models(tmp_path: Path) -> None:
    """Where a host has several connections: the one ``data.config_face`` names (with the
    models ``data.config_platform`` names), else NETCONF, except FRR, changed through vtysh."""
    both = "connection_options: {netconf: {port: 830}, netmiko: {port: 22}}"
    hosts = write(
        tmp_path / "hosts.yaml",
        f"""
frr:
  {{hostname: 10.0.0.1, platform: frr, username: u, password: p, {both}}}
srl:
  {{hostname: 10.0.0.2, platform: nokia_srlinux, username: u, password: p, {both}}}
standin:
  {{hostname: 10.0.0.3, platform: frr, username: u, password: p, {both},
    data: {{config_face: netconf, config_platform: ietf}}}}
cli_only:
  {{hostname: 10.0.0.4, platform: frr, username: u, password: p,
    connection_options: {{netmiko: {{port: 22}}}}, data: {{config_face: netconf, config_platform: ietf}}}}
""",
    )
    by = {h.name: h.config_access for h in load_inventory_file(hosts).hosts}
    got = {name: (a.driver, a.platform, a.port) for name, a in by.items() if a is not None}
    assert got == {
        "frr": ("cli", "frr", 22),
        "srl": ("netconf", "srlinux", 830),
        "standin": ("netconf", "ietf", 830),
        "cli_only": ("cli", "frr", 22),  # the named face is absent: the CLI speaks FRR, not ietf
    }
