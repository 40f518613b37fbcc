"""One simulated device with its configuration faces: the SNMP runtime (:class:`SimNode`), the
configuration datastores (:class:`ConfigStore`) and what the faces need to know about the node
(credentials, dialect, host key, open sessions).

Which faces a node has follows its kind (see :func:`faces_for`); the node label
``ossagent-faces`` (``netconf,cli,eapi``) overrides it.
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from lab.sim.config import eos, ios
from lab.sim.config import xml as xmlmodel
from lab.sim.config.eos import EosSyntax
from lab.sim.config.ios import IosSyntax
from lab.sim.config.model import DeviceConfig, InterfaceConfig
from lab.sim.config.store import ConfigStore
from lab.sim.device import DeviceError, DeviceModel
from lab.sim.node import SimNode

FACES = ("netconf", "cli", "eapi")
DATASTORES = ("candidate", "running")

# containerlab's documented defaults where it has them (INTERFACES.md 2.3), admin/admin elsewhere
# (the same table lab/artifacts.py writes into the inventories).
DEFAULT_CREDENTIALS = {"arista_ceos": ("admin", "admin"), "nokia_srlinux": ("admin", "NokiaSrl1!")}


class FaceError(ValueError):
    """A node whose face labels cannot be honoured."""


def faces_for(kind: str, labels: Mapping[str, str]) -> tuple[str, ...]:
    override = labels.get("ossagent-faces")
    if override is not None:
        faces = tuple(f.strip() for f in str(override).split(",") if f.strip())
        bad = [f for f in faces if f not in FACES]
        if bad:
            raise FaceError(f"ossagent-faces: unknown face {', '.join(bad)} (faces: {', '.join(FACES)})")
        return tuple(f for f in FACES if f in faces)
    if kind in ("arista_ceos", "arista_veos"):
        return ("cli", "eapi")
    if kind == "nokia_srlinux" or kind.startswith("juniper_"):
        return ("netconf",)
    if kind in ("cisco_xrd", "cisco_xrv9k", "cisco_xrv"):
        return ("netconf", "cli")
    return ("cli",)


def dialect_for(kind: str, faces: tuple[str, ...]) -> str:
    """``eos`` for Arista kinds (and any node with eAPI), ``ios`` for other CLI nodes, else ""."""
    if "cli" not in faces and "eapi" not in faces:
        return ""
    return "eos" if kind.startswith("arista_") or "eapi" in faces else "ios"


def credentials_for(kind: str, username: str | None, password: str | None) -> tuple[str, str]:
    if username:
        return username, password or ""
    return DEFAULT_CREDENTIALS.get(kind, ("admin", "admin"))


def natural_key(name: str) -> tuple[Any, ...]:
    """``Ethernet2`` before ``Ethernet10``; ``eth0`` before ``eth1``."""
    return tuple(int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", name))


def initial_config(model: DeviceModel, username: str, password: str, community: str) -> DeviceConfig:
    """What a freshly deployed lab node runs: its hostname, the lab's login and community, and
    interface descriptions/addresses from the topology's links."""
    ports = sorted((i.name for i in model.interfaces if i.role != "loopback"), key=natural_key)
    cfg = DeviceConfig.factory(ports, hostname=model.name)
    for itf in model.interfaces:
        if itf.role == "loopback":
            continue
        cfg.interfaces[itf.name] = InterfaceConfig(
            itf.name, description=itf.alias, ipv4=[itf.ipv4] if itf.ipv4 else []
        )
    cfg.users[username] = password
    cfg.snmp_communities[community] = "ro"
    return cfg


class ClosableSession(Protocol):
    def close(self) -> None: ...


@dataclass
class Ports:
    ssh: int = 0
    netconf: int = 0
    eapi: int = 0


class Device:
    """A node's configuration side, living in the process that serves the node."""

    def __init__(
        self,
        model: DeviceModel,
        node: SimNode,
        *,
        faces: tuple[str, ...],
        username: str,
        password: str,
        community: str,
        ports: Ports,
        netconf_datastore: str = "candidate",
        enable_secret: str = "",
    ):
        self.model = model
        self.node = node
        self.faces = faces
        self.dialect = dialect_for(model.kind, faces)
        self.username = username
        self.password = password
        self.enable_secret = enable_secret
        self.ports = ports
        if netconf_datastore not in DATASTORES:
            raise FaceError(
                f"node {model.name}: ossagent-netconf-datastore must be candidate or running, not {netconf_datastore!r}"
            )
        self.netconf_datastore = netconf_datastore
        self.store = ConfigStore(initial_config(model, username, password, community))
        self.host_key: Any = None  # asyncssh.SSHKey, set by the faces
        self.host_key_text = ""  # "ssh-ed25519 AAAA..."
        self.sessions: dict[int, ClosableSession] = {}  # open sessions of every face, by id
        self.netconf_sessions: dict[int, Any] = {}  # NETCONF sessions by session-id
        self._next_session = 1
        self.syntax: EosSyntax | IosSyntax = (
            IosSyntax(self.resolve_interface) if self.dialect == "ios" else EosSyntax(self.resolve_interface)
        )

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def up(self) -> bool:
        return self.node.up

    def new_session_id(self) -> int:
        sid = self._next_session
        self._next_session += 1
        return sid

    def check_password(self, username: str, password: str) -> bool:
        # Both compared in constant time, and both always compared: no timing hint either way.
        ok_user = hmac.compare_digest(username.encode(), self.username.encode())
        ok_pass = hmac.compare_digest(password.encode(), self.password.encode())
        return ok_user and ok_pass

    def resolve_interface(self, typed: str) -> str | None:
        """A typed interface name (any alias the vendor family knows, or ``<port>.<n>``) -> the
        canonical name, or None."""
        cfg = self.store.running
        if typed in cfg.interfaces:
            return typed
        base, dot, number = typed.rpartition(".")
        if dot and number.isdigit():
            parent = self._port(base)
            return f"{parent}.{int(number)}" if parent is not None else None
        return self._port(typed)

    def _port(self, typed: str) -> str | None:
        try:
            itf = self.model.find_interface(typed)
        except DeviceError:
            return None
        return itf.name if itf.role != "loopback" else None

    # -- renderings ---------------------------------------------------------------------------

    def render(self, cfg: DeviceConfig, dialect: str | None = None, sanitized: bool = False) -> str:
        d = self.dialect if dialect is None else dialect
        if d == "eos":
            return eos.render(
                cfg, model=self.model.model_name, version=self.model.os_version, sanitized=sanitized
            )
        if d == "ios":
            return ios.render(cfg)
        return xmlmodel.to_text(cfg)

    def renderings(self, cfg: DeviceConfig) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.dialect:
            out[self.dialect] = self.render(cfg)
        if "netconf" in self.faces:
            out["netconf"] = self.render(cfg, "xml")
        return out

    # -- lifecycle ----------------------------------------------------------------------------

    def close_sessions(self) -> None:
        """Drop every open session of every face (a reboot, a dead node, the lab stopping)."""
        for s in list(self.sessions.values()):
            s.close()
        self.sessions.clear()

    def uptime(self, now: float | None = None) -> float:
        return (time.monotonic() if now is None else now) - self.node.booted_at

    def boot_epoch(self) -> float:
        return time.time() - self.uptime()
