"""The UDP side: many simulated devices in one asyncio loop, one datagram socket per device.

Sockets are plain non-blocking sockets registered with ``loop.add_reader``; each readiness
callback drains a batch of datagrams, which costs far less per packet than asyncio's datagram
transports. A packet that fails to decode is counted and dropped; any other error is logged
(rate-limited) and counted, so nothing a packet contains can stop the loop.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import sys
import time
from collections.abc import Iterable, Sequence

from collectors.snmp.wire.ber import BERError
from lab.sim.agent import Responder
from lab.sim.device import check_loopback
from lab.sim.node import Notification, SimNode

log = logging.getLogger(__name__)

SOCKET_BUFFER = 4 * 1024 * 1024
_BATCH = 64  # datagrams read per readiness callback before yielding to other sockets
_MAX_DATAGRAM = 65535
# Linux values; the socket module does not export them.
_SO_SNDBUFFORCE = 32
_SO_RCVBUFFORCE = 33


class BindError(OSError):
    """A device address could not be bound (taken, or not a loopback address)."""


class SimServer:
    """Serves the SNMP agents of ``nodes`` and sends their notifications."""

    def __init__(self, nodes: Sequence[SimNode], responder: Responder):
        self.nodes = list(nodes)
        self.responder = responder
        self.receivers: list[tuple[str, int]] = []
        self.socks: dict[str, socket.socket] = {}
        self.send_errors = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_error_log = 0.0

    # -- lifecycle ----------------------------------------------------------------------------

    def bind(self) -> None:
        """Bind every device socket, or none: on failure the ones already bound are closed."""
        try:
            for node in self.nodes:
                self.socks[node.model.name] = self._bind_one(node.model.address, node.model.snmp_port)
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _bind_one(host: str, port: int) -> socket.socket:
        check_loopback(host)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            # No SO_REUSEADDR: a second lab on the same address must fail, not share the port.
            for opt, force in ((socket.SO_RCVBUF, _SO_RCVBUFFORCE), (socket.SO_SNDBUF, _SO_SNDBUFFORCE)):
                # As root the *FORCE variants go past net.core.rmem_max/wmem_max; otherwise the
                # kernel silently caps the request, which is fine too.
                if os.geteuid() == 0 and sys.platform == "linux":
                    try:
                        sock.setsockopt(socket.SOL_SOCKET, force, SOCKET_BUFFER)
                        continue
                    except OSError as exc:
                        log.debug("SO_*BUFFORCE refused (%s); using the capped option", exc)
                sock.setsockopt(socket.SOL_SOCKET, opt, SOCKET_BUFFER)
            sock.setblocking(False)
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            reason = "the address is already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
            raise BindError(exc.errno, f"cannot bind UDP {host}:{port}: {reason}") from exc
        return sock

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        for node in self.nodes:
            sock = self.socks[node.model.name]
            loop.add_reader(sock.fileno(), self._readable, sock, node)

    def close(self) -> None:
        for sock in self.socks.values():
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(sock.fileno())
            sock.close()
        self.socks.clear()

    # -- requests -----------------------------------------------------------------------------

    def _readable(self, sock: socket.socket, node: SimNode) -> None:
        handle = self.responder.handle
        for _ in range(_BATCH):
            try:
                data, addr = sock.recvfrom(_MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self._log_error(f"{node.model.name}: recvfrom failed: {exc}")
                return
            if not node.up:
                node.stats.dropped += 1
                continue
            now = time.monotonic()
            try:
                reply = handle(node, data, now)
            except BERError:
                node.stats.malformed += 1
                continue
            except Exception:
                # A bug, not a bad packet: keep serving, but make it visible.
                node.stats.errors += 1
                self._log_error(f"{node.model.name}: internal error answering {addr}", exc_info=True)
                continue
            if reply is None:
                continue
            if node.slow_ms and self._loop is not None:
                self._loop.call_later(node.slow_ms / 1000.0, self._send, sock, reply, addr)
            else:
                self._send(sock, reply, addr)

    def _send(self, sock: socket.socket, data: bytes, addr: tuple[str, int]) -> None:
        try:
            sock.sendto(data, addr)
        except OSError:
            # UDP: a full buffer or a vanished peer loses this datagram, as on a real network.
            self.send_errors += 1

    def _log_error(self, msg: str, exc_info: bool = False) -> None:
        now = time.monotonic()
        if now - self._last_error_log >= 1.0:
            self._last_error_log = now
            log.error(msg, exc_info=exc_info)

    # -- notifications ------------------------------------------------------------------------

    def notify(self, node: SimNode, notes: Iterable[Notification], now: float | None = None) -> int:
        """Send notifications from ``node`` to every receiver; returns datagrams sent.

        A down node sends nothing. The device's own socket is the source, so a receiver sees the
        device's address.
        """
        if not node.up or not self.receivers:
            return 0
        sock = self.socks.get(node.model.name)
        if sock is None:
            return 0
        t = time.monotonic() if now is None else now
        sent = 0
        for note in notes:
            msg = node.encode_notification(note, t)
            for target in self.receivers:
                try:
                    sock.sendto(msg, target)
                    sent += 1
                except OSError:
                    self.send_errors += 1
        node.stats.traps_sent += sent
        return sent

    def set_receivers(self, targets: Iterable[tuple[str, int]]) -> None:
        out = []
        for host, port in targets:
            check_loopback(host)
            if not 1 <= int(port) <= 65535:
                raise ValueError(f"receiver port {port} out of range")
            out.append((host, int(port)))
        self.receivers = out
