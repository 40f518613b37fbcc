"""Read-only queries for the dashboard, the REST API and the metrics endpoint.

Functions take a session and never commit (nor write). Each one answers one view in a
bounded number of statements, so a page or a scrape costs the same few queries whether the
inventory holds ten interfaces or ten thousand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session, aliased, contains_eager, joinedload, selectinload

from inventory.choices import AlarmState, IfStatus, Severity
from inventory.fault_models import AgentCounter, Alarm
from inventory.models import Device, Interface, InterfaceSample, Link, SnmpProfile

T = TypeVar("T")

# Views show a device's SNMP profile by name only. Loading nothing else keeps the encrypted
# credentials out of the web process entirely: they are never decrypted there, and touching
# them on such an object raises instead of loading them.
_PROFILE_NAME = joinedload(Device.snmp_profile).load_only(SnmpProfile.id, SnmpProfile.name, raiseload=True)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the number of rows the whole list holds."""

    items: list[T]
    total: int


@dataclass(frozen=True)
class DeviceSummary:
    device: Device
    interfaces_up: int  # present interfaces whose ifOperStatus is up
    interfaces_total: int  # present interfaces


@dataclass(frozen=True)
class InterfaceMetricsRow:
    interface: Interface
    device_name: str
    sample: InterfaceSample | None  # the newest sample, None before the first poll


@dataclass(frozen=True)
class AlarmCount:
    severity: Severity
    root: bool  # a root cause that nothing suppresses
    count: int


@dataclass(frozen=True)
class CounterRow:
    """One AgentCounter: ``labels`` is already in exposition form (``k="v",k2="v2"``)."""

    name: str
    labels: str
    value: float


@dataclass(frozen=True)
class MetricsSnapshot:
    devices: list[Device]
    interfaces: list[InterfaceMetricsRow]
    alarms: list[AlarmCount] = field(default_factory=list)  # active alarms
    counters: list[CounterRow] = field(default_factory=list)


def ping(session: Session) -> None:
    """Raise if the database does not answer."""
    session.execute(select(1)).scalar_one()


def _page(session: Session, stmt: Select[T], offset: int, limit: int | None) -> Page[T]:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return Page(list(session.scalars(stmt).unique()), int(total))


def _interface_counts(session: Session, device_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    if not device_ids:
        return {}
    up = func.sum(case((Interface.oper_status == IfStatus.UP, 1), else_=0))
    rows = session.execute(
        select(Interface.device_id, up, func.count())
        .where(Interface.present.is_(True), Interface.device_id.in_(device_ids))
        .group_by(Interface.device_id)
    )
    return {device_id: (int(n_up or 0), int(n)) for device_id, n_up, n in rows}


def _summaries(session: Session, devices: list[Device]) -> list[DeviceSummary]:
    counts = _interface_counts(session, [d.id for d in devices])
    return [DeviceSummary(d, *counts.get(d.id, (0, 0))) for d in devices]


def list_devices(session: Session, *, offset: int = 0, limit: int | None = None) -> Page[DeviceSummary]:
    """Devices by name, with their site, SNMP profile and interface counts."""
    stmt = select(Device).options(joinedload(Device.site), _PROFILE_NAME).order_by(Device.name, Device.id)
    page = _page(session, stmt, offset, limit)
    return Page(_summaries(session, page.items), page.total)


def device_summary(session: Session, name: str) -> DeviceSummary | None:
    """One device with its hardware and interfaces loaded, or None."""
    device = session.scalar(
        select(Device)
        .where(Device.name == name)
        .options(
            joinedload(Device.site),
            _PROFILE_NAME,
            selectinload(Device.components),
            selectinload(Device.interfaces),
        )
    )
    if device is None:
        return None
    return _summaries(session, [device])[0]


def device_by_name(session: Session, name: str) -> Device | None:
    return session.scalar(select(Device).where(Device.name == name))


def list_interfaces(
    session: Session, device: Device, *, offset: int = 0, limit: int | None = None
) -> Page[Interface]:
    stmt = (
        select(Interface)
        .where(Interface.device_id == device.id)
        .options(contains_eager(Interface.device))
        .join(Interface.device)
        .order_by(Interface.if_index)
    )
    return _page(session, stmt, offset, limit)


def interface_by_id(session: Session, interface_id: int) -> Interface | None:
    return session.scalar(
        select(Interface).where(Interface.id == interface_id).options(joinedload(Interface.device))
    )


def interface_samples(
    session: Session,
    interface_id: int,
    since: datetime,
    until: datetime,
    *,
    offset: int = 0,
    limit: int | None = None,
) -> Page[InterfaceSample]:
    """Samples of one interface with since <= ts <= until, oldest first."""
    stmt = (
        select(InterfaceSample)
        .where(
            InterfaceSample.interface_id == interface_id,
            InterfaceSample.ts >= since,
            InterfaceSample.ts <= until,
        )
        .order_by(InterfaceSample.ts, InterfaceSample.id)
    )
    return _page(session, stmt, offset, limit)


def list_links(session: Session, *, offset: int = 0, limit: int | None = None) -> Page[Link]:
    """Links ordered by local device and ifIndex, with both ends' interfaces and devices loaded."""
    local_if = aliased(Interface)
    local_dev = aliased(Device)
    stmt = (
        select(Link)
        .join(local_if, Link.local_interface.of_type(local_if))
        .join(local_dev, local_if.device.of_type(local_dev))
        .options(
            contains_eager(Link.local_interface.of_type(local_if)).contains_eager(
                local_if.device.of_type(local_dev)
            ),
            joinedload(Link.remote_interface).joinedload(Interface.device),
        )
        .order_by(local_dev.name, local_if.if_index, Link.id)
    )
    return _page(session, stmt, offset, limit)


def metrics_snapshot(session: Session) -> MetricsSnapshot:
    """Everything /metrics shows, in four queries: devices; present interfaces joined to
    their device name and newest sample (Interface.last_sample_id); active alarms counted by
    severity and root; the agent's counters."""
    devices = list(session.scalars(select(Device).order_by(Device.name)))
    rows = session.execute(
        select(Interface, Device.name, InterfaceSample)
        .join(Device, Interface.device_id == Device.id)
        .outerjoin(InterfaceSample, InterfaceSample.id == Interface.last_sample_id)
        .where(Interface.present.is_(True))
        .order_by(Device.name, Interface.if_index)
    )
    interfaces = [InterfaceMetricsRow(iface, name, sample) for iface, name, sample in rows]
    root = Alarm.is_root_cause & Alarm.suppressed_by_id.is_(None)
    alarms = [
        AlarmCount(severity, bool(is_root), int(n))
        for severity, is_root, n in session.execute(
            select(Alarm.perceived_severity, root, func.count())
            .where(Alarm.state != AlarmState.CLEARED)
            .group_by(Alarm.perceived_severity, root)
        )
    ]
    counters = [
        CounterRow(c.name, c.labels, c.value)
        for c in session.scalars(select(AgentCounter).order_by(AgentCounter.name, AgentCounter.labels))
    ]
    return MetricsSnapshot(devices=devices, interfaces=interfaces, alarms=alarms, counters=counters)
