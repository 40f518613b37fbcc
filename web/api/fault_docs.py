"""Fault management as /api/v1 documents: alarms, their history, events, maintenance
windows and the alarm summary. Fields are listed one by one, as in serialize.py."""

from __future__ import annotations

from typing import Any

from flask import url_for

from bss_bridge.tmf.alarm import alarm_ref
from inventory.fault_models import Alarm, AlarmHistory, Event
from inventory.queries_alarms import ACTIVE_SEVERITIES, AlarmDetail, AlarmSummary
from inventory.queries_maintenance import WindowView
from web.alarm_badge import badge_doc, badge_for
from web.formatting import iso_utc

Doc = dict[str, Any]


def _alarm_link(alarm_id: int | None) -> Doc | None:
    if alarm_id is None:
        return None
    return {"id": alarm_id, "href": url_for("api.get_alarm", alarm_id=alarm_id)}


def alarm_doc(alarm: Alarm, children: list[int]) -> Doc:
    details = alarm.details or {}
    device = alarm.device
    return {
        "id": alarm.id,
        "href": url_for("api.get_alarm", alarm_id=alarm.id),
        "tmf_href": alarm_ref(alarm.id)["href"],
        "reduction_key": alarm.reduction_key,
        "device": device.name if device else None,
        "device_href": url_for("api.get_device", name=device.name) if device else None,
        "interface": alarm.interface.name if alarm.interface else None,
        "interface_id": alarm.interface_id,
        "object_type": alarm.alarmed_object_type.value,
        "object": alarm.alarmed_object,
        "alarm_type": alarm.alarm_type.value,
        "probable_cause": alarm.probable_cause,
        "problem": alarm.specific_problem,
        "severity": alarm.perceived_severity.value,
        "state": alarm.state.value,
        "active": alarm.active,
        "ack_state": alarm.ack_state.value,
        "ack_user": alarm.ack_user or None,
        "ack_time": iso_utc(alarm.ack_time),
        "raised_at": iso_utc(alarm.raised_at),
        "changed_at": iso_utc(alarm.changed_at),
        "cleared_at": iso_utc(alarm.cleared_at),
        "clear_user": alarm.clear_user or None,
        "occurrences": alarm.occurrences,
        "last_occurrence": iso_utc(alarm.last_occurrence),
        "root_cause": alarm.is_root_cause,
        "suppressed_by": _alarm_link(alarm.suppressed_by_id),
        "correlation": alarm.correlation or None,
        "suppresses": [_alarm_link(c) for c in children],
        "planned": alarm.planned,
        "maintenance_window": (
            {
                "id": alarm.maintenance_window_id,
                "href": url_for("api.get_maintenance_window", window_id=alarm.maintenance_window_id),
            }
            if alarm.maintenance_window_id
            else None
        ),
        "service_affecting": alarm.service_affecting,
        "affected_services": list(details.get("affectedService", [])),
        "threshold": details.get("crossedThresholdInformation"),
        "source": alarm.source.value,
    }


def history_doc(h: AlarmHistory) -> Doc:
    return {
        "at": iso_utc(h.at),
        "action": h.action,
        "severity": h.severity.value if h.severity else None,
        "user": h.user or None,
        "system": h.system,
        "text": h.text,
    }


def event_doc(e: Event) -> Doc:
    return {
        "id": e.id,
        "received_at": iso_utc(e.received_at),
        "source": e.source.value,
        "source_address": e.source_address,
        "device": e.device.name if e.device else None,
        "device_href": url_for("api.get_device", name=e.device.name) if e.device else None,
        "name": e.name,
        "trap_oid": e.trap_oid,
        "version": e.version,
        "if_index": e.if_index,
        "varbinds": e.varbinds,
        "alarm": _alarm_link(e.alarm_id),
        "note": e.note,
    }


def alarm_detail_doc(d: AlarmDetail) -> Doc:
    doc = alarm_doc(d.alarm, [a.id for a in d.suppresses])
    doc["history"] = [history_doc(h) for h in d.history]
    doc["suppressed_alarms"] = [alarm_doc(a, []) for a in d.suppresses]
    doc["events"] = [event_doc(e) for e in d.events]
    doc["events_total"] = d.events_total
    return doc


def summary_doc(s: AlarmSummary) -> Doc:
    return {
        "active": s.active_total,
        "root": s.root_total,
        "suppressed": sum(s.suppressed.values()),
        "planned": sum(s.planned.values()),
        "worst": s.worst.value if s.worst else None,
        "by_severity": {
            sev.value: {"root": s.root[sev], "suppressed": s.suppressed[sev], "planned": s.planned[sev]}
            for sev in ACTIVE_SEVERITIES
        },
        "badge": badge_doc(badge_for(s)),
    }


def window_doc(v: WindowView) -> Doc:
    w = v.window
    return {
        "id": w.id,
        "href": url_for("api.get_maintenance_window", window_id=w.id),
        "name": w.name,
        "description": w.description,
        "starts_at": iso_utc(w.starts_at),
        "ends_at": iso_utc(w.ends_at),
        "recurrence": w.recurrence,
        "until": iso_utc(w.until),
        "targets": {"devices": v.devices, "sites": v.sites},
        "open_now": v.open_now,
        "next_occurrence": (
            {"starts_at": iso_utc(v.next[0]), "ends_at": iso_utc(v.next[1])} if v.next is not None else None
        ),
        "created_by": w.created_by,
        "created_at": iso_utc(w.created_at),
    }
