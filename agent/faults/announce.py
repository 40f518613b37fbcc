"""Announcing alarms to TMF642 hub listeners, through the outbox.

A new alarm is announced (AlarmCreateEvent) only once its burst has settled (``settle_at``),
so the event already carries the correlation: root cause or suppressed, and by what. Later
changes, from the agent or from an operator in the web process, are history rows; each cycle
turns the unpublished ones into at most one AlarmStateChangeEvent and one
AlarmAttributeValueChangeEvent per alarm. Occurrence counts are coalesced the same way, so
10,000 identical traps make one create event and a handful of updates, not 10,000 events.
Planned alarms (inside a maintenance window) notify no one.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from agent.faults.impact import impacted_services
from bss_bridge.tmf.alarm import (
    ATTRIBUTE_CHANGE_EVENT,
    CREATE_EVENT,
    STATE_CHANGE_EVENT,
    affected_refs,
    to_tmf,
)
from bss_bridge.tmf.common import event_envelope
from inventory.fault_models import Alarm, AlarmHistory
from inventory.hub import enqueue_event, new_event_id

API = "alarm"
STATE_ACTIONS = {"cleared", "acknowledged", "unacknowledged"}


def _refresh_impact(s: Session, alarm: Alarm) -> None:
    refs = affected_refs(impacted_services(s, alarm))
    if (alarm.details or {}).get("affectedService", []) != refs:
        alarm.details = {**(alarm.details or {}), "affectedService": refs}
    alarm.service_affecting = bool(refs)


def _children(s: Session, alarm_id: int) -> list[int]:
    return list(s.scalars(select(Alarm.id).where(Alarm.suppressed_by_id == alarm_id).order_by(Alarm.id)))


def _emit(s: Session, alarm: Alarm, event_type: str, now: datetime) -> int:
    doc = to_tmf(alarm, _children(s, alarm.id))
    event_id = new_event_id()
    envelope = event_envelope(event_type, "alarm", doc, event_id, now)
    return enqueue_event(s, API, event_type, envelope, event_id, now=now)


def announce(s: Session, now: datetime) -> int:
    """One announcement cycle; returns how many outbox messages it queued."""
    queued = 0
    # 1. settled, not yet announced: one create event carrying the state as it is now
    for alarm in s.scalars(
        select(Alarm).where(Alarm.announced.is_(False), Alarm.settle_at <= now).limit(1000)
    ):
        alarm.announced = True
        alarm.announced_occurrences = alarm.occurrences
        _refresh_impact(s, alarm)
        s.execute(update(AlarmHistory).where(AlarmHistory.alarm_id == alarm.id).values(published=True))
        if not alarm.planned:
            queued += _emit(s, alarm, CREATE_EVENT, now)
    s.flush()

    # 2. later changes of announced alarms
    pending: dict[int, set[str]] = defaultdict(set)
    rows = s.execute(
        select(AlarmHistory.id, AlarmHistory.alarm_id, AlarmHistory.action)
        .join(Alarm, Alarm.id == AlarmHistory.alarm_id)
        .where(AlarmHistory.published.is_(False), Alarm.announced.is_(True))
        .limit(5000)
    ).all()
    for _, alarm_id, action in rows:
        pending[alarm_id].add(STATE_CHANGE_EVENT if action in STATE_ACTIONS else ATTRIBUTE_CHANGE_EVENT)
    if rows:
        s.execute(
            update(AlarmHistory).where(AlarmHistory.id.in_([r[0] for r in rows])).values(published=True)
        )
    for alarm in s.scalars(
        select(Alarm)
        .where(Alarm.announced.is_(True), Alarm.occurrences != Alarm.announced_occurrences)
        .limit(1000)
    ):
        pending[alarm.id].add(ATTRIBUTE_CHANGE_EVENT)
        alarm.announced_occurrences = alarm.occurrences
    for alarm_id, types in pending.items():
        changed = s.get(Alarm, alarm_id)
        if changed is None:
            continue
        _refresh_impact(s, changed)
        if changed.planned:
            continue
        for event_type in sorted(types):  # AlarmAttributeValueChange before AlarmStateChange
            queued += _emit(s, changed, event_type, now)
    return queued
