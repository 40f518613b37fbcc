"""netmiko against the simulated SSH CLIs: ``arista_eos`` on EOS-like nodes and ``cisco_ios`` on
the FRR stand-in, with host keys checked against the lab's known_hosts file."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import paramiko
import pytest
from netmiko import ConfigInvalidException, ConnectHandler
from netmiko.exceptions import NetmikoAuthenticationException

from tests.lab_sim.conftest import Lab, wait_for


def connect(lab: Lab, node: str, device_type: str, **kw: Any) -> Any:
    n = lab.node(node)
    args: dict[str, Any] = {
        "device_type": device_type,
        "host": n.address,
        "port": n.ssh_port,
        "username": n.username,
        "password": n.password,
        "ssh_strict": True,  # paramiko RejectPolicy: an unknown or changed key is refused
        "system_host_keys": False,
        "alt_host_keys": True,
        "alt_key_file": lab.state.known_hosts,
        "use_keys": False,
        "allow_agent": False,
        "conn_timeout": 10,
    }
    args.update(kw)
    return ConnectHandler(**args)


@pytest.fixture
def eos(faces_lab: Lab) -> Iterator[Any]:
    c = connect(faces_lab, "acc1", "arista_eos")
    try:
        yield c
    finally:
        c.disconnect()


def test_eos_config_read_back_and_save(eos: Any) -> None:
    assert eos.find_prompt() == "acc1>"
    eos.enable()
    assert eos.find_prompt() == "acc1#"
    eos.send_config_set(
        [
            "policy-map CUST-42-100M",
            "police rate 100 mbps",
            "interface Ethernet3",
            "description CUST-42 access",
            "interface Ethernet3.100",
            "description SVC-1001 internet",
            "encapsulation dot1q vlan 100",
            "ip address 192.0.2.1/30",
            "service-policy input CUST-42-100M",
            "ip route 203.0.113.0/24 192.0.2.2",
        ],
        error_pattern=r"^% ",
    )
    run = eos.send_command("show running-config")
    assert "policy-map CUST-42-100M\n   police rate 100 mbps\n!" in run
    assert (
        "interface Ethernet3.100\n   description SVC-1001 internet\n   encapsulation dot1q vlan 100\n"
        "   ip address 192.0.2.1/30\n   service-policy input CUST-42-100M\n!"
    ) in run
    assert "ip route 203.0.113.0/24 192.0.2.2\n" in run
    assert run.rstrip().endswith("end")
    sec = eos.send_command("show running-config section Ethernet3.100")
    assert sec.startswith("interface Ethernet3.100") and "hostname" not in sec
    assert "CUST-42 access" in eos.send_command("show interfaces description")
    assert "CUST-42-100M" not in eos.send_command("show startup-config")
    assert "Copy completed successfully" in eos.save_config()
    assert "service-policy input CUST-42-100M" in eos.send_command("show startup-config")
    with pytest.raises(ConfigInvalidException):
        eos.send_config_set(["interface Ethernet3", "frobnicate the widget"], error_pattern=r"% Invalid")
    with pytest.raises(ConfigInvalidException):  # refused by validation: the policer does not exist
        eos.send_config_set(["interface Ethernet3.100", "service-policy output NOPE"], error_pattern=r"^% ")
    assert "service-policy output" not in eos.send_command("show running-config")


def test_eos_config_session_commit_timer_reverts(faces_lab: Lab, eos: Any) -> None:
    eos.enable()
    eos.config_mode(config_command="configure session timer1")
    assert eos.find_prompt() == "acc1(config-s-timer1)#"
    eos.send_config_set(
        ["interface Ethernet4", "description on a timer"], enter_config_mode=False, exit_config_mode=False
    )
    diff = eos.send_command("show session-config diffs")
    assert "+   description on a timer" in diff
    assert "on a timer" not in eos.send_command("show running-config")
    eos.send_command("commit timer 00:00:02", expect_string=r"acc1#")
    assert "on a timer" in eos.send_command("show running-config")
    state = faces_lab.ok(op="config-show", node="acc1")
    assert state["pending_confirm"]["owner"] == "eos:timer1"
    wait_for(
        lambda: "on a timer" not in eos.send_command("show running-config"), timeout=8, what="the revert"
    )
    sessions = eos.send_command("show configuration sessions detail | json")
    assert '"timer1"' in sessions and '"aborted"' in sessions
    # the same with a confirmation in time: the change stays
    eos.config_mode(config_command="configure session timer2")
    eos.send_config_set(
        ["interface Ethernet4", "description confirmed"], enter_config_mode=False, exit_config_mode=False
    )
    eos.send_command("commit timer 00:01:00", expect_string=r"acc1#")
    eos.send_command("configure session timer2 commit", expect_string=r"acc1#")
    assert faces_lab.ok(op="config-show", node="acc1")["pending_confirm"] is None
    assert "description confirmed" in eos.send_command("show running-config section Ethernet4")


def test_ios_frr_config_read_back_and_save(faces_lab: Lab) -> None:
    c = connect(faces_lab, "r1", "cisco_ios")
    try:
        assert c.find_prompt() == "r1#"  # vtysh starts privileged
        c.enable()  # harmless
        c.send_config_set(
            [
                "interface eth3",
                "description to customer 7",
                "ip address 10.9.9.1/30",
                "exit",
                "ip route 192.0.2.0/24 Null0",
            ],
            error_pattern=r"^% ",
        )
        run = c.send_command("show running-config")
        assert run.startswith("frr version 8.4.4\nfrr defaults traditional\nhostname r1\n!")
        assert "interface eth3\n description to customer 7\n ip address 10.9.9.1/30\nexit\n!" in run
        assert "interface eth1\n description to pe1 ethernet-1/2\n ip address 10.0.12.2/30\nexit" in run
        assert "ip route 192.0.2.0/24 Null0\n" in run
        out = c.save_config()
        assert "Building Configuration..." in out and "[OK]" in out
        assert "description to customer 7" in c.send_command("show startup-config")
        with pytest.raises(ConfigInvalidException):
            c.send_config_set(["policy-map CUST-1"], error_pattern=r"% Unknown command")
    finally:
        c.disconnect()


def test_xrd_has_an_ios_cli_too(faces_lab: Lab) -> None:
    c = connect(faces_lab, "xr1", "cisco_ios")
    try:
        c.send_config_set(["interface GigabitEthernet0/0/0/2", "description via cli"], error_pattern=r"^% ")
        assert "description via cli" in c.send_command("show running-config")
    finally:
        c.disconnect()


def test_exec_command_and_wrong_password(faces_lab: Lab) -> None:
    n = faces_lab.node("acc1")
    client = paramiko.SSHClient()
    client.load_host_keys(faces_lab.state.known_hosts)
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(
        n.address,
        port=n.ssh_port,
        username=n.username,
        password=n.password,
        allow_agent=False,
        look_for_keys=False,
        timeout=10,
    )
    try:
        _, stdout, _ = client.exec_command("show hostname | json")
        assert '"hostname": "acc1"' in stdout.read().decode()
    finally:
        client.close()
    start = time.monotonic()
    with pytest.raises(NetmikoAuthenticationException):
        connect(faces_lab, "acc1", "arista_eos", password="wrong")
    assert time.monotonic() - start < 30
