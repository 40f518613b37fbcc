"""Fault injection through the control channel, observed the way the agent would observe it:
Net-SNMP reads and notifications decoded by Net-SNMP's snmptrapd (v2c and v3 authPriv)."""

from __future__ import annotations

import re
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import lab.sim as sim
from tests.lab_sim.conftest import Lab, free_udp_port, needs_netsnmp, netsnmp, start_lab, wait_for

pytestmark = [needs_netsnmp, pytest.mark.netsnmp]

LINK_DOWN = ".1.3.6.1.6.3.1.1.5.3"
LINK_UP = ".1.3.6.1.6.3.1.1.5.4"
COLD_START = ".1.3.6.1.6.3.1.1.5.1"
IF_OPER = "1.3.6.1.2.1.2.2.1.8"
IF_ADMIN = "1.3.6.1.2.1.2.2.1.7"
IF_IN_OCTETS = "1.3.6.1.2.1.2.2.1.10"
IF_HC_IN = "1.3.6.1.2.1.31.1.1.1.6"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"


@dataclass
class Trap:
    source: str
    trap_oid: str
    text: str


class TrapLog:
    """Notifications as decoded by snmptrapd (``-Lf`` flushes every line)."""

    def __init__(self, path: Path, port: int):
        self.path = path
        self.port = port

    def traps(self) -> list[Trap]:
        out: list[Trap] = []
        source = ""
        try:
            lines = self.path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return out
        for line in lines:
            m = re.search(r"\[UDP: \[([\d.]+)\]:\d+->", line)
            if m:
                source = m.group(1)
                continue
            m = re.search(r"\.1\.3\.6\.1\.6\.3\.1\.1\.4\.1\.0 = OID: (\S+)", line)
            if m and source:
                out.append(Trap(source, m.group(1), line))
                source = ""
        return out

    def count(self, source: str, trap_oid: str, contains: str = "") -> int:
        return sum(
            1 for t in self.traps() if t.source == source and t.trap_oid == trap_oid and contains in t.text
        )


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    state_dir = tmp_path_factory.mktemp("simctl")
    lab = start_lab(state_dir)
    try:
        yield lab
    finally:
        sim.stop(state_dir)


@pytest.fixture(scope="module")
def traps(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrapLog]:
    """snmptrapd knowing the v3 trap user of every device whose profile is v3, then set as the
    lab's only trap receiver."""
    d = tmp_path_factory.mktemp("trapd")
    p = lab.state.profiles["lab-v3"]
    lines = ["disableAuthorization yes", f"authCommunity log {lab.state.profiles['lab-v2c']['community']}"]
    for node in lab.state.nodes:
        if node.snmp_profile == "lab-v3":
            lines.append(
                f"createUser -e 0x{node.engine_id} {p['user']} SHA {p['auth_key']} AES {p['priv_key']}"
            )
    (d / "snmptrapd.conf").write_text("\n".join(lines) + "\n")
    port = free_udp_port()
    log = d / "traps.log"
    proc = subprocess.Popen(
        [
            "snmptrapd",
            "-f",
            "-Lf",
            str(log),
            "-C",
            "-c",
            str(d / "snmptrapd.conf"),
            "-On",
            f"udp:127.0.0.1:{port}",
        ],
        env={"MIBS": "", "SNMP_PERSISTENT_DIR": str(d), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: log.exists() and "NET-SNMP version" in log.read_text(), what="snmptrapd to start")
        lab.ok(op="receivers", targets=[["127.0.0.1", port]])
        yield TrapLog(log, port)
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def get(lab: Lab, node: str, *oids: str, timeout: float = 2.0) -> list[str]:
    res = netsnmp(
        "snmpget", *lab.v2c(), "-On", "-Oqvt", "-t", str(timeout), "-r", "0", lab.target(node), *oids
    )
    assert res.returncode == 0, res.stderr
    return res.stdout.split("\n")[: len(oids)]


def get_bytes(lab: Lab, node: str, oid: str) -> bytes:
    """An OCTET STRING value exactly, whatever it contains (hex output, over several lines)."""
    res = netsnmp("snmpget", *lab.v2c(), "-On", "-Oqvx", lab.target(node), oid)
    assert res.returncode == 0, res.stderr
    return bytes.fromhex(res.stdout.replace('"', "").replace("\n", " ").replace(" ", ""))


def ifx(lab: Lab, node: str, ifname: str) -> int:
    return lab.node(node).interface(ifname).if_index


def test_cold_start_from_every_device_once_receivers_are_set(lab: Lab, traps: TrapLog) -> None:
    for node in lab.state.nodes:
        address = node.address
        wait_for(lambda: traps.count(address, COLD_START) == 1, what=f"coldStart from {node.name}")  # noqa: B023
    assert any(n.snmp_profile == "lab-v3" for n in lab.state.nodes)  # so v3 decoding was exercised


def test_link_down_takes_both_ends_down_and_both_send_traps(lab: Lab, traps: TrapLog) -> None:
    a, b = ifx(lab, "core1", "Ethernet1"), ifx(lab, "core2", "Ethernet1")
    answer = lab.ok(op="link", node="core1", interface="eth1", state="down")  # the raw clab name
    assert [(x["node"], x["interface"], x["oper"]) for x in answer["interfaces"]] == [
        ("core1", "Ethernet1", "down"),
        ("core2", "Ethernet1", "down"),
    ]
    # The very next read sees it: oper down (2), admin still up (1), like a pulled cable.
    assert get(lab, "core1", f"{IF_OPER}.{a}", f"{IF_ADMIN}.{a}") == ["2", "1"]
    assert get(lab, "core2", f"{IF_OPER}.{b}", f"{IF_ADMIN}.{b}") == ["2", "1"]
    first = get(lab, "core1", f"{IF_HC_IN}.{a}")[0]
    time.sleep(0.3)
    assert get(lab, "core1", f"{IF_HC_IN}.{a}")[0] == first  # counters stop on a down link
    core1, core2 = lab.node("core1").address, lab.node("core2").address  # core2 traps are v3 authPriv
    wait_for(
        lambda: traps.count(core1, LINK_DOWN, f".1.3.6.1.2.1.2.2.1.8.{a} = INTEGER: 2") == 1,
        what="core1 linkDown",
    )
    wait_for(
        lambda: traps.count(core2, LINK_DOWN, f".1.3.6.1.2.1.2.2.1.1.{b} = INTEGER: {b}") == 1,
        what="core2 linkDown",
    )
    assert 'STRING: "Ethernet1"' in next(
        t.text for t in traps.traps() if t.source == core2 and t.trap_oid == LINK_DOWN
    )

    lab.ok(op="link", node="core2", interface="Ethernet1", state="up")
    assert get(lab, "core1", f"{IF_OPER}.{a}") == ["1"] and get(lab, "core2", f"{IF_OPER}.{b}") == ["1"]
    wait_for(
        lambda: traps.count(core1, LINK_UP) == 1 and traps.count(core2, LINK_UP) == 1, what="linkUp traps"
    )
    time.sleep(0.1)
    assert int(get(lab, "core1", f"{IF_HC_IN}.{a}")[0]) > int(first)
    # ifLastChange moved to the (recent) change: less than a few seconds before sysUpTime.
    uptime, last_change = (
        int(re.sub(r"\D", "", v) or 0)
        for v in netsnmp(
            "snmpget", *lab.v2c(), "-On", "-Oqvt", lab.target("core1"), SYS_UPTIME, f"1.3.6.1.2.1.2.2.1.9.{a}"
        ).stdout.split()
    )
    assert 0 <= uptime - last_change < 1000


def test_admin_down_drops_carrier_at_the_far_end(lab: Lab) -> None:
    a, b = ifx(lab, "core1", "Ethernet2"), ifx(lab, "pe1", "ethernet-1/1")
    lab.ok(op="set-interface", node="core1", interface="Ethernet2", admin="down")
    assert get(lab, "core1", f"{IF_ADMIN}.{a}", f"{IF_OPER}.{a}") == ["2", "2"]
    assert get(lab, "pe1", f"{IF_ADMIN}.{b}", f"{IF_OPER}.{b}") == ["1", "2"]
    lab.ok(op="set-interface", node="core1", interface="Ethernet2", admin="up")
    assert get(lab, "pe1", f"{IF_OPER}.{b}") == ["1"] and get(lab, "core1", f"{IF_OPER}.{a}") == ["1"]


def test_hostile_strings_are_served_verbatim(lab: Lab) -> None:
    script = "<script>alert(1)</script>"
    lab.ok(op="set-system", node="acc1", sys_descr=script, sys_location='Zürich ✓ "quoted"')
    lab.ok(op="set-interface", node="acc1", interface="Ethernet1", alias="'; DROP TABLE x; --", descr="d<i>")
    i = ifx(lab, "acc1", "Ethernet1")
    assert get_bytes(lab, "acc1", "1.3.6.1.2.1.1.1.0") == script.encode()
    assert get_bytes(lab, "acc1", "1.3.6.1.2.1.1.6.0") == 'Zürich ✓ "quoted"'.encode()
    assert get_bytes(lab, "acc1", f"1.3.6.1.2.1.31.1.1.1.18.{i}") == b"'; DROP TABLE x; --"
    assert get_bytes(lab, "acc1", f"1.3.6.1.2.1.2.2.1.2.{i}") == b"d<i>"
    show = lab.ok(op="show", node="acc1")
    assert show["sys_descr"] == script
    assert next(x for x in show["interfaces"] if x["name"] == "Ethernet1")["descr"] == "d<i>"


def test_restart_resets_uptime_counters_and_bumps_engine_boots(lab: Lab, traps: TrapLog) -> None:
    i = ifx(lab, "core2", "Ethernet2")
    uptime_before, octets_before = (int(x) for x in get(lab, "core2", SYS_UPTIME, f"{IF_HC_IN}.{i}"))
    boots = netsnmp("snmpget", *lab.v3(), "-On", "-Oqv", lab.target("core2"), "1.3.6.1.6.3.10.2.1.2.0")
    assert boots.stdout.strip() == "1", boots.stderr
    answer = lab.ok(op="restart", node="core2")
    assert answer["engine_boots"] == 2
    uptime_after, octets_after = (int(x) for x in get(lab, "core2", SYS_UPTIME, f"{IF_HC_IN}.{i}"))
    assert uptime_after < 300 < uptime_before  # back to (nearly) zero
    assert octets_after < octets_before and octets_after < 10**10
    # A fresh Net-SNMP process rediscovers the engine and sees the new boots.
    boots = netsnmp("snmpget", *lab.v3(), "-On", "-Oqv", lab.target("core2"), "1.3.6.1.6.3.10.2.1.2.0")
    assert boots.stdout.strip() == "2", boots.stderr
    core2 = lab.node("core2").address
    wait_for(lambda: traps.count(core2, COLD_START) == 2, what="coldStart after restart (v3)")


def test_counter_wrap_32_and_64_bit(lab: Lab) -> None:
    i32, i64 = ifx(lab, "pe1", "ethernet-1/2"), ifx(lab, "pe1", "ethernet-1/3")
    lab.ok(op="counter-wrap", node="pe1", interface="e1-2", bits=32, seconds=2)
    lab.ok(op="counter-wrap", node="pe1", interface="ethernet-1/3", bits=64, seconds=2)
    a32, a64 = (int(x) for x in get(lab, "pe1", f"{IF_IN_OCTETS}.{i32}", f"{IF_HC_IN}.{i64}"))
    assert a32 > 2**31 and a64 > 2**64 - 2**40
    time.sleep(2.5)
    b32, b64 = (int(x) for x in get(lab, "pe1", f"{IF_IN_OCTETS}.{i32}", f"{IF_HC_IN}.{i64}"))
    assert b32 < a32 and b64 < a64  # both wrapped
    err = lab.send(op="counter-wrap", node="pe1", interface="e1-2", bits=16, seconds=2)
    assert not err["ok"] and "bits" in err["error"]


def test_node_down_stops_answering_and_up_answers_again(lab: Lab) -> None:
    lab.ok(op="node", node="acc2", state="down")
    res = netsnmp("snmpget", *lab.v2c(), "-On", "-t", "0.5", "-r", "0", lab.target("acc2"), SYS_UPTIME)
    assert res.returncode != 0 and "Timeout" in res.stderr
    assert lab.ok(op="status")["nodes"]["acc2"]["up"] is False
    lab.ok(op="node", node="acc2", state="up")
    uptime = int(get(lab, "acc2", SYS_UPTIME)[0])
    assert uptime > 100_000  # answering again, not restarted


def test_slow_node_delays_replies(lab: Lab) -> None:
    lab.ok(op="slow", node="acc2", delay_ms=400)
    t0 = time.monotonic()
    get(lab, "acc2", SYS_UPTIME)
    assert time.monotonic() - t0 >= 0.4
    lab.ok(op="slow", node="acc2", delay_ms=0)
    t0 = time.monotonic()
    get(lab, "acc2", SYS_UPTIME)
    assert time.monotonic() - t0 < 0.4


def test_malformed_datagrams_are_counted_and_dropped(lab: Lab) -> None:
    node = lab.node("pe2")
    before = lab.ok(op="status")["nodes"]["pe2"]["malformed"]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for junk in (b"", b"\x30", b"\x30\x03\x02\x01", b"\xff" * 100, b"\x30\x82\xff\xff" + b"\x00" * 10):
            s.sendto(junk, (node.address, node.snmp_port))
    wait_for(lambda: lab.ok(op="status")["nodes"]["pe2"]["malformed"] >= before + 5, what="malformed count")
    assert get(lab, "pe2", "1.3.6.1.2.1.1.5.0") == ['"pe2"']


def test_trap_storm_reaches_a_receiver(lab: Lab, traps: TrapLog) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx:
        rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        rx.bind(("127.0.0.1", 0))
        rx.settimeout(0.5)
        lab.ok(op="receivers", targets=[list(rx.getsockname())])
        try:
            answer = lab.ok(op="trap-storm", rate=400, seconds=1.0, timeout=15)
            assert answer["sent"] == 400
            got = 0
            while True:
                try:
                    rx.recv(65535)
                except TimeoutError:
                    break
                got += 1
            assert got == 400
            one = lab.ok(op="trap-storm", rate=50, seconds=0.2, node="core1")
            assert one["sent"] == 10
        finally:
            lab.ok(op="receivers", targets=[["127.0.0.1", traps.port]])


def test_clear_errors(lab: Lab) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"op": "link", "node": "nope", "interface": "eth1", "state": "down"}, "unknown node 'nope'"),
        (
            {"op": "link", "node": "core1", "interface": "Ethernet99", "state": "down"},
            "no interface 'Ethernet99'",
        ),
        ({"op": "link", "node": "core1", "interface": "Ethernet1", "state": "sideways"}, "'up' or 'down'"),
        ({"op": "receivers", "targets": [["10.0.0.1", 162]]}, "127.0.0.0/8"),
        ({"op": "trap-storm", "rate": -1, "seconds": 1}, "rate"),
        ({"op": "slow", "node": "core1", "delay_ms": "x"}, "delay_ms"),
        ({"op": "frobnicate"}, "unknown op"),
    ]
    for cmd, message in cases:
        answer = lab.send(**cmd)
        assert answer["ok"] is False and message in answer["error"], (cmd, answer)
