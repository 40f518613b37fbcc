"""A shard: the devices one process serves, and the low-level operations on them.

The controller (:mod:`lab.sim.control`) turns a public request such as "link core1:Ethernet1
down" into shard operations on both link ends, which may live in different worker processes.
A shard only ever changes its own devices.

Shard operations (JSON, like the public ones): ``ping``, ``status``, ``show``, ``if-update``,
``node``, ``restart``, ``counter-wrap``, ``set-system``, ``slow``, ``receivers``, ``trap-storm``,
and for the configuration faces ``config-show``, ``config-edit``, ``fail-commit``,
``host-key-rotate``, ``save``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab.sim.agent import Responder
from lab.sim.config.model import ConfigError, DeviceConfig
from lab.sim.config.syntax import TOP, CommandError
from lab.sim.device import DeviceError, DeviceModel, check_loopback, models_by_name
from lab.sim.faces import Faces
from lab.sim.node import Notification, SimNode
from lab.sim.reflect import reflect
from lab.sim.runtime import Device, Ports, credentials_for, faces_for
from lab.sim.server import SimServer
from lab.sim.state import PROFILE_V2C, usm_users

log = logging.getLogger(__name__)

MAX_FAIL_COUNT = 1000


@dataclass(frozen=True)
class FaceConfig:
    """Lab-wide settings of the configuration faces."""

    state_dir: Path
    ssh_port: int
    netconf_port: int
    eapi_port: int
    # The lab's control socket, for telling a node in another worker that the far end of its
    # cable was shut down by configuration; None in a single-process lab.
    control_socket: Path | None = None


class OpError(ValueError):
    """A request that cannot be carried out; the message goes back to the caller as is."""


def _bool_state(value: Any, what: str = "state") -> bool:
    if value in ("up", True):
        return True
    if value in ("down", False):
        return False
    raise OpError(f"{what} must be 'up' or 'down', got {value!r}")


class Shard:
    def __init__(
        self,
        models: Sequence[DeviceModel],
        all_models: Sequence[DeviceModel],
        profiles: Mapping[str, Mapping[str, str]],
        receivers: Sequence[tuple[str, int]] = (),
        faces: FaceConfig | None = None,
    ):
        now = time.monotonic()
        peers = models_by_name(all_models)
        users = usm_users(profiles)
        self.nodes: dict[str, SimNode] = {}
        for m in models:
            if m.snmp_profile not in profiles:
                raise DeviceError(
                    f"node {m.name}: unknown SNMP profile {m.snmp_profile!r} (lab profiles: {', '.join(profiles)})"
                )
            self.nodes[m.name] = SimNode(m, peers, users, profiles[m.snmp_profile], now)
        self.server = SimServer(list(self.nodes.values()), Responder(profiles[PROFILE_V2C]["community"]))
        self.server.set_receivers(receivers)
        self._lldp_timers: dict[str, asyncio.TimerHandle] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self.face_config = faces
        self.devices: dict[str, Device] = {}
        self._mute = False  # a reboot reloads the configuration without link traps
        self._tasks: set[asyncio.Task[None]] = set()
        if faces is not None:
            community = profiles[PROFILE_V2C]["community"]
            for m in models:
                self.devices[m.name] = _device(m, self.nodes[m.name], faces, community)
            for dev in self.devices.values():
                dev.store.listeners.append(
                    lambda old, new, dev=dev: self._config_changed(dev, old, new)  # type: ignore[misc]
                )
        self.faces = Faces(list(self.devices.values()), faces.state_dir if faces else Path("."))

    # -- lifecycle ----------------------------------------------------------------------------

    def bind(self) -> None:
        self.server.bind()
        try:
            self.faces.bind()
        except BaseException:
            self.server.close()
            raise

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.server.start(loop)
        self._cold_starts()

    async def start_faces(self) -> None:
        await self.faces.start()

    def close(self) -> None:
        for handle in self._lldp_timers.values():
            handle.cancel()
        self._lldp_timers.clear()
        for task in self._tasks:
            task.cancel()
        self.server.close()

    async def aclose(self) -> None:
        """Faces first (sessions end, timers stop), then the SNMP side."""
        await self.faces.close()
        self.close()

    # -- configuration -> SNMP ----------------------------------------------------------------

    def _config_changed(self, dev: Device, old: DeviceConfig, new: DeviceConfig) -> None:
        node = dev.node
        now = time.monotonic()
        r = reflect(node, old, new, now)
        if not self._mute:
            self.server.notify(node, r.notifications, now)
        self._schedule_lldp(node, now)
        for peer, ifname, admin in r.peer_admin:
            self._peer_admin(peer, ifname, admin)

    def _peer_admin(self, peer: str, ifname: str, admin: bool) -> None:
        """The far end of a cable whose near end was shut or opened by configuration."""
        other = self.nodes.get(peer)
        if other is not None:
            now = time.monotonic()
            rt = other.interface(ifname)
            notes = other.update_interface(rt, now, peer_admin=admin)
            self.server.notify(other, notes, now)
            self._schedule_lldp(other, now)
            return
        fc = self.face_config
        if fc is None or fc.control_socket is None or self._loop is None:
            return
        # Another worker owns it: ask the lab process, after this request has been answered
        # (the lab may be waiting on this very worker).
        cmd = {"op": "peer-admin", "node": peer, "interface": ifname, "state": "up" if admin else "down"}
        task = self._loop.create_task(_post(fc.control_socket, cmd))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _cold_starts(self) -> None:
        """coldStart once per device, as soon as someone is listening."""
        if not self.server.receivers:
            return
        for node in self.nodes.values():
            if node.cold_start_pending and node.up:
                node.cold_start_pending = False
                self.server.notify(node, [Notification((1, 3, 6, 1, 6, 3, 1, 1, 5, 1))])

    def _schedule_lldp(self, node: SimNode, now: float) -> None:
        """Re-check a node's LLDP neighbours when the next one would age out."""
        expiry = node.refresh_lldp(now)
        old = self._lldp_timers.pop(node.model.name, None)
        if old is not None:
            old.cancel()
        if expiry is not None and self._loop is not None:
            delay = max(expiry - time.monotonic(), 0.0) + 0.01
            self._lldp_timers[node.model.name] = self._loop.call_later(
                delay, lambda: self._schedule_lldp(node, time.monotonic())
            )

    # -- operations ---------------------------------------------------------------------------

    def _node(self, cmd: Mapping[str, Any]) -> SimNode:
        name = cmd.get("node")
        node = self.nodes.get(str(name)) if name is not None else None
        if node is None:
            raise OpError(f"unknown node {name!r}")
        return node

    def _device(self, cmd: Mapping[str, Any]) -> Device:
        node = self._node(cmd)
        dev = self.devices.get(node.model.name)
        if dev is None:
            raise OpError(f"node {node.model.name} has no configuration faces in this lab")
        return dev

    @staticmethod
    def _iface(node: SimNode, cmd: Mapping[str, Any]) -> Any:
        name = cmd.get("interface")
        if not isinstance(name, str) or not name:
            raise OpError("'interface' is required")
        try:
            return node.interface(name)
        except (KeyError, DeviceError) as exc:
            raise OpError(str(exc).strip("'\"")) from None

    async def handle(self, cmd: Mapping[str, Any]) -> dict[str, Any]:
        op = cmd.get("op")
        try:
            if op == "ping":
                return {"ok": True, "nodes": len(self.nodes)}
            if op == "status":
                return {"ok": True, "nodes": self.status()}
            if op == "trap-storm":
                return {"ok": True, "sent": await self.trap_storm(cmd)}
            fn = _SYNC_OPS.get(str(op))
            if fn is None:
                raise OpError(f"unknown shard operation {op!r}")
            return {"ok": True, **fn(self, cmd)}
        except OpError as exc:
            return {"ok": False, "error": str(exc)}

    def status(self) -> dict[str, dict[str, Any]]:
        now = time.monotonic()
        out = {}
        for name, node in self.nodes.items():
            s = node.stats
            out[name] = {
                "up": node.up,
                "address": node.model.address,
                "slow_ms": node.slow_ms,
                "packets": s.packets,
                "responses": s.responses,
                "varbinds": s.varbinds,
                "malformed": s.malformed,
                "bad_community": s.bad_community,
                "dropped": s.dropped,
                "errors": s.errors,
                "traps_sent": s.traps_sent,
                "engine_boots": node.usm.boots,
                "uptime_s": round(now - node.booted_at, 2),
                "usm": dict(vars(node.usm.stats)),
            }
        return out

    def op_show(self, cmd: Mapping[str, Any]) -> dict[str, Any]:
        node = self._node(cmd)
        now = time.monotonic()
        ifs = []
        for rt in node.ifs:
            v = rt.counters.values(now)
            ifs.append(
                {
                    "name": rt.model.name,
                    "if_index": rt.model.if_index,
                    "admin": "up" if rt.admin_up else "down",
                    "oper": "up" if rt.oper_up else "down",
                    "alias": rt.alias,
                    "descr": rt.descr,
                    "in_octets": v[0],
                    "out_octets": v[7],
                }
            )
        return {
            "node": node.model.name,
            "up": node.up,
            "sys_name": node.sys_name,
            "sys_descr": node.sys_descr,
            "sys_location": node.sys_location,
            "sys_contact": node.sys_contact,
            "lldp_neighbours": len(node.lldp_rem),
            "interfaces": ifs,
        }

    def op_if_update(self, cmd: Mapping[str, Any]) -> dict[str, Any]:
        node = self._node(cmd)
        rt = self._iface(node, cmd)
        now = time.monotonic()
        flags = {}
        for key in ("admin", "link", "peer_admin", "peer_alive"):
            if cmd.get(key) is not None:
                flags[key] = _bool_state(cmd[key], key)
        for key in ("alias", "descr"):
            if key in cmd and cmd[key] is not None and not isinstance(cmd[key], str):
                raise OpError(f"{key} must be a string")
        if cmd.get("alias") is not None:
            rt.set_alias(cmd["alias"])
        if cmd.get("descr") is not None:
            rt.set_descr(cmd["descr"])
        notes = node.update_interface(rt, now, **flags)
        traps = self.server.notify(node, notes, now)
        self._schedule_lldp(node, now)
        return {
            "node": node.model.name,
            "interface": rt.model.name,
            "admin": "up" if rt.admin_up else "down",
            "oper": "up" if rt.oper_up else "down",
            "changed": bool(notes),
            "traps": traps,
        }

    def op_node(self, cmd: Mapping[str, Any]) -> dict[str, Any]:
        node = self._node(cmd)
        node.up = _bool_state(cmd.get("state"))
        dev = self.devices.get(node.model.name)
        if dev is not None and not node.up:
            self.faces.drop_connections(dev)
        return {"node": node.model.name, "state": "up" if node.up else "down"}

    def op_restart(self, cmd: Mapping[str, Any]) -> dict[str, Any]:
        node = self._node(cmd)
        dev = self.devices.get(node.model.name)
        if dev is not None:
            # A reboot: sessions end, running comes back from startup (no link traps for that:
            # the box comes up with it).
            self.faces.drop_connections(dev)
            self._mute = True
            try:
                dev.store.reload()
            finally:
                self._mute = False
        now = time.monotonic()
        notes = node.restart(now)
        traps = self.server.notify(node, notes, now)
        # Not heard by anyone (no receivers yet): send it when receivers are set.
        node.cold_start_pending = traps == 0
        self._schedule_lldp(node, now)
        return {"node": node.model.name, "engine_boots": node.usm.boots, "traps": traps}

    def op_counter_wrap(self, cmd: Mapping[str, Any]) -> dict[str, Any]:
        node = self._node(cmd)
        rt = self._iface(node, cmd)
        bits = cmd.get("bits", 32)
        if bits not in (32, 64):
            raise OpError("bits must be 32 or 64")
        try:
            seconds = float(cmd.get("seconds", 10))
        except (TypeError, ValueError):
            raise OpError("seconds must be a number") from None
        if not 0 < seconds <= 86400:
            raise OpError("seconds must be between 0 and 86400")
        now = time.monotonic()
        node.counter_wrap(rt, bits, seconds, now)
        v = rt.counters.values(now)
        return {"node": node.model.name, "interface": rt.model.name, "in_octets": v[0], "out_octets": v[7]}

    def op_set_system(self, cmd: Mapping[str, Any]) -> dict[str, Any]:
        node = self._node(cmd)
        fields = {k: cmd.get(k) for k in ("sys_descr", "sys_name", "sys_location", "sys_contact")}
        for k, v in fields.items():
            if v is not None and not isinstance(v, str):
                raise OpError(f"{k} must be a string")
        node.set_system(**fields)
        return {"node": node.model.name}

    def op_slow(self, cmd: Mapping[str, Any]) -> dict[str, Any]:
        node = self._node(cmd)
        delay = cmd.get("delay_ms")
        if not isinstance(delay, int | float) or isinstance(delay, bool) or not 0 <= delay <= 600_000:
            raise OpError("delay_ms must be a number of milliseconds between 0 and 600000")
        node.slow_ms = int(delay)
        return {"node": node.model.name, "delay_ms": node.slow_ms}

    def op_receivers(self, cmd: Mapping[str, Any]) -> dict[str, Any]:
        targets = parse_targets(cmd.get("targets"))
        self.server.set_receivers(targets)
        self._cold_starts()
        return {"targets": [list(t) for t in targets]}

    async def trap_storm(self, cmd: Mapping[str, Any]) -> int:
        rate, seconds = storm_args(cmd)
        names = cmd.get("nodes")
        nodes = [self.nodes[n] for n in names if n in self.nodes] if names else list(self.nodes.values())
        nodes = [n for n in nodes if n.up]
        if not nodes or not self.server.receivers:
            return 0
        # Flap (in the traps only: state does not change) the ports that have a link, or any port.
        ports = []
        for n in nodes:
            linked = [rt for rt in n.ifs if rt.model.connected]
            ports.append(linked or [rt for rt in n.ifs if rt.model.role != "loopback"] or n.ifs)
        target = int(rate * seconds)
        start = time.monotonic()
        sent = 0
        i = 0
        while sent < target:
            elapsed = time.monotonic() - start
            due = min(target, int(rate * elapsed) + 1) - sent
            for _ in range(max(due, 0)):
                k = i % len(nodes)
                node = nodes[k]
                rts = ports[k]
                rt = rts[(i // len(nodes)) % len(rts)]
                down = (i // (len(nodes) * len(rts))) % 2 == 0
                note = node.link_notification(rt, up=not down)
                sent += 1 if self.server.notify(node, [note]) else 0
                i += 1
                if i > 10 * target + 10:  # every node went down meanwhile: give up
                    return sent
            if elapsed > seconds + 5:
                break
            await asyncio.sleep(0.002)
        return sent

    # -- configuration operations -------------------------------------------------------------

    def op_config_show(self, cmd: Mapping[str, Any]) -> dict[str, Any]:
        dev = self._device(cmd)
        store = dev.store
        renderings = dev.renderings(store.running)
        pending = store.pending
        return {
            "node": dev.name,
            "faces": list(dev.faces),
            "dialect": dev.dialect,
            "running": renderings.get(dev.dialect or "netconf", ""),
            "renderings": renderings,
            "startup_saved": store.startup == store.running,
            "candidate_dirty": store.candidate_dirty,
            "pending_confirm": None
            if pending is None
            else {
                "owner": pending.owner,
                "persist": pending.persist is not None,
                "seconds_left": round(max(pending.deadline - time.monotonic(), 0.0), 1),
            },
            "failures_queued": len(store.failures),
            "locks": dict(store.locks),
        }

    def op_config_edit(self, cmd: Mapping[str, Any]) -> dict[str, Any]:
        dev = self._device(cmd)
        lines = cmd.get("lines")
        if isinstance(lines, str):
            lines = lines.splitlines()
        if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
            raise OpError("lines must be a list of configuration lines")
        work = dev.store.running.copy()
        mode = TOP
        for n, line in enumerate(lines, 1):
            if line.strip() in ("end", "configure", "configure terminal"):
                mode = TOP
                continue
            try:
                mode = dev.syntax.apply(work, mode, line)
            except (CommandError, ConfigError) as exc:
                raise OpError(f"line {n} {line.strip()!r}: {str(exc).lstrip('% ')}") from None
        try:
            work.validate(strict=False)
        except ConfigError as exc:
            raise OpError(str(exc)) from None
        changes = dev.store.running.diff(work)
        if changes:
            dev.store.set_running(work)
        return {"node": dev.name, "changed": bool(changes), "changes": [str(c) for c in changes]}

    def op_fail_commit(self, cmd: Mapping[str, Any]) -> dict[str, Any]:
        dev = self._device(cmd)
        count = cmd.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_FAIL_COUNT:
            raise OpError(f"count must be a whole number between 0 and {MAX_FAIL_COUNT}")
        message = cmd.get("message") or "commit failed (injected by the lab)"
        if not isinstance(message, str):
            raise OpError("message must be a string")
        dev.store.fail_next(message, count)
        return {"node": dev.name, "count": count, "message": message}

    def op_host_key_rotate(self, cmd: Mapping[str, Any]) -> dict[str, Any]:
        dev = self._device(cmd)
        return {"node": dev.name, "host_key": self.faces.rotate_host_key(dev)}

    def op_save(self, cmd: Mapping[str, Any]) -> dict[str, Any]:
        dev = self._device(cmd)
        dev.store.save()
        return {"node": dev.name}


def _device(model: DeviceModel, node: SimNode, fc: FaceConfig, community: str) -> Device:
    try:
        faces = faces_for(model.kind, model.labels)
    except ValueError as exc:
        raise DeviceError(f"node {model.name}: {exc}") from None
    user, password = credentials_for(model.kind, model.username, model.password)
    return Device(
        model,
        node,
        faces=faces,
        username=user,
        password=password,
        community=community,
        ports=Ports(fc.ssh_port, fc.netconf_port, fc.eapi_port),
        netconf_datastore=model.labels.get("ossagent-netconf-datastore", "candidate") or "candidate",
        enable_secret=model.labels.get("ossagent-enable-secret", ""),
    )


async def _post(path: Path, cmd: dict[str, Any]) -> None:
    try:
        reader, writer = await asyncio.open_unix_connection(str(path))
        try:
            writer.write(json.dumps(cmd).encode() + b"\n")
            await writer.drain()
            await asyncio.wait_for(reader.readline(), 10.0)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
    except (TimeoutError, OSError) as exc:
        log.warning("could not tell the lab about %s %s: %s", cmd.get("node"), cmd.get("interface"), exc)


def parse_targets(raw: Any) -> list[tuple[str, int]]:
    if not isinstance(raw, list):
        raise OpError("targets must be a list of [host, port]")
    out = []
    for t in raw:
        if not isinstance(t, list | tuple) or len(t) != 2:
            raise OpError(f"bad target {t!r}: expected [host, port]")
        host, port = t
        if not isinstance(port, int) or not 1 <= port <= 65535:
            raise OpError(f"bad target port {port!r}")
        try:
            check_loopback(str(host))
        except DeviceError as exc:
            raise OpError(str(exc)) from None
        out.append((str(host), port))
    return out


def storm_args(cmd: Mapping[str, Any]) -> tuple[float, float]:
    rate, seconds = cmd.get("rate"), cmd.get("seconds")
    if not isinstance(rate, int | float) or isinstance(rate, bool) or not 0 < rate <= 100_000:
        raise OpError("rate must be a number of traps per second between 0 and 100000")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or not 0 < seconds <= 3600:
        raise OpError("seconds must be between 0 and 3600")
    return float(rate), float(seconds)


_SYNC_OPS = {
    "show": Shard.op_show,
    "if-update": Shard.op_if_update,
    "node": Shard.op_node,
    "restart": Shard.op_restart,
    "counter-wrap": Shard.op_counter_wrap,
    "set-system": Shard.op_set_system,
    "slow": Shard.op_slow,
    "receivers": Shard.op_receivers,
    "config-show": Shard.op_config_show,
    "config-edit": Shard.op_config_edit,
    "fail-commit": Shard.op_fail_commit,
    "host-key-rotate": Shard.op_host_key_rotate,
    "save": Shard.op_save,
}
