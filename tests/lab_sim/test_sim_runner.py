"""The lab process: start/stop/send/read_state, state.json, failures that leave nothing behind,
several workers, and a foreground lab."""

from __future__ import annotations

import json
import os
import socket
import stat
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import lab.sim as sim
from lab.sim import probe
from lab.sim.state import LabState
from tests.lab_sim.conftest import (
    free_port_on,
    pid_gone,
    random_base,
    small_topology,
    start_lab,
    wait_for,
)

CHAIN = """
name: NAME
topology:
  defaults: {labels: {ossagent-ports: "4"}}
  nodes:
    r1: {kind: arista_ceos}
    r2: {kind: arista_ceos}
    r3: {kind: nokia_srlinux, labels: {ossagent-snmp-profile: lab-v3-sha256}}
    r4: {kind: linux}
  links:
    - endpoints: ["r1:eth1", "r2:eth1"]
    - endpoints: ["r2:eth2", "r3:e1-1"]
    - endpoints: ["r3:e1-2", "r4:eth1"]
"""


@pytest.fixture(autouse=True)
def _stop_leftovers(tmp_path: Path) -> Iterator[None]:
    """Whatever a test started under its tmp_path is stopped, also when an assertion failed."""
    yield
    for state in tmp_path.glob("*/lab.pid"):
        sim.stop(state.parent)


def _lab_processes(state_dir: Path) -> list[int]:
    """PIDs of live processes whose command line names ``state_dir``."""
    found = []
    needle = str(state_dir).encode()
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            if needle in (p / "cmdline").read_bytes() and not pid_gone(int(p.name), timeout=0):
                found.append(int(p.name))
        except OSError:
            continue
    return found


def test_state_file_and_stop_leaves_nothing(tmp_path: Path) -> None:
    state_dir = tmp_path / "s"
    lab = start_lab(state_dir, small_topology(f"t{uuid.uuid4().hex[:6]}", CHAIN))
    st = lab.state
    assert st.engine == "sim" and st.name.startswith("t") and st.pid != os.getpid()
    assert st.profiles["lab-v2c"] == {"version": "v2c", "community": "public"}
    assert st.profiles["lab-v3"]["user"] == "ossim" and st.profiles["lab-v3"]["priv_proto"] == "aes"
    assert st.profiles["lab-v3-sha256"]["auth_proto"] == "sha256"
    r3 = st.node("r3")
    assert r3.snmp_profile == "lab-v3-sha256" and r3.platform == "srlinux" and r3.kind == "nokia_srlinux"
    assert r3.interface("ethernet-1/1").peer == "r2:Ethernet2"
    assert bytes.fromhex(r3.engine_id)[:4] == (0x80000000 | 6527).to_bytes(4, "big")
    assert st.started.endswith("Z") and len({n.address for n in st.nodes}) == 4
    # state.json round-trips, and the secrets in it are private, like the control socket.
    on_disk = (state_dir / "state.json").read_text()
    assert LabState.from_json(on_disk) == st and json.loads(on_disk)["nodes"][0]["interfaces"]
    assert stat.S_IMODE((state_dir / "state.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((state_dir / "control.sock").stat().st_mode) == 0o600
    assert sim.read_state(state_dir) == st
    with pytest.raises(sim.LabError, match="already running"):
        sim.start(
            small_topology("other", CHAIN), state_dir, address_base=random_base(), snmp_port=st.snmp_port
        )

    assert sim.stop(state_dir) is True
    assert pid_gone(st.pid)
    assert sim.read_state(state_dir) is None
    assert not (state_dir / "control.sock").exists() and not (state_dir / "state.json").exists()
    assert _lab_processes(state_dir) == []
    with pytest.raises(TimeoutError):
        probe.get(r3.address, r3.snmp_port, "public", probe.SYS_UPTIME_0, timeout=0.3)
    assert sim.stop(state_dir) is False
    with pytest.raises(sim.LabError, match="no lab is running"):
        sim.send(state_dir, {"op": "status"})


def test_port_taken_fails_clearly_and_leaves_no_process(tmp_path: Path) -> None:
    base = random_base()
    port = free_port_on(f"{base}.3")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind((f"{base}.3", port))
        with pytest.raises(sim.LabError, match=rf"{base}\.3:{port}.*already in use"):
            sim.start(small_topology("busy", CHAIN), tmp_path / "s", address_base=base, snmp_port=port)
    assert _lab_processes(tmp_path / "s") == []
    assert sim.read_state(tmp_path / "s") is None


def test_bad_topology_fails_before_starting(tmp_path: Path) -> None:
    topo = small_topology("bad", CHAIN.replace("lab-v3-sha256", "lab-v9"))
    with pytest.raises(sim.LabError, match="lab-v9"):
        sim.start(topo, tmp_path / "s", address_base=random_base(), snmp_port=20161)
    with pytest.raises(sim.LabError, match="127"):
        sim.start(small_topology("bad2", CHAIN), tmp_path / "s", address_base="10.1.2", snmp_port=20161)
    with pytest.raises(sim.LabError, match=r"127\.0\.0\.0/8"):
        sim.start(small_topology("bad3", CHAIN), tmp_path / "s", trap_receivers=[("192.0.2.1", 162)])
    assert _lab_processes(tmp_path / "s") == []


def test_default_port_follows_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSSAGENT_LAB_SNMP_PORT", "17777")
    assert sim.default_snmp_port() == 17777
    monkeypatch.delenv("OSSAGENT_LAB_SNMP_PORT")
    assert sim.default_snmp_port() == (161 if os.geteuid() == 0 else 16100)
    monkeypatch.setenv("OSSAGENT_LAB_COMMUNITY", "s3cret")
    assert sim.lab_profiles()["lab-v2c"]["community"] == "s3cret"


def test_two_workers_route_ops_and_stop_cleanly(tmp_path: Path) -> None:
    state_dir = tmp_path / "w"
    lab = start_lab(state_dir, small_topology("workers", CHAIN), workers=2)
    try:
        st = lab.state
        assert st.workers == 2 and len(st.worker_pids) == 2
        # r2 (first worker) - r3 (second worker): both ends go down.
        answer = lab.ok(op="link", node="r2", interface="Ethernet2", state="down")
        assert [(x["node"], x["oper"]) for x in answer["interfaces"]] == [("r2", "down"), ("r3", "down")]
        r3 = st.node("r3")
        oper = probe.get(
            r3.address,
            r3.snmp_port,
            "public",
            (1, 3, 6, 1, 2, 1, 2, 2, 1, 8, r3.interface("ethernet-1/1").if_index),
        )
        assert oper[0].value == 2
        status = lab.ok(op="status")
        assert list(status["nodes"]) == ["r1", "r2", "r3", "r4"]
        walked = probe.walk(r3.address, r3.snmp_port, "public", (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1))
        assert [v.value for _, v in walked] == [i.name.encode() for i in r3.interfaces]
    finally:
        assert sim.stop(state_dir)
    for pid in (st.pid, *st.worker_pids):
        assert pid_gone(pid), pid
    assert _lab_processes(state_dir) == []


def test_foreground_lab_serves_until_stopped(tmp_path: Path) -> None:
    name = f"fg{uuid.uuid4().hex[:8]}"
    topo = small_topology(name, CHAIN)
    base = sim.default_address_base(name)
    port = free_port_on(f"{base}.1")
    state_dir = tmp_path / "fg"
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["state"] = sim.start(topo, state_dir, snmp_port=port, foreground=True)
        except Exception as exc:  # reported by the assertions below
            result["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    try:
        wait_for(lambda: sim.read_state(state_dir) is not None or "error" in result, what="foreground lab")
        assert "error" not in result, result
        st = sim.read_state(state_dir)
        assert st is not None and st.pid == os.getpid() and st.address_base == base
        r1 = st.node("r1")
        assert probe.get(r1.address, r1.snmp_port, "public", (1, 3, 6, 1, 2, 1, 1, 5, 0))[0].value == b"r1"
        assert sim.send(state_dir, {"op": "status"})["ok"]
    finally:
        assert sim.stop(state_dir) is True
        t.join(10)
    assert not t.is_alive()
    assert isinstance(result.get("state"), LabState)
    assert sim.read_state(state_dir) is None
