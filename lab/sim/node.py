"""Runtime state of one simulated device: interface states, counters, uptime, LLDP neighbours,
the SNMPv3 engine, statistics, and the notifications its state changes produce.

Everything time-dependent takes ``now`` (``time.monotonic()``) as an argument so the agent reads
the clock once per request and tests can drive time by hand.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from collectors.snmp.wire import ber
from collectors.snmp.wire.usm import FLAG_AUTH, FLAG_PRIV, UserConfig, UsmEngine
from lab.sim import mib
from lab.sim.device import DeviceModel, EntityModel, InterfaceModel
from lab.sim.traffic import Counters, Direction

LLDP_TTL = 120.0  # seconds a neighbour is remembered after its link went down
LLDP_CAPABILITIES = ber.encode_octets(b"\x28")  # BITS: bridge(2) + router(4)

TRAP_COLD_START = (1, 3, 6, 1, 6, 3, 1, 1, 5, 1)
TRAP_LINK_DOWN = (1, 3, 6, 1, 6, 3, 1, 1, 5, 3)
TRAP_LINK_UP = (1, 3, 6, 1, 6, 3, 1, 1, 5, 4)

_SYS_UPTIME_TLV = ber.encode_oid(mib.SYS_UPTIME)
_TRAP_OID_TLV = ber.encode_oid(mib.SNMP_TRAP_OID)


@dataclass(frozen=True)
class Notification:
    trap_oid: tuple[int, ...]
    varbinds: bytes = b""  # encoded VarBinds after sysUpTime.0 and snmpTrapOID.0
    interface: str = ""


@dataclass
class NodeStats:
    packets: int = 0  # datagrams received
    responses: int = 0
    malformed: int = 0
    bad_community: int = 0
    dropped: int = 0  # received while the node was down
    errors: int = 0  # internal errors (a bug, logged)
    traps_sent: int = 0
    varbinds: int = 0  # varbinds answered


class IfRuntime:
    """One interface: state, pre-encoded static values and counters."""

    __slots__ = (
        "admin_up",
        "alias",
        "alias_tlv",
        "connector_tlv",
        "counters",
        "descr",
        "descr_tlv",
        "high_speed_tlv",
        "index_tlv",
        "last_change",
        "link_up",
        "lldp_entry",
        "lldp_lost_at",
        "model",
        "mtu_tlv",
        "name_tlv",
        "peer_admin_up",
        "peer_alive",
        "phys_tlv",
        "port_desc_tlv",
        "speed_tlv",
        "trap_enable_tlv",
        "type_tlv",
    )

    model: InterfaceModel
    admin_up: bool
    link_up: bool
    peer_admin_up: bool
    peer_alive: bool
    last_change: float
    counters: Counters
    index_tlv: bytes
    type_tlv: bytes
    mtu_tlv: bytes
    speed_tlv: bytes
    high_speed_tlv: bytes
    phys_tlv: bytes
    name_tlv: bytes
    trap_enable_tlv: bytes
    connector_tlv: bytes
    descr: str
    alias: str
    descr_tlv: bytes
    alias_tlv: bytes
    port_desc_tlv: bytes

    def __init__(self, model: InterfaceModel, counters: Counters, now: float):
        self.model = model
        self.admin_up = True
        # A front port without a topology link has no cable: admin up, oper down.
        self.link_up = model.connected or model.role in ("mgmt", "loopback")
        self.peer_admin_up = True
        self.peer_alive = True  # False while the box at the other end is down (no light)
        self.last_change = now
        self.counters = counters
        self.lldp_entry: tuple[int, int] | None = None  # (time mark ticks, lldpRemIndex)
        self.lldp_lost_at: float | None = None
        m = model
        self.index_tlv = ber.encode_integer(m.if_index)
        self.type_tlv = ber.encode_integer(m.if_type)
        self.mtu_tlv = ber.encode_integer(m.mtu)
        bps = m.speed_mbps * 1_000_000
        # RFC 2863: ifSpeed saturates at 2**32-1 and ifHighSpeed carries the real speed.
        self.speed_tlv = ber.encode_gauge32(min(bps, 0xFFFFFFFF))
        self.high_speed_tlv = ber.encode_gauge32(m.speed_mbps)
        self.phys_tlv = ber.encode_octets(m.mac)
        self.name_tlv = ber.encode_octets(m.name)
        self.trap_enable_tlv = ber.encode_integer(2 if m.role == "loopback" else 1)
        self.connector_tlv = ber.encode_integer(2 if m.role == "loopback" else 1)
        self.descr = ""
        self.alias = ""
        self.descr_tlv = b""
        self.alias_tlv = b""
        self.port_desc_tlv = b""
        self.set_descr(m.descr)
        self.set_alias(m.alias)

    @property
    def oper_up(self) -> bool:
        return self.admin_up and self.link_up and self.peer_admin_up and self.peer_alive

    def set_descr(self, descr: str) -> None:
        self.descr = descr
        self.descr_tlv = ber.encode_octets(descr)

    def set_mtu(self, mtu: int) -> None:
        self.mtu_tlv = ber.encode_integer(mtu)

    def set_alias(self, alias: str) -> None:
        self.alias = alias
        self.alias_tlv = ber.encode_octets(alias)
        # lldpLocPortDesc: what most NOSes send is the interface description.
        self.port_desc_tlv = ber.encode_octets(alias or self.model.name)


@dataclass
class RemEntry:
    time_mark: int
    local_port: int
    index: int
    tlvs: list[bytes] = field(default_factory=list)


def _initial_uptime(model: DeviceModel) -> float:
    """1 to 40 days, deterministic per device: counters and sysUpTime start looking lived-in."""
    h = int.from_bytes(hashlib.sha256(f"uptime|{model.name}".encode()).digest()[:4], "big")
    return 86400.0 + (h % (39 * 86400))


class SimNode:
    """One simulated device at runtime."""

    usm: UsmEngine
    booted_at: float
    sys_descr_tlv: bytes
    sys_object_id_tlv: bytes
    sys_name_tlv: bytes
    sys_location_tlv: bytes
    sys_contact_tlv: bytes
    sys_services_tlv: bytes
    ifs: list[IfRuntime]
    lldp_ports: list[int]
    lldp_rem: list[RemEntry]
    lldp_tlvs: list[bytes]
    entity_tlvs: list[dict[int, bytes]]

    def __init__(
        self,
        model: DeviceModel,
        peers: Mapping[str, DeviceModel],
        users: Iterable[UserConfig],
        trap_profile: Mapping[str, Any],
        now: float,
    ):
        self.model = model
        self.peers = peers
        self.trap_profile = dict(trap_profile)
        self.up = True
        self.slow_ms = 0
        self.stats = NodeStats()
        self.booted_at = now - _initial_uptime(model)
        self.usm = UsmEngine(model.engine_id, users, boots=1, booted_at=self.booted_at)
        self.cold_start_pending = True  # sent once trap receivers are known
        self._trap_id = int.from_bytes(model.engine_id[-3:], "big") << 8
        self.sys_object_id_tlv = ber.encode_oid(model.sys_object_id)
        self.sys_services_tlv = ber.encode_integer(model.sys_services)
        self.sys_descr = self.sys_name = self.sys_location = self.sys_contact = ""
        self.sys_descr_tlv = self.sys_name_tlv = self.sys_location_tlv = self.sys_contact_tlv = b""
        self.set_system(
            sys_descr=model.sys_descr,
            sys_name=model.sys_name,
            sys_location=model.sys_location,
            sys_contact=model.sys_contact,
        )
        self.lldp_tlvs = [ber.encode_integer(4), ber.encode_octets(model.chassis_mac), LLDP_CAPABILITIES]
        self.entity_tlvs = [_entity_row(e) for e in model.entities]

        self.ifs: list[IfRuntime] = []
        for itf in model.interfaces:
            counters = Counters(*_profiles(model, itf))
            rt = IfRuntime(itf, counters, self.booted_at + 5.0)
            counters.reset(now, running=rt.oper_up, history_from=self.booted_at + 5.0)
            self.ifs.append(rt)
        self.by_name: dict[str, int] = {}
        self.lldp_ports: list[int] = []
        # Subinterfaces created by configuration, by parent port name. They follow their
        # parent's operational state (a subinterface is up only while its port is).
        self.subifs: dict[str, list[IfRuntime]] = {}
        self._reindex()
        self._lldp_index = 0
        for rt in self.ifs:
            if rt.oper_up and rt.model.peer is not None:
                # Learned about 30 s after boot, like a real LLDP agent.
                self._learn(rt, self.ticks(self.booted_at + 30.0))
        self.lldp_rem: list[RemEntry] = []
        self.mib = mib.build_mib(self, None)
        self.refresh_lldp(now)

    def _reindex(self) -> None:
        self.by_name = {rt.model.name: k for k, rt in enumerate(self.ifs)}
        self.lldp_ports = [k for k, rt in enumerate(self.ifs) if rt.model.lldp]

    # -- subinterfaces ------------------------------------------------------------------------

    def add_subinterface(self, model: InterfaceModel, parent: IfRuntime, now: float) -> IfRuntime:
        """A new IF-MIB row for a configured subinterface (type l2vlan); the MIB is rebuilt."""
        counters = Counters(*_profiles(self.model, model))
        rt = IfRuntime(model, counters, now)
        rt.link_up = parent.oper_up
        rt.set_alias("")
        counters.reset(now, running=rt.oper_up)
        self.ifs.append(rt)
        self.subifs.setdefault(parent.model.name, []).append(rt)
        self._reindex()
        self.refresh_lldp(now)
        return rt

    def remove_subinterface(self, name: str, now: float) -> None:
        k = self.by_name.get(name)
        if k is None or self.ifs[k].model.role != "subif":
            return
        rt = self.ifs.pop(k)
        for kids in self.subifs.values():
            if rt in kids:
                kids.remove(rt)
        self._reindex()
        self.refresh_lldp(now)

    # -- time ---------------------------------------------------------------------------------

    def ticks(self, now: float) -> int:
        """sysUpTime in hundredths of a second (TimeTicks wrap at 2**32)."""
        return int((now - self.booted_at) * 100) & 0xFFFFFFFF

    # -- lookups ------------------------------------------------------------------------------

    def interface(self, name: str) -> IfRuntime:
        k = self.by_name.get(name)
        if k is None:
            k = self.by_name[self.model.find_interface(name).name]
        return self.ifs[k]

    # -- system -------------------------------------------------------------------------------

    def set_system(
        self,
        sys_descr: str | None = None,
        sys_name: str | None = None,
        sys_location: str | None = None,
        sys_contact: str | None = None,
    ) -> None:
        if sys_descr is not None:
            self.sys_descr, self.sys_descr_tlv = sys_descr, ber.encode_octets(sys_descr)
        if sys_name is not None:
            self.sys_name, self.sys_name_tlv = sys_name, ber.encode_octets(sys_name)
        if sys_location is not None:
            self.sys_location, self.sys_location_tlv = sys_location, ber.encode_octets(sys_location)
        if sys_contact is not None:
            self.sys_contact, self.sys_contact_tlv = sys_contact, ber.encode_octets(sys_contact)

    # -- interface state ----------------------------------------------------------------------

    def update_interface(
        self,
        rt: IfRuntime,
        now: float,
        *,
        admin: bool | None = None,
        link: bool | None = None,
        peer_admin: bool | None = None,
        peer_alive: bool | None = None,
    ) -> list[Notification]:
        """Change an interface's state; returns the linkUp/linkDown the change causes."""
        was = rt.oper_up
        if admin is not None:
            rt.admin_up = admin
        if link is not None:
            rt.link_up = link
        if peer_admin is not None:
            rt.peer_admin_up = peer_admin
        if peer_alive is not None:
            rt.peer_alive = peer_alive
        if rt.oper_up == was:
            return []
        notes = self._oper_changed(rt, now)
        for child in self.subifs.get(rt.model.name, ()):
            notes += self.update_interface(child, now, link=rt.oper_up)
        return notes

    def _oper_changed(self, rt: IfRuntime, now: float) -> list[Notification]:
        rt.last_change = now
        if rt.oper_up:
            rt.counters.start(now)
            rt.lldp_lost_at = None
            if rt.model.peer is not None and rt.lldp_entry is None:
                self._learn(rt, self.ticks(now))
        else:
            rt.counters.stop(now)
            rt.lldp_lost_at = now
        self.refresh_lldp(now)
        return [self.link_notification(rt)]

    def link_notification(self, rt: IfRuntime, up: bool | None = None) -> Notification:
        oper = rt.oper_up if up is None else up
        i = (rt.model.if_index,)
        vbs = b"".join(
            (
                ber.varbind(ber.encode_oid((*mib.IF_INDEX, *i)), rt.index_tlv),
                ber.varbind(
                    ber.encode_oid((*mib.IF_ADMIN_STATUS, *i)), ber.encode_integer(1 if rt.admin_up else 2)
                ),
                ber.varbind(ber.encode_oid((*mib.IF_OPER_STATUS, *i)), ber.encode_integer(1 if oper else 2)),
                ber.varbind(ber.encode_oid((*mib.IF_NAME, *i)), rt.name_tlv),
                ber.varbind(ber.encode_oid((*mib.IF_DESCR, *i)), rt.descr_tlv),
            )
        )
        return Notification(TRAP_LINK_UP if oper else TRAP_LINK_DOWN, vbs, rt.model.name)

    def counter_wrap(self, rt: IfRuntime, bits: int, seconds: float, now: float) -> None:
        rt.counters.wrap_soon(now, bits, seconds)

    # -- restart ------------------------------------------------------------------------------

    def restart(self, now: float) -> list[Notification]:
        """A simulated agent reboot: uptime and counters from zero, engineBoots + 1, coldStart."""
        self.booted_at = now
        self.usm.restart(now)
        self.up = True
        self._lldp_index = 0
        for rt in self.ifs:
            rt.last_change = now
            rt.counters.reset(now, running=rt.oper_up)
            rt.lldp_entry = None
            rt.lldp_lost_at = None
            if rt.oper_up and rt.model.peer is not None:
                self._learn(rt, 0)
        self.refresh_lldp(now)
        return [Notification(TRAP_COLD_START)]

    # -- LLDP ---------------------------------------------------------------------------------

    def _learn(self, rt: IfRuntime, ticks: int) -> None:
        self._lldp_index += 1
        rt.lldp_entry = (ticks, self._lldp_index)

    def refresh_lldp(self, now: float) -> float | None:
        """Age out neighbours and rebuild the remote table; returns when the next one expires."""
        rows: list[RemEntry] = []
        next_expiry: float | None = None
        for rt in self.ifs:
            if rt.lldp_entry is None or rt.model.peer is None:
                continue
            if not rt.oper_up and rt.lldp_lost_at is not None:
                expires = rt.lldp_lost_at + LLDP_TTL
                if now >= expires:
                    rt.lldp_entry = None
                    continue
                next_expiry = expires if next_expiry is None else min(next_expiry, expires)
            peer_node, peer_if = rt.model.peer
            peer = self.peers.get(peer_node)
            if peer is None:
                continue
            try:
                pif = peer.find_interface(peer_if)
            except ValueError:
                continue
            tm, index = rt.lldp_entry
            rows.append(
                RemEntry(
                    tm,
                    rt.model.if_index,
                    index,
                    [
                        ber.encode_integer(4),  # ChassisIdSubtype macAddress
                        ber.encode_octets(peer.chassis_mac),
                        ber.encode_integer(5),  # PortIdSubtype interfaceName
                        ber.encode_octets(pif.name),
                        ber.encode_octets(pif.alias or pif.name),
                        ber.encode_octets(peer.sys_name),
                        ber.encode_octets(peer.sys_descr),
                        LLDP_CAPABILITIES,
                        LLDP_CAPABILITIES,
                    ],
                )
            )
        self.lldp_rem = rows
        remote = mib.lldp_remote_part([(r.time_mark, r.local_port, r.index) for r in rows]) if rows else None
        self.mib = mib.build_mib(self, remote)
        return next_expiry

    # -- notifications ------------------------------------------------------------------------

    def encode_notification(self, note: Notification, now: float) -> bytes:
        """An SNMPv2-Trap in the node's trap profile: v2c with the community, or v3 authPriv
        from this device's engine (it is the authoritative engine for its notifications)."""
        self._trap_id = (self._trap_id + 1) & 0x7FFFFFFF
        vbs = (
            ber.varbind(_SYS_UPTIME_TLV, ber.encode_timeticks(self.ticks(now)))
            + ber.varbind(_TRAP_OID_TLV, ber.encode_oid(note.trap_oid))
            + note.varbinds
        )
        pdu = ber.encode_pdu(ber.SNMPV2_TRAP, self._trap_id, 0, 0, vbs)
        profile = self.trap_profile
        if profile.get("version") == "v3":
            user_name = str(profile["user"]).encode()
            user = self.usm.users[user_name]
            scoped = ber.sequence(ber.encode_octets(self.usm.engine_id), ber.encode_octets(b""), pdu)
            return self.usm.wrap(self._trap_id, FLAG_AUTH | FLAG_PRIV, user, user_name, scoped, now)
        return ber.encode_community_message(1, str(profile.get("community", "public")).encode(), pdu)


def _profiles(model: DeviceModel, itf: InterfaceModel) -> tuple[Direction, Direction]:
    """(rx, tx) traffic profiles; keyed by the directed link so both ends agree."""
    here = f"{model.name}:{itf.name}"
    there = f"{itf.peer[0]}:{itf.peer[1]}" if itf.peer else ""
    kind = "front" if itf.role in ("front", "extra") else itf.role
    bps = float(itf.speed_mbps * 1_000_000)
    tx = Direction.for_key(f"{here}>{there}", bps, kind)
    rx = (
        Direction.for_key(f"{there}>{here}", bps, kind) if there else Direction.for_key(f">{here}", bps, kind)
    )
    return rx, tx


def _entity_row(e: EntityModel) -> dict[int, bytes]:
    return {
        2: ber.encode_octets(e.descr),
        3: ber.encode_oid(e.vendor_type),
        4: ber.encode_integer(e.contained_in),
        5: ber.encode_integer(e.cls),
        6: ber.encode_integer(e.parent_rel_pos),
        7: ber.encode_octets(e.name),
        8: ber.encode_octets(e.hardware_rev),
        9: ber.encode_octets(e.firmware_rev),
        10: ber.encode_octets(e.software_rev),
        11: ber.encode_octets(e.serial),
        12: ber.encode_octets(e.mfg_name),
        13: ber.encode_octets(e.model_name),
        14: ber.encode_octets(""),  # entPhysicalAlias
        15: ber.encode_octets(""),  # entPhysicalAssetID
        16: ber.encode_integer(1 if e.is_fru else 2),
    }
