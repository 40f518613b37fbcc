"""A simulated demo lab for end-to-end tests: a copy of the demo topology in a temp folder
(so the containerlab artifacts land there), a random 127/8 block and port, and traps sent to
a receiver port chosen per run."""

from __future__ import annotations

import contextlib
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent.importers import credentials_from_mapping
from lab import engine as lab_engine
from lab import sim
from tests.helpers import free_udp_port, pid_alive, random_loopback_base


@dataclass
class SimLab:
    state: sim.LabState
    root: Path  # lab state folder
    topology: Path
    trap_port: int

    def fault(self, **cmd: object) -> dict[str, object]:
        return lab_engine.fault(self.root, dict(cmd), self.state.name)

    def node(self, name: str) -> sim.NodeState:
        return next(n for n in self.state.nodes if n.name == name)


def start_lab(tmp: Path, topology: Path = lab_engine.DEFAULT_TOPOLOGY) -> SimLab:
    topo = tmp / topology.name
    shutil.copy(topology, topo)
    root = tmp / "labstate"
    trap_port = free_udp_port()
    last: Exception | None = None
    for _ in range(5):
        try:
            state = lab_engine.up(
                topo, root, address_base=random_loopback_base(), snmp_port=random.randint(20000, 60000),
                trap_receivers=[("127.0.0.1", trap_port)],
            )  # fmt: skip
            return SimLab(state, root, topo, trap_port)
        except sim.LabError as exc:  # a port taken by chance: try another block
            last = exc
    raise RuntimeError(f"could not start the sim lab: {last}")


def stop_lab(lab: SimLab) -> None:
    pid = lab.state.pid
    with contextlib.suppress(lab_engine.LabError):
        lab_engine.down(lab.root, lab.state.name)
    assert not pid_alive(pid), "the sim lab process outlived lab down"


@pytest.fixture(scope="module")
def sim_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimLab]:
    lab = start_lab(tmp_path_factory.mktemp("simlab"))
    try:
        yield lab
    finally:
        stop_lab(lab)


def lab_inventory(lab: SimLab) -> tuple[list, dict]:  # type: ignore[type-arg]
    hosts, profiles = lab_engine.hosts(lab.state)
    return hosts, {n: credentials_from_mapping(p, n) for n, p in profiles.items()}
