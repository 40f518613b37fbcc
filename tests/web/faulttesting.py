"""Fault management in the web tests' inventory: alarms, history, events, a maintenance
window, agent counters and hub registrations, built directly with the models.

The fixture alarms are read-only for the tests: a test that acknowledges, clears or
comments makes its own alarm with ``make_alarm`` (on device new1, which has no fixture
alarms, with a unique reduction key and a raise time of "now", after every fixture alarm).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bss_bridge.tmf.alarm import SERVICE_BASE
from inventory.choices import (
    AckState,
    AlarmedObjectType,
    AlarmState,
    AlarmType,
    EventSource,
    Severity,
)
from inventory.fault_models import (
    AgentCounter,
    Alarm,
    AlarmHistory,
    Event,
    HubSubscription,
    MaintenanceTarget,
    MaintenanceWindow,
)
from inventory.models import Device, Site
from inventory.types import utcnow
from tests.web.webtesting import AWKWARD, HOSTILE_TEXT, NOW, XSS_ATTR, XSS_SCRIPT, World

PUBLIC_CALLBACK = "https://93.184.215.14/ossagent-listener"
UNKNOWN_SOURCE = "198.51.100.77"
SUPPRESSION_REASON = "device r2 is unreachable"
THRESHOLD = {
    "indicatorName": "util-in",
    "indicatorUnit": "%",
    "observedValue": "93.40",
    "threshold": {"high": 90.0, "low": 80.0},
    "direction": "up",
    "granularity": "poll interval",
}
AFFECTED = [{"id": "SVC-77", "href": f"{SERVICE_BASE}/service/SVC-77"}]
# Agent counters as the trap receiver publishes them (labels already escaped), one with a
# hostile label value and one row that is not valid exposition (it must be skipped).
COUNTERS: list[tuple[str, str, float]] = [
    ("ossagent_traps_received_total", "", 1234.0),
    ("ossagent_traps_decoded_total", "", 1200.0),
    ("ossagent_traps_malformed_total", "", 3.0),
    ("ossagent_traps_rejected_total", 'reason="community"', 5.0),
    ("ossagent_traps_rejected_total", 'reason="rate"', 2.0),
    ("ossagent_traps_rejected_total", 'reason="bad \\"q\\" \\\\ x\\ny"', 1.0),
    ("ossagent_traps_queue_dropped_total", "", 0.0),
    ("ossagent_traps_unknown_source_total", "", 7.0),
    ("ossagent_trap_queue_depth", "", 3.0),
    ("not a metric name", "", 1.0),
]


def _alarm(session: Session, device: Device | None, key: str, **kw: Any) -> Alarm:
    defaults: dict[str, Any] = {
        "alarmed_object_type": AlarmedObjectType.DEVICE,
        "alarmed_object": device.name if device else "?",
        "alarm_type": AlarmType.COMMUNICATIONS,
        "probable_cause": "lossOfSignal",
        "specific_problem": "",
        "perceived_severity": Severity.MAJOR,
        "state": AlarmState.RAISED,
        "source": EventSource.TRAP,
        "settle_at": NOW,
        "announced": True,
        "announced_occurrences": 1,
    }
    defaults.update(kw)
    raised = defaults.setdefault("raised_at", NOW)
    defaults.setdefault("reported_at", raised)
    defaults.setdefault("changed_at", raised)
    defaults.setdefault("last_occurrence", raised)
    alarm = Alarm(reduction_key=key, device_id=device.id if device else None, **defaults)
    session.add(alarm)
    return alarm


def _history(alarm: Alarm, action: str, at: datetime, text: str = "", user: str = "", **kw: Any) -> None:
    alarm.history.append(
        AlarmHistory(
            action=action,
            at=at,
            severity=kw.get("severity", alarm.perceived_severity),
            text=text,
            user=user,
            published=True,
        )
    )


def build_faults(session: Session, world: World) -> None:
    devices = {d.name: d for d in session.scalars(select(Device))}
    r1, r2, evil, old = devices["r1"], devices["r2"], devices["evil"], devices["old32"]
    site = session.scalars(select(Site).where(Site.name == "lab-site")).one()
    ifaces = {(i.device.name, i.if_index): i for d in devices.values() for i in d.interfaces}

    window = MaintenanceWindow(
        name="old32 upgrade",
        description="swap the line card",
        starts_at=NOW - timedelta(hours=1),
        ends_at=NOW + timedelta(hours=1),
        created_by="engineer",
        targets=[MaintenanceTarget(device_id=old.id)],
    )
    weekly = MaintenanceWindow(
        name="weekly site work",
        starts_at=NOW + timedelta(days=1),
        ends_at=NOW + timedelta(days=1, hours=2),
        recurrence="weekly",
        until=NOW + timedelta(days=60),
        created_by="admin",
        targets=[MaintenanceTarget(site_id=site.id)],
    )
    session.add_all([window, weekly])
    session.flush()

    root = _alarm(
        session,
        r2,
        "r2/device/device",
        probable_cause="communicationsSubsystemFailure",
        specific_problem="device unreachable: timeout",
        perceived_severity=Severity.CRITICAL,
        raised_at=NOW - timedelta(minutes=30),
        source=EventSource.POLL,
    )
    session.flush()
    child = _alarm(
        session,
        r2,
        "r2/ifIndex=1/link",
        interface_id=ifaces[("r2", 1)].id,
        alarmed_object_type=AlarmedObjectType.INTERFACE,
        alarmed_object="r2:ethernet-1/1",
        specific_problem="ethernet-1/1 oper-status down",
        raised_at=NOW - timedelta(minutes=29),
        is_root_cause=False,
        suppressed_by_id=root.id,
        correlation=SUPPRESSION_REASON,
        occurrences=3,
    )
    planned = _alarm(
        session,
        old,
        "old32/ifIndex=2/link",
        interface_id=ifaces[("old32", 2)].id,
        alarmed_object_type=AlarmedObjectType.INTERFACE,
        alarmed_object="old32:port2",
        specific_problem="port2 oper-status down",
        perceived_severity=Severity.MINOR,
        raised_at=NOW - timedelta(minutes=20),
        planned=True,
        maintenance_window_id=window.id,
    )
    cleared = _alarm(
        session,
        r1,
        "r1/ifIndex=2/link",
        interface_id=ifaces[("r1", 2)].id,
        alarmed_object_type=AlarmedObjectType.INTERFACE,
        alarmed_object="r1:ethernet-1/2",
        specific_problem="ethernet-1/2 oper-status down",
        perceived_severity=Severity.CLEARED,
        state=AlarmState.CLEARED,
        raised_at=NOW - timedelta(hours=2),
        cleared_at=NOW - timedelta(hours=1),
        changed_at=NOW - timedelta(hours=1),
    )
    threshold = _alarm(
        session,
        r1,
        "r1/ifIndex=1/util-in",
        interface_id=ifaces[("r1", 1)].id,
        alarmed_object_type=AlarmedObjectType.INTERFACE,
        alarmed_object="r1:ethernet-1/1",
        alarm_type=AlarmType.QUALITY_OF_SERVICE,
        probable_cause="thresholdCrossed",
        specific_problem="ethernet-1/1 inbound utilisation 93.4% above 90%",
        perceived_severity=Severity.MINOR,
        raised_at=NOW - timedelta(minutes=10),
        source=EventSource.POLL,
        ack_state=AckState.ACKNOWLEDGED,
        ack_user="admin",
        ack_time=NOW - timedelta(minutes=5),
        service_affecting=True,
        details={"crossedThresholdInformation": THRESHOLD, "affectedService": AFFECTED},
    )
    hostile = _alarm(
        session,
        evil,
        "evil/device/auth-failure",
        alarm_type=AlarmType.SECURITY_SERVICE,
        probable_cause="unauthorizedAccessAttempt",
        alarmed_object=f"evil:{XSS_ATTR}",
        specific_problem=HOSTILE_TEXT,
        perceived_severity=Severity.WARNING,
        raised_at=NOW - timedelta(minutes=5),
        correlation=XSS_SCRIPT,
    )
    session.flush()

    _history(root, "raised", root.raised_at, root.specific_problem)
    _history(child, "raised", child.raised_at, child.specific_problem)
    _history(child, "updated", child.raised_at + timedelta(seconds=20), "occurrence 3")
    _history(
        child,
        "suppressed",
        child.raised_at + timedelta(minutes=1),
        f"suppressed by alarm {root.id}: {SUPPRESSION_REASON}",
    )
    _history(planned, "raised", planned.raised_at, "port2 oper-status down (planned: old32 upgrade)")
    _history(cleared, "raised", cleared.raised_at, cleared.specific_problem, severity=Severity.MAJOR)
    _history(cleared, "cleared", NOW - timedelta(hours=1), "linkUp received")
    _history(threshold, "raised", threshold.raised_at, threshold.specific_problem)
    _history(threshold, "acknowledged", NOW - timedelta(minutes=5), user="admin")
    _history(hostile, "raised", hostile.raised_at, HOSTILE_TEXT)
    _history(
        hostile,
        "comment",
        hostile.raised_at + timedelta(minutes=1),
        f"{HOSTILE_TEXT} {AWKWARD}",
        user="admin",
    )

    session.add_all(
        [
            Event(
                received_at=NOW - timedelta(minutes=29),
                source=EventSource.TRAP,
                source_address="192.0.2.2",
                device_id=r2.id,
                name="linkDown",
                trap_oid="1.3.6.1.6.3.1.1.5.3",
                version="v2c",
                if_index=1,
                varbinds=[
                    {"oid": "1.3.6.1.2.1.2.2.1.1.1", "name": "ifIndex", "value": 1},
                    {"oid": "1.3.6.1.2.1.2.2.1.8.1", "name": "ifOperStatus", "value": 2},
                ],
                alarm_id=child.id,
            ),
            Event(
                received_at=NOW - timedelta(minutes=4),
                source=EventSource.TRAP,
                source_address=UNKNOWN_SOURCE,
                device_id=None,
                name="unknown",
                trap_oid="1.3.6.1.4.1.99999.0.1",
                version="v1",
                varbinds=[["1.3.6.1.4.1.99999.1.1", XSS_SCRIPT], ["1.3.6.1.4.1.99999.1.2", XSS_ATTR]],
                note="no device with this address",
            ),
            Event(
                received_at=NOW - timedelta(minutes=5),
                source=EventSource.TRAP,
                source_address="192.0.2.66",
                device_id=evil.id,
                name="authenticationFailure",
                trap_oid="1.3.6.1.6.3.1.1.5.5",
                version="v2c",
                varbinds=[{"oid": "1.3.6.1.2.1.1.5.0", "value": HOSTILE_TEXT}],
                alarm_id=hostile.id,
            ),
        ]
    )
    session.add_all(AgentCounter(name=n, labels=lb, value=v) for n, lb, v in COUNTERS)
    hub = HubSubscription(
        api="alarm", callback=PUBLIC_CALLBACK, query="eventType=AlarmCreateEvent", created_by="admin"
    )
    other_api = HubSubscription(api="productOrdering", callback=PUBLIC_CALLBACK, created_by="admin")
    session.add_all([hub, other_api])
    session.flush()
    world.ids.update(
        {
            "a_root": root.id,
            "a_child": child.id,
            "a_planned": planned.id,
            "a_cleared": cleared.id,
            "a_threshold": threshold.id,
            "a_hostile": hostile.id,
            "window": window.id,
            "weekly": weekly.id,
            "hub": hub.id,
            "hub_other_api": other_api.id,
        }
    )


def make_alarm(world: World, **kw: Any) -> int:
    """A fresh active alarm on device new1 (raised now), for a test that changes it."""
    tag = uuid.uuid4().hex[:10]
    with world.sessions.begin() as s:
        device = s.scalars(select(Device).where(Device.name == "new1")).one()
        kw.setdefault("alarmed_object", f"new1:test-{tag}")
        kw.setdefault("raised_at", utcnow())
        kw.setdefault("specific_problem", f"test alarm {tag}")
        alarm = _alarm(s, device, kw.pop("key", f"new1/device/test-{tag}"), **kw)
        s.flush()
        _history(alarm, "raised", alarm.raised_at, alarm.specific_problem)
        return alarm.id


def history(world: World, alarm_id: int) -> list[AlarmHistory]:
    with world.sessions() as s:
        rows = list(
            s.scalars(select(AlarmHistory).where(AlarmHistory.alarm_id == alarm_id).order_by(AlarmHistory.id))
        )
        s.expunge_all()
        return rows


def load_alarm(world: World, alarm_id: int) -> Alarm:
    with world.sessions() as s:
        alarm = s.get(Alarm, alarm_id)
        assert alarm is not None
        s.expunge_all()
        return alarm


def expected_summary(world: World) -> dict[str, Any]:
    """The header badge's numbers computed in Python over every alarm (not with the SQL
    the app uses), to compare with what the app shows."""
    ranks = {s: s.rank for s in Severity}
    root = 0
    worst: Severity | None = None
    by: dict[str, dict[str, int]] = {}
    with world.sessions() as s:
        for a in s.scalars(select(Alarm)):
            if a.state is AlarmState.CLEARED:
                continue
            kind = "planned" if a.planned else "suppressed" if a.suppressed_by_id else "root"
            by.setdefault(a.perceived_severity.value, {"root": 0, "suppressed": 0, "planned": 0})[kind] += 1
            if kind == "root":
                root += 1
                if worst is None or ranks[a.perceived_severity] > ranks[worst]:
                    worst = a.perceived_severity
    return {"root": root, "worst": worst.value if worst else None, "by_severity": by}
