"""The OID tree of a simulated device: SNMPv2-MIB system, IF-MIB, ENTITY-MIB, LLDP-MIB and the
SNMP engine/USM statistics.

A device's MIB is a short, sorted list of :class:`Part` objects. A part is a sorted array of OIDs
with their encodings pre-computed, and for each OID a getter ``(node, row, now) -> value TLV``.
Parts do not hold device data, only the *shape* of a table (which rows and columns exist), so
devices with the same shape share one part: a thousand 50-port devices of one kind share one
IF-MIB part, and the memory per device stays a few kilobytes. GET is one bisect; GETNEXT and
GETBULK walk positions from one bisect.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from collectors.snmp.wire import ber
from lab.sim.traffic import (
    IN_BCAST,
    IN_DISCARDS,
    IN_ERRORS,
    IN_MCAST,
    IN_OCTETS,
    IN_UCAST,
    IN_UNKNOWN,
    OUT_BCAST,
    OUT_DISCARDS,
    OUT_ERRORS,
    OUT_MCAST,
    OUT_OCTETS,
    OUT_UCAST,
)

if TYPE_CHECKING:
    from lab.sim.node import SimNode

OID = tuple[int, ...]
Getter = Callable[["SimNode", int, float], bytes]

SYSTEM = (1, 3, 6, 1, 2, 1, 1)
SYS_DESCR = (*SYSTEM, 1, 0)
SYS_OBJECT_ID = (*SYSTEM, 2, 0)
SYS_UPTIME = (*SYSTEM, 3, 0)
SYS_CONTACT = (*SYSTEM, 4, 0)
SYS_NAME = (*SYSTEM, 5, 0)
SYS_LOCATION = (*SYSTEM, 6, 0)
SYS_SERVICES = (*SYSTEM, 7, 0)
IF_NUMBER = (1, 3, 6, 1, 2, 1, 2, 1, 0)
IF_ENTRY = (1, 3, 6, 1, 2, 1, 2, 2, 1)
IFX_ENTRY = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1)
ENT_PHYSICAL_ENTRY = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1)
LLDP_LOCAL = (1, 0, 8802, 1, 1, 2, 1, 3)
LLDP_LOC_PORT_ENTRY = (*LLDP_LOCAL, 7, 1)
LLDP_REM_ENTRY = (1, 0, 8802, 1, 1, 2, 1, 4, 1, 1)
SNMP_ENGINE = (1, 3, 6, 1, 6, 3, 10, 2, 1)
SNMP_MPD_STATS = (1, 3, 6, 1, 6, 3, 11, 2, 1)
USM_STATS = (1, 3, 6, 1, 6, 3, 15, 1, 1)
SNMP_TRAP_OID = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
# Not served as objects but used by notifications.
IF_INDEX = (*IF_ENTRY, 1)
IF_DESCR = (*IF_ENTRY, 2)
IF_ADMIN_STATUS = (*IF_ENTRY, 7)
IF_OPER_STATUS = (*IF_ENTRY, 8)
IF_NAME = (*IFX_ENTRY, 1)

_INT_1 = ber.encode_integer(1)
_INT_2 = ber.encode_integer(2)
_INT_5 = ber.encode_integer(5)
_GAUGE_0 = ber.encode_gauge32(0)
_TICKS_0 = ber.encode_timeticks(0)
_ZERO_DOT_ZERO = ber.encode_oid((0, 0))


class Part:
    """A sorted run of OIDs with their getters; shared between devices of the same shape."""

    __slots__ = ("enc", "fns", "obj_lens", "objects", "oids", "rows")

    def __init__(self, entries: Iterable[tuple[OID, Getter, int]], objects: Iterable[OID]):
        items = sorted(entries, key=lambda x: x[0])
        self.oids: list[OID] = [x[0] for x in items]
        for a, b in zip(self.oids, self.oids[1:], strict=False):
            if a == b:
                raise ValueError(f"duplicate OID {ber.format_oid(a)}")
        self.enc: list[bytes] = [ber.encode_oid(o) for o in self.oids]
        self.fns: list[Getter] = [x[1] for x in items]
        self.rows: list[int] = [x[2] for x in items]
        self.objects = frozenset(objects)
        self.obj_lens = sorted({len(o) for o in self.objects})

    def __len__(self) -> int:
        return len(self.oids)


class Mib:
    """One device's view: a few parts in OID order."""

    __slots__ = ("lasts", "parts")

    def __init__(self, parts: Iterable[Part]):
        self.parts = sorted((p for p in parts if p.oids), key=lambda p: p.oids[0])
        for a, b in zip(self.parts, self.parts[1:], strict=False):
            if not a.oids[-1] < b.oids[0]:
                raise ValueError("MIB parts overlap")
        self.lasts = [p.oids[-1] for p in self.parts]

    def __len__(self) -> int:
        return sum(len(p) for p in self.parts)

    def find(self, oid: OID) -> tuple[Part, int] | None:
        """The exact entry for a GET."""
        pi = bisect.bisect_left(self.lasts, oid)
        if pi == len(self.parts):
            return None
        part = self.parts[pi]
        i = bisect.bisect_left(part.oids, oid)
        if i < len(part.oids) and part.oids[i] == oid:
            return part, i
        return None

    def after(self, oid: OID) -> tuple[int, int]:
        """(part index, entry index) of the first entry strictly after ``oid``; the part index
        is ``len(parts)`` past the end. Lets GETBULK loop over the part arrays directly."""
        pi = bisect.bisect_right(self.lasts, oid)
        if pi == len(self.parts):
            return pi, 0
        return pi, bisect.bisect_right(self.parts[pi].oids, oid)

    def walk(self, oid: OID) -> Iterator[tuple[bytes, Getter, int]]:
        """Entries strictly after ``oid``, in order: (encoded OID TLV, getter, row)."""
        parts = self.parts
        pi = bisect.bisect_right(self.lasts, oid)
        if pi == len(parts):
            return
        part = parts[pi]
        i = bisect.bisect_right(part.oids, oid)
        while True:
            enc, fns, rows = part.enc, part.fns, part.rows
            for k in range(i, len(enc)):
                yield enc[k], fns[k], rows[k]
            pi += 1
            if pi == len(parts):
                return
            part = parts[pi]
            i = 0

    def missing(self, oid: OID) -> bytes:
        """noSuchInstance when the object type exists (a column or scalar), else noSuchObject."""
        for part in self.parts:
            for n in part.obj_lens:
                if len(oid) > n and oid[:n] in part.objects:
                    return ber.NO_SUCH_INSTANCE_TLV
        return ber.NO_SUCH_OBJECT_TLV


def _scalars(items: list[tuple[OID, Getter]]) -> Part:
    return Part(((oid, fn, 0) for oid, fn in items), (oid[:-1] for oid, _ in items))


def _table(entry: OID, columns: list[tuple[int, Getter]], indices: Sequence[OID]) -> Part:
    entries = [((*entry, col, *idx), fn, row) for col, fn in columns for row, idx in enumerate(indices)]
    return Part(entries, ((*entry, col) for col, _ in columns))


# ---------------------------------------------------------------------------------------------
# SNMPv2-MIB system group (one part for every device: the values live on the node)
# ---------------------------------------------------------------------------------------------


def _sys_uptime(n: SimNode, r: int, now: float) -> bytes:
    return ber.encode_timeticks(n.ticks(now))


_SYSTEM_PART = _scalars(
    [
        (SYS_DESCR, lambda n, r, now: n.sys_descr_tlv),
        (SYS_OBJECT_ID, lambda n, r, now: n.sys_object_id_tlv),
        (SYS_UPTIME, _sys_uptime),
        (SYS_CONTACT, lambda n, r, now: n.sys_contact_tlv),
        (SYS_NAME, lambda n, r, now: n.sys_name_tlv),
        (SYS_LOCATION, lambda n, r, now: n.sys_location_tlv),
        (SYS_SERVICES, lambda n, r, now: n.sys_services_tlv),
    ]
)


# ---------------------------------------------------------------------------------------------
# IF-MIB
# ---------------------------------------------------------------------------------------------


def _c32(k: int) -> Getter:
    def get(n: SimNode, r: int, now: float) -> bytes:
        return ber.encode_unsigned(ber.COUNTER32, n.ifs[r].counters.value(k, now) & 0xFFFFFFFF)

    return get


def _c32_sum(a: int, b: int) -> Getter:
    def get(n: SimNode, r: int, now: float) -> bytes:
        c = n.ifs[r].counters
        return ber.encode_unsigned(ber.COUNTER32, (c.value(a, now) + c.value(b, now)) & 0xFFFFFFFF)

    return get


def _c64(k: int) -> Getter:
    def get(n: SimNode, r: int, now: float) -> bytes:
        return ber.encode_unsigned(ber.COUNTER64, n.ifs[r].counters.value(k, now))

    return get


def _if_admin(n: SimNode, r: int, now: float) -> bytes:
    return _INT_1 if n.ifs[r].admin_up else _INT_2


def _if_oper(n: SimNode, r: int, now: float) -> bytes:
    return _INT_1 if n.ifs[r].oper_up else _INT_2


def _if_last_change(n: SimNode, r: int, now: float) -> bytes:
    return ber.encode_timeticks(n.ticks(n.ifs[r].last_change) if n.ifs[r].last_change > n.booted_at else 0)


_IF_COLUMNS: list[tuple[int, Getter]] = [
    (1, lambda n, r, now: n.ifs[r].index_tlv),
    (2, lambda n, r, now: n.ifs[r].descr_tlv),
    (3, lambda n, r, now: n.ifs[r].type_tlv),
    (4, lambda n, r, now: n.ifs[r].mtu_tlv),
    (5, lambda n, r, now: n.ifs[r].speed_tlv),
    (6, lambda n, r, now: n.ifs[r].phys_tlv),
    (7, _if_admin),
    (8, _if_oper),
    (9, _if_last_change),
    (10, _c32(IN_OCTETS)),
    (11, _c32(IN_UCAST)),
    (12, _c32_sum(IN_MCAST, IN_BCAST)),
    (13, _c32(IN_DISCARDS)),
    (14, _c32(IN_ERRORS)),
    (15, _c32(IN_UNKNOWN)),
    (16, _c32(OUT_OCTETS)),
    (17, _c32(OUT_UCAST)),
    (18, _c32_sum(OUT_MCAST, OUT_BCAST)),
    (19, _c32(OUT_DISCARDS)),
    (20, _c32(OUT_ERRORS)),
    (21, lambda n, r, now: _GAUGE_0),
    (22, lambda n, r, now: _ZERO_DOT_ZERO),
]

_IFX_COLUMNS: list[tuple[int, Getter]] = [
    (1, lambda n, r, now: n.ifs[r].name_tlv),
    (2, _c32(IN_MCAST)),
    (3, _c32(IN_BCAST)),
    (4, _c32(OUT_MCAST)),
    (5, _c32(OUT_BCAST)),
    (6, _c64(IN_OCTETS)),
    (7, _c64(IN_UCAST)),
    (8, _c64(IN_MCAST)),
    (9, _c64(IN_BCAST)),
    (10, _c64(OUT_OCTETS)),
    (11, _c64(OUT_UCAST)),
    (12, _c64(OUT_MCAST)),
    (13, _c64(OUT_BCAST)),
    (14, lambda n, r, now: n.ifs[r].trap_enable_tlv),
    (15, lambda n, r, now: n.ifs[r].high_speed_tlv),
    (16, lambda n, r, now: _INT_2),  # ifPromiscuousMode false
    (17, lambda n, r, now: n.ifs[r].connector_tlv),
    (18, lambda n, r, now: n.ifs[r].alias_tlv),
    (19, lambda n, r, now: _TICKS_0),  # ifCounterDiscontinuityTime: no discontinuity since boot
]

_if_parts: dict[tuple[int, ...], Part] = {}


def if_part(if_indexes: tuple[int, ...]) -> Part:
    part = _if_parts.get(if_indexes)
    if part is None:
        idx = [(i,) for i in if_indexes]
        count = ber.encode_integer(len(if_indexes))
        scalar = [(IF_NUMBER, (lambda n, r, now: count), 0)]
        table = _table(IF_ENTRY, _IF_COLUMNS, idx)
        xtable = _table(IFX_ENTRY, _IFX_COLUMNS, idx)
        entries = list(zip(table.oids, table.fns, table.rows, strict=True))
        entries += list(zip(xtable.oids, xtable.fns, xtable.rows, strict=True))
        part = Part(scalar + entries, {IF_NUMBER[:-1], *table.objects, *xtable.objects})
        _if_parts[if_indexes] = part
    return part


# ---------------------------------------------------------------------------------------------
# ENTITY-MIB entPhysicalTable (values pre-encoded per node: node.entity_tlvs[row][column])
# ---------------------------------------------------------------------------------------------

ENTITY_COLUMNS = tuple(range(2, 17))  # entPhysicalDescr .. entPhysicalIsFRU


def _ent(col: int) -> Getter:
    def get(n: SimNode, r: int, now: float) -> bytes:
        return n.entity_tlvs[r][col]

    return get


_entity_parts: dict[int, Part] = {}


def entity_part(count: int) -> Part:
    part = _entity_parts.get(count)
    if part is None:
        part = _table(
            ENT_PHYSICAL_ENTRY, [(c, _ent(c)) for c in ENTITY_COLUMNS], [(i,) for i in range(1, count + 1)]
        )
        _entity_parts[count] = part
    return part


# ---------------------------------------------------------------------------------------------
# LLDP-MIB: the local part is shared by shape; the remote table is per node and rebuilt when a
# neighbour appears or ages out.
# ---------------------------------------------------------------------------------------------

_lldp_loc_parts: dict[tuple[int, ...], Part] = {}


def lldp_local_part(port_nums: tuple[int, ...]) -> Part:
    part = _lldp_loc_parts.get(port_nums)
    if part is None:
        scalars = [
            ((*LLDP_LOCAL, 1, 0), lambda n, r, now: n.lldp_tlvs[0], 0),  # ChassisIdSubtype macAddress(4)
            ((*LLDP_LOCAL, 2, 0), lambda n, r, now: n.lldp_tlvs[1], 0),  # ChassisId
            ((*LLDP_LOCAL, 3, 0), lambda n, r, now: n.sys_name_tlv, 0),  # SysName
            ((*LLDP_LOCAL, 4, 0), lambda n, r, now: n.sys_descr_tlv, 0),  # SysDesc
            ((*LLDP_LOCAL, 5, 0), lambda n, r, now: n.lldp_tlvs[2], 0),  # SysCapSupported
            ((*LLDP_LOCAL, 6, 0), lambda n, r, now: n.lldp_tlvs[2], 0),  # SysCapEnabled
        ]
        # lldpLocPortNum = ifIndex; the row is the position in node.lldp_ports.
        idx = [(p,) for p in port_nums]
        table = _table(
            LLDP_LOC_PORT_ENTRY,
            [
                (2, lambda n, r, now: _INT_5),  # PortIdSubtype interfaceName(5)
                (3, lambda n, r, now: n.ifs[n.lldp_ports[r]].name_tlv),  # PortId = ifName
                (4, lambda n, r, now: n.ifs[n.lldp_ports[r]].port_desc_tlv),  # PortDesc
            ],
            idx,
        )
        entries = scalars + list(zip(table.oids, table.fns, table.rows, strict=True))
        part = Part(entries, {(*LLDP_LOCAL, c) for c in range(1, 7)} | set(table.objects))
        _lldp_loc_parts[port_nums] = part
    return part


def _rem(k: int) -> Getter:
    def get(n: SimNode, r: int, now: float) -> bytes:
        return n.lldp_rem[r].tlvs[k]

    return get


# Columns 4..12: ChassisIdSubtype, ChassisId, PortIdSubtype, PortId, PortDesc, SysName, SysDesc,
# SysCapSupported, SysCapEnabled. RemEntry.tlvs holds them in that order.
_REM_COLUMNS = [(col, _rem(col - 4)) for col in range(4, 13)]


def lldp_remote_part(indices: list[OID]) -> Part:
    """``indices`` are (TimeMark, LocalPortNum, Index), one per remote entry row."""
    return _table(LLDP_REM_ENTRY, _REM_COLUMNS, indices)


# ---------------------------------------------------------------------------------------------
# SNMP engine, MPD and USM statistics (SNMP-FRAMEWORK-MIB, SNMP-MPD-MIB, SNMP-USER-BASED-SM-MIB)
# ---------------------------------------------------------------------------------------------


def _counter(attr: str) -> Getter:
    def get(n: SimNode, r: int, now: float) -> bytes:
        return ber.encode_counter32(getattr(n.usm.stats, attr))

    return get


_ENGINE_PART = _scalars(
    [
        ((*SNMP_ENGINE, 1, 0), lambda n, r, now: ber.encode_octets(n.usm.engine_id)),
        ((*SNMP_ENGINE, 2, 0), lambda n, r, now: ber.encode_integer(n.usm.boots)),
        ((*SNMP_ENGINE, 3, 0), lambda n, r, now: ber.encode_integer(n.usm.engine_time(now))),
        ((*SNMP_ENGINE, 4, 0), lambda n, r, now: ber.encode_integer(65507)),
        ((*SNMP_MPD_STATS, 1, 0), _counter("unknown_security_models")),
        ((*SNMP_MPD_STATS, 2, 0), _counter("invalid_msgs")),
        ((*SNMP_MPD_STATS, 3, 0), _counter("unknown_pdu_handlers")),
        ((1, 3, 6, 1, 6, 3, 12, 1, 5, 0), _counter("unknown_contexts")),
        ((*USM_STATS, 1, 0), _counter("unsupported_sec_levels")),
        ((*USM_STATS, 2, 0), _counter("not_in_time_windows")),
        ((*USM_STATS, 3, 0), _counter("unknown_user_names")),
        ((*USM_STATS, 4, 0), _counter("unknown_engine_ids")),
        ((*USM_STATS, 5, 0), _counter("wrong_digests")),
        ((*USM_STATS, 6, 0), _counter("decryption_errors")),
    ]
)


def build_mib(node: SimNode, lldp_remote: Part | None) -> Mib:
    parts = [
        _SYSTEM_PART,
        if_part(tuple(i.model.if_index for i in node.ifs)),
        entity_part(len(node.entity_tlvs)),
        lldp_local_part(tuple(node.ifs[r].model.if_index for r in node.lldp_ports)),
        _ENGINE_PART,
    ]
    if lldp_remote is not None:
        parts.append(lldp_remote)
    return Mib(parts)
