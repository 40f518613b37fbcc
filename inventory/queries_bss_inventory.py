"""Read-only queries behind the TM Forum inventory APIs: services as TMF638 shows them (with
their parameters, subscription and the resources they ride on) and devices and interfaces as
TMF639 resources, paged in SQL whatever the number of interfaces.

Functions take a session and never write. Nothing here loads a secret: devices are read
without their SNMP profile, services without their configuration.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session, contains_eager, joinedload

from inventory.bss_models import Subscription
from inventory.choices import DeviceStatus, IfStatus, ServiceState
from inventory.fault_models import Service, ServiceResource
from inventory.models import Device, Interface
from inventory.provisioning_models import ServiceFragment, ServiceInstance
from inventory.queries import Page

ResourceKind = Literal["PhysicalResource", "LogicalResource"]
PHYSICAL: ResourceKind = "PhysicalResource"
LOGICAL: ResourceKind = "LogicalResource"


def _count(session: Session, stmt: Select[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)


# -- services (TMF638) --------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceInventoryFilter:
    refs: frozenset[str] = frozenset()  # TMF ids: external ids (or SVC-<pk> without one)
    states: frozenset[ServiceState] = frozenset()
    customers: frozenset[str] = frozenset()  # the subscription's customer, else customer_ref
    types: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ResourceRef:
    id: str  # the TMF639 id: a device name or <device>:<interface>
    name: str
    kind: ResourceKind


@dataclass(frozen=True)
class ServiceView:
    service: Service
    instance: ServiceInstance | None
    subscription: Subscription | None
    resources: list[ResourceRef]


def _ref_condition(refs: frozenset[str]) -> ColumnElement[bool]:
    pks = [int(r[4:]) for r in refs if r.startswith("SVC-") and r[4:].isdigit() and len(r) < 20]
    by_ext = Service.external_id.in_(sorted(refs))
    if not pks:
        return by_ext
    return or_(by_ext, Service.id.in_(pks) & Service.external_id.is_(None))


def _service_conditions(f: ServiceInventoryFilter) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if f.refs:
        out.append(_ref_condition(f.refs))
    if f.states:
        out.append(Service.state.in_(sorted(f.states)))
    if f.types:
        out.append(Service.service_type.in_(sorted(f.types)))
    if f.customers:
        wanted = sorted(f.customers)
        subscribed = select(Subscription.service_id).where(Subscription.customer_id.in_(wanted))
        unsubscribed = select(Subscription.service_id)
        out.append(
            or_(
                Service.id.in_(subscribed),
                Service.customer_ref.in_(wanted) & Service.id.not_in(unsubscribed),
            )
        )
    return out


def _resources(session: Session, service_ids: Sequence[int]) -> dict[int, list[ResourceRef]]:
    """The devices a service has configuration or resources on, then its interfaces."""
    if not service_ids:
        return {}
    ids = list(service_ids)
    devices: dict[int, set[str]] = defaultdict(set)
    interfaces: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for table in (ServiceFragment, ServiceResource):
        rows = session.execute(
            select(table.service_id, Device.name)
            .join(Device, Device.id == table.device_id)
            .where(table.service_id.in_(ids))
        )
        for sid, name in rows:
            devices[sid].add(name)
    rows2 = session.execute(
        select(ServiceResource.service_id, Device.name, Interface.name)
        .join(Interface, Interface.id == ServiceResource.interface_id)
        .join(Device, Device.id == Interface.device_id)
        .where(ServiceResource.service_id.in_(ids))
    )
    for sid, dev, ifname in rows2:
        interfaces[sid].add((dev, ifname))
    out: dict[int, list[ResourceRef]] = {}
    for sid in ids:
        refs = [ResourceRef(d, d, PHYSICAL) for d in sorted(devices.get(sid, ()))]
        refs += [ResourceRef(f"{d}:{i}", i, LOGICAL) for d, i in sorted(interfaces.get(sid, ()))]
        out[sid] = refs
    return out


def _views(session: Session, services: list[Service]) -> list[ServiceView]:
    ids = [s.id for s in services]
    if not ids:
        return []
    instances = {
        i.service_id: i
        for i in session.scalars(select(ServiceInstance).where(ServiceInstance.service_id.in_(ids)))
    }
    subs = {
        s.service_id: s
        for s in session.scalars(
            select(Subscription)
            .where(Subscription.service_id.in_(ids))
            .options(joinedload(Subscription.offering))
        )
    }
    resources = _resources(session, ids)
    return [ServiceView(s, instances.get(s.id), subs.get(s.id), resources.get(s.id, [])) for s in services]


def list_service_views(
    session: Session,
    f: ServiceInventoryFilter = ServiceInventoryFilter(),
    *,
    offset: int = 0,
    limit: int | None = None,
) -> Page[ServiceView]:
    stmt = select(Service).where(*_service_conditions(f)).order_by(Service.id)
    total = _count(session, stmt)
    page = stmt.offset(offset)
    if limit is not None:
        page = page.limit(limit)
    return Page(_views(session, list(session.scalars(page))), total)


def service_view(session: Session, ref: str) -> ServiceView | None:
    found = list_service_views(session, ServiceInventoryFilter(refs=frozenset({ref})), limit=1)
    return found.items[0] if found.items else None


# -- resources (TMF639) -------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceFilter:
    kinds: frozenset[str] = frozenset()  # PhysicalResource, LogicalResource
    names: frozenset[str] = frozenset()
    operational: frozenset[str] = frozenset()  # enable, disable
    administrative: frozenset[str] = frozenset()  # locked, unlocked
    devices: frozenset[str] = frozenset()  # the device (itself, or containing the interface)


@dataclass(frozen=True)
class ResourcePage:
    """Devices first (by name), then interfaces (by device name and ifIndex)."""

    devices: list[Device]
    interfaces: list[Interface]  # with their device loaded
    total: int


def _device_conditions(f: ResourceFilter) -> list[ColumnElement[bool]] | None:
    if f.kinds and PHYSICAL not in f.kinds:
        return None
    out: list[ColumnElement[bool]] = []
    if f.names:
        out.append(Device.name.in_(sorted(f.names)))
    if f.devices:
        out.append(Device.name.in_(sorted(f.devices)))
    if f.operational:
        statuses = []
        if "enable" in f.operational:
            statuses.append(DeviceStatus.UP)
        if "disable" in f.operational:
            statuses.append(DeviceStatus.UNREACHABLE)
        out.append(Device.status.in_(statuses))
    if f.administrative and len(f.administrative) == 1:
        out.append(Device.enabled.is_("unlocked" in f.administrative))
    return out


def _interface_conditions(f: ResourceFilter) -> list[ColumnElement[bool]] | None:
    if f.kinds and LOGICAL not in f.kinds:
        return None
    out: list[ColumnElement[bool]] = []
    if f.names:
        out.append(Interface.name.in_(sorted(f.names)))
    if f.devices:
        out.append(Device.name.in_(sorted(f.devices)))
    if f.operational and len(f.operational) == 1:
        up = Interface.oper_status == IfStatus.UP
        out.append(up if "enable" in f.operational else ~up)
    if f.administrative and len(f.administrative) == 1:
        unlocked = Interface.admin_status == IfStatus.UP
        out.append(unlocked if "unlocked" in f.administrative else ~unlocked)
    return out


def list_resources(
    session: Session, f: ResourceFilter = ResourceFilter(), *, offset: int = 0, limit: int = 100
) -> ResourcePage:
    """One page of the devices-then-interfaces list: two counts and at most two paged
    selects, so a page costs the same with ten interfaces or a hundred thousand."""
    dev_cond = _device_conditions(f)
    if_cond = _interface_conditions(f)
    dev_stmt = select(Device).where(*dev_cond) if dev_cond is not None else None
    if_stmt = (
        select(Interface).join(Device, Device.id == Interface.device_id).where(*if_cond)
        if if_cond is not None
        else None
    )
    n_dev = _count(session, dev_stmt) if dev_stmt is not None else 0
    n_if = _count(session, if_stmt) if if_stmt is not None else 0
    devices: list[Device] = []
    interfaces: list[Interface] = []
    if dev_stmt is not None and offset < n_dev:
        devices = list(
            session.scalars(
                dev_stmt.options(joinedload(Device.site)).order_by(Device.name).offset(offset).limit(limit)
            )
        )
    left = limit - len(devices)
    if if_stmt is not None and left > 0 and n_if:
        page = (
            if_stmt.options(contains_eager(Interface.device))
            .order_by(Device.name, Interface.if_index, Interface.id)
            .offset(max(0, offset - n_dev))
            .limit(left)
        )
        interfaces = list(session.scalars(page))
    return ResourcePage(devices, interfaces, n_dev + n_if)


def device_resource(session: Session, name: str) -> Device | None:
    return session.scalar(select(Device).where(Device.name == name).options(joinedload(Device.site)))


def interface_resource(session: Session, device: str, ifname: str) -> Interface | None:
    return session.scalar(
        select(Interface)
        .join(Device, Device.id == Interface.device_id)
        .where(Device.name == device, Interface.name == ifname)
        .options(joinedload(Interface.device))
    )
