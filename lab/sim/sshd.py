"""SSH servers (asyncssh) for a node's CLI (port 22/2200) and NETCONF (830/8300) faces.

Password authentication against the node's credentials; the node's own ed25519 host key. The CLI
port takes shells (with or without a pty) and single commands (``ssh node 'show version'``);
the NETCONF port takes only the ``netconf`` subsystem (RFC 6242).
"""

from __future__ import annotations

import logging
import socket
from typing import Any

import asyncssh

from lab.sim.cli.common import CliError
from lab.sim.cli.eos import EosCli
from lab.sim.cli.ios import IosCli
from lab.sim.cli.terminal import Terminal
from lab.sim.netconf.session import NetconfSession
from lab.sim.runtime import Device

log = logging.getLogger(__name__)


class _Server(asyncssh.SSHServer):
    def __init__(self, device: Device, face: str):
        self.device = device
        self.face = face
        self.conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def kbdint_auth_supported(self) -> bool:
        return False

    def validate_password(self, username: str, password: str) -> bool:
        # A powered-off node does not let anyone in.
        return self.device.up and self.device.check_password(username, password)

    def session_requested(self) -> asyncssh.SSHServerSession[bytes] | bool:
        if not self.device.up or self.conn is None:
            return False
        if self.face == "netconf":
            return _NetconfSshSession(self.device, self.conn)
        return _CliSshSession(self.device, self.conn)


class _CliSshSession(asyncssh.SSHServerSession):  # type: ignore[type-arg]
    def __init__(self, device: Device, conn: asyncssh.SSHServerConnection):
        self.device = device
        self.conn = conn
        self.chan: Any = None
        self.command: str | None = None
        self.sid = 0
        self.term: Terminal | None = None

    def connection_made(self, chan: Any) -> None:
        self.chan = chan

    def pty_requested(self, term_type: str, term_size: Any, term_modes: Any) -> bool:
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        self.command = command
        return True

    def subsystem_requested(self, subsystem: str) -> bool:
        return False

    def _cli(self, privileged: bool) -> EosCli | IosCli:
        if self.device.dialect == "eos":
            return EosCli(self.device, privileged=privileged)
        return IosCli(self.device)

    def session_started(self) -> None:
        self.sid = self.device.new_session_id()
        self.device.sessions[self.sid] = self
        if self.command is not None:
            # One command, privileged (the lab user is privilege 15), then exit.
            cli = self._cli(True)
            status = 0
            for line in self.command.split("\n"):
                try:
                    out = cli.execute(line).text
                except CliError as exc:
                    out, status = str(exc) + "\n", 1
                except Exception:
                    log.exception("%s: exec %r failed", self.device.name, line)
                    out, status = "% Internal error\n", 1
                self.chan.write(out.replace("\n", "\r\n").encode())
            self.chan.exit(status)
            return
        self.term = Terminal(
            self._cli(False),
            lambda s: self.chan.write(s.encode()),
            self.close,
            enable_secret=self.device.enable_secret,
        )
        self.term.start()

    def data_received(self, data: bytes, datatype: Any) -> None:
        if self.term is not None:
            self.term.feed(data.decode("utf-8", "replace"))

    def eof_received(self) -> bool:
        self.close()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self.device.sessions.get(self.sid) is self:
            del self.device.sessions[self.sid]

    def close(self) -> None:
        if self.chan is not None:
            try:
                self.chan.exit(0)
            except (OSError, asyncssh.Error):
                self.chan.close()


class _NetconfSshSession(asyncssh.SSHServerSession):  # type: ignore[type-arg]
    def __init__(self, device: Device, conn: asyncssh.SSHServerConnection):
        self.device = device
        self.conn = conn
        self.chan: Any = None
        self.nc: NetconfSession | None = None
        self.sid = 0

    def connection_made(self, chan: Any) -> None:
        self.chan = chan

    def pty_requested(self, term_type: str, term_size: Any, term_modes: Any) -> bool:
        return False

    def shell_requested(self) -> bool:
        return False

    def exec_requested(self, command: str) -> bool:
        return False

    def subsystem_requested(self, subsystem: str) -> bool:
        return subsystem == "netconf"

    def session_started(self) -> None:
        self.sid = self.device.new_session_id()
        self.nc = NetconfSession(self.device, self.sid, self.chan.write, self._end)
        self.device.sessions[self.sid] = self
        self.nc.start()

    def data_received(self, data: bytes, datatype: Any) -> None:
        if self.nc is not None:
            self.nc.data_received(data)

    def eof_received(self) -> bool:
        self.close()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self.nc is not None:
            self.nc.terminated()
        if self.device.sessions.get(self.sid) is self:
            del self.device.sessions[self.sid]

    def close(self) -> None:
        if self.nc is not None:
            self.nc.close()
        else:
            self._end()

    def _end(self) -> None:
        # The whole connection: a killed NETCONF session is gone for its client too.
        self.conn.close()


async def listen(device: Device, face: str, sock: socket.socket) -> asyncssh.SSHAcceptor:
    return await asyncssh.listen(
        sock=sock,
        server_factory=lambda: _Server(device, face),
        server_host_keys=[device.host_key],
        encoding=None,
        line_editor=False,
        allow_scp=False,
        agent_forwarding=False,
        x11_forwarding=False,
        login_timeout=30,
        keepalive_interval=0,
    )
