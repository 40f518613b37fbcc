"""The socket side of the trap receiver: read datagrams and queue them, nothing else.

Decoding and storage happen later, in other tasks, so a burst never waits on them and the
kernel's socket buffer (enlarged here) is drained as fast as datagrams arrive. When the queue
is full the newest datagram is dropped and counted: loss is visible, never silent.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections import deque
from dataclasses import dataclass, field

RCVBUF_BYTES = 32 * 2**20


@dataclass(frozen=True, slots=True)
class Datagram:
    data: bytes
    source: tuple[str, int]
    received: float  # time.time()


@dataclass
class ReceiverCounters:
    received: int = 0
    queue_dropped: int = 0
    decoded: int = 0
    malformed: int = 0
    rejected: dict[str, int] = field(default_factory=dict)  # reason -> count
    unknown_source: int = 0
    informs_answered: int = 0
    by_version: dict[str, int] = field(default_factory=dict)

    def reject(self, reason: str) -> None:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1

    def as_metrics(self) -> dict[tuple[str, str], float]:
        out: dict[tuple[str, str], float] = {
            ("ossagent_traps_received_total", ""): self.received,
            ("ossagent_traps_queue_dropped_total", ""): self.queue_dropped,
            ("ossagent_traps_decoded_total", ""): self.decoded,
            ("ossagent_traps_malformed_total", ""): self.malformed,
            ("ossagent_traps_unknown_source_total", ""): self.unknown_source,
            ("ossagent_informs_answered_total", ""): self.informs_answered,
        }
        for reason, n in self.rejected.items():
            out[("ossagent_traps_rejected_total", f'reason="{reason}"')] = n
        for version, n in self.by_version.items():
            out[("ossagent_traps_decoded_by_version_total", f'version="{version}"')] = n
        return out


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, receiver: TrapReceiver) -> None:
        self.r = receiver

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        r = self.r
        r.counters.received += 1
        if len(r.queue) >= r.max_queue:
            r.counters.queue_dropped += 1
            return
        r.queue.append(Datagram(data, (addr[0], addr[1]), time.time()))
        r.ready.set()

    def error_received(self, exc: Exception) -> None:
        # ICMP errors for informs we answered to a vanished sender: nothing to do.
        pass


class TrapReceiver:
    def __init__(self, host: str, port: int, max_queue: int = 100_000) -> None:
        self.host = host
        self.port = port
        self.max_queue = max_queue
        self.queue: deque[Datagram] = deque()
        self.ready = asyncio.Event()
        self.counters = ReceiverCounters()
        self.transport: asyncio.DatagramTransport | None = None

    async def start(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF_BYTES)
        # SO_RCVBUFFORCE (root) goes past net.core.rmem_max; as a user we get what we get.
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, 33, RCVBUF_BYTES)
        sock.bind((self.host, self.port))
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(self), sock=sock)
        self.transport = transport

    def send(self, data: bytes, addr: tuple[str, int]) -> None:
        """Answer an inform (a Response PDU) from the receiving socket."""
        if self.transport is not None:
            self.transport.sendto(data, addr)

    def take(self, n: int) -> list[Datagram]:
        out: list[Datagram] = []
        q = self.queue
        while q and len(out) < n:
            out.append(q.popleft())
        if not q:
            self.ready.clear()
        return out

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
            self.transport = None
