"""The configuration faces of a shard's devices: their listening sockets and servers.

Sockets are bound synchronously (:meth:`Faces.bind`) together with the SNMP sockets, so a port
that is taken fails the lab start with a clear message; the servers start on the event loop
(:meth:`Faces.start`). An idle face is one listening socket and no task.
"""

from __future__ import annotations

import contextlib
import errno
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from lab.sim import hostkeys, sshd
from lab.sim.device import check_loopback
from lab.sim.eapi.server import EapiServer
from lab.sim.runtime import Device
from lab.sim.server import BindError

ROOT_PORTS = {"ssh": 22, "netconf": 830, "eapi": 80}
USER_PORTS = {"ssh": 2200, "netconf": 8300, "eapi": 8080}


@dataclass(frozen=True)
class FacePorts:
    ssh: int
    netconf: int
    eapi: int


def _bind_tcp(host: str, port: int) -> socket.socket:
    check_loopback(host)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        # SO_REUSEADDR only skips TIME_WAIT after a restart: Linux still refuses a second
        # listener on the same address and port, so two labs cannot share a device address.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(64)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        reason = "the address is already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
        raise BindError(exc.errno, f"cannot bind TCP {host}:{port}: {reason}") from exc
    return sock


class Faces:
    def __init__(self, devices: Sequence[Device], state_dir: Path):
        self.devices = list(devices)
        self.state_dir = state_dir
        self.socks: dict[tuple[str, str], socket.socket] = {}
        self.ssh: dict[tuple[str, str], asyncssh.SSHAcceptor] = {}
        self.eapi: dict[str, EapiServer] = {}

    def bind(self) -> None:
        """Bind every face socket, or none."""
        try:
            for dev in self.devices:
                dev.host_key = hostkeys.load_host_key(self.state_dir, dev.name)
                dev.host_key_text = hostkeys.public_text(dev.host_key)
                for face, port in self._wanted(dev):
                    self.socks[(dev.name, face)] = _bind_tcp(dev.model.address, port)
        except BaseException:
            self._close_socks()
            raise

    @staticmethod
    def _wanted(dev: Device) -> list[tuple[str, int]]:
        out = []
        if "cli" in dev.faces:
            out.append(("cli", dev.ports.ssh))
        if "netconf" in dev.faces:
            out.append(("netconf", dev.ports.netconf))
        if "eapi" in dev.faces:
            out.append(("eapi", dev.ports.eapi))
        return out

    async def start(self) -> None:
        for dev in self.devices:
            for face, _ in self._wanted(dev):
                sock = self.socks[(dev.name, face)]
                if face == "eapi":
                    srv = EapiServer(dev, sock)
                    await srv.start()
                    self.eapi[dev.name] = srv
                else:
                    self.ssh[(dev.name, face)] = await sshd.listen(dev, face, sock)

    def drop_connections(self, dev: Device) -> None:
        """A reboot or power-off: every open session of the node ends."""
        dev.close_sessions()
        srv = self.eapi.get(dev.name)
        if srv is not None:
            srv.close_connections()

    def rotate_host_key(self, dev: Device) -> str:
        key = hostkeys.rotate_host_key(self.state_dir, dev.name)
        dev.host_key = key
        dev.host_key_text = hostkeys.public_text(key)
        for (name, _face), acceptor in self.ssh.items():
            if name == dev.name:
                acceptor.update(server_host_keys=[key])
        return dev.host_key_text

    async def close(self) -> None:
        for dev in self.devices:
            dev.close_sessions()
            dev.store.close()
        for acceptor in self.ssh.values():
            acceptor.close()
        for acceptor in self.ssh.values():
            with contextlib.suppress(Exception):
                await acceptor.wait_closed()
        for srv in self.eapi.values():
            await srv.close()
        self.ssh.clear()
        self.eapi.clear()
        self._close_socks()

    def _close_socks(self) -> None:
        for s in self.socks.values():
            s.close()
        self.socks.clear()
