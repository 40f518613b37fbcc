"""The EOS-like command interpreter, shared by the SSH CLI and eAPI.

One :class:`EosCli` is one login (an SSH shell, or one eAPI request): exec mode (``host>``),
privileged mode (``host#``), ``configure terminal`` and ``configure session NAME``. Show
commands answer in text and, for eAPI and ``| json``, in EOS's JSON shapes (the fields NAPALM's
``eos`` driver reads).
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import time
from typing import Any

from lab.sim.cli.common import (
    CONFIG_WORDS,
    ERR_INVALID,
    EXEC_WORDS,
    CliError,
    Output,
    TerminalEdit,
    expand,
    invalid,
    pct,
    pipe,
    split_pipes,
)
from lab.sim.config import eos as eos_syntax
from lab.sim.config.model import ConfigError, DeviceConfig
from lab.sim.config.store import CommitRefused, EosSession
from lab.sim.config.syntax import TOP, CommandError, Mode, section
from lab.sim.runtime import Device

_TIMER = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})$")


class SessionEdit:
    """``configure session NAME``: lines edit the session's private copy; ``commit`` applies it."""

    def __init__(self, device: Device, session: EosSession):
        self.device = device
        self.session = session
        self.mode: Mode = TOP

    def apply(self, line: str) -> None:
        work = self.session.config.copy()
        try:
            self.mode = self.device.syntax.apply(work, self.mode, line)
        except CommandError as exc:
            raise invalid(str(exc)) from None
        except ConfigError as exc:
            raise CliError(pct(str(exc))) from None
        self.session.config = work


class EosCli:
    def __init__(self, device: Device, *, privileged: bool = False):
        self.device = device
        self.privileged = privileged
        self.edit: TerminalEdit | SessionEdit | None = None
        self.closed = False

    # -- prompt -------------------------------------------------------------------------------

    @property
    def hostname(self) -> str:
        return self.device.store.running.hostname

    def prompt(self) -> str:
        h = self.hostname
        if self.edit is None:
            return f"{h}#" if self.privileged else f"{h}>"
        label = eos_syntax.mode_label(self.edit.mode)
        if isinstance(self.edit, SessionEdit):
            return f"{h}(config-s-{self.edit.session.name[:15]}{label})#"
        return f"{h}(config{label})#"

    @property
    def in_config(self) -> bool:
        return self.edit is not None

    # -- dispatch -----------------------------------------------------------------------------

    def execute(self, line: str, input_text: str = "") -> Output:
        """Run one command line; raises :class:`CliError` with the device's message."""
        text = line.strip()
        if not text or text.startswith("!"):
            return Output()
        cmd, mods = split_pipes(text)
        cmd = expand(cmd, CONFIG_WORDS if self.edit is not None else EXEC_WORDS)
        w = cmd.split()
        if w[0] == "do" and self.edit is not None and len(w) > 1:
            cmd = expand(cmd[2:].strip(), EXEC_WORDS)
            return pipe(self._exec(cmd, cmd.split(), input_text), mods)
        if self.edit is not None:
            out = self._config_line(cmd, w)
            if out is not None:
                return pipe(out, mods)
        return pipe(self._exec(cmd, w, input_text), mods)

    def _exec(self, cmd: str, w: list[str], input_text: str) -> Output:
        n = len(w)
        if w[0] == "enable" and n == 1:
            secret = self.device.enable_secret
            if secret and input_text != secret:
                raise CliError("% Access denied")
            self.privileged = True
            return Output()
        if w[0] == "disable" and n == 1:
            self.privileged = False
            self.edit = None
            return Output()
        if w[0] in ("exit", "logout", "quit") and n == 1:
            self.closed = True
            return Output()
        if w[:2] == ["terminal", "length"] and n == 3:
            return Output("Pagination disabled.\n" if w[2] == "0" else "")
        if w[:2] == ["terminal", "width"] and n == 3:
            return Output(f"Width set to {w[2]} columns.\n")
        if w[0] == "show" and n >= 2:
            return self._show(cmd, w[1:])
        if not self.privileged:
            if w[0] in ("configure", "write", "copy", "rollback"):
                raise invalid("% Invalid input (privileged mode required)")
            raise invalid(f"% Invalid input (at token 0: '{w[0]}')")
        if (w[0] in ("configure", "config") and n == 1) or (w[:2] == ["configure", "terminal"] and n == 2):
            self.edit = TerminalEdit(self.device, "cli")
            return Output()
        if w[:2] == ["configure", "session"]:
            return self._configure_session(w[2:])
        if w[:2] == ["configure", "replace"] and n >= 3:
            return self._replace(w[2])
        if w in (["write"], ["write", "memory"], ["copy", "running-config", "startup-config"]):
            self.device.store.save()
            return Output("Copy completed successfully.\n")
        if w[0] == "copy" and n == 3:
            return self._copy(w[1], w[2])
        raise invalid(f"% Invalid input (at token 0: '{w[0]}')")

    # -- configuration mode -------------------------------------------------------------------

    def _config_line(self, cmd: str, w: list[str]) -> Output | None:
        """A line in configuration mode; None when it is an exec command (show, write, ...)."""
        edit = self.edit
        assert edit is not None
        if w[0] in ("show", "write", "copy") or (w[:2] == ["configure", "session"] and len(w) >= 4):
            return None
        if w == ["end"]:
            self.edit = None
            return Output()
        if w == ["exit"] and edit.mode == TOP:
            self.edit = None
            return Output()
        if isinstance(edit, SessionEdit):
            if w[0] == "commit":
                out = self._commit(edit.session, w[1:])
                self.edit = None
                return out
            if w == ["abort"]:
                self._abort(edit.session)
                self.edit = None
                return Output()
            if w == ["rollback", "clean-config"]:
                edit.session.config = edit.session.config.clean()
                edit.mode = TOP
                return Output()
        edit.apply(cmd)
        return Output()

    def _configure_session(self, a: list[str]) -> Output:
        if not a:
            raise invalid("% Incomplete command")
        name = a[0]
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,50}", name):
            raise invalid(f"% Invalid session name {name!r}")
        store = self.device.store
        rest = a[1:]
        if not rest:
            self.edit = SessionEdit(self.device, store.session(name))
            return Output()
        session = store.sessions.get(name)
        if session is None:
            raise CliError(f"% Session {name} does not exist")
        if rest[0] == "commit":
            return self._commit(session, rest[1:])
        if rest == ["abort"]:
            self._abort(session)
            return Output()
        if rest[:1] == ["description"] and len(rest) > 1:
            session.description = " ".join(rest[1:])
            return Output()
        raise invalid(f"% Invalid input (at token 3: '{rest[0]}')")

    def _commit(self, session: EosSession, a: list[str]) -> Output:
        store = self.device.store
        owner = f"eos:{session.name}"
        timeout: float | None = None
        if a:
            if a[0] != "timer" or len(a) != 2 or not _TIMER.match(a[1]):
                raise invalid("% Invalid input: commit [timer hh:mm:ss]")
            h, m, s = (int(x) for x in _TIMER.match(a[1]).groups())  # type: ignore[union-attr]
            timeout = float(h * 3600 + m * 60 + s)
            if timeout <= 0:
                raise invalid("% Invalid input: the commit timer must be longer than 0 seconds")
        if session.state in ("completed", "aborted"):
            raise CliError(f"% Session {session.name} is {session.state}")
        confirming = store.pending is not None and store.pending.owner == owner and timeout is None
        try:
            if confirming and session.config == store.running:
                store.confirm()  # the pending commit timer of this session: keep the change
                return Output()
            if store.pending is not None and store.pending.owner != owner:
                raise CommitRefused(f"a commit timer of {store.pending.owner} is pending confirmation")
            holder = store.locks.get("running")
            if holder is not None:
                raise CommitRefused(f"configuration is locked by NETCONF session {holder}")
            session.config.validate(strict=True)
            store.check_commit()
        except (CommitRefused, ConfigError) as exc:
            raise CliError(pct(str(exc))) from None
        if timeout is None:
            store.set_running(session.config)
            store.confirm()
            session.state = "completed"
        else:

            def ended(confirmed: bool, s: EosSession = session) -> None:
                s.state = "completed" if confirmed else "aborted"

            store.commit_confirmed(session.config, owner, timeout, on_end=ended)
            session.state = "pendingCommitTimer"
        return Output()

    def _abort(self, session: EosSession) -> None:
        store = self.device.store
        if store.pending is not None and store.pending.owner == f"eos:{session.name}":
            store.revert()  # an unconfirmed commit timer: back to before it
        session.state = "aborted"

    def _replace(self, source: str) -> Output:
        store = self.device.store
        text = self._file(source)
        if store.pending is not None:
            raise CliError("% Cannot replace the configuration while a commit timer is pending")
        cfg = store.running.clean()
        try:
            self.device.syntax.apply_text(cfg, text)
            cfg.validate(strict=True)
            store.check_commit()
        except (CommandError, ConfigError, CommitRefused) as exc:
            raise CliError(pct(str(exc))) from None
        store.set_running(cfg)
        return Output()

    def _file(self, source: str) -> str:
        store = self.device.store
        if source == "startup-config":
            return self.device.render(store.startup)
        if source == "running-config":
            return self.device.render(store.running)
        if source.startswith("flash:"):
            text = store.flash.get(source[6:].lstrip("/"))
            if text is None:
                raise CliError(f"% Error opening {source} (No such file or directory)")
            return text
        raise invalid(f"% Invalid input (at token 2: '{source}')")

    def _copy(self, src: str, dst: str) -> Output:
        store = self.device.store
        text = self._file(src)
        if dst == "startup-config":
            if src != "running-config":
                cfg = store.running.clean()
                try:
                    self.device.syntax.apply_text(cfg, text)
                except (CommandError, ConfigError) as exc:
                    raise CliError(pct(str(exc))) from None
                store.startup = cfg
            else:
                store.save()
        elif dst.startswith("flash:") and len(dst) > 6:
            store.flash[dst[6:].lstrip("/")] = text
        else:
            raise invalid(f"% Invalid input (at token 2: '{dst}')")
        return Output("Copy completed successfully.\n")

    # -- show ---------------------------------------------------------------------------------

    def _show(self, cmd: str, a: list[str]) -> Output:
        dev = self.device
        store = dev.store
        if a == ["version"]:
            return self._version()
        if a == ["hostname"]:
            h = self.hostname
            return Output(f"Hostname: {h}\nFQDN:     {h}\n", {"hostname": h, "fqdn": h})
        if a[0] in ("running-config", "startup-config"):
            cfg = store.running if a[0] == "running-config" else store.startup
            return self._config_text(cfg, a[1:], cmd)
        if a[0] == "interfaces" or a[0] == "interface":
            return self._interfaces(a[1:])
        if a[:2] == ["lldp", "neighbors"]:
            return self._lldp()
        if a[:2] == ["configuration", "sessions"]:
            return self._sessions()
        if a[0] == "session-config":
            return self._session_config(a[1:])
        if a == ["clock"]:
            return Output(time.strftime("%a %b %d %H:%M:%S %Y\n", time.gmtime()) + "Timezone: UTC\n")
        if a[:2] == ["ip", "route"]:
            return self._routes()
        raise invalid(f"% Invalid input (at token 1: '{a[0]}')")

    def _config_text(self, cfg: DeviceConfig, a: list[str], cmd: str) -> Output:
        sanitized = "sanitized" in a
        a = [x for x in a if x not in ("all", "sanitized", "detail")]
        text = self.device.render(cfg, sanitized=sanitized)
        if a[:1] == ["section"] and len(a) >= 2:
            text = section(text, cmd.split("section", 1)[1].strip())
        elif a:
            raise invalid(f"% Invalid input (at token 2: '{a[0]}')")
        return Output(text)

    def _version(self) -> Output:
        dev = self.device
        m = dev.model
        serial = m.entities[0].serial if m.entities else ""
        mac = m.chassis_mac_text
        internal = f"{m.os_version}-36401836.{m.os_version.replace('.', '')}"
        uptime = dev.uptime()
        data: dict[str, Any] = {
            "mfgName": "Arista",
            "modelName": m.model_name,
            "hardwareRevision": "",
            "serialNumber": serial,
            "systemMacAddress": mac,
            "hwMacAddress": "00:00:00:00:00:00",
            "configMacAddress": "00:00:00:00:00:00",
            "version": m.os_version,
            "architecture": "x86_64",
            "internalVersion": internal,
            "internalBuildId": "ossagent-sim",
            "imageFormatVersion": "1.0",
            "imageOptimization": "None",
            "kernelVersion": "6.1.0",
            "bootupTimestamp": round(dev.boot_epoch(), 3),
            "uptime": round(uptime, 2),
            "memTotal": 8_000_000,
            "memFree": 4_000_000,
            "isIntlVersion": False,
        }
        days, rem = divmod(int(uptime), 86400)
        text = (
            f"Arista {m.model_name}\nHardware version: \nSerial number: {serial}\n"
            f"Hardware MAC address: 0000.0000.0000\nSystem MAC address: {_dotted(mac)}\n\n"
            f"Software image version: {m.os_version}\nArchitecture: x86_64\n"
            f"Internal build version: {internal}\nInternal build ID: ossagent-sim\n"
            f"Image format version: 1.0\nImage optimization: None\n\nKernel version: 6.1.0\n\n"
            f"Uptime: {days} days, {rem // 3600} hours and {rem % 3600 // 60} minutes\n"
            "Total memory: 8000000 kB\nFree memory: 4000000 kB\n"
        )
        return Output(text, data)

    def _interfaces(self, a: list[str]) -> Output:
        dev = self.device
        cfg = dev.store.running
        now = time.monotonic()
        rows: dict[str, dict[str, Any]] = {}
        for itf in cfg.ordered_interfaces():
            k = dev.node.by_name.get(itf.name)
            if k is None:
                continue
            rt = dev.node.ifs[k]
            v = rt.counters.values(now)
            sub = rt.model.role == "subif"
            status = "disabled" if not rt.admin_up else ("connected" if rt.oper_up else "notconnect")
            rows[itf.name] = {
                "name": itf.name,
                "description": itf.description,
                "lineProtocolStatus": "up" if rt.oper_up else ("lowerLayerDown" if sub else "down"),
                "interfaceStatus": status,
                "hardware": "subinterface" if sub else "ethernet",
                "mtu": itf.mtu if itf.mtu is not None else rt.model.mtu,
                "bandwidth": rt.model.speed_mbps * 1_000_000,
                "physicalAddress": rt.model.mac_text,
                "burnedInAddress": rt.model.mac_text,
                "forwardingModel": "routed" if itf.ipv4 or sub else "bridged",
                "lastStatusChangeTimestamp": round(time.time() - (now - rt.last_change), 3),
                "interfaceAddress": [
                    {"primaryIp": {"address": x.split("/")[0], "maskLen": int(x.split("/")[1])}}
                    for x in itf.ipv4[:1]
                ],
                "interfaceCounters": {
                    "inOctets": v[0],
                    "inUcastPkts": v[1],
                    "inMulticastPkts": v[2],
                    "inBroadcastPkts": v[3],
                    "inDiscards": v[4],
                    "totalInErrors": v[5],
                    "outOctets": v[7],
                    "outUcastPkts": v[8],
                    "outMulticastPkts": v[9],
                    "outBroadcastPkts": v[10],
                    "outDiscards": v[11],
                    "totalOutErrors": v[12],
                },
            }
        if a[:1] == ["description"]:
            lines = [f"{'Interface':<30} {'Status':<14} {'Protocol':<9} Description"]
            for name, r in rows.items():
                st = (
                    "admin down"
                    if r["interfaceStatus"] == "disabled"
                    else ("up" if r["lineProtocolStatus"] == "up" else "down")
                )
                lines.append(
                    f"{eos_syntax.short_interface(name):<30} {st:<14} {r['lineProtocolStatus']:<9} {r['description']}"
                )
            data = {
                "interfaceDescriptions": {
                    n: {
                        "description": r["description"],
                        "lineProtocolStatus": r["lineProtocolStatus"],
                        "interfaceStatus": "adminDown"
                        if r["interfaceStatus"] == "disabled"
                        else r["lineProtocolStatus"],
                    }
                    for n, r in rows.items()
                }
            }
            return Output("\n".join(lines) + "\n", data)
        if a[:1] == ["status"]:
            lines = [f"{'Port':<14} {'Name':<30} {'Status':<12} {'Vlan':<8}"]
            for name, r in rows.items():
                lines.append(
                    f"{eos_syntax.short_interface(name):<14} {r['description'][:30]:<30} {r['interfaceStatus']:<12} routed"
                )
            return Output(
                "\n".join(lines) + "\n",
                {
                    "interfaceStatuses": {
                        n: {"interfaceStatus": r["interfaceStatus"], "description": r["description"]}
                        for n, r in rows.items()
                    }
                },
            )
        if a:
            wanted = dev.resolve_interface(a[0])
            if wanted is None or wanted not in rows:
                raise invalid(f"% Invalid input (at token 2: '{a[0]}')")
            rows = {wanted: rows[wanted]}
        text = []
        for name, r in rows.items():
            text.append(
                f"{name} is {'up' if r['lineProtocolStatus'] == 'up' else 'down'}, line protocol is {r['lineProtocolStatus']}"
            )
            text.append(f"  Hardware is {r['hardware']}, address is {_dotted(r['physicalAddress'])}")
            if r["description"]:
                text.append(f"  Description: {r['description']}")
            text.append(f"  IP MTU {r['mtu']} bytes, BW {r['bandwidth'] // 1000} kbit")
        return Output("\n".join(text) + "\n", {"interfaces": rows})

    def _lldp(self) -> Output:
        dev = self.device
        rows: list[dict[str, Any]] = []
        for rt in dev.node.ifs:
            if rt.lldp_entry is None or rt.model.peer is None:
                continue
            rows.append(
                {
                    "port": rt.model.name,
                    "neighborDevice": rt.model.peer[0],
                    "neighborPort": rt.model.peer[1],
                    "ttl": 120,
                }
            )
        lines = [f"{'Port':<13} {'Neighbor Device ID':<22} {'Neighbor Port ID':<20} TTL"]
        lines += [
            f"{eos_syntax.short_interface(r['port']):<13} {r['neighborDevice']:<22} {r['neighborPort']:<20} {r['ttl']}"
            for r in rows
        ]
        data = {
            "tablesLastChangeTime": 0.0,
            "tablesAgeOuts": 0,
            "tablesInserts": len(rows),
            "tablesDeletes": 0,
            "tablesDrops": 0,
            "lldpNeighbors": rows,
        }
        return Output("\n".join(lines) + "\n", data)

    def _sessions(self) -> Output:
        store = self.device.store
        out: dict[str, Any] = {}
        lines = [f"{'Name':<24} {'State':<20} Commit By"]
        for name, s in store.sessions.items():
            entry: dict[str, Any] = {"state": s.state, "description": s.description, "instances": {}}
            if store.pending is not None and store.pending.owner == f"eos:{name}":
                # Like EOS: "commit by" in seconds of uptime (napalm compares with show version).
                entry["commitBy"] = round(self.device.uptime(store.pending.deadline), 2)
            out[name] = entry
            lines.append(f"{name:<24} {s.state:<20} {entry.get('commitBy', '')}")
        data = {"sessions": out, "maxSavedSessions": 8, "maxOpenSessions": 5}
        return Output("\n".join(lines) + "\n", data)

    def _session_config(self, a: list[str]) -> Output:
        store = self.device.store
        if a[:1] == ["named"] and len(a) >= 2:
            session = store.sessions.get(a[1])
            if session is None:
                raise CliError(f"% Session {a[1]} does not exist")
            a = a[2:]
        elif isinstance(self.edit, SessionEdit):
            session = self.edit.session
        else:
            raise CliError("% Not in a configuration session")
        sanitized = "sanitized" in a
        a = [x for x in a if x != "sanitized"]
        if a == ["diffs"]:
            old = self.device.render(store.running).splitlines()
            new = self.device.render(session.config).splitlines()
            diff = difflib.unified_diff(
                old, new, "system:/running-config", f"session:/{session.name}-session-config", lineterm=""
            )
            text = "\n".join(diff)
            return Output(text + ("\n" if text else ""))
        if not a:
            return Output(self.device.render(session.config, sanitized=sanitized))
        raise invalid(
            f"% Invalid input (at token 3: '{a[0]}')",
        )

    def _routes(self) -> Output:
        cfg = self.device.store.running
        lines = ["VRF: default", "Codes: C - connected, S - static", ""]
        for itf in cfg.ordered_interfaces():
            if itf.enabled:
                for a in itf.ipv4:
                    net = ipaddress.IPv4Interface(a).network
                    lines.append(f" C        {net} is directly connected, {itf.name}")
        for prefix, nh in cfg.routes.items():
            via = "Null0" if nh == "Null0" else f"via {nh}"
            lines.append(f" S        {prefix} [1/0] {via}")
        return Output("\n".join(lines) + "\n")


def _dotted(mac: str) -> str:
    h = mac.replace(":", "")
    return f"{h[0:4]}.{h[4:8]}.{h[8:12]}"


__all__ = ["ERR_INVALID", "EosCli"]
