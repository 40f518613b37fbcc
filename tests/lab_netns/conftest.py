"""One netns lab per module, brought up through the CLI (``ossagent lab up --engine netns``)
from a copy of ``small.clab.yml`` in a temp folder, with traps sent to a UDP socket of the
test; torn down through the CLI, and checked to leave nothing behind."""

from __future__ import annotations

import json
import shutil
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from agent.cli import cli
from lab import engine as lab_engine
from lab import sim
from lab.netns import check_clean, why_unavailable
from lab.procs import pid_alive

HERE = Path(__file__).resolve().parent
TOPOLOGY = HERE / "small.clab.yml"


def skip_reason() -> str | None:
    return why_unavailable(netconf=True, frr=True, snmp=True)


def run_cli(home: Path, *args: str) -> str:
    """``ossagent ARGS`` with OSSAGENT_HOME=home; fails the test on a non-zero exit."""
    res = CliRunner().invoke(cli, list(args), env={"OSSAGENT_HOME": str(home)}, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.output


@dataclass
class NsLab:
    home: Path  # OSSAGENT_HOME of the lab's CLI calls (lab state under home/lab)
    topology: Path
    state: sim.LabState
    inspect: dict  # type: ignore[type-arg]
    traps: socket.socket  # bound to 0.0.0.0:<trap port> before the lab came up

    @property
    def root(self) -> Path:
        return self.home / "lab"

    def node(self, name: str) -> sim.NodeState:
        return self.state.node(name)

    def inspect_addr(self, node: str, interface: str) -> str:
        """The IPv4 address (without prefix) of a node's link interface, by the file's name."""
        n = next(x for x in self.inspect["nodes"] if x["name"] == node)
        return str(n["link_addresses"][n["ifname_map"][interface]]).split("/")[0]

    def cli(self, *args: str) -> str:
        return run_cli(self.home, *args)


@pytest.fixture(scope="module")
def nslab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NsLab]:
    why = skip_reason()
    if why:
        pytest.skip(f"netns lab unavailable: {why}")
    base = tmp_path_factory.mktemp("nslab")
    topo = base / TOPOLOGY.name
    shutil.copy(TOPOLOGY, topo)
    home = base / "home"
    traps = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # The nodes send to the host side of their management veth: listen on the wildcard.
    traps.bind(("0.0.0.0", 0))
    port = traps.getsockname()[1]
    out = run_cli(
        home, "lab", "up", "-t", str(topo), "--engine", "netns", "--trap-receiver", f"127.0.0.1:{port}"
    )
    state = lab_engine.resolve(home / "lab", "nstest")
    doc = json.loads(run_cli(home, "lab", "inspect", "--name", "nstest", "--format", "json"))
    prefix = doc["prefix"]
    assert prefix and "nstest" in out
    try:
        yield NsLab(home, topo, state, doc, traps)
    finally:
        traps.close()
        try:
            t0 = time.monotonic()
            run_cli(home, "lab", "down", "--name", "nstest")
            print(f"lab down: {time.monotonic() - t0:.1f}s")
        finally:
            assert not pid_alive(state.pid), "the keeper outlived lab down"
            assert check_clean(prefix) == [], check_clean(prefix)
            assert not list((home / "lab" / "nstest").glob("*.json"))
