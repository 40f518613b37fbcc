"""One configuration model behind every face: what a change through NETCONF, the CLIs or eAPI does
to the node's SNMP agent (read with Net-SNMP), and the control operations that act on
configuration (config-show, config-edit, fail-commit, host-key-rotate, save, restart)."""

from __future__ import annotations

import base64
import json
import shutil
import socket
import urllib.request
from pathlib import Path
from typing import Any

import paramiko
import pytest
from ncclient import manager
from ncclient.operations.rpc import RPCError
from ncclient.transport.errors import SSHError
from netmiko import ConfigInvalidException

import lab.sim as sim
from tests.lab_sim.conftest import (
    FACES_TOPOLOGY,
    Lab,
    free_tcp_ports_on,
    needs_netsnmp,
    netsnmp,
    parse_walk,
    pid_gone,
    random_base,
    small_topology,
    start_lab,
    wait_for,
)
from tests.lab_sim.test_sim_cli import connect as cli
from tests.lab_sim.test_sim_netconf import IF, config, interface
from tests.lab_sim.test_sim_netconf import connect as nc

IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
IF_TYPE = "1.3.6.1.2.1.2.2.1.3"
IF_ADMIN = "1.3.6.1.2.1.2.2.1.7"
IF_OPER = "1.3.6.1.2.1.2.2.1.8"
IF_ALIAS = "1.3.6.1.2.1.31.1.1.1.18"
LINK_DOWN_OID = bytes.fromhex("06092b0601060301010503")  # 1.3.6.1.6.3.1.1.5.3 (linkDown), BER


def snmp(lab: Lab, node: str, *oids: str) -> list[str]:
    res = netsnmp("snmpget", *lab.v2c(), "-On", "-Oqv", "-t", "2", "-r", "1", lab.target(node), *oids)
    assert res.returncode == 0, res.stderr
    return [v.strip().strip('"') for v in res.stdout.splitlines()[: len(oids)]]


def if_index(lab: Lab, node: str, name: str) -> int:
    res = netsnmp("snmpwalk", *lab.v2c(), "-On", lab.target(node), IF_DESCR)
    for oid, value in parse_walk(res.stdout).items():
        if value == f'STRING: "{name}"' or value == f"STRING: {name}":
            return int(oid.rsplit(".", 1)[1])
    raise AssertionError(f"{node} has no {name} in ifTable")


def alias_admin_oper(lab: Lab, node: str, name: str) -> list[str]:
    i = if_index(lab, node, name)
    return snmp(lab, node, f"{IF_ALIAS}.{i}", f"{IF_ADMIN}.{i}", f"{IF_OPER}.{i}")


def eapi(lab: Lab, node: str, cmds: list[str]) -> dict[str, Any]:
    n = lab.node(node)
    body = {
        "jsonrpc": "2.0",
        "method": "runCmds",
        "id": 1,
        "params": {"version": 1, "cmds": cmds, "format": "json"},
    }
    req = urllib.request.Request(
        f"http://{n.address}:{n.eapi_port}/command-api", data=json.dumps(body).encode()
    )
    req.add_header(
        "Authorization", "Basic " + base64.b64encode(f"{n.username}:{n.password}".encode()).decode()
    )
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - the lab's loopback address
        reply: dict[str, Any] = json.loads(resp.read())
    return reply


@needs_netsnmp
@pytest.mark.netsnmp
def test_snmp_reflects_changes_made_through_every_face(faces_lab: Lab) -> None:
    lab = faces_lab
    with nc(lab) as m:  # NETCONF
        m.edit_config(
            target="candidate",
            config=config(
                interface("ethernet-1/5", desc="via netconf", kind=None, extra="<enabled>false</enabled>")
            ),
        )
        m.commit()
    assert alias_admin_oper(lab, "pe1", "ethernet-1/5") == ["via netconf", "2", "2"]
    c = cli(lab, "acc1", "arista_eos")  # EOS CLI
    try:
        c.enable()
        c.send_config_set(["interface Ethernet5", "description via eos cli"], error_pattern=r"^% ")
    finally:
        c.disconnect()
    assert alias_admin_oper(lab, "acc1", "Ethernet5")[0] == "via eos cli"
    reply = eapi(
        lab, "acc2", ["enable", "configure", "interface Ethernet5", "description via eapi", "shutdown", "end"]
    )
    assert "result" in reply, reply
    assert alias_admin_oper(lab, "acc2", "Ethernet5") == ["via eapi", "2", "2"]
    c = cli(lab, "r1", "cisco_ios")  # IOS/FRR CLI
    try:
        c.send_config_set(["interface eth4", "description via vtysh"], error_pattern=r"^% ")
    finally:
        c.disconnect()
    assert alias_admin_oper(lab, "r1", "eth4")[0] == "via vtysh"
    # a subinterface appears in IF-MIB as l2vlan(135), up while its port is
    lab.ok(
        op="config-edit",
        node="acc1",
        lines=["interface Ethernet1.300", "encapsulation dot1q vlan 300", "description sub 300"],
    )
    i = if_index(lab, "acc1", "Ethernet1.300")
    assert snmp(lab, "acc1", f"{IF_TYPE}.{i}", f"{IF_ALIAS}.{i}", f"{IF_OPER}.{i}") == ["135", "sub 300", "1"]
    lab.ok(op="config-edit", node="acc1", lines=["no interface Ethernet1.300"])
    with pytest.raises(AssertionError):
        if_index(lab, "acc1", "Ethernet1.300")


@needs_netsnmp
@pytest.mark.netsnmp
def test_shutdown_sends_link_down_and_the_far_end_loses_carrier(faces_lab: Lab) -> None:
    lab = faces_lab
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx:
        rx.bind(("127.0.0.1", 0))
        rx.settimeout(5)
        lab.ok(op="receivers", targets=[list(rx.getsockname())])
        try:
            while True:  # drain the coldStarts
                rx.settimeout(0.3)
                rx.recvfrom(65535)
        except TimeoutError:
            pass
        rx.settimeout(5)
        lab.ok(op="config-edit", node="acc1", lines=["interface Ethernet1", "shutdown"])
        got = []
        try:
            while True:
                data, addr = rx.recvfrom(65535)
                got.append((addr[0], data))
                if any(a == lab.node("acc1").address and LINK_DOWN_OID in d for a, d in got):
                    break
        except TimeoutError:
            pass
        lab.ok(op="receivers", targets=[])
    assert any(a == lab.node("acc1").address and LINK_DOWN_OID in d for a, d in got), got
    assert alias_admin_oper(lab, "acc1", "Ethernet1")[1:] == ["2", "2"]
    assert alias_admin_oper(lab, "pe1", "ethernet-1/1")[1:] == ["1", "2"]  # admin up, no light
    lab.ok(op="config-edit", node="acc1", lines=["interface Ethernet1", "no shutdown"])
    assert alias_admin_oper(lab, "pe1", "ethernet-1/1")[1:] == ["1", "1"]


def test_config_show_and_behind_the_back_edits(faces_lab: Lab) -> None:
    lab = faces_lab
    shown = lab.ok(op="config-show", node="pe1")
    assert shown["faces"] == ["netconf"] and "<hostname>pe1</hostname>" in shown["running"]
    assert set(lab.ok(op="config-show", node="xr1")["renderings"]) == {"ios", "netconf"}
    # NETCONF-only nodes take the EOS-like syntax
    edit = lab.ok(op="config-edit", node="pe1", lines=["interface ethernet-1/6", "   description drift!"])
    assert edit["changed"] and edit["changes"] == ["+ interfaces/ethernet-1/6/description: 'drift!'"]
    with nc(lab) as m:
        flt = f'<interfaces xmlns="{IF}"><interface><name>ethernet-1/6</name></interface></interfaces>'
        assert "drift!" in m.get_config(source="running", filter=("subtree", flt)).data_xml
    lab.ok(op="config-edit", node="acc1", lines=["interface Ethernet6", "description drift on eos"])
    c = cli(lab, "acc1", "arista_eos")
    try:
        assert "description drift on eos" in c.send_command("show running-config section Ethernet6")
    finally:
        c.disconnect()
    lab.ok(op="config-edit", node="r1", lines=["interface eth5", " description drift on frr", "exit"])
    assert "description drift on frr" in lab.ok(op="config-show", node="r1")["running"]
    bad = lab.send(op="config-edit", node="acc1", lines=["interface Ethernet6", "service-policy input NOPE"])
    assert not bad["ok"] and "unknown policer" in bad["error"]
    bad = lab.send(op="config-edit", node="r1", lines=["policy-map X"])
    assert not bad["ok"] and "line 1" in bad["error"] and "Unknown command" in bad["error"]


def test_fail_commit_through_each_face(faces_lab: Lab) -> None:
    lab = faces_lab
    lab.ok(op="fail-commit", node="pe1", message="injected: pe1 says no", count=1)
    with nc(lab) as m:
        m.edit_config(
            target="candidate", config=config(interface("ethernet-1/4", desc="all or nothing", kind=None))
        )
        with pytest.raises(RPCError) as exc:
            m.commit()
        assert exc.value.tag == "operation-failed" and exc.value.message == "injected: pe1 says no"
        m.commit()  # only the next one failed
    lab.ok(op="fail-commit", node="acc1", message="acc1 refuses", count=2)
    c = cli(lab, "acc1", "arista_eos")
    try:
        c.enable()
        c.config_mode(config_command="configure session failing")
        c.send_config_set(
            ["interface Ethernet2", "description nope"], enter_config_mode=False, exit_config_mode=False
        )
        assert "% acc1 refuses" in c.send_command("commit", expect_string=r"#")
        assert c.find_prompt().startswith("acc1(config-s-failing")  # still in the session, as on EOS
        c.send_command("abort", expect_string=r"acc1#")
        with pytest.raises(ConfigInvalidException):  # configure terminal: the block fails as a whole
            c.send_config_set(
                ["interface Ethernet2", "description nope", "mtu 9000"], error_pattern=r"acc1 refuses"
            )
        assert "description nope" not in c.send_command("show running-config section Ethernet2")
    finally:
        c.disconnect()
    lab.ok(op="fail-commit", node="acc2", message="acc2 refuses", count=1)
    reply = eapi(
        lab, "acc2", ["enable", "configure session s9", "interface Ethernet2", "description nope", "commit"]
    )
    assert "acc2 refuses" in reply["error"]["data"][-1]["errors"][0]
    lab.ok(op="fail-commit", node="r1", message="r1 refuses", count=1)
    c = cli(lab, "r1", "cisco_ios")
    try:
        with pytest.raises(ConfigInvalidException):
            c.send_config_set(["interface eth2", "description nope"], error_pattern=r"r1 refuses")
    finally:
        c.disconnect()
    assert lab.ok(op="config-show", node="r1")["failures_queued"] == 0


def test_host_key_rotation_refuses_pinned_clients(faces_lab: Lab, tmp_path: Path) -> None:
    lab = faces_lab
    old = lab.node("pe1").host_key
    pinned = tmp_path / "known_hosts.old"
    shutil.copy(lab.state.known_hosts, pinned)
    kw = {
        "host": lab.node("pe1").address,
        "port": lab.node("pe1").netconf_port,
        "username": "admin",
        "password": "NokiaSrl1!",
        "allow_agent": False,
        "look_for_keys": False,
        "timeout": 10,
    }
    with manager.connect(hostkey_b64=old.split()[1], **kw):
        pass
    new = lab.ok(op="host-key-rotate", node="pe1")["host_key"]
    assert new != old and new.startswith("ssh-ed25519 ")
    with pytest.raises(SSHError):
        manager.connect(hostkey_b64=old.split()[1], **kw)
    state = sim.read_state(lab.state_dir)
    assert state is not None and state.node("pe1").host_key == new
    assert new in Path(state.known_hosts).read_text()
    with manager.connect(hostkey_verify=True, ssh_config=state.ssh_config, **kw) as m:
        assert m.connected
    lab.ok(op="host-key-rotate", node="acc1")
    client = paramiko.SSHClient()
    client.load_host_keys(str(pinned))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    n = lab.node("acc1")
    with pytest.raises(paramiko.BadHostKeyException):
        client.connect(
            n.address,
            port=n.ssh_port,
            username=n.username,
            password=n.password,
            allow_agent=False,
            look_for_keys=False,
            timeout=10,
        )
    client.close()
    lab.state = state


def test_save_and_restart(faces_lab: Lab) -> None:
    lab = faces_lab
    lab.ok(op="config-edit", node="xr1", lines=["interface GigabitEthernet0/0/0/3", "description saved"])
    lab.ok(op="save", node="xr1")
    lab.ok(op="config-edit", node="xr1", lines=["interface GigabitEthernet0/0/0/3", "description not saved"])
    lab.ok(op="restart", node="xr1")
    shown = lab.ok(op="config-show", node="xr1")
    assert "description saved" in shown["renderings"]["ios"] and "not saved" not in shown["running"]
    assert shown["startup_saved"]


def test_multi_worker_lab_and_host_keys_survive_down_up(tmp_path: Path) -> None:
    topo = small_topology("mwfaces", FACES_TOPOLOGY)
    base = random_base()
    ssh, netconf, eapi_port = free_tcp_ports_on(f"{base}.1", 3)
    ports = {"address_base": base, "ssh_port": ssh, "netconf_port": netconf, "eapi_port": eapi_port}
    lab = start_lab(tmp_path / "mw", topo, workers=2, **ports)
    pids = list(lab.state.worker_pids)
    assert len(pids) == 2
    try:
        keys = {n.name: n.host_key for n in lab.state.nodes}
        with nc(lab) as m:  # pe1 lives in worker 0, r1 (the far end of ethernet-1/2) in worker 1
            m.edit_config(
                target="candidate",
                config=config(interface("ethernet-1/2", kind=None, extra="<enabled>false</enabled>")),
            )
            m.commit()
        c = cli(lab, "r1", "cisco_ios")
        try:
            wait_for(
                lambda: " down " in c.send_command("show interface brief | include eth1"),
                timeout=5,
                what="r1 eth1 (another worker) to lose carrier",
            )
        finally:
            c.disconnect()
        lab.ok(op="host-key-rotate", node="r1")
        rotated = sim.read_state(lab.state_dir)
        assert rotated is not None
        keys["r1"] = rotated.node("r1").host_key
    finally:
        assert sim.stop(lab.state_dir)
    for pid in (lab.state.pid, *pids):
        assert pid_gone(pid)
    again = sim.start(topo, lab.state_dir, snmp_port=lab.state.snmp_port, **ports)
    try:
        assert {n.name: n.host_key for n in again.nodes} == keys  # lab down + up: same keys
    finally:
        sim.stop(lab.state_dir)
