"""The lab's control channel: JSON lines over a Unix stream socket (mode 0600).

A request is one JSON object with an ``op`` and one line long; the answer is one line,
``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``. Public operations (what
``ossagent lab fault`` sends):

==============  ===============================================================================
status          per-node summary: up/down, packets, malformed, traps sent, ...
show            {node}: one node's interfaces (admin/oper/alias/octets) and system strings
link            {node, interface, state: up|down}: a cable; both ends of a topology link change
node            {node, state}: a down node drops every packet and sends nothing
restart         {node}: uptime and counters from 0, engineBoots + 1, coldStart
counter-wrap    {node, interface, bits: 32|64, seconds}: octet counters wrap within ``seconds``
set-interface   {node, interface, alias?, descr?, admin?: up|down}
set-system      {node, sys_descr?, sys_name?, sys_location?, sys_contact?}
slow            {node, delay_ms}: delay every reply of that node
receivers       {targets: [[host, port], ...]}: trap receivers (127/8 only)
trap-storm      {rate, seconds, node?}: linkDown/linkUp at ``rate``/s; answers ``sent``
config-show     {node}: the running configuration in each of the node's renderings
config-edit     {node, lines}: CLI configuration lines straight into running ("behind the back")
fail-commit     {node, message?, count?}: the next ``count`` commits on the node fail
host-key-rotate {node}: a new SSH host key (state.json and known_hosts follow)
save            {node}: running -> startup (``write memory``)
shutdown        stop the lab
==============  ===============================================================================

``restart`` also reloads the running configuration from startup and ends every session.

The :class:`Controller` validates names against the device models and routes each request to
the shard (process) that owns the device, so a link between devices of two workers changes
both ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from lab.sim.device import DeviceError, DeviceModel, InterfaceModel
from lab.sim.shard import OpError, Shard, parse_targets, storm_args

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
MAX_LINE = 1 << 20
UNIX_PATH_MAX = 107

PUBLIC_OPS = (
    "status",
    "show",
    "link",
    "node",
    "restart",
    "counter-wrap",
    "set-interface",
    "set-system",
    "slow",
    "receivers",
    "trap-storm",
    "config-show",
    "config-edit",
    "fail-commit",
    "host-key-rotate",
    "save",
    "shutdown",
)
# Forwarded as they are to the shard that owns the node.
_NODE_OPS = (
    "restart",
    "counter-wrap",
    "set-system",
    "slow",
    "show",
    "config-show",
    "config-edit",
    "fail-commit",
    "save",
)


class ControlError(RuntimeError):
    """The control channel could not be used (no lab, no answer, bad reply)."""


def check_socket_path(path: Path) -> None:
    if len(os.fsencode(str(path))) > UNIX_PATH_MAX:
        raise ControlError(
            f"control socket path {path} is longer than {UNIX_PATH_MAX} bytes, the Unix socket limit: "
            "use a shorter state directory"
        )


# ---------------------------------------------------------------------------------------------
# Server and clients
# ---------------------------------------------------------------------------------------------


class ControlServer:
    def __init__(self, path: Path, handler: Handler):
        self.path = path
        self.handler = handler
        self._server: asyncio.base_events.Server | None = None

    async def start(self) -> None:
        check_socket_path(self.path)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        # umask, not chmod after bind: no moment when the socket is open to others.
        old = os.umask(0o177)
        try:
            self._server = await asyncio.start_unix_server(self._client, path=str(self.path), limit=MAX_LINE)
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)
            self._server = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    line = await reader.readline()
                except (ValueError, asyncio.LimitOverrunError):
                    await self._reply(writer, {"ok": False, "error": "request line too long"})
                    return
                if not line:
                    return
                try:
                    cmd = json.loads(line)
                    if not isinstance(cmd, dict):
                        raise ValueError("a request is a JSON object")
                except ValueError as exc:
                    await self._reply(writer, {"ok": False, "error": f"not a JSON request: {exc}"})
                    continue
                try:
                    answer = await self.handler(cmd)
                except Exception as exc:
                    log.exception("control request %r failed", cmd.get("op"))
                    answer = {"ok": False, "error": f"internal error: {exc}"}
                await self._reply(writer, answer)
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.TimeoutError):
                await asyncio.wait_for(writer.wait_closed(), 1.0)

    @staticmethod
    async def _reply(writer: asyncio.StreamWriter, answer: Mapping[str, Any]) -> None:
        writer.write(json.dumps(answer).encode() + b"\n")
        await writer.drain()


def request(path: Path, command: Mapping[str, Any], timeout: float = 10.0) -> dict[str, Any]:
    """Send one request and wait for its answer (blocking client)."""
    check_socket_path(path)
    deadline = time.monotonic() + timeout
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(str(path))
            s.sendall(json.dumps(dict(command)).encode() + b"\n")
            buf = bytearray()
            while not buf.endswith(b"\n"):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                s.settimeout(left)
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
    except (FileNotFoundError, ConnectionRefusedError) as exc:
        raise ControlError(f"no lab is listening on {path} ({exc.strerror})") from None
    except TimeoutError:
        raise ControlError(f"the lab did not answer {command.get('op')!r} within {timeout:g} s") from None
    if not buf:
        raise ControlError("the lab closed the control connection without answering")
    try:
        answer = json.loads(buf)
    except ValueError as exc:
        raise ControlError(f"the lab sent an unreadable answer: {exc}") from None
    if not isinstance(answer, dict):
        raise ControlError("the lab sent an answer that is not a JSON object")
    return answer


class Backend(Protocol):
    async def call(self, cmd: dict[str, Any]) -> dict[str, Any]: ...


class LocalBackend:
    """A shard in this process."""

    def __init__(self, shard: Shard):
        self.shard = shard

    async def call(self, cmd: dict[str, Any]) -> dict[str, Any]:
        return await self.shard.handle(cmd)


class RemoteBackend:
    """A shard in a worker process, reached over its own control socket (one connection,
    requests serialised by a lock; trap storms open their own connection so they do not
    block other requests for their duration)."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = asyncio.Lock()
        self._conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def _roundtrip(
        self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], cmd: dict[str, Any]
    ) -> dict[str, Any]:
        reader, writer = conn
        writer.write(json.dumps(cmd).encode() + b"\n")
        await writer.drain()
        line = await reader.readline()
        if not line:
            raise ConnectionError("worker closed the connection")
        answer = json.loads(line)
        if not isinstance(answer, dict):
            raise ConnectionError("worker sent a non-object answer")
        return answer

    async def call(self, cmd: dict[str, Any]) -> dict[str, Any]:
        try:
            if cmd.get("op") == "trap-storm":
                conn = await asyncio.open_unix_connection(str(self.path), limit=MAX_LINE)
                try:
                    return await self._roundtrip(conn, cmd)
                finally:
                    conn[1].close()
            async with self._lock:
                if self._conn is None:
                    self._conn = await asyncio.open_unix_connection(str(self.path), limit=MAX_LINE)
                try:
                    return await self._roundtrip(self._conn, cmd)
                except (ConnectionError, ValueError):
                    self._conn[1].close()
                    self._conn = None
                    raise
        except (OSError, ValueError) as exc:
            return {"ok": False, "error": f"worker at {self.path} is not answering: {exc}"}

    async def close(self) -> None:
        if self._conn is not None:
            self._conn[1].close()
            self._conn = None


# ---------------------------------------------------------------------------------------------
# Controller: the public operations
# ---------------------------------------------------------------------------------------------


class Controller:
    def __init__(
        self,
        models: Sequence[DeviceModel],
        owners: Mapping[str, int],
        backends: Sequence[Backend],
        *,
        on_shutdown: Callable[[], None],
        on_receivers: Callable[[list[tuple[str, int]]], None] | None = None,
        on_host_key: Callable[[str, str], None] | None = None,
    ):
        self.models = {m.name: m for m in models}
        self.owners = dict(owners)
        self.dead: set[str] = set()  # nodes taken down with the `node` op
        self.silenced: set[str] = set()  # nodes that do not answer: dead, or only reachable through the dead
        self.backends = list(backends)
        self.on_shutdown = on_shutdown
        self.on_receivers = on_receivers
        self.on_host_key = on_host_key

    def _model(self, cmd: Mapping[str, Any]) -> DeviceModel:
        name = cmd.get("node")
        if not isinstance(name, str) or not name:
            raise OpError("'node' is required")
        m = self.models.get(name)
        if m is None:
            names = ", ".join(list(self.models)[:8]) + (", ..." if len(self.models) > 8 else "")
            raise OpError(f"unknown node {name!r} (lab nodes: {names})")
        return m

    @staticmethod
    def _interface(m: DeviceModel, cmd: Mapping[str, Any]) -> InterfaceModel:
        name = cmd.get("interface")
        if not isinstance(name, str) or not name:
            raise OpError("'interface' is required")
        try:
            return m.find_interface(name)
        except DeviceError as exc:
            raise OpError(str(exc)) from None

    async def _call(self, node: str, cmd: dict[str, Any]) -> dict[str, Any]:
        answer = await self.backends[self.owners[node]].call(cmd)
        if not answer.get("ok"):
            raise OpError(str(answer.get("error", "the shard refused the request")))
        return answer

    async def handle(self, cmd: dict[str, Any]) -> dict[str, Any]:
        op = cmd.get("op")
        try:
            if op == "status":
                return await self._status()
            if op == "shutdown":
                self.on_shutdown()
                return {"ok": True}
            if op == "receivers":
                return await self._receivers(cmd)
            if op == "trap-storm":
                return await self._storm(cmd)
            if op == "node":
                return await self._node(cmd)
            if op == "host-key-rotate":
                m = self._model(cmd)
                answer = await self._call(m.name, {"op": op, "node": m.name})
                if self.on_host_key is not None:
                    self.on_host_key(m.name, str(answer["host_key"]))
                return answer
            if op == "peer-admin":
                # Internal (from a worker): the far end of a cable was shut/opened by config.
                m = self._model(cmd)
                itf = self._interface(m, cmd)
                fwd = {
                    "op": "if-update",
                    "node": m.name,
                    "interface": itf.name,
                    "peer_admin": _state(cmd.get("state")),
                }
                return await self._call(m.name, fwd)
            if op in _NODE_OPS:
                m = self._model(cmd)
                fwd = {k: v for k, v in cmd.items() if k != "node"}
                fwd["node"] = m.name
                if "interface" in cmd:
                    fwd["interface"] = self._interface(m, cmd).name
                answer = await self._call(m.name, fwd)
                return answer
            if op == "link":
                return await self._link(cmd)
            if op == "set-interface":
                return await self._set_interface(cmd)
            raise OpError(f"unknown op {op!r} (ops: {', '.join(PUBLIC_OPS)})")
        except OpError as exc:
            return {"ok": False, "error": str(exc)}

    async def _status(self) -> dict[str, Any]:
        answers = await asyncio.gather(*(b.call({"op": "status"}) for b in self.backends))
        nodes: dict[str, Any] = {}
        for a in answers:
            if not a.get("ok"):
                raise OpError(str(a.get("error")))
            nodes.update(a["nodes"])
        ordered = {name: nodes[name] for name in self.models if name in nodes}
        totals = {
            k: sum(int(n[k]) for n in ordered.values())
            for k in (
                "packets",
                "responses",
                "varbinds",
                "malformed",
                "bad_community",
                "dropped",
                "traps_sent",
            )
        }
        return {"ok": True, "nodes": ordered, "totals": totals}

    def _unreachable(self) -> set[str]:
        """Dead nodes, plus nodes whose every management parent is unreachable (fixpoint)."""
        out = set(self.dead)
        grew = True
        while grew:
            grew = False
            for name, m in self.models.items():
                if name not in out and m.mgmt_via and all(p in out for p in m.mgmt_via):
                    out.add(name)
                    grew = True
        return out

    async def _node(self, cmd: Mapping[str, Any]) -> dict[str, Any]:
        """Power a node off or on. Off: it answers nothing and sends nothing, the far ends of its
        links lose carrier (and trap about it), and nodes the agent reaches only through it go
        silent too, as they would behind a dead router."""
        m = self._model(cmd)
        state = _state(cmd.get("state"))
        changed = (state == "down") != (m.name in self.dead)
        if state == "down":
            self.dead.add(m.name)
        else:
            self.dead.discard(m.name)
        unreachable = self._unreachable()
        for name in self.models:  # silence before links drop, unsilence before links return
            want = name in unreachable
            if want != (name in self.silenced):
                await self._call(name, {"op": "node", "node": name, "state": "down" if want else "up"})
        self.silenced = unreachable
        links = []
        if changed:
            for itf in m.interfaces:
                if itf.peer is None:
                    continue
                pn, pi = itf.peer
                a = await self._call(
                    pn, {"op": "if-update", "node": pn, "interface": pi, "peer_alive": state}
                )
                links.append({k: a[k] for k in ("node", "interface", "oper", "changed", "traps")})
        return {
            "ok": True,
            "node": m.name,
            "state": state,
            "unreachable": sorted(unreachable - {m.name}),
            "links": links,
        }

    async def _link(self, cmd: Mapping[str, Any]) -> dict[str, Any]:
        m = self._model(cmd)
        itf = self._interface(m, cmd)
        state = _state(cmd.get("state"))
        ends = [(m.name, itf.name)]
        if itf.peer is not None:
            ends.append(itf.peer)
        changed = []
        for node, ifname in ends:
            a = await self._call(node, {"op": "if-update", "node": node, "interface": ifname, "link": state})
            changed.append({k: a[k] for k in ("node", "interface", "admin", "oper", "changed", "traps")})
        return {"ok": True, "interfaces": changed}

    async def _set_interface(self, cmd: Mapping[str, Any]) -> dict[str, Any]:
        m = self._model(cmd)
        itf = self._interface(m, cmd)
        fwd: dict[str, Any] = {"op": "if-update", "node": m.name, "interface": itf.name}
        for key in ("alias", "descr"):
            if cmd.get(key) is not None:
                if not isinstance(cmd[key], str):
                    raise OpError(f"{key} must be a string")
                fwd[key] = cmd[key]
        admin = cmd.get("admin")
        if admin is not None:
            fwd["admin"] = _state(admin, "admin")
        a = await self._call(m.name, fwd)
        changed = [{k: a[k] for k in ("node", "interface", "admin", "oper", "changed", "traps")}]
        if admin is not None and itf.peer is not None:
            # Shutting a port down takes the light off the fibre: the far end loses carrier.
            pn, pi = itf.peer
            b = await self._call(
                pn, {"op": "if-update", "node": pn, "interface": pi, "peer_admin": fwd["admin"]}
            )
            changed.append({k: b[k] for k in ("node", "interface", "admin", "oper", "changed", "traps")})
        return {"ok": True, "interfaces": changed}

    async def _receivers(self, cmd: Mapping[str, Any]) -> dict[str, Any]:
        targets = parse_targets(cmd.get("targets"))
        answers = await asyncio.gather(
            *(b.call({"op": "receivers", "targets": [list(t) for t in targets]}) for b in self.backends)
        )
        for a in answers:
            if not a.get("ok"):
                raise OpError(str(a.get("error")))
        if self.on_receivers is not None:
            self.on_receivers(targets)
        return {"ok": True, "targets": [list(t) for t in targets]}

    async def _storm(self, cmd: Mapping[str, Any]) -> dict[str, Any]:
        rate, seconds = storm_args(cmd)
        if cmd.get("node") is not None:
            m = self._model(cmd)
            a = await self._call(
                m.name, {"op": "trap-storm", "rate": rate, "seconds": seconds, "nodes": [m.name]}
            )
            return {"ok": True, "sent": a["sent"]}
        # Split the rate between shards by how many devices each one has.
        counts = [0] * len(self.backends)
        for owner in self.owners.values():
            counts[owner] += 1
        total = sum(counts)
        calls = [
            b.call({"op": "trap-storm", "rate": rate * c / total, "seconds": seconds})
            for b, c in zip(self.backends, counts, strict=True)
            if c
        ]
        answers = await asyncio.gather(*calls)
        sent = 0
        for a in answers:
            if not a.get("ok"):
                raise OpError(str(a.get("error")))
            sent += int(a["sent"])
        return {"ok": True, "sent": sent}


def _state(value: Any, what: str = "state") -> str:
    if value not in ("up", "down"):
        raise OpError(f"{what} must be 'up' or 'down', got {value!r}")
    return str(value)
