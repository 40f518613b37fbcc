from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.realpeers import peers as peerlib


@pytest.fixture(scope="session")
def peers() -> Iterator[peerlib.Peers]:
    """netconfd (candidate), netconfd (writable-running) and FRR, each in its own namespace."""
    why = peerlib.skip_reason()
    if why:
        pytest.skip(why)
    p = peerlib.acquire()
    try:
        yield p
    finally:
        peerlib.release()
