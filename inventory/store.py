"""Writing what collectors observed into the inventory, and the queries jobs need.

Functions take a session and never commit; the caller owns the unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from inventory.choices import DeviceStatus, LinkSource
from inventory.domain import (
    ConfigAccessSpec,
    CounterReading,
    DiscoveryData,
    InterfaceRates,
    InventoryHost,
    SnmpCredentials,
)
from inventory.models import (
    Device,
    HardwareComponent,
    Interface,
    InterfaceSample,
    Link,
    Site,
    SnmpProfile,
)


def device_by_name(session: Session, name: str) -> Device | None:
    return session.scalar(select(Device).where(Device.name == name))


def _ticks_ago(now: datetime, uptime_ticks: int, ticks: int) -> datetime | None:
    """Wall time of an agent timestamp (TimeTicks since the agent started)."""
    if ticks <= 0 or ticks > uptime_ticks:
        return None
    return now - timedelta(seconds=(uptime_ticks - ticks) / 100.0)


def mark_status(device: Device, status: DeviceStatus, now: datetime) -> bool:
    if device.status is status:
        return False
    device.status = status
    device.status_changed = now
    return True


def apply_discovery(session: Session, device: Device, data: DiscoveryData, now: datetime) -> None:
    sysinfo = data.system
    device.sys_descr = sysinfo.sys_descr
    device.sys_object_id = sysinfo.sys_object_id
    device.sys_name = sysinfo.sys_name
    device.sys_location = sysinfo.sys_location
    device.sys_contact = sysinfo.sys_contact
    device.uptime_ticks = sysinfo.uptime_ticks
    device.last_seen = now
    device.last_discovered = now
    device.consecutive_failures = 0
    device.last_error = ""
    mark_status(device, DeviceStatus.UP, now)

    existing_hw = {c.ent_index: c for c in device.components}
    seen_hw = set()
    for comp in data.components:
        seen_hw.add(comp.index)
        row = existing_hw.get(comp.index)
        if row is None:
            row = HardwareComponent(ent_index=comp.index, phys_class=comp.phys_class)
            device.components.append(row)
        row.phys_class = comp.phys_class
        row.name = comp.name
        row.descr = comp.descr
        row.contained_in = comp.contained_in
        row.serial = comp.serial
        row.model = comp.model
        row.hardware_rev = comp.hardware_rev
        row.firmware_rev = comp.firmware_rev
        row.software_rev = comp.software_rev
        row.mfg_name = comp.mfg_name
    for idx, row in existing_hw.items():
        if idx not in seen_hw:
            device.components.remove(row)

    existing_if = {i.if_index: i for i in device.interfaces}
    seen_if = set()
    for info in data.interfaces:
        seen_if.add(info.if_index)
        iface = existing_if.get(info.if_index)
        if iface is None:
            iface = Interface(if_index=info.if_index)
            device.interfaces.append(iface)
        if iface.oper_status != info.oper_status or iface.last_change is None:
            iface.last_change = _ticks_ago(now, sysinfo.uptime_ticks, info.last_change_ticks) or now
        iface.name = info.name
        iface.descr = info.descr
        iface.alias = info.alias
        iface.if_type = info.if_type
        iface.mtu = info.mtu
        iface.speed_bps = info.speed_bps
        iface.mac = info.mac
        iface.admin_status = info.admin_status
        iface.oper_status = info.oper_status
        iface.counter_bits = 64 if info.has_hc_counters else 32
        iface.present = True
        iface.updated_at = now
    for idx, iface in existing_if.items():
        if idx not in seen_if:
            iface.present = False
            iface.updated_at = now
    session.flush()
    _apply_neighbors(session, device, data, now)


def _apply_neighbors(session: Session, device: Device, data: DiscoveryData, now: datetime) -> None:
    by_index = {i.if_index: i for i in device.interfaces}
    local_ids = [i.id for i in device.interfaces]
    existing = {
        (link.local_interface_id, link.remote_chassis_id, link.remote_port_id): link
        for link in session.scalars(select(Link).where(Link.local_interface_id.in_(local_ids)))
    }
    seen = set()
    for nb in data.neighbors:
        local = by_index.get(nb.local_if_index) if nb.local_if_index is not None else None
        if local is None:
            continue
        key = (local.id, nb.remote_chassis_id, nb.remote_port_id)
        seen.add(key)
        link = existing.get(key)
        if link is None:
            link = Link(
                local_interface_id=local.id,
                remote_chassis_id=nb.remote_chassis_id,
                remote_port_id=nb.remote_port_id,
                source=LinkSource.LLDP,
            )
            session.add(link)
            existing[key] = link
        link.remote_sys_name = nb.remote_sys_name
        link.remote_port_descr = nb.remote_port_descr
        link.last_seen = now
        link.remote_interface_id = _resolve_remote(session, nb.remote_sys_name, nb.remote_port_id)
    for key, link in existing.items():
        if key not in seen and link.source is LinkSource.LLDP:
            session.delete(link)
    # Links learned earlier from the other side may now resolve to this device's interfaces.
    names = {device.name, device.sys_name} - {""}
    if names:
        for link in session.scalars(
            select(Link).where(Link.remote_interface_id.is_(None), Link.remote_sys_name.in_(names))
        ):
            link.remote_interface_id = _resolve_remote(session, link.remote_sys_name, link.remote_port_id)


def _resolve_remote(session: Session, sys_name: str, port_id: str) -> int | None:
    if not sys_name:
        return None
    device = session.scalar(
        select(Device).where((Device.sys_name == sys_name) | (Device.name == sys_name)).limit(1)
    )
    if device is None:
        return None
    for iface in device.interfaces:
        if port_id in (iface.name, iface.descr, iface.mac):
            return iface.id
    return None


def previous_points(session: Session, interfaces: list[Interface]) -> dict[int, InterfaceSample]:
    ids = [i.last_sample_id for i in interfaces if i.last_sample_id is not None]
    if not ids:
        return {}
    return {
        s.interface_id: s for s in session.scalars(select(InterfaceSample).where(InterfaceSample.id.in_(ids)))
    }


def record_sample(
    session: Session,
    iface: Interface,
    reading: CounterReading,
    rates: InterfaceRates,
    uptime_ticks: int,
    now: datetime,
) -> InterfaceSample:
    sample = InterfaceSample(
        interface_id=iface.id,
        ts=now,
        uptime_ticks=uptime_ticks,
        counter_bits=reading.counter_bits,
        oper_status=int(reading.oper_status),
        in_octets=reading.in_octets,
        out_octets=reading.out_octets,
        in_ucast_pkts=reading.in_ucast_pkts,
        out_ucast_pkts=reading.out_ucast_pkts,
        in_errors=reading.in_errors,
        out_errors=reading.out_errors,
        in_discards=reading.in_discards,
        out_discards=reading.out_discards,
        in_bps=rates.in_bps,
        out_bps=rates.out_bps,
        in_pps=rates.in_pps,
        out_pps=rates.out_pps,
        in_errors_ps=rates.in_errors_ps,
        out_errors_ps=rates.out_errors_ps,
        in_discards_ps=rates.in_discards_ps,
        out_discards_ps=rates.out_discards_ps,
        discontinuity=rates.discontinuity,
    )
    session.add(sample)
    return sample


def record_failure(device: Device, error: str, now: datetime) -> bool:
    """A collector run failed after its retries. Returns True when the status changed."""
    device.consecutive_failures += 1
    device.last_error = error[:2000]
    return mark_status(device, DeviceStatus.UNREACHABLE, now)


def prune_samples(session: Session, older_than: datetime) -> int:
    result = session.execute(delete(InterfaceSample).where(InterfaceSample.ts < older_than))
    return int(getattr(result, "rowcount", 0) or 0)


class InventoryError(ValueError):
    pass


def upsert_profile(session: Session, name: str, creds: SnmpCredentials) -> SnmpProfile:
    profile = session.scalar(select(SnmpProfile).where(SnmpProfile.name == name))
    if profile is None:
        profile = SnmpProfile(name=name, version=creds.version)
        session.add(profile)
    profile.set_credentials(creds)
    session.flush()
    return profile


def site_named(session: Session, name: str) -> Site | None:
    if not name:
        return None
    site = session.scalar(select(Site).where(Site.name == name))
    if site is None:
        site = Site(name=name)
        session.add(site)
        session.flush()
    return site


def upsert_host(session: Session, entry: InventoryHost) -> tuple[Device, bool]:
    """Add or update a device from an inventory entry. Returns (device, created)."""
    if entry.snmp is not None:
        profile = upsert_profile(session, entry.snmp_profile or f"{entry.name}-snmp", entry.snmp)
    elif entry.snmp_profile:
        named = session.scalar(select(SnmpProfile).where(SnmpProfile.name == entry.snmp_profile))
        if named is None:
            raise InventoryError(f"{entry.name}: no SNMP profile named {entry.snmp_profile!r}")
        profile = named
    else:
        raise InventoryError(f"{entry.name}: no SNMP credentials (inline or a profile name)")
    device = device_by_name(session, entry.name)
    created = device is None
    if device is None:
        device = Device(name=entry.name, host=entry.host)
        session.add(device)
    if device.host != entry.host or device.snmp_port != entry.snmp_port:
        # A different agent: what was learned about the old one no longer holds.
        device.last_discovered = None
    if not created and device.host != entry.host:
        from inventory.provisioning_models import ConfigAccess

        access = session.get(ConfigAccess, device.id)
        if access is not None:  # another address is another SSH server: learn its key anew
            access.host_key = None
            access.host_key_seen = None
    device.host = entry.host
    device.snmp_port = entry.snmp_port
    device.platform = entry.platform or device.platform or ""
    device.role = entry.role or device.role or ""
    device.snmp_profile = profile
    device.site = site_named(session, entry.site) or device.site
    device.data = {**(device.data or {}), **entry.data}
    session.flush()
    if entry.config_access is not None:
        set_config_access(session, device, entry.config_access)
    return device, created


def set_config_access(session: Session, device: Device, spec: ConfigAccessSpec) -> None:
    """Record how to change the device. A new port or host keeps the known host key only if
    the endpoint is the same one: another endpoint is another SSH server to learn."""
    from inventory.provisioning_models import ConfigAccess

    row = session.get(ConfigAccess, device.id)
    if row is None:
        row = ConfigAccess(device_id=device.id, driver=spec.driver, platform=spec.platform, port=spec.port,
                           username=spec.username, password=spec.password)  # fmt: skip
        session.add(row)
    elif row.port != spec.port:
        row.host_key = None
        row.host_key_seen = None
    row.driver = spec.driver
    row.platform = spec.platform
    row.port = spec.port
    row.username = spec.username
    row.password = spec.password
    row.options = dict(spec.options)


def set_mgmt_paths(session: Session, device: Device, via: tuple[str, ...]) -> None:
    """Replace the device's management parents with the named devices."""
    from inventory.fault_models import ManagementPath

    wanted = []
    for name in via:
        parent = device_by_name(session, name)
        if parent is None:
            raise InventoryError(f"{device.name}: management path names an unknown device {name!r}")
        if parent.id == device.id:
            raise InventoryError(f"{device.name}: a device cannot be its own management path")
        wanted.append(parent.id)
    existing = {
        p.via_device_id: p
        for p in session.scalars(select(ManagementPath).where(ManagementPath.device_id == device.id))
    }
    for via_id, row in existing.items():
        if via_id not in wanted:
            session.delete(row)
    for via_id in wanted:
        if via_id not in existing:
            session.add(ManagementPath(device_id=device.id, via_device_id=via_id))


@dataclass(frozen=True)
class ImportResult:
    device: str
    host: str
    profile: str
    created: bool


def import_hosts(
    session: Session, hosts: list[InventoryHost], profiles: dict[str, SnmpCredentials]
) -> list[ImportResult]:
    """Profiles, then devices, then management paths (which may name devices of the same file)."""
    for pname, creds in profiles.items():
        upsert_profile(session, pname, creds)
    out = []
    devices = []
    for entry in hosts:
        device, created = upsert_host(session, entry)
        devices.append((device, entry))
        out.append(
            ImportResult(device.name, f"{device.host}:{device.snmp_port}",
                         device.snmp_profile.name if device.snmp_profile else "", created)
        )  # fmt: skip
    for device, entry in devices:
        if entry.mgmt_via:
            set_mgmt_paths(session, device, entry.mgmt_via)
    return out
