from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers import random_loopback_base
from tests.provisioners import simpeers
from tests.realpeers import peers as peerlib


@pytest.fixture(scope="session")
def netns_peers() -> Iterator[peerlib.Peers]:
    """netconfd (candidate, writable-running) and FRR in namespaces; shared with tests/realpeers."""
    why = peerlib.skip_reason()
    if why:
        pytest.skip(why)
    p = peerlib.acquire()
    try:
        yield p
    finally:
        peerlib.release()


@pytest.fixture(scope="session")
def sim_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The simulated lab of contract.clab.yml (one node per face and dialect)."""
    why = simpeers.sim_faces_missing()
    if why:
        pytest.skip(why)
    import lab.sim as sim
    from lab.topology import load_topology

    state_dir = tmp_path_factory.mktemp("provisioners-sim")
    # A random 127/8 block: parallel runs (and other suites) never fight over addresses.
    state = sim.start(load_topology(simpeers.SIM_TOPOLOGY), state_dir, address_base=random_loopback_base())
    try:
        yield state
    finally:
        sim.stop(state_dir)
