"""lab.netns itself: nodes come up in their own namespaces and UTS names, and nothing is left
behind afterwards, also when the owning process was killed."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from lab.netns import (
    FrrService,
    NetconfService,
    NetnsLab,
    SnmpService,
    check_clean,
    configs,
    reap_stale,
    why_unavailable,
)
from lab.netns.system import netns_list, user_exists
from lab.procs import pid_alive

ROOT = Path(__file__).resolve().parents[2]


def _need_lab() -> None:
    why = why_unavailable()
    if why:
        pytest.skip(why)


# ------------------------------------------------------------------ pure config text (no root)
def test_sshd_config_serves_vtysh_and_netconf_on_their_ports(tmp_path: Path) -> None:
    text = configs.sshd_config(
        listen="10.1.2.2",
        host_key=tmp_path / "key",
        pid_file=tmp_path / "sshd.pid",
        user="labu",
        vtysh_port=22,
        netconf_port=830,
        ncxserver_sock=tmp_path / "nc.sock",
        vty_dir=tmp_path,
    )
    assert "Port 22\nPort 830\n" in text
    assert (
        f'Subsystem netconf "/usr/sbin/netconf-subsystem --ncxserver-sockname=830@{tmp_path}/nc.sock"' in text
    )
    assert text.rstrip().endswith(
        f"ForceCommand /usr/bin/vtysh --vty_socket {tmp_path} --config_dir {tmp_path}"
    )
    assert "AllowUsers labu" in text and "PermitRootLogin no" in text


def test_frr_daemons_never_read_etc_frr(tmp_path: Path) -> None:
    args = configs.frr_daemon_args("staticd", tmp_path)
    assert args[args.index("-f") + 1] == "/dev/null"
    assert args[args.index("-i") + 1] == str(tmp_path / "staticd.pid")
    assert args[args.index("--vty_socket") + 1] == str(tmp_path)


def test_netconfd_gets_its_own_socket_and_mode(tmp_path: Path) -> None:
    args = configs.netconfd_args(
        user="u",
        startup=tmp_path / "s.xml",
        sock=tmp_path / "x.sock",
        log=tmp_path / "l",
        target="running",
        with_startup=True,
    )
    assert f"--ncxserver-sockname={tmp_path / 'x.sock'}" in args
    assert "--target=running" in args and "--with-startup=true" in args


def test_prefix_must_fit_interface_names() -> None:
    with pytest.raises(ValueError):
        NetnsLab(prefix="much-too-long-prefix")


# ------------------------------------------------------------------ real namespaces (root)
@pytest.mark.netns
@pytest.mark.timeout(60)
def test_lab_lifecycle_leaves_nothing_behind() -> None:
    _need_lab()
    host_name = socket.gethostname()
    lab = NetnsLab().start()
    try:
        node = lab.add_node("r9", netconf=NetconfService(), frr=FrrService(), hostname="r9")
        peer = lab.add_node("r8", frr=FrrService(daemons=("zebra", "staticd", "bgpd")))
        (a_if, a_ip), (b_if, b_ip) = lab.link("r9", "r8")
        assert node.exec("hostname").stdout.strip() == "r9"  # its own UTS namespace...
        assert socket.gethostname() == host_name  # ...and the host's name is untouched
        assert "hostname r9" in node.vtysh("show running-config")
        assert a_ip.split("/")[0] in node.exec("ip", "-4", "-o", "addr", "show", "dev", a_if).stdout
        assert b_ip.split("/")[0] in peer.exec("ip", "-4", "-o", "addr", "show", "dev", b_if).stdout
        assert (peer.dir / "bgpd.vty").exists()
        peer.vtysh(
            "configure terminal", "router bgp 65008", "neighbor " + a_ip.split("/")[0] + " remote-as 65009"
        )
        assert "router bgp 65008" in peer.vtysh("show running-config")
        for port in (22, 830):
            with socket.create_connection((node.address, port), timeout=2) as s:
                assert s.recv(64).startswith(b"SSH-2.0-")
        pids = [int(p.read_text()) for p in node.dir.glob("*.pid")]
        assert len(pids) >= 5  # uts holder, zebra, staticd, netconfd, sshd
        assert lab.username and user_exists(lab.username)
        lab_dir = lab.dir
    finally:
        left = lab.stop(check=False)
    assert left == []
    assert check_clean(lab.prefix) == []
    assert not any(pid_alive(p) for p in pids)
    assert not user_exists(lab.username)
    assert not lab_dir.exists()


@pytest.mark.netns
@pytest.mark.timeout(60)
def test_a_killed_run_is_reaped_by_the_next_one(tmp_path: Path) -> None:
    _need_lab()
    registry = tmp_path / "registry"
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from lab.netns import NetnsLab, NetconfService
        lab = NetnsLab(registry=Path({str(registry)!r})).start()
        lab.add_node("n1", netconf=NetconfService())
        print(lab.prefix, flush=True)
        time.sleep(120)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        prefix = proc.stdout.readline().strip()
        assert prefix, "the lab process did not start its lab"
        assert f"{prefix}-n1" in netns_list()
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # no teardown runs: a crashed test run
        proc.wait()
    assert check_clean(prefix), "the killed run should have left its lab"
    t0 = time.monotonic()
    assert prefix in reap_stale(registry)
    assert time.monotonic() - t0 < 15
    assert check_clean(prefix) == []
    assert not list(registry.glob("*.json"))


@pytest.mark.netns
@pytest.mark.timeout(60)
def test_snmpd_and_named_links_and_deferred_services() -> None:
    """snmpd in a node (v2c from the host, IF-MIB from the namespace's real interfaces), link
    names chosen by the caller, and services started after the links."""
    if why_unavailable(snmp=True):
        pytest.skip(str(why_unavailable(snmp=True)))
    if not shutil.which("snmpget"):
        pytest.skip("Net-SNMP tools (snmpget) not installed")
    lab = NetnsLab().start()
    try:
        a = lab.add_node("a", snmp=SnmpService(communities=("lab-c",), agentx=False), spare_interfaces=0)
        lab.add_node("b", frr=FrrService(), spare_interfaces=0, defer_services=True)
        (ia, _), (ib, _) = lab.link("a", "b", "Ethernet1", "e1-1")
        assert (ia, ib) == ("Ethernet1", "e1-1")
        b = lab.start_services("b", frr_config="hostname b\nservice integrated-vtysh-config\n")
        assert "hostname b" in b.vtysh("show running-config")
        env = {"PATH": "/usr/bin:/bin", "MIBS": ""}
        out: list[str] = []
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and len(out) < 3:
            # a's snmpd started before the link: its ifTable cache (~3 s) shows it a bit later.
            res = subprocess.run(
                ["snmpwalk", "-v2c", "-c", "lab-c", "-Oqv", a.address, "1.3.6.1.2.1.31.1.1.1.1"],
                capture_output=True, text=True, env=env, timeout=10,
            )  # fmt: skip
            out = [x.strip('"') for x in res.stdout.split()]
            time.sleep(0.2)
        assert out == ["lo", "mgmt0", "Ethernet1"]
    finally:
        left = lab.stop(check=False)
    assert left == [] and check_clean(lab.prefix) == []
