"""Loading the fault topology from the store and applying correlation decisions to alarms."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from agent.faults.correlate import ActiveAlarm, Decision, Topology, correlate
from inventory.choices import AlarmState
from inventory.fault_models import Alarm, AlarmHistory, ManagementPath
from inventory.models import Device, Interface, Link


def load_topology(s: Session) -> Topology:
    parents: dict[int, set[int]] = {}
    for dev, via in s.execute(select(ManagementPath.device_id, ManagementPath.via_device_id)):
        parents.setdefault(dev, set()).add(via)
    local, remote = aliased(Interface), aliased(Interface)
    peers: dict[tuple[int, int], tuple[int, int]] = {}
    rows = s.execute(
        select(local.device_id, local.if_index, remote.device_id, remote.if_index)
        .select_from(Link)
        .join(local, Link.local_interface_id == local.id)
        .join(remote, Link.remote_interface_id == remote.id)
    )
    for ldev, lidx, rdev, ridx in rows:
        # LLDP is seen from both sides; either side's entry gives both directions.
        peers[(ldev, lidx)] = (rdev, ridx)
        peers.setdefault((rdev, ridx), (ldev, lidx))
    names: dict[int, str] = {i: n for i, n in s.execute(select(Device.id, Device.name))}
    return Topology({k: frozenset(v) for k, v in parents.items()}, peers, names)


def _kind(key: str) -> str:
    return key.rsplit("/", 1)[-1]


def _if_index(key: str) -> int | None:
    parts = key.split("/")
    if len(parts) >= 3 and parts[-2].startswith("ifIndex="):
        return int(parts[-2].split("=", 1)[1])
    return None


def recorrelate(s: Session, now: datetime, settle_s: float = 1.0) -> list[Alarm]:
    """Recompute root cause and suppression over all active alarms; returns changed alarms.

    Alarms cleared within the last ``settle_s`` still count as causes: when a link comes back
    both ends' linkUp arrive a few ms apart, and the far end's alarm should not flicker to
    "root cause" in between.
    """
    active = list(
        s.scalars(select(Alarm).where(Alarm.state != AlarmState.CLEARED, Alarm.device_id.is_not(None)))
    )
    if not active:
        return []
    recent = list(
        s.scalars(
            select(Alarm).where(
                Alarm.state == AlarmState.CLEARED,
                Alarm.cleared_at >= now - timedelta(seconds=settle_s),
                Alarm.device_id.is_not(None),
            )
        )
    )
    topo = load_topology(s)
    views = [
        ActiveAlarm(a.id, _kind(a.reduction_key), a.device_id or 0, _if_index(a.reduction_key), a.raised_at)
        for a in (*active, *recent)
    ]
    decisions = correlate(views, topo)
    changed = []
    for alarm in active:
        d: Decision = decisions[alarm.id]
        if (alarm.is_root_cause, alarm.suppressed_by_id, alarm.correlation) == (
            d.is_root_cause,
            d.suppressed_by,
            d.reason,
        ):
            continue
        was_suppressed = alarm.suppressed_by_id is not None
        alarm.is_root_cause = d.is_root_cause
        alarm.suppressed_by_id = d.suppressed_by
        alarm.correlation = d.reason
        alarm.changed_at = now
        if d.suppressed_by is not None:
            text = f"suppressed by alarm {d.suppressed_by}: {d.reason}"
            alarm.history.append(
                AlarmHistory(action="suppressed", at=now, severity=alarm.perceived_severity, text=text)
            )
        elif was_suppressed:
            alarm.history.append(
                AlarmHistory(
                    action="unsuppressed", at=now, severity=alarm.perceived_severity, text="now a root cause"
                )
            )
        changed.append(alarm)
    return changed
