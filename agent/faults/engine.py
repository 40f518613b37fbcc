"""Signals -> alarms: deduplication by reduction key, pairwise clear, flapping, maintenance.

Functions take a session and never commit. A ``Batch`` caches devices, interfaces, active
alarms and windows across many signals, so a storm of 10,000 identical traps costs a few
queries and one flush, not 10,000 round trips.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agent.faults.catalog import kind as alarm_kind
from agent.faults.correlate import FLAPPING, LINK_DOWN
from inventory.alarm_ops import clear, record
from inventory.choices import AlarmedObjectType, AlarmState, EventSource
from inventory.fault_models import Alarm, MaintenanceWindow, ServiceResource
from inventory.maintenance import WindowSpec, is_open
from inventory.models import Device, Interface


@dataclass(frozen=True)
class FaultConfig:
    settle_s: float = 1.0  # a burst settles this long before anything is announced
    flap_episodes: int = 3  # down episodes within the window that make an interface flapping
    flap_window_s: float = 300.0
    flap_stable_s: float = 300.0  # a flapping alarm clears after this long without a transition
    util_high_pct: float = 90.0  # utilisation alarm above this ...
    util_low_pct: float = 80.0  # ... and cleared below this (hysteresis)
    errors_high_pct: float = 1.0  # errored packets as a percentage of all packets ...
    errors_low_pct: float = 0.1  # ... and cleared below this


@dataclass(frozen=True)
class Signal:
    """Something that raises or clears an alarm of ``kind`` on a device or one of its objects."""

    device_id: int
    kind: str
    raise_: bool
    at: datetime
    source: EventSource
    if_index: int | None = None
    object_id: str | None = None  # a non-interface object (e.g. a BGP peer address)
    detail: str = ""
    count_repeat: bool = True  # False: a repeated raise only refreshes (thresholds, polls)
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    action: str  # created | updated | refreshed | cleared | ignored
    alarm: Alarm | None = None


def reduction_key(device: str, kind: str, if_index: int | None, object_id: str | None) -> str:
    if if_index is not None:
        return f"{device}/ifIndex={if_index}/{kind}"
    if object_id:
        return f"{device}/{object_id}/{kind}"
    return f"{device}/device/{kind}"


class Batch:
    """Caches for one unit of work over many signals."""

    def __init__(self, session: Session, cfg: FaultConfig) -> None:
        self.s = session
        self.cfg = cfg
        self.devices: dict[int, Device | None] = {}
        self.interfaces: dict[tuple[int, int], Interface | None] = {}
        self.active: dict[str, Alarm | None] = {}
        self.windows: list[tuple[MaintenanceWindow, WindowSpec]] | None = None
        self.touched: set[int] = set()  # ids of alarms created or changed in this batch
        self.primed: set[int] = set()  # devices whose active alarms are all in ``active``

    def device(self, device_id: int) -> Device | None:
        if device_id not in self.devices:
            self.devices[device_id] = self.s.get(Device, device_id)
        return self.devices[device_id]

    def interface(self, device_id: int, if_index: int) -> Interface | None:
        key = (device_id, if_index)
        if key not in self.interfaces:
            self.interfaces[key] = self.s.scalar(
                select(Interface).where(Interface.device_id == device_id, Interface.if_index == if_index)
            )
        return self.interfaces[key]

    def active_alarm(self, key: str, device_id: int) -> Alarm | None:
        if device_id not in self.primed:
            # One query loads every active alarm of the device: a poll checks ~50 interfaces
            # for alarms to clear, and almost none have one.
            self.primed.add(device_id)
            for a in self.s.scalars(
                select(Alarm).where(Alarm.device_id == device_id, Alarm.state != AlarmState.CLEARED)
            ):
                self.active.setdefault(a.reduction_key, a)
        return self.active.get(key)

    def open_window(self, device: Device, iface: Interface | None, at: datetime) -> MaintenanceWindow | None:
        if self.windows is None:
            rows = self.s.scalars(select(MaintenanceWindow)).all()
            self.windows = [(w, WindowSpec(w.starts_at, w.ends_at, w.recurrence, w.until)) for w in rows]
        if not self.windows:
            return None
        service_ids = set(
            self.s.scalars(
                select(ServiceResource.service_id).where(
                    ServiceResource.device_id == device.id,
                    (ServiceResource.interface_id.is_(None))
                    | (ServiceResource.interface_id == (iface.id if iface else -1)),
                )
            )
        )
        for window, spec in self.windows:
            if not is_open(spec, at):
                continue
            for t in window.targets:
                if (
                    t.device_id == device.id
                    or (t.site_id is not None and t.site_id == device.site_id)
                    or (t.service_id is not None and t.service_id in service_ids)
                ):
                    return window
        return None


def apply(batch: Batch, sig: Signal) -> Outcome:
    device = batch.device(sig.device_id)
    if device is None:
        return Outcome("ignored")
    iface = batch.interface(device.id, sig.if_index) if sig.if_index is not None else None
    key = reduction_key(device.name, sig.kind, sig.if_index, sig.object_id)
    alarm = batch.active_alarm(key, device.id)
    if not sig.raise_:
        if alarm is None:
            return Outcome("ignored")
        clear(alarm, sig.at, text=sig.detail or f"cleared by {sig.source.value}")
        batch.active[key] = None
        batch.touched.add(alarm.id)
        return Outcome("cleared", alarm)

    if alarm is not None:
        alarm.last_occurrence = sig.at
        if not sig.count_repeat:
            return Outcome("refreshed", alarm)
        alarm.occurrences += 1
        alarm.state = AlarmState.UPDATED
        alarm.changed_at = sig.at
        batch.touched.add(alarm.id)
        return Outcome("updated", alarm)

    spec = alarm_kind(sig.kind)
    obj_name = iface.name if iface is not None else (sig.object_id or device.name)
    alarm = Alarm(
        reduction_key=key,
        device_id=device.id,
        interface_id=iface.id if iface else None,
        alarmed_object_type=AlarmedObjectType.INTERFACE
        if sig.if_index is not None
        else AlarmedObjectType.DEVICE,
        alarmed_object=f"{device.name}:{obj_name}"
        if sig.if_index is not None
        else (f"{device.name}:{sig.object_id}" if sig.object_id else device.name),
        alarm_type=spec.alarm_type,
        probable_cause=spec.probable_cause,
        specific_problem=spec.problem(obj_name, sig.detail),
        perceived_severity=spec.severity,
        state=AlarmState.RAISED,
        raised_at=sig.at,
        reported_at=sig.at,
        changed_at=sig.at,
        last_occurrence=sig.at,
        occurrences=1,
        source=sig.source,
        details=dict(sig.details),
        settle_at=sig.at + timedelta(seconds=batch.cfg.settle_s),
    )
    window = batch.open_window(device, iface, sig.at)
    if window is not None:
        alarm.planned = True
        alarm.maintenance_window_id = window.id
    batch.s.add(alarm)
    record(alarm, "raised", sig.at, alarm.specific_problem + (f" (planned: {window.name})" if window else ""))
    batch.s.flush()
    batch.active[key] = alarm
    batch.touched.add(alarm.id)
    if sig.kind == LINK_DOWN and sig.if_index is not None:
        _check_flapping(batch, device, sig)
    return Outcome("created", alarm)


def _check_flapping(batch: Batch, device: Device, sig: Signal) -> None:
    """N down episodes of one interface within the window make one flapping alarm."""
    key = reduction_key(device.name, LINK_DOWN, sig.if_index, None)
    since = sig.at - timedelta(seconds=batch.cfg.flap_window_s)
    episodes = batch.s.scalar(
        select(func.count()).select_from(Alarm).where(Alarm.reduction_key == key, Alarm.raised_at >= since)
    )
    if (episodes or 0) < batch.cfg.flap_episodes:
        return
    transitions = 2 * int(episodes or 0) - 1
    outcome = apply(
        batch,
        Signal(
            device.id,
            FLAPPING,
            True,
            sig.at,
            sig.source,
            if_index=sig.if_index,
            detail=f"{transitions} transitions in {batch.cfg.flap_window_s:.0f}s",
            count_repeat=False,
        ),
    )
    if outcome.alarm is not None:
        outcome.alarm.details = {**outcome.alarm.details, "transitions": transitions}


def sweep(session: Session, cfg: FaultConfig, now: datetime) -> int:
    """Clear flapping alarms whose interface has been stable for ``flap_stable_s``."""
    cleared = 0
    for alarm in session.scalars(
        select(Alarm).where(Alarm.state != AlarmState.CLEARED, Alarm.reduction_key.like(f"%/{FLAPPING}"))
    ):
        link_key = alarm.reduction_key[: -len(FLAPPING)] + LINK_DOWN
        last_raise, last_clear = session.execute(
            select(func.max(Alarm.raised_at), func.max(Alarm.cleared_at)).where(
                Alarm.reduction_key == link_key
            )
        ).one()
        last = max(t for t in (last_raise, last_clear, alarm.raised_at) if t is not None)
        if now - last >= timedelta(seconds=cfg.flap_stable_s):
            clear(alarm, now, text=f"stable for {cfg.flap_stable_s:.0f}s")
            cleared += 1
    return cleared
