"""Pure parsers: recorded or live varbinds (plain values) -> domain value objects.

No I/O here. Each function is tested on recorded replies in tests/fixtures/snmp/.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from collectors.snmp.values import Exc, Row, Table, Value, integer, mac, tabulate, text
from collectors.specs import Oid, PollSpec
from inventory.choices import IfStatus, PhysicalClass
from inventory.domain import (
    ComponentInfo,
    CounterReading,
    InterfaceInfo,
    NeighborInfo,
    PerfData,
    SystemInfo,
)

# ifSpeed saturates at 2**32-1; above that, ifHighSpeed (Mb/s) is the truth (RFC 2863).
_IF_SPEED_MAX = 4294967295

# LLDP-MIB subtypes (IEEE 802.1AB LldpChassisIdSubtype / LldpPortIdSubtype)
_CHASSIS_MAC = 4
_CHASSIS_NET_ADDR = 5
_PORT_MAC = 3
_PORT_NET_ADDR = 4


class ParseError(ValueError):
    """A reply lacks something every agent must return (sysUpTime, sysObjectID, ...)."""


def parse_system(values: Mapping[Oid, Value], spec: PollSpec) -> SystemInfo:
    got = {name: values.get(oid) for name, oid in spec.scalars.items()}
    uptime = got.get("uptime_ticks")
    if not isinstance(uptime, int) or isinstance(uptime, bool):
        raise ParseError("no sysUpTime in reply")
    oid = got.get("sys_object_id")
    return SystemInfo(
        sys_descr=text(got.get("sys_descr")),
        sys_object_id=oid if isinstance(oid, str) else "",
        sys_name=text(got.get("sys_name")),
        sys_location=text(got.get("sys_location")),
        sys_contact=text(got.get("sys_contact")),
        uptime_ticks=uptime,
    )


def _single_index(table: Table) -> dict[int, Row]:
    return {idx[0]: row for idx, row in table.items() if len(idx) == 1}


def parse_interfaces(varbinds: Iterable[tuple[Oid, Value]], spec: PollSpec) -> tuple[InterfaceInfo, ...]:
    rows = _single_index(tabulate(varbinds, spec.tables["interfaces"].columns))
    out = []
    for if_index in sorted(rows):
        row = rows[if_index]
        descr = text(row.get("if_descr"))
        speed = integer(row.get("if_speed"))
        high = integer(row.get("if_high_speed"))
        if high and (speed >= _IF_SPEED_MAX or speed == 0 or high * 1_000_000 > speed):
            speed = high * 1_000_000
        out.append(
            InterfaceInfo(
                if_index=if_index,
                name=text(row.get("if_name")) or descr,
                descr=descr,
                alias=text(row.get("if_alias")),
                if_type=integer(row.get("if_type"), 1),
                mtu=integer(row.get("if_mtu")),
                speed_bps=speed,
                mac=mac(row.get("if_phys_address")),
                admin_status=IfStatus.parse(row.get("if_admin_status")),
                oper_status=IfStatus.parse(row.get("if_oper_status")),
                last_change_ticks=integer(row.get("if_last_change")),
                has_hc_counters=isinstance(row.get("if_hc_in_octets"), int),
            )
        )
    return tuple(out)


def parse_components(varbinds: Iterable[tuple[Oid, Value]], spec: PollSpec) -> tuple[ComponentInfo, ...]:
    rows = _single_index(tabulate(varbinds, spec.tables["components"].columns))
    return tuple(
        ComponentInfo(
            index=idx,
            phys_class=PhysicalClass.parse(row.get("phys_class")),
            name=text(row.get("name")),
            descr=text(row.get("descr")),
            contained_in=integer(row.get("contained_in")),
            serial=text(row.get("serial")).strip(),
            model=text(row.get("model")).strip(),
            hardware_rev=text(row.get("hardware_rev")).strip(),
            firmware_rev=text(row.get("firmware_rev")).strip(),
            software_rev=text(row.get("software_rev")).strip(),
            mfg_name=text(row.get("mfg_name")).strip(),
        )
        for idx, row in sorted(rows.items())
    )


def _lldp_id(subtype: Value, value: Value, mac_subtype: int, addr_subtype: int) -> str:
    if subtype == mac_subtype and isinstance(value, bytes) and len(value) == 6:
        return mac(value)
    if subtype == addr_subtype and isinstance(value, bytes) and len(value) == 5 and value[0] == 1:
        return ".".join(str(b) for b in value[1:])  # IANA address family 1 = IPv4
    return text(value)


def parse_lldp(
    varbinds: Iterable[tuple[Oid, Value]], spec: PollSpec, interfaces: Iterable[InterfaceInfo]
) -> tuple[NeighborInfo, ...]:
    """LLDP remote entries, each tied to the local interface it was heard on.

    lldpRemLocalPortNum is an lldpLocPortNum, which is not always an ifIndex: resolve it
    through lldpLocPortTable's port id (usually the ifName) and only fall back to treating it
    as an ifIndex when the names do not match.
    """
    vbs = list(varbinds)
    local_ports = _single_index(tabulate(vbs, spec.tables["local_ports"].columns))
    remotes = tabulate(vbs, spec.tables["remotes"].columns)
    ifaces = list(interfaces)
    by_name = {i.name: i.if_index for i in ifaces}
    by_name.update({i.descr: i.if_index for i in ifaces if i.descr not in by_name})
    by_mac = {i.mac: i.if_index for i in ifaces if i.mac}
    known = {i.if_index for i in ifaces}
    out = []
    for idx, row in sorted(remotes.items()):
        if len(idx) != 3:
            continue
        port_num = idx[1]
        local = local_ports.get(port_num, {})
        local_port = _lldp_id(local.get("port_id_subtype"), local.get("port_id"), _PORT_MAC, _PORT_NET_ADDR)
        if_index = by_name.get(local_port) or by_mac.get(local_port)
        if if_index is None and port_num in known:
            if_index = port_num
        out.append(
            NeighborInfo(
                local_if_index=if_index,
                local_port=local_port or str(port_num),
                remote_chassis_id=_lldp_id(
                    row.get("chassis_id_subtype"), row.get("chassis_id"), _CHASSIS_MAC, _CHASSIS_NET_ADDR
                ),
                remote_port_id=_lldp_id(
                    row.get("port_id_subtype"), row.get("port_id"), _PORT_MAC, _PORT_NET_ADDR
                ),
                remote_port_descr=text(row.get("port_descr")),
                remote_sys_name=text(row.get("sys_name")),
            )
        )
    return tuple(out)


def _counter(row: Row, name: str) -> int | None:
    value = row.get(name)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def parse_counters(uptime: Value, varbinds: Iterable[tuple[Oid, Value]], spec: PollSpec) -> PerfData:
    if not isinstance(uptime, int) or isinstance(uptime, bool | Exc):
        raise ParseError("no sysUpTime in reply")
    rows = _single_index(tabulate(varbinds, spec.tables["counters"].columns))
    readings = tuple(
        CounterReading(
            if_index=idx,
            admin_status=IfStatus.parse(row.get("admin_status")),
            oper_status=IfStatus.parse(row.get("oper_status")),
            in_octets=_counter(row, "in_octets"),
            out_octets=_counter(row, "out_octets"),
            in_ucast_pkts=_counter(row, "in_ucast_pkts"),
            out_ucast_pkts=_counter(row, "out_ucast_pkts"),
            in_errors=_counter(row, "in_errors"),
            out_errors=_counter(row, "out_errors"),
            in_discards=_counter(row, "in_discards"),
            out_discards=_counter(row, "out_discards"),
            counter_bits=spec.counter_bits,
        )
        for idx, row in sorted(rows.items())
    )
    return PerfData(uptime_ticks=uptime, readings=readings)
