"""Fixtures for the simulated lab (``lab.sim``): labs on a random 127/8 block and a free port,
always stopped again, and small helpers to run Net-SNMP without MIB files."""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import lab.sim as sim
from lab.sim.state import LabState, NodeState
from lab.topology import Topology, load_topology, parse_topology
from tests import helpers

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "lab" / "topologies" / "demo.clab.yml"

needs_netsnmp = pytest.mark.skipif(
    not all(shutil.which(c) for c in ("snmpwalk", "snmpbulkwalk", "snmpget")),
    reason="Net-SNMP tools not installed",
)


def random_base() -> str:
    return f"127.{random.randint(20, 230)}.{random.randint(0, 250)}"


def free_port_on(host: str) -> int:
    """A UDP port that is free on ``host`` right now (devices bind the same port on every address)."""
    for _ in range(50):
        port = random.randint(20000, 60000)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free UDP port found")


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pid_gone(pid: int, timeout: float = 5.0) -> bool:
    """True once ``pid`` no longer exists (a zombie not yet reaped by init counts as gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


def wait_for(check: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def netsnmp(*args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    """A Net-SNMP tool without MIB files (Debian ships none), numeric OIDs."""
    return helpers.netsnmp(list(args), timeout=timeout)


def parse_walk(output: str) -> dict[str, str]:
    """``-On`` output (``.1.3.6... = TYPE: value``) -> {"1.3.6...": "TYPE: value"}."""
    out: dict[str, str] = {}
    last = None
    for line in output.splitlines():
        if line.startswith(".") and " = " in line:
            oid, _, value = line.partition(" = ")
            last = oid.strip().lstrip(".")
            out[last] = value.strip()
        elif last is not None and line.strip():
            out[last] += " " + line.strip()
    return out


def value_of(raw: str) -> str:
    """'STRING: "x"' -> 'x', 'INTEGER: 5' -> '5', 'Counter64: 7' -> '7'."""
    _, _, v = raw.partition(": ")
    v = v.strip()
    if v.startswith('"') and v.endswith('"'):
        v = v[1:-1]
    return v


@dataclass
class Lab:
    state: LabState
    state_dir: Path

    def node(self, name: str) -> NodeState:
        return self.state.node(name)

    def target(self, name: str) -> str:
        n = self.node(name)
        return f"{n.address}:{n.snmp_port}"

    def send(self, timeout: float = 10.0, **cmd: Any) -> dict[str, Any]:
        return sim.send(self.state_dir, cmd, timeout=timeout)

    def ok(self, timeout: float = 10.0, **cmd: Any) -> dict[str, Any]:
        answer = self.send(timeout=timeout, **cmd)
        assert answer["ok"], answer
        return answer

    def v2c(self) -> list[str]:
        return ["-v2c", "-c", self.state.profiles["lab-v2c"]["community"]]

    def v3(self, profile: str = "lab-v3") -> list[str]:
        p = self.state.profiles[profile]
        auth = {"sha": "SHA", "sha256": "SHA-256"}[p["auth_proto"]]
        priv = {"aes": "AES", "aes256": "AES-256"}[p["priv_proto"]]
        return [
            "-v3",
            "-l",
            "authPriv",
            "-u",
            p["user"],
            "-a",
            auth,
            "-A",
            p["auth_key"],
            "-x",
            priv,
            "-X",
            p["priv_key"],
        ]


def start_lab(state_dir: Path, topology: Topology | None = None, **kw: Any) -> Lab:
    topo = topology or load_topology(DEMO)
    base = kw.pop("address_base", None) or random_base()
    port = kw.pop("snmp_port", None) or free_port_on(f"{base}.1")
    state = sim.start(topo, state_dir, address_base=base, snmp_port=port, **kw)
    return Lab(state, state_dir)


def small_topology(name: str, text: str) -> Topology:
    return parse_topology(text.replace("NAME", name))


@pytest.fixture(scope="module")
def demo_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """The demo topology, started once per test module and always stopped."""
    state_dir = tmp_path_factory.mktemp("simlab")
    lab = start_lab(state_dir)
    try:
        yield lab
    finally:
        sim.stop(state_dir)


# ---------------------------------------------------------------------------------------------
# Labs with configuration faces (NETCONF, SSH CLI, eAPI)
# ---------------------------------------------------------------------------------------------

FACES_TOPOLOGY = """
name: NAME
topology:
  defaults:
    labels: {ossagent-ports: "6"}
  nodes:
    acc1: {kind: arista_ceos, image: "ceos:4.32.0F"}
    acc2:
      kind: arista_ceos
      image: "ceos:4.32.0F"
      credentials: {username: ops, password: "0ps-Pass!"}
    pe1: {kind: nokia_srlinux, image: "ghcr.io/nokia/srlinux:24.10.1"}
    pe2:
      kind: nokia_srlinux
      labels: {ossagent-netconf-datastore: running}
    r1: {kind: linux, image: "quay.io/frrouting/frr:8.4.4"}
    xr1: {kind: cisco_xrd}
  links:
    - endpoints: ["acc1:Ethernet1", "pe1:ethernet-1/1"]
    - endpoints: ["pe1:ethernet-1/2", "r1:eth1"]
      ipv4: ["10.0.12.1/30", "10.0.12.2/30"]
    - endpoints: ["r1:eth2", "xr1:Gi0-0-0-0"]
    - endpoints: ["acc2:Ethernet1", "pe2:ethernet-1/1"]
"""


def free_tcp_ports_on(host: str, count: int) -> list[int]:
    """``count`` distinct TCP ports that are free on ``host`` right now."""
    out: list[int] = []
    for _ in range(200):
        port = random.randint(20000, 60000)
        if port in out:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
        out.append(port)
        if len(out) == count:
            return out
    raise RuntimeError("no free TCP ports found")


def start_faces_lab(state_dir: Path, text: str = FACES_TOPOLOGY, **kw: Any) -> Lab:
    """A lab with configuration faces on random high ports of a random 127/8 block."""
    base = kw.pop("address_base", None) or random_base()
    ssh, netconf, eapi = free_tcp_ports_on(f"{base}.1", 3)
    topo = small_topology(f"f{random.randint(0, 10**6)}", text)
    return start_lab(
        state_dir, topo, address_base=base, ssh_port=ssh, netconf_port=netconf, eapi_port=eapi, **kw
    )


@pytest.fixture(scope="module")
def faces_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """:data:`FACES_TOPOLOGY` with faces, started once per test module and always stopped."""
    state_dir = tmp_path_factory.mktemp("faces")
    lab = start_faces_lab(state_dir)
    try:
        yield lab
    finally:
        sim.stop(state_dir)
