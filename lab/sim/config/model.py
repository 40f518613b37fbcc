"""The canonical configuration of a simulated device.

Every configuration face of a node (NETCONF, the EOS-like and IOS/FRR-like CLIs, eAPI) edits a
:class:`DeviceConfig`; renderers (:mod:`lab.sim.config.eos`, :mod:`lab.sim.config.ios`,
:mod:`lab.sim.config.xml`) turn it into each face's syntax and parsers turn that syntax back into
it. One model means a change made through one face is visible through all the others, and in
the node's SNMP agent (see :mod:`lab.sim.reflect`).

Validation has two levels. ``validate(strict=False)`` is what a line-by-line CLI in
``configure terminal`` enforces after every command: references must resolve (policers,
xconnect interfaces), values must be in range. ``strict=True`` adds completeness checks that a
half-typed configuration may still miss (a subinterface without its VLAN, a policy-map without a
rate, an xconnect without a neighbour); commits (NETCONF ``validate``/``commit``, EOS config
session ``commit``) enforce it.
"""

from __future__ import annotations

import copy
import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

VLAN_MIN, VLAN_MAX = 1, 4094
SUBIF_MIN, SUBIF_MAX = 1, 9999
RATE_MIN, RATE_MAX = 1, 400_000
PW_MIN, PW_MAX = 1, 2**32 - 1
MTU_MIN, MTU_MAX = 68, 65535
NULL_ROUTE = "Null0"
ACCESS = ("ro", "rw")

_SUBIF = re.compile(r"^(?P<parent>.+)\.(?P<n>\d+)$")
_NAME = re.compile(r"^[A-Za-z0-9_.:/@+-]{1,64}$")

Path = tuple[str, ...]


@dataclass(frozen=True)
class Issue:
    """One validation problem: a message for people and a path into the model for tools
    (NETCONF turns it into an ``error-path``)."""

    message: str
    path: Path = ()
    # The NETCONF error-tag it maps to (RFC 6241 appendix A; RFC 7950 15 for references).
    tag: str = "invalid-value"

    def __str__(self) -> str:
        return self.message


class ConfigError(ValueError):
    """A configuration that cannot be accepted; ``issues`` lists every problem found."""

    def __init__(self, issues: Iterable[Issue] | str, path: Path = ()):
        self.issues = [Issue(issues, path)] if isinstance(issues, str) else list(issues)
        super().__init__("; ".join(i.message for i in self.issues) or "invalid configuration")

    @property
    def path(self) -> Path:
        return self.issues[0].path if self.issues else ()


@dataclass
class InterfaceConfig:
    name: str
    description: str = ""
    enabled: bool = True
    mtu: int | None = None
    ipv4: list[str] = field(default_factory=list)  # "a.b.c.d/len", primary first
    vlan: int | None = None  # subinterfaces only
    service_policy_in: str | None = None
    service_policy_out: str | None = None

    def is_default(self) -> bool:
        return (
            not self.description
            and self.enabled
            and self.mtu is None
            and not self.ipv4
            and self.vlan is None
            and self.service_policy_in is None
            and self.service_policy_out is None
        )


@dataclass
class Xconnect:
    """An L2VPN point-to-point pseudowire from a (sub)interface to a remote PE."""

    interface: str = ""
    neighbor: str = ""
    pw_id: int | None = None


@dataclass(frozen=True)
class Change:
    """One difference between two configurations; ``old``/``new`` is None when the item was
    added/removed."""

    path: Path
    old: Any
    new: Any

    @property
    def kind(self) -> str:
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        return "changed"

    def __str__(self) -> str:
        where = "/".join(self.path)
        if self.kind == "added":
            return f"+ {where}: {self.new!r}"
        if self.kind == "removed":
            return f"- {where}: {self.old!r}"
        return f"~ {where}: {self.old!r} -> {self.new!r}"


def split_subinterface(name: str) -> tuple[str, int] | None:
    """``Ethernet3.100`` -> ("Ethernet3", 100); None when the name has no numeric suffix."""
    m = _SUBIF.match(name)
    if m is None:
        return None
    return m.group("parent"), int(m.group("n"))


def check_prefix(text: str) -> str:
    """A network prefix in canonical form; ConfigError when it is not ``a.b.c.d/len`` with
    no host bits set."""
    try:
        net = ipaddress.IPv4Network(text, strict=True)
    except ValueError as exc:
        raise ConfigError(f"bad prefix {text!r}: {exc}") from None
    if "/" not in text:
        raise ConfigError(f"bad prefix {text!r}: a prefix needs a length (a.b.c.d/len)")
    return str(net)


def check_address(text: str) -> str:
    """An interface address ``a.b.c.d/len`` (host bits allowed, they are the host)."""
    if "/" not in text:
        raise ConfigError(f"bad address {text!r}: expected a.b.c.d/len")
    try:
        itf = ipaddress.IPv4Interface(text)
    except ValueError as exc:
        raise ConfigError(f"bad address {text!r}: {exc}") from None
    return f"{itf.ip}/{itf.network.prefixlen}"


def check_ipv4(text: str, what: str = "address") -> str:
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        raise ConfigError(f"bad {what} {text!r}: not an IPv4 address") from None


def check_next_hop(text: str) -> str:
    if text.lower() in ("null0", "blackhole"):
        return NULL_ROUTE
    return check_ipv4(text, "next hop")


def prefix_key(prefix: str) -> tuple[int, int]:
    """Sort key for prefixes: by address, then length (bad ones first)."""
    try:
        net = ipaddress.IPv4Network(prefix, strict=False)
    except ValueError:
        return (-1, 0)
    return (int(net.network_address), net.prefixlen)


def check_name(text: str, what: str) -> str:
    if not _NAME.match(text):
        raise ConfigError(f"bad {what} name {text!r}: 1-64 letters, digits or _.:/@+-")
    return text


@dataclass
class DeviceConfig:
    hostname: str
    physical: tuple[str, ...]  # the device's ports in display order; fixed for its life
    interfaces: dict[str, InterfaceConfig] = field(default_factory=dict)
    policers: dict[str, int | None] = field(default_factory=dict)  # name -> rate in Mbit/s
    routes: dict[str, str] = field(default_factory=dict)  # prefix -> next hop or Null0
    xconnects: dict[str, Xconnect] = field(default_factory=dict)
    snmp_communities: dict[str, str] = field(default_factory=dict)  # name -> ro | rw
    users: dict[str, str] = field(default_factory=dict)  # name -> secret

    def __post_init__(self) -> None:
        for name in self.physical:
            self.interfaces.setdefault(name, InterfaceConfig(name))

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def factory(cls, physical: Iterable[str], hostname: str = "localhost") -> DeviceConfig:
        """The empty configuration: every port with defaults, nothing else."""
        return cls(hostname=hostname, physical=tuple(physical))

    def copy(self) -> DeviceConfig:
        return copy.deepcopy(self)

    def clean(self) -> DeviceConfig:
        """A factory-default configuration for the same hardware."""
        return DeviceConfig.factory(self.physical)

    # -- lookups ------------------------------------------------------------------------------

    def is_physical(self, name: str) -> bool:
        return name in self._physical_set()

    def _physical_set(self) -> frozenset[str]:
        # Cached per instance: physical is fixed, and lookups happen once per command.
        cached: frozenset[str] | None = self.__dict__.get("_phys_cache")
        if cached is None:
            cached = frozenset(self.physical)
            self.__dict__["_phys_cache"] = cached
        return cached

    def parent_of(self, name: str) -> str | None:
        """The physical port of a subinterface name, or None if it is not one."""
        sub = split_subinterface(name)
        if sub is None or not self.is_physical(sub[0]):
            return None
        return sub[0]

    def subinterfaces(self, parent: str | None = None) -> list[InterfaceConfig]:
        out = [i for n, i in self.interfaces.items() if not self.is_physical(n)]
        if parent is not None:
            out = [i for i in out if self.parent_of(i.name) == parent]
        return sorted(out, key=lambda i: (self._port_pos(i.name), split_subinterface(i.name) or ("", 0)))

    def _port_pos(self, name: str) -> int:
        parent = self.parent_of(name) or name
        try:
            return self.physical.index(parent)
        except ValueError:
            return len(self.physical)

    def ordered_interfaces(self) -> Iterator[InterfaceConfig]:
        """Ports in display order, each followed by its subinterfaces (by number)."""
        subs: dict[str, list[InterfaceConfig]] = {}
        for s in self.subinterfaces():
            subs.setdefault(self.parent_of(s.name) or "", []).append(s)
        for name in self.physical:
            yield self.interfaces[name]
            yield from subs.get(name, ())

    # -- edits that can be refused on their own ------------------------------------------------

    def add_subinterface(self, name: str) -> InterfaceConfig:
        """The subinterface ``name`` (created if new); ConfigError if ``name`` is no
        ``<port>.<n>`` of this device."""
        existing = self.interfaces.get(name)
        if existing is not None:
            return existing
        sub = split_subinterface(name)
        if sub is None or not self.is_physical(sub[0]):
            raise ConfigError(
                f"interface {name!r} does not exist (subinterfaces are <port>.<n> of a port of this device)",
                ("interfaces", name),
            )
        if not SUBIF_MIN <= sub[1] <= SUBIF_MAX:
            raise ConfigError(
                f"interface {name}: subinterface number {sub[1]} out of range ({SUBIF_MIN}-{SUBIF_MAX})",
                ("interfaces", name),
            )
        itf = InterfaceConfig(name)
        self.interfaces[name] = itf
        return itf

    def delete_interface(self, name: str) -> None:
        if self.is_physical(name):
            raise ConfigError(f"cannot delete physical interface {name}", ("interfaces", name))
        if name not in self.interfaces:
            raise ConfigError(f"interface {name} does not exist", ("interfaces", name))
        users = [x for x, xc in self.xconnects.items() if xc.interface == name]
        if users:
            raise ConfigError(
                f"cannot delete interface {name}: it is used by xconnect {', '.join(sorted(users))}",
                ("interfaces", name),
            )
        del self.interfaces[name]

    def reset_interface(self, name: str) -> None:
        """A physical port back to defaults (what deleting its configuration means)."""
        self.interfaces[name] = InterfaceConfig(name)

    def policer_users(self, name: str) -> list[str]:
        return [
            i.name for i in self.ordered_interfaces() if name in (i.service_policy_in, i.service_policy_out)
        ]

    def delete_policer(self, name: str) -> None:
        if name not in self.policers:
            raise ConfigError(f"policer {name} does not exist", ("policers", name))
        users = self.policer_users(name)
        if users:
            raise ConfigError(
                f"cannot delete policer {name}: it is in use by interface {', '.join(users)}",
                ("policers", name),
            )
        del self.policers[name]

    # -- validation ---------------------------------------------------------------------------

    def issues(self, strict: bool = True) -> list[Issue]:
        out: list[Issue] = []
        if not self.hostname or any(c.isspace() for c in self.hostname) or len(self.hostname) > 63:
            out.append(Issue(f"bad hostname {self.hostname!r}", ("hostname",)))
        for name in self.physical:
            if name not in self.interfaces:
                out.append(Issue(f"physical interface {name} is missing", ("interfaces", name)))
        vlans: dict[tuple[str, int], str] = {}
        for itf in self.ordered_interfaces():
            out.extend(self._interface_issues(itf, strict, vlans))
        for name in self.interfaces:
            if not self.is_physical(name) and self.parent_of(name) is None:
                out.append(Issue(f"interface {name} does not exist on this device", ("interfaces", name)))
        for name, rate in sorted(self.policers.items()):
            p = ("policers", name)
            if not _NAME.match(name):
                out.append(Issue(f"bad policer name {name!r}", p))
            if rate is None:
                if strict:
                    out.append(
                        Issue(
                            f"policer {name}: no rate (police rate N mbps)", (*p, "rate"), "missing-element"
                        )
                    )
            elif not RATE_MIN <= rate <= RATE_MAX:
                out.append(
                    Issue(
                        f"policer {name}: rate {rate} Mbit/s out of range ({RATE_MIN}-{RATE_MAX})",
                        (*p, "rate"),
                    )
                )
        for prefix, nh in self.routes.items():
            p = ("routes", prefix)
            try:
                if check_prefix(prefix) != prefix:
                    out.append(Issue(f"route {prefix}: prefix is not in canonical form", p))
            except ConfigError as exc:
                out.append(Issue(f"route {prefix}: {exc}", p))
            try:
                check_next_hop(nh)
            except ConfigError as exc:
                out.append(Issue(f"route {prefix}: {exc}", (*p, "next-hop")))
        used_by: dict[str, str] = {}
        for name, xc in sorted(self.xconnects.items()):
            out.extend(self._xconnect_issues(name, xc, strict, used_by))
        for name, access in sorted(self.snmp_communities.items()):
            if access not in ACCESS:
                out.append(Issue(f"snmp community {name}: access must be ro or rw", ("snmp", name, "access")))
        for name, secret in sorted(self.users.items()):
            if not _NAME.match(name):
                out.append(Issue(f"bad user name {name!r}", ("users", name)))
            if not secret:
                out.append(Issue(f"user {name}: empty secret", ("users", name, "password")))
        return out

    def _interface_issues(
        self, itf: InterfaceConfig, strict: bool, vlans: dict[tuple[str, int], str]
    ) -> list[Issue]:
        out: list[Issue] = []
        p: Path = ("interfaces", itf.name)
        parent = self.parent_of(itf.name)
        if itf.mtu is not None and not MTU_MIN <= itf.mtu <= MTU_MAX:
            out.append(
                Issue(f"interface {itf.name}: MTU {itf.mtu} out of range ({MTU_MIN}-{MTU_MAX})", (*p, "mtu"))
            )
        for a in itf.ipv4:
            try:
                check_address(a)
            except ConfigError as exc:
                out.append(Issue(f"interface {itf.name}: {exc}", (*p, "ipv4", a)))
        if parent is None:
            if itf.vlan is not None:
                out.append(
                    Issue(f"interface {itf.name}: a VLAN is only valid on a subinterface", (*p, "vlan"))
                )
        elif itf.vlan is None:
            if strict:
                out.append(
                    Issue(
                        f"interface {itf.name}: a subinterface needs a VLAN (encapsulation dot1q vlan N)",
                        (*p, "vlan"),
                        "missing-element",
                    )
                )
        elif not VLAN_MIN <= itf.vlan <= VLAN_MAX:
            out.append(
                Issue(
                    f"interface {itf.name}: VLAN {itf.vlan} out of range ({VLAN_MIN}-{VLAN_MAX})",
                    (*p, "vlan"),
                )
            )
        else:
            other = vlans.get((parent, itf.vlan))
            if other is not None:
                out.append(
                    Issue(
                        f"interface {itf.name}: VLAN {itf.vlan} is already used by {other} on {parent}",
                        (*p, "vlan"),
                        "operation-failed",
                    )
                )
            vlans[(parent, itf.vlan)] = itf.name
        for direction, pol in (("input", itf.service_policy_in), ("output", itf.service_policy_out)):
            if pol is not None and pol not in self.policers:
                out.append(
                    Issue(
                        f"interface {itf.name}: service-policy {direction} {pol}: unknown policer",
                        (*p, "service-policy", direction),
                        "data-missing",
                    )
                )
        return out

    def _xconnect_issues(self, name: str, xc: Xconnect, strict: bool, used_by: dict[str, str]) -> list[Issue]:
        out: list[Issue] = []
        p: Path = ("xconnects", name)
        if not _NAME.match(name):
            out.append(Issue(f"bad xconnect name {name!r}", p))
        if xc.interface:
            if xc.interface not in self.interfaces:
                out.append(
                    Issue(
                        f"xconnect {name}: interface {xc.interface} does not exist",
                        (*p, "interface"),
                        "data-missing",
                    )
                )
            elif self.is_physical(xc.interface):
                out.append(
                    Issue(
                        f"xconnect {name}: interface {xc.interface} is not a subinterface", (*p, "interface")
                    )
                )
            other = used_by.get(xc.interface)
            if other is not None:
                out.append(
                    Issue(
                        f"xconnect {name}: interface {xc.interface} is already used by xconnect {other}",
                        (*p, "interface"),
                        "operation-failed",
                    )
                )
            used_by[xc.interface] = name
        elif strict:
            out.append(Issue(f"xconnect {name}: no interface", (*p, "interface"), "missing-element"))
        if xc.neighbor:
            try:
                check_ipv4(xc.neighbor, "neighbor")
            except ConfigError as exc:
                out.append(Issue(f"xconnect {name}: {exc}", (*p, "neighbor")))
        elif strict:
            out.append(Issue(f"xconnect {name}: no neighbor", (*p, "neighbor"), "missing-element"))
        if xc.pw_id is not None:
            if not PW_MIN <= xc.pw_id <= PW_MAX:
                out.append(
                    Issue(
                        f"xconnect {name}: pw-id {xc.pw_id} out of range ({PW_MIN}-{PW_MAX})", (*p, "pw-id")
                    )
                )
        elif strict:
            out.append(Issue(f"xconnect {name}: no pw-id", (*p, "pw-id"), "missing-element"))
        return out

    def validate(self, strict: bool = True) -> None:
        found = self.issues(strict)
        if found:
            raise ConfigError(found)

    # -- comparison ---------------------------------------------------------------------------

    def diff(self, other: DeviceConfig) -> list[Change]:
        """What changes from ``self`` to ``other``, item by item (empty when equal)."""
        out: list[Change] = []
        if self.hostname != other.hostname:
            out.append(Change(("hostname",), self.hostname, other.hostname))
        for name in _union(self.interfaces, other.interfaces):
            a, b = self.interfaces.get(name), other.interfaces.get(name)
            if a is None or b is None:
                out.append(Change(("interfaces", name), _asdict(a), _asdict(b)))
                continue
            for key in (
                "description",
                "enabled",
                "mtu",
                "ipv4",
                "vlan",
                "service_policy_in",
                "service_policy_out",
            ):
                va, vb = getattr(a, key), getattr(b, key)
                if va != vb:
                    out.append(Change(("interfaces", name, key), _none_if_empty(va), _none_if_empty(vb)))
        for section in ("policers", "routes", "snmp_communities", "users"):
            da: dict[str, Any] = getattr(self, section)
            db: dict[str, Any] = getattr(other, section)
            for key in _union(da, db):
                if da.get(key) != db.get(key) or (key in da) != (key in db):
                    out.append(Change((section, key), da.get(key), db.get(key)))
        for key in _union(self.xconnects, other.xconnects):
            xa, xb = self.xconnects.get(key), other.xconnects.get(key)
            if xa != xb:
                out.append(Change(("xconnects", key), _asdict(xa), _asdict(xb)))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "hostname": self.hostname,
            "interfaces": [_asdict(i) for i in self.ordered_interfaces()],
            "policers": dict(self.policers),
            "routes": dict(self.routes),
            "xconnects": {k: _asdict(v) for k, v in self.xconnects.items()},
            "snmp_communities": dict(self.snmp_communities),
            "users": dict(self.users),
        }


def _union(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    return list(a) + [k for k in b if k not in a]


def _none_if_empty(v: Any) -> Any:
    # Changes use None for "not set"; an empty description or address list is "not set".
    return None if v in ("", []) else v


def _asdict(obj: InterfaceConfig | Xconnect | None) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {k: copy.copy(v) for k, v in vars(obj).items()}
