"""Turning a containerlab topology into simulated device models.

A :class:`DeviceModel` is the static description of one device: names, ifIndex values, MACs,
sysDescr, inventory. It is deterministic (the same topology gives the same models on every run
and in every worker process) and holds no runtime state; :mod:`lab.sim.node` adds that.

Interface naming follows each vendor (see :data:`FAMILIES`); a link may name an interface by its
NOS name (``ethernet-1/3``) or by containerlab's raw Linux name (``e1-3``, ``eth3``).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from lab.topology import Node, Topology, TopologyError

DEFAULT_PORTS = 8
FRONT_SPEED_MBPS = 10_000
MGMT_SPEED_MBPS = 1_000
# Most nodes fit in 250 addresses per third octet; .251-.255 stay free (broadcast-looking ends
# confuse people reading a lab listing).
HOSTS_PER_OCTET = 250

IF_TYPE_ETHERNET = 6
IF_TYPE_LOOPBACK = 24
IF_TYPE_L2VLAN = 135
# Subinterfaces get ifIndex SUBIF_INDEX_BASE + 10000 * (row of the parent port) + number: stable
# across restarts and clear of every vendor's port and management indexes.
SUBIF_INDEX_BASE = 0x10000000


class DeviceError(ValueError):
    """A node or interface that does not exist, or an address plan that does not fit."""


@dataclass(frozen=True)
class InterfaceModel:
    name: str
    if_index: int
    role: str  # "mgmt" | "front" | "loopback" | "extra" | "subif"
    if_type: int
    mtu: int
    speed_mbps: int
    mac: bytes  # b"" for loopbacks
    port: int | None = None  # front-panel port number (1-based)
    aliases: tuple[str, ...] = ()  # other names a topology may use for it (raw clab names)
    peer: tuple[str, str] | None = None  # (node, interface name) when the link ends on a lab node
    external_peer: str = ""  # "host:eth1" and other non-node ends
    connected: bool = False  # a topology link ends here
    ipv4: str = ""  # "a.b.c.d/len" when the topology link gives this end an address

    @property
    def descr(self) -> str:
        return self.name

    @property
    def alias(self) -> str:
        if self.peer is not None:
            return f"to {self.peer[0]} {self.peer[1]}"
        if self.external_peer:
            return f"to {self.external_peer}"
        return ""

    @property
    def lldp(self) -> bool:
        """LLDP runs on physical ports (front, extra and management), not on loopbacks or
        subinterfaces."""
        return self.role not in ("loopback", "subif")

    @property
    def mac_text(self) -> str:
        return ":".join(f"{b:02x}" for b in self.mac)


@dataclass(frozen=True)
class EntityModel:
    index: int
    descr: str
    vendor_type: tuple[int, ...]
    contained_in: int
    cls: int  # PhysicalClass: 3 chassis, 6 powerSupply, 7 fan, 9 module, 12 cpu
    parent_rel_pos: int
    name: str
    hardware_rev: str
    firmware_rev: str
    software_rev: str
    serial: str
    mfg_name: str
    model_name: str
    is_fru: bool


@dataclass(frozen=True)
class DeviceModel:
    index: int
    name: str
    long_name: str
    kind: str
    platform: str
    vendor: str
    role: str
    site: str
    address: str
    snmp_port: int
    snmp_profile: str
    engine_id: bytes
    enterprise: int
    sys_descr: str
    sys_object_id: tuple[int, ...]
    sys_name: str
    sys_location: str
    sys_contact: str
    sys_services: int
    chassis_mac: bytes
    model_name: str
    os_version: str
    interfaces: tuple[InterfaceModel, ...]  # sorted by ifIndex
    entities: tuple[EntityModel, ...]
    # Nodes the agent reaches this one through (label ossagent-mgmt-via); none = directly.
    mgmt_via: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict, compare=False)
    # The topology's credentials for the node (containerlab ``credentials``), if it has any.
    username: str = ""
    password: str = field(default="", repr=False)
    _lookup: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)

    def find_interface(self, name: str) -> InterfaceModel:
        """By name or alias (raw containerlab name), case-insensitively as a fallback."""
        i = self._lookup.get(name)
        if i is None:
            i = self._lookup.get(name.lower())
        if i is None:
            # Any alias the vendor family understands (Et2, eth2, e1-2, Gi0-0-0-1, ...).
            fam = family_of(self.kind)
            port = fam.parse_port(name)
            if port is not None:
                i = self._lookup.get(fam.port_name(port))
        if i is None:
            known = ", ".join(x.name for x in self.interfaces[:6])
            raise DeviceError(f"node {self.name!r} has no interface {name!r} (it has {known}, ...)")
        return self.interfaces[i]

    def subinterface(self, name: str, parent: InterfaceModel, number: int) -> InterfaceModel:
        """The model of subinterface ``name`` (``<parent>.<number>``), created by configuration."""
        row = next(k for k, x in enumerate(self.interfaces) if x.name == parent.name)
        return InterfaceModel(
            name,
            SUBIF_INDEX_BASE + 10000 * row + number,
            "subif",
            IF_TYPE_L2VLAN,
            parent.mtu,
            parent.speed_mbps,
            parent.mac,
            port=parent.port,
        )

    @property
    def chassis_mac_text(self) -> str:
        return ":".join(f"{b:02x}" for b in self.chassis_mac)


# ---------------------------------------------------------------------------------------------
# Vendor families
# ---------------------------------------------------------------------------------------------


def _version_from_image(image: str, default: str) -> str:
    tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else ""
    return tag if tag and tag != "latest" else default


@dataclass(frozen=True)
class Family:
    """How one vendor names and numbers things."""

    key: str
    vendor: str
    enterprise: int
    platform: str
    oui: bytes
    mgmt_name: str
    mgmt_index: int
    loop_name: str
    loop_index: int
    front_mtu: int
    serial_prefix: str
    default_version: str

    def port_name(self, n: int) -> str:
        raise NotImplementedError

    def port_index(self, n: int) -> int:
        raise NotImplementedError

    def parse_port(self, name: str) -> int | None:
        """Front-port number for a NOS or raw name, or None. ``ethN`` is port N everywhere,
        because that is containerlab's raw name for most kinds."""
        m = re.fullmatch(r"eth(\d+)", name)
        if m and int(m.group(1)) >= 1:
            return int(m.group(1))
        return None

    def raw_names(self, n: int) -> tuple[str, ...]:
        return (f"eth{n}",)

    def model_name(self, node: Node) -> str:
        raise NotImplementedError

    def sys_descr(self, node: Node, model: str, version: str) -> str:
        raise NotImplementedError

    def sys_object_id(self, node: Node) -> tuple[int, ...]:
        raise NotImplementedError

    def sys_services(self) -> int:
        return 6  # layers 2 and 3: a switch-router

    def entity_names(self) -> dict[str, str]:
        return {
            "chassis": "Chassis",
            "sup": "Supervisor1",
            "cpu": "CPU0",
            "card": "Linecard1",
            "psu": "PowerSupply{n}",
            "fan": "Fan{n}",
        }


class _Arista(Family):
    def port_name(self, n: int) -> str:
        return f"Ethernet{n}"

    def port_index(self, n: int) -> int:
        return n  # EOS: EthernetN has ifIndex N

    def parse_port(self, name: str) -> int | None:
        m = re.fullmatch(r"(?:Ethernet|Et|ethernet|et)(\d+)", name)
        if m and int(m.group(1)) >= 1:
            return int(m.group(1))
        return super().parse_port(name)

    def model_name(self, node: Node) -> str:
        return "vEOS-lab" if node.kind == "arista_veos" else "cEOSLab"

    def sys_descr(self, node: Node, model: str, version: str) -> str:
        return f"Arista Networks EOS version {version} running on an Arista Networks {model}"

    def sys_object_id(self, node: Node) -> tuple[int, ...]:
        return (1, 3, 6, 1, 4, 1, 30065, 1, 3011, 7010, 427, 48)


class _Nokia(Family):
    def port_name(self, n: int) -> str:
        return f"ethernet-1/{n}"

    def port_index(self, n: int) -> int:
        # SR Linux-like: large, non-contiguous values (slot and port packed in bit fields).
        return ((n - 1) << 15) | 0x3FFE

    def parse_port(self, name: str) -> int | None:
        m = re.fullmatch(r"(?:ethernet-1/|e1-)(\d+)", name)
        if m and int(m.group(1)) >= 1:
            return int(m.group(1))
        return super().parse_port(name)

    def raw_names(self, n: int) -> tuple[str, ...]:
        return (f"e1-{n}",)

    def model_name(self, node: Node) -> str:
        t = node.type or "ixr-d2l"
        prefix = "7220 " if t.startswith("ixr-d") or t.startswith("ixr-h") else "7250 "
        return prefix + t.upper()

    def sys_descr(self, node: Node, model: str, version: str) -> str:
        return (
            f"SRLinux-v{version} {model} Copyright (c) 2000-2024 Nokia. "
            "Kernel 6.1.25 #1 SMP PREEMPT_DYNAMIC Mon Oct 14 16:07:58 UTC 2024"
        )

    def sys_object_id(self, node: Node) -> tuple[int, ...]:
        return (1, 3, 6, 1, 4, 1, 6527, 1, 20, 41)

    def entity_names(self) -> dict[str, str]:
        return {
            "chassis": "Chassis",
            "sup": "Control A",
            "cpu": "CPU A",
            "card": "Linecard 1",
            "psu": "Power-supply {n}",
            "fan": "Fan-tray {n}",
        }


class _CiscoXR(Family):
    def port_name(self, n: int) -> str:
        return f"GigabitEthernet0/0/0/{n - 1}"

    def port_index(self, n: int) -> int:
        return 3 + 2 * (n - 1)

    def parse_port(self, name: str) -> int | None:
        m = re.fullmatch(r"(?:GigabitEthernet|Gi)0[/-]0[/-]0[/-](\d+)", name)
        if m:
            return int(m.group(1)) + 1
        return super().parse_port(name)

    def raw_names(self, n: int) -> tuple[str, ...]:
        return (f"Gi0-0-0-{n - 1}", f"Gi0/0/0/{n - 1}", f"eth{n}")

    def model_name(self, node: Node) -> str:
        return "XRd Control Plane" if node.kind == "cisco_xrd" else "XRv 9000"

    def sys_descr(self, node: Node, model: str, version: str) -> str:
        return (
            f"Cisco IOS XR Software ({model}), Version {version}\r\n"
            "Copyright (c) 2013-2024 by Cisco Systems, Inc."
        )

    def sys_object_id(self, node: Node) -> tuple[int, ...]:
        return (1, 3, 6, 1, 4, 1, 9, 1, 2264)

    def entity_names(self) -> dict[str, str]:
        return {
            "chassis": "Rack 0",
            "sup": "0/RP0/CPU0",
            "cpu": "0/RP0/CPU0-Processor",
            "card": "0/0/CPU0",
            "psu": "0/PT{n}",
            "fan": "0/FT{n}",
        }


class _Juniper(Family):
    def port_name(self, n: int) -> str:
        return f"ge-0/0/{n - 1}"

    def port_index(self, n: int) -> int:
        return 513 + 2 * (n - 1)

    def parse_port(self, name: str) -> int | None:
        m = re.fullmatch(r"ge-0/0/(\d+)", name)
        if m:
            return int(m.group(1)) + 1
        return super().parse_port(name)

    def model_name(self, node: Node) -> str:
        return node.kind.split("_", 1)[1] if "_" in node.kind else "vmx"

    def sys_descr(self, node: Node, model: str, version: str) -> str:
        return (
            f"Juniper Networks, Inc. {model} internet router, kernel JUNOS {version}, "
            "Build date: 2024-03-20 10:40:21 UTC Copyright (c) 1996-2024 Juniper Networks, Inc."
        )

    def sys_object_id(self, node: Node) -> tuple[int, ...]:
        return (1, 3, 6, 1, 4, 1, 2636, 1, 1, 1, 2, 108)

    def entity_names(self) -> dict[str, str]:
        return {
            "chassis": "Chassis",
            "sup": "Routing Engine 0",
            "cpu": "CPU",
            "card": "FPC 0",
            "psu": "PEM {n}",
            "fan": "Fan Tray {n}",
        }


class _Linux(Family):
    def port_name(self, n: int) -> str:
        return f"eth{n}"

    def port_index(self, n: int) -> int:
        return n + 2  # lo = 1, eth0 = 2, ethN = N + 2 (kernel order)

    def raw_names(self, n: int) -> tuple[str, ...]:
        return ()

    def model_name(self, node: Node) -> str:
        return "FRRouting" if "frr" in node.image.lower() else "Linux"

    def sys_descr(self, node: Node, model: str, version: str) -> str:
        return f"Linux {node.name} 6.1.0-28-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22) x86_64"

    def sys_object_id(self, node: Node) -> tuple[int, ...]:
        return (1, 3, 6, 1, 4, 1, 8072, 3, 2, 10)

    def sys_services(self) -> int:
        return 72  # application + end-to-end, what Net-SNMP's snmpd reports


FAMILIES: dict[str, Family] = {
    "eos": _Arista(
        key="eos",
        vendor="Arista Networks",
        enterprise=30065,
        platform="eos",
        oui=bytes((0x00, 0x1C, 0x73)),
        mgmt_name="Management0",
        mgmt_index=999001,
        loop_name="Loopback0",
        loop_index=5000000,
        front_mtu=1500,
        serial_prefix="JPE",
        default_version="4.32.0F",
    ),
    "srlinux": _Nokia(
        key="srlinux",
        vendor="Nokia",
        enterprise=6527,
        platform="srlinux",
        oui=bytes((0x1A, 0x0B, 0x00)),
        mgmt_name="mgmt0",
        mgmt_index=1077952510,
        loop_name="system0",
        loop_index=1073758206,
        front_mtu=9232,
        serial_prefix="NS",
        default_version="24.10.1",
    ),
    "iosxr": _CiscoXR(
        key="iosxr",
        vendor="Cisco Systems",
        enterprise=9,
        platform="iosxr",
        oui=bytes((0x00, 0x8A, 0x96)),
        mgmt_name="MgmtEth0/RP0/CPU0/0",
        mgmt_index=2,
        loop_name="Loopback0",
        loop_index=1,
        front_mtu=1514,
        serial_prefix="FOC",
        default_version="24.1.1",
    ),
    "junos": _Juniper(
        key="junos",
        vendor="Juniper Networks",
        enterprise=2636,
        platform="junos",
        oui=bytes((0x2C, 0x6B, 0xF5)),
        mgmt_name="fxp0",
        mgmt_index=1,
        loop_name="lo0",
        loop_index=6,
        front_mtu=1514,
        serial_prefix="VM",
        default_version="23.2R1.14",
    ),
    "linux": _Linux(
        key="linux",
        vendor="Linux",
        enterprise=8072,
        platform="linux",
        oui=bytes((0x02, 0x42, 0xAC)),
        mgmt_name="eth0",
        mgmt_index=2,
        loop_name="lo",
        loop_index=1,
        front_mtu=1500,
        serial_prefix="LNX",
        default_version="6.1",
    ),
}


def family_of(kind: str) -> Family:
    if kind in ("arista_ceos", "arista_veos"):
        return FAMILIES["eos"]
    if kind == "nokia_srlinux":
        return FAMILIES["srlinux"]
    if kind in ("cisco_xrd", "cisco_xrv9k", "cisco_xrv"):
        return FAMILIES["iosxr"]
    if kind.startswith("juniper_"):
        return FAMILIES["junos"]
    return FAMILIES["linux"]


# ---------------------------------------------------------------------------------------------
# Addresses
# ---------------------------------------------------------------------------------------------


def default_address_base(lab_name: str) -> str:
    """``127.A.B`` from a hash of the lab name: labs with different names do not collide.

    A stays in 16..239 so that 127.0.x (where localhost services live) and the top of the
    range are never used, and there is room for thousands of devices above B.
    """
    h = int.from_bytes(hashlib.sha256(lab_name.encode()).digest()[:4], "big")
    return f"127.{16 + h % 224}.{(h >> 8) % 256}"


def parse_address_base(base: str) -> tuple[int, int]:
    parts = base.split(".")
    try:
        if len(parts) != 3 or int(parts[0]) != 127:
            raise ValueError(base)
        a, b = int(parts[1]), int(parts[2])
    except ValueError:
        raise DeviceError(
            f"address base {base!r} must be the first three octets of a 127/8 address, like '127.31.7'"
        ) from None
    if not (0 <= a <= 255 and 0 <= b <= 255):
        raise DeviceError(f"address base {base!r} has an octet out of range")
    return a, b


def node_address(base: str, i: int) -> str:
    """Node ``i`` (0-based) gets ``base.(i+1)``, rolling into the next third octet after .250."""
    a, b = parse_address_base(base)
    third = (a << 8) + b + i // HOSTS_PER_OCTET
    if third > 0xFFFF:
        raise DeviceError(f"address base {base} has no room for {i + 1} devices")
    return f"127.{third >> 8}.{third & 0xFF}.{i % HOSTS_PER_OCTET + 1}"


def check_loopback(host: str) -> None:
    try:
        ok = ipaddress.IPv4Address(host) in ipaddress.IPv4Network("127.0.0.0/8")
    except ValueError:
        ok = False
    if not ok:
        raise DeviceError(f"{host!r} is not a 127.0.0.0/8 address: the simulated lab only uses loopback")


# ---------------------------------------------------------------------------------------------
# Building models
# ---------------------------------------------------------------------------------------------


def _h(*parts: str) -> bytes:
    return hashlib.sha256("|".join(parts).encode()).digest()


def engine_id_for(lab: str, node: str, enterprise: int) -> bytes:
    """RFC 3411 format 4 (text): 0x80 | enterprise, 0x04, then up to 27 bytes of text."""
    text = f"{lab}:{node}"
    if len(text.encode()) > 27 or not text.isascii():
        text = node.encode("ascii", "replace").decode()[:18] + "." + _h(lab, node).hex()[:8]
    return (0x80000000 | enterprise).to_bytes(4, "big") + b"\x04" + text.encode()


def _serial(prefix: str, *parts: str) -> str:
    digits = int.from_bytes(_h("serial", *parts)[:6], "big") % 10**8
    return f"{prefix}{digits:08d}"


def _entities(fam: Family, node: Node, model: str, version: str, lab: str) -> tuple[EntityModel, ...]:
    names = fam.entity_names()
    ent = fam.enterprise
    vt_base = (1, 3, 6, 1, 4, 1, ent, 3, 6) if fam.key != "linux" else None

    def vtype(cls: int, k: int) -> tuple[int, ...]:
        return (0, 0) if vt_base is None else (*vt_base, cls, k)

    def mk(
        idx: int,
        descr: str,
        cls: int,
        parent: int,
        pos: int,
        name: str,
        model_name: str,
        fru: bool,
        sw: str = "",
    ) -> EntityModel:
        return EntityModel(
            index=idx,
            descr=descr,
            vendor_type=vtype(cls, idx),
            contained_in=parent,
            cls=cls,
            parent_rel_pos=pos,
            name=name,
            hardware_rev="1.0" if cls != 12 else "",
            firmware_rev="2.04" if cls in (3, 9) else "",
            software_rev=sw,
            serial=_serial(fam.serial_prefix, lab, node.name, str(idx)) if fru or cls == 3 else "",
            mfg_name=fam.vendor,
            model_name=model_name,
            is_fru=fru,
        )

    out = [
        mk(1, f"{fam.vendor} {model} chassis", 3, 0, -1, names["chassis"], model, False, version),
        mk(2, f"{model} supervisor module", 9, 1, 1, names["sup"], f"{model}-SUP", True, version),
        mk(3, f"{model} CPU", 12, 2, 1, names["cpu"], "x86-64 4-core", False),
        mk(4, f"{model} line card", 9, 1, 2, names["card"], f"{model}-LC", True, version),
    ]
    for n in (1, 2):
        out.append(
            mk(4 + n, f"{model} power supply", 6, 1, 2 + n, names["psu"].format(n=n), "PWR-750AC", True)
        )
    for n in (1, 2, 3):
        out.append(mk(6 + n, f"{model} fan module", 7, 1, 4 + n, names["fan"].format(n=n), "FAN-F", True))
    return tuple(out)


def build_devices(
    topology: Topology,
    *,
    address_base: str | None = None,
    snmp_port: int = 16100,
    default_profile: str = "lab-v2c",
) -> list[DeviceModel]:
    """One :class:`DeviceModel` per topology node, in topology order."""
    base = address_base or default_address_base(topology.name)
    parse_address_base(base)
    if not 1 <= snmp_port <= 65535:
        raise DeviceError(f"SNMP port {snmp_port} out of range")
    names = list(topology.nodes)

    # Chassis MAC ids: 16 bits from the node name, collisions resolved in name order so that
    # every node of a lab has a distinct chassis MAC (LLDP uses it to tell neighbours apart).
    mac_ids: dict[str, int] = {}
    used: set[int] = set()
    for name in sorted(names):
        v = int.from_bytes(_h("mac", name)[:2], "big")
        while v in used:
            v = (v + 1) & 0xFFFF
        used.add(v)
        mac_ids[name] = v

    # Which interfaces each node's links name, resolved to (canonical name, port number).
    families = {n: family_of(topology.nodes[n].kind) for n in names}
    wanted_ports: dict[str, int] = {}
    link_ends: dict[tuple[str, str], tuple[str, str] | str] = {}  # (node, canonical) -> peer
    link_ipv4: dict[tuple[str, str], str] = {}
    extra_names: dict[str, list[str]] = {n: [] for n in names}
    canonical: dict[tuple[str, str], str] = {}

    def canon(node: str, ifname: str) -> str:
        key = (node, ifname)
        if key in canonical:
            return canonical[key]
        fam = families[node]
        port = fam.parse_port(ifname)
        if port is not None:
            wanted_ports[node] = max(wanted_ports.get(node, 0), port)
            c = fam.port_name(port)
        elif ifname in (fam.mgmt_name, fam.loop_name):
            c = ifname
        else:
            c = ifname
            if c not in extra_names[node]:
                extra_names[node].append(c)
        canonical[key] = c
        return c

    for link in topology.links:
        ends = link.endpoints()
        for ep in ends:
            if ep.is_pseudo:
                continue
            c = canon(ep.node, ep.interface)
            other = None
            if link.z is not None:
                other = link.z if ep is link.a else link.a
            if other is None:
                peer: tuple[str, str] | str = f"{link.type}"
            elif other.is_pseudo:
                peer = str(other)
            else:
                peer = (other.node, canon(other.node, other.interface))
            if (ep.node, c) in link_ends:
                raise TopologyError(f"interface {ep.node}:{c} is used by two links")
            link_ends[(ep.node, c)] = peer
            if ep.ipv4:
                link_ipv4[(ep.node, c)] = ep.ipv4

    raw_names: dict[str, list[tuple[str, str]]] = {}
    for (n2, raw), c in canonical.items():
        raw_names.setdefault(n2, []).append((raw, c))

    models: list[DeviceModel] = []
    for i, name in enumerate(names):
        node = topology.nodes[name]
        fam = families[name]
        try:
            nports = int(node.label("ossagent-ports", str(DEFAULT_PORTS)))
        except ValueError:
            raise TopologyError(f"node {name}: label ossagent-ports must be a number") from None
        if not 0 <= nports <= 4096:
            raise TopologyError(f"node {name}: ossagent-ports must be between 0 and 4096")
        nports = max(nports, wanted_ports.get(name, 0))
        oui = fam.oui
        mid = mac_ids[name].to_bytes(2, "big")
        chassis_mac = oui + mid + b"\x00"

        def mac(k: int, oui: bytes = oui, mid: bytes = mid) -> bytes:
            return oui + mid + bytes(((k & 0xFF) or 1,))

        ifs: list[InterfaceModel] = []
        mgmt_mtu = 1500 if fam.key in ("eos", "linux") else 1514
        ifs.append(
            InterfaceModel(
                fam.mgmt_name, fam.mgmt_index, "mgmt", IF_TYPE_ETHERNET, mgmt_mtu, MGMT_SPEED_MBPS, mac(255)
            )
        )
        ifs.append(
            InterfaceModel(
                fam.loop_name,
                fam.loop_index,
                "loopback",
                IF_TYPE_LOOPBACK,
                65535 if fam.key != "linux" else 65536,
                0,
                b"",
            )
        )
        for p in range(1, nports + 1):
            ifs.append(
                InterfaceModel(
                    fam.port_name(p),
                    fam.port_index(p),
                    "front",
                    IF_TYPE_ETHERNET,
                    fam.front_mtu,
                    FRONT_SPEED_MBPS,
                    mac(p),
                    port=p,
                    aliases=fam.raw_names(p),
                )
            )
        taken = {x.if_index for x in ifs}
        next_extra = max(taken) + 1
        for k, ename in enumerate(extra_names[name]):
            while next_extra in taken:
                next_extra += 1
            taken.add(next_extra)
            ifs.append(
                InterfaceModel(
                    ename,
                    next_extra,
                    "extra",
                    IF_TYPE_ETHERNET,
                    fam.front_mtu,
                    FRONT_SPEED_MBPS,
                    mac(nports + 1 + k),
                )
            )
        # Attach link ends.
        final: list[InterfaceModel] = []
        for itf in ifs:
            end = link_ends.get((name, itf.name))
            if (name, itf.name) in link_ipv4:
                itf = replace(itf, ipv4=link_ipv4[(name, itf.name)])
            if end is None:
                final.append(itf)
            elif isinstance(end, tuple):
                final.append(replace(itf, peer=end, connected=True))
            else:
                final.append(replace(itf, external_peer=end, connected=True))
        final.sort(key=lambda x: x.if_index)
        if len({x.if_index for x in final}) != len(final):
            raise DeviceError(f"node {name}: duplicate ifIndex values")
        lookup: dict[str, int] = {}
        for k, itf in enumerate(final):
            for n in (itf.name, *itf.aliases):
                lookup.setdefault(n, k)
                lookup.setdefault(n.lower(), k)
        # Raw names a link used (e.g. "eth3" for an SR Linux node) also resolve.
        for raw, c in raw_names.get(name, ()):
            if c in lookup:
                lookup.setdefault(raw, lookup[c])

        version = _version_from_image(node.image, fam.default_version)
        model_name = fam.model_name(node)
        sys_descr = node.label("ossagent-sysdescr") or fam.sys_descr(node, model_name, version)
        site = node.label("site")
        models.append(
            DeviceModel(
                index=i,
                name=name,
                long_name=topology.long_name(name),
                kind=node.kind,
                platform="frr" if fam.key == "linux" and "frr" in node.image.lower() else fam.platform,
                vendor=fam.vendor,
                role=node.label("role"),
                site=site,
                address=node_address(base, i),
                snmp_port=snmp_port,
                snmp_profile=node.label("ossagent-snmp-profile") or default_profile,
                engine_id=engine_id_for(topology.name, name, fam.enterprise),
                enterprise=fam.enterprise,
                sys_descr=sys_descr,
                sys_object_id=fam.sys_object_id(node),
                sys_name=name,
                sys_location=node.label("ossagent-syslocation") or (f"{site}, lab" if site else "lab"),
                sys_contact=node.label("ossagent-syscontact") or "noc@example.net",
                sys_services=fam.sys_services(),
                chassis_mac=chassis_mac,
                model_name=model_name,
                os_version=version,
                interfaces=tuple(final),
                entities=_entities(fam, node, model_name, version, topology.name),
                mgmt_via=_mgmt_via(node, topology),
                labels=dict(node.labels),
                username=node.credentials.username if node.credentials else "",
                password=node.credentials.password if node.credentials else "",
                _lookup=lookup,
            )
        )
    return models


def _mgmt_via(node: Node, topology: Topology) -> tuple[str, ...]:
    via = tuple(v.strip() for v in node.label("ossagent-mgmt-via").split(",") if v.strip())
    for v in via:
        if v not in topology.nodes or v == node.name:
            raise TopologyError(
                f"node {node.name}: ossagent-mgmt-via names {v!r}, which is not another lab node"
            )
    return via


def models_by_name(models: Sequence[DeviceModel]) -> dict[str, DeviceModel]:
    return {m.name: m for m in models}
