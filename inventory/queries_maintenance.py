"""Read-only queries of maintenance windows: what each covers, whether it is open, and when
it opens next. Functions take a session and never write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from inventory.fault_models import MaintenanceTarget, MaintenanceWindow
from inventory.maintenance import PERIODS, WindowSpec, occurrence_at
from inventory.models import Device, Site

Occurrence = tuple[datetime, datetime]


def spec_of(window: MaintenanceWindow) -> WindowSpec:
    return WindowSpec(window.starts_at, window.ends_at, window.recurrence, window.until)


def next_occurrence(spec: WindowSpec, now: datetime) -> Occurrence | None:
    """The occurrence open at ``now``, else the next one to open; None when none is left."""
    current = occurrence_at(spec, now)
    if current is not None:
        return current
    length = spec.ends_at - spec.starts_at
    if now < spec.starts_at:
        return spec.starts_at, spec.ends_at
    period = PERIODS[spec.recurrence]
    if period is None:
        return None
    start = spec.starts_at + ((now - spec.starts_at) // period + 1) * period
    if spec.until is not None and start > spec.until:
        return None
    return start, start + length


@dataclass(frozen=True)
class WindowView:
    window: MaintenanceWindow
    devices: list[str]  # target device names
    sites: list[str]  # target site names
    open_now: bool
    next: Occurrence | None  # the open occurrence, or the next one


def _view(window: MaintenanceWindow, now: datetime) -> WindowView:
    spec = spec_of(window)
    devices = sorted(t.device.name for t in window.targets if t.device is not None)
    sites = sorted(t.site.name for t in window.targets if t.site is not None)
    return WindowView(
        window, devices, sites, occurrence_at(spec, now) is not None, next_occurrence(spec, now)
    )


# Targets with only the names of their devices and sites.
_TARGETS = selectinload(MaintenanceWindow.targets).options(
    selectinload(MaintenanceTarget.device).load_only(Device.id, Device.name),
    selectinload(MaintenanceTarget.site).load_only(Site.id, Site.name),
)


def list_windows(session: Session, now: datetime) -> list[WindowView]:
    """Every window, newest first, with its targets' names (three statements)."""
    stmt = (
        select(MaintenanceWindow)
        .options(_TARGETS)
        .order_by(MaintenanceWindow.starts_at.desc(), MaintenanceWindow.id.desc())
    )
    return [_view(w, now) for w in session.scalars(stmt)]


def window_view(session: Session, window_id: int, now: datetime) -> WindowView | None:
    window = session.scalar(
        select(MaintenanceWindow).where(MaintenanceWindow.id == window_id).options(_TARGETS)
    )
    return None if window is None else _view(window, now)


def devices_by_name(session: Session, names: set[str]) -> dict[str, Device]:
    if not names:
        return {}
    return {d.name: d for d in session.scalars(select(Device).where(Device.name.in_(sorted(names))))}


def sites_by_name(session: Session, names: set[str]) -> dict[str, Site]:
    if not names:
        return {}
    return {s.name: s for s in session.scalars(select(Site).where(Site.name.in_(sorted(names))))}
