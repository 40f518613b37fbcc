"""Impact: from an alarm to the resources it takes out, and from resources to the services
riding on them. The BSS bridge opens outages from this; nothing here decides about customers.

A root alarm's impact includes the resources of every alarm it suppresses: when a core router
dies, the PE behind it is unreachable too, and the PE's services are down because of the core.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from agent.faults.correlate import DEVICE_DOWN, FLAPPING, LINK_DOWN
from inventory.choices import AlarmState, ServiceState
from inventory.fault_models import Alarm, Service, ServiceResource
from inventory.models import Interface, Link

# Kinds whose alarm means traffic stops on the object (thresholds only degrade it).
OUTAGE_KINDS = {DEVICE_DOWN, LINK_DOWN, FLAPPING}


@dataclass(frozen=True, order=True)
class ResourceRef:
    device_id: int
    interface_id: int | None  # None: the whole device


def _kind(alarm: Alarm) -> str:
    return alarm.reduction_key.rsplit("/", 1)[-1]


def own_resources(s: Session, alarm: Alarm) -> set[ResourceRef]:
    if alarm.device_id is None:
        return set()
    kind = _kind(alarm)
    if kind == DEVICE_DOWN:
        return {ResourceRef(alarm.device_id, None)}
    out = {ResourceRef(alarm.device_id, alarm.interface_id)}
    if kind in (LINK_DOWN, FLAPPING) and alarm.interface_id is not None:
        # the far end of the link goes dark with it
        for link in s.scalars(
            select(Link).where(
                or_(
                    Link.local_interface_id == alarm.interface_id,
                    Link.remote_interface_id == alarm.interface_id,
                )
            )
        ):
            other = (
                link.remote_interface_id
                if link.local_interface_id == alarm.interface_id
                else link.local_interface_id
            )
            if other is not None:
                peer = s.get(Interface, other)
                if peer is not None:
                    out.add(ResourceRef(peer.device_id, peer.id))
    return out


def affected_resources(s: Session, alarm: Alarm) -> set[ResourceRef]:
    """The alarm's own resources plus those of every active alarm it suppresses."""
    out = own_resources(s, alarm)
    frontier, seen = [alarm.id], {alarm.id}
    while frontier:
        children = s.scalars(
            select(Alarm).where(Alarm.suppressed_by_id.in_(frontier), Alarm.state != AlarmState.CLEARED)
        ).all()
        frontier = []
        for child in children:
            if child.id in seen:
                continue
            seen.add(child.id)
            frontier.append(child.id)
            if _kind(child) in OUTAGE_KINDS:
                out |= own_resources(s, child)
    return out


def services_on(s: Session, resources: set[ResourceRef]) -> list[Service]:
    """Services (not terminated) that use any of these resources: a whole-device resource
    covers every service on the device; an interface covers services on that interface and
    services bound to the device as a whole."""
    if not resources:
        return []
    conditions = []
    for r in resources:
        if r.interface_id is None:
            conditions.append(ServiceResource.device_id == r.device_id)
        else:
            conditions.append(
                (ServiceResource.device_id == r.device_id)
                & (ServiceResource.interface_id.is_(None) | (ServiceResource.interface_id == r.interface_id))
            )
    ids = set(s.scalars(select(ServiceResource.service_id).where(or_(*conditions))))
    if not ids:
        return []
    return list(
        s.scalars(
            select(Service)
            .where(Service.id.in_(ids), Service.state != ServiceState.TERMINATED)
            .order_by(Service.id)
        )
    )


def impacted_services(s: Session, alarm: Alarm) -> list[Service]:
    """Services an alarm takes down (thresholds degrade, they do not take down)."""
    if _kind(alarm) not in OUTAGE_KINDS:
        return []
    return services_on(s, affected_resources(s, alarm))
