"""Arista eAPI: JSON-RPC 2.0 ``runCmds`` over HTTP (``POST /command-api``), basic auth with the
node's credentials, what pyeapi (and so NAPALM's ``eos`` driver) speaks.

Each request is one fresh CLI login, as on EOS: it starts in exec mode (clients send
``enable`` first), runs the commands in order and stops at the first failure, whose error lists
the outputs so far. Configuration sessions outlive the request; a ``configure terminal`` left
open ends with it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import socket
from typing import Any

from lab.sim.cli.common import CliError
from lab.sim.cli.eos import EosCli
from lab.sim.runtime import Device

log = logging.getLogger(__name__)

MAX_BODY = 4 * 1024 * 1024
MAX_HEADER_LINES = 100
_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
}


def run_cmds(device: Device, params: Any) -> dict[str, Any]:
    """The ``result`` or ``error`` member of a runCmds reply."""
    if not isinstance(params, dict) or not isinstance(params.get("cmds"), list):
        return {"error": {"code": -32602, "message": "Invalid params: 'cmds' must be a list"}}
    fmt = params.get("format") or "json"
    if fmt not in ("json", "text"):
        return {"error": {"code": -32602, "message": f"Invalid params: unknown format {fmt!r}"}}
    cmds = params["cmds"]
    cli = EosCli(device)
    results: list[dict[str, Any]] = []
    for k, item in enumerate(cmds, 1):
        if isinstance(item, dict):
            line, input_text = str(item.get("cmd", "")), str(item.get("input", ""))
        else:
            line, input_text = str(item), ""
        try:
            out = cli.execute(line, input_text)
        except CliError as exc:
            message = str(exc).lstrip("% ").strip()
            kind = "invalid command" if exc.code == 1002 else "could not run command"
            return {
                "error": {
                    "code": exc.code,
                    "message": f"CLI command {k} of {len(cmds)} '{line}' failed: {kind}",
                    "data": [*results, {"errors": [message]}],
                }
            }
        if fmt == "text":
            results.append({"output": out.text})
        elif out.data is not None:
            results.append(out.data)
        elif out.text:
            results.append({"messages": [out.text]})
        else:
            results.append({})
    return {"result": results}


class EapiServer:
    def __init__(self, device: Device, sock: socket.socket):
        self.device = device
        self.sock = sock
        self.server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._client, sock=self.sock, limit=MAX_BODY)

    def close_connections(self) -> None:
        for w in list(self._writers):
            w.close()

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.close_connections()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.server.wait_closed(), 2.0)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """One request/response; False when the connection should close."""
        start = await reader.readline()
        if not start:
            return False
        parts = start.decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            await self._send(writer, 400, {"error": "bad request line"}, close=True)
            return False
        method, path, version = parts
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADER_LINES):
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            k, _, v = line.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        keep = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        length = int(headers.get("content-length", "0") or 0)
        if length > MAX_BODY:
            await self._send(writer, 413, {"error": "body too large"}, close=True)
            return False
        body = await reader.readexactly(length) if length else b""
        if not self.device.up:
            return False  # a powered-off node: the connection just dies
        if not self._authorised(headers.get("authorization", "")):
            await self._send(
                writer,
                401,
                {"error": "Unable to authenticate user: Bad username/password combination"},
                close=not keep,
                extra={"WWW-Authenticate": 'Basic realm="eAPI"'},
            )
            return keep
        if path.split("?")[0] != "/command-api":
            await self._send(writer, 404, {"error": f"no such page {path}"}, close=not keep)
            return keep
        if method != "POST":
            await self._send(writer, 405, {"error": "use POST"}, close=not keep, extra={"Allow": "POST"})
            return keep
        await self._send(writer, 200, self._jsonrpc(body), close=not keep)
        return keep

    def _authorised(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return self.device.check_password(user, password)

    def _jsonrpc(self, body: bytes) -> dict[str, Any]:
        try:
            req = json.loads(body)
        except ValueError:
            return {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}}
        if not isinstance(req, dict):
            return {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Invalid request"}}
        rid = req.get("id")
        if req.get("method") != "runCmds":
            return {"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "Method not found"}}
        try:
            return {"jsonrpc": "2.0", "id": rid, **run_cmds(self.device, req.get("params"))}
        except Exception as exc:
            log.exception("%s: eAPI request failed", self.device.name)
            return {
                "jsonrpc": "2.0",
                "id": rid,
                "error": {"code": -32603, "message": f"Internal error: {exc}"},
            }

    @staticmethod
    async def _send(
        writer: asyncio.StreamWriter,
        status: int,
        payload: dict[str, Any],
        *,
        close: bool,
        extra: dict[str, str] | None = None,
    ) -> None:
        body = json.dumps(payload).encode()
        head = [
            f"HTTP/1.1 {status} {_REASONS.get(status, '')}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            "Server: ossagent-sim eAPI",
            "Connection: close" if close else "Connection: keep-alive",
        ]
        head += [f"{k}: {v}" for k, v in (extra or {}).items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await writer.drain()
