"""TMF642 Alarm Management v4 representation of an alarm."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bss_bridge.tmf.common import href, iso
from inventory.choices import AlarmedObjectType
from inventory.fault_models import Alarm, Service

BASE = "/tmf-api/alarmManagement/v4"
RESOURCE_BASE = "/tmf-api/resourceInventoryManagement/v4"
SERVICE_BASE = "/tmf-api/serviceInventory/v4"
SOURCE_SYSTEM = "ossagent"

CREATE_EVENT = "AlarmCreateEvent"
STATE_CHANGE_EVENT = "AlarmStateChangeEvent"
ATTRIBUTE_CHANGE_EVENT = "AlarmAttributeValueChangeEvent"


def alarm_ref(alarm_id: int) -> dict[str, str]:
    return {"id": str(alarm_id), "href": href(BASE, "alarm", str(alarm_id))}


def service_id(service: Service) -> str:
    return service.external_id or f"SVC-{service.id}"


def affected_refs(services: Iterable[Service]) -> list[dict[str, str]]:
    """What the agent stores in ``alarm.details["affectedService"]`` when impact is computed."""
    return [{"id": service_id(s), "href": href(SERVICE_BASE, "service", service_id(s))} for s in services]


def to_tmf(alarm: Alarm, children: Iterable[int] = ()) -> dict[str, Any]:
    """The alarm as TMF642 Alarm. ``children``: ids of the alarms it suppresses (its
    correlated alarms). Affected services come from the impact the agent recorded."""
    affected = list((alarm.details or {}).get("affectedService", []))
    obj_type = alarm.alarmed_object_type
    referred = "PhysicalResource" if obj_type is AlarmedObjectType.DEVICE else "LogicalResource"
    threshold = alarm.details.get("crossedThresholdInformation") if alarm.details else None
    comments = [
        {"comment": h.text, "systemId": h.system, "time": iso(h.at), "userId": h.user}
        for h in alarm.history
        if h.action == "comment"
    ]
    doc: dict[str, Any] = {
        "id": str(alarm.id),
        "href": href(BASE, "alarm", str(alarm.id)),
        "externalAlarmId": alarm.reduction_key,
        "alarmType": alarm.alarm_type.value,
        "perceivedSeverity": alarm.perceived_severity.value,
        "probableCause": alarm.probable_cause,
        "specificProblem": alarm.specific_problem,
        "state": alarm.state.value,
        "ackState": alarm.ack_state.value,
        "ackUserId": alarm.ack_user or None,
        "ackSystemId": SOURCE_SYSTEM if alarm.ack_user else None,
        "clearUserId": alarm.clear_user or None,
        "clearSystemId": SOURCE_SYSTEM if alarm.cleared_at else None,
        "alarmRaisedTime": iso(alarm.raised_at),
        "alarmReportingTime": iso(alarm.reported_at),
        "alarmChangedTime": iso(alarm.changed_at),
        "alarmClearedTime": iso(alarm.cleared_at),
        "alarmDetails": alarm.correlation or None,
        "sourceSystemId": SOURCE_SYSTEM,
        "reportingSystemId": SOURCE_SYSTEM,
        "alarmedObjectType": obj_type.value,
        "alarmedObject": {
            "id": alarm.alarmed_object,
            "href": href(RESOURCE_BASE, "resource", alarm.alarmed_object),
            "@referredType": referred,
        },
        "serviceAffecting": bool(affected),
        "affectedService": affected,
        "isRootCause": alarm.is_root_cause,
        "correlatedAlarm": [alarm_ref(c) for c in children],
        "parentAlarm": [alarm_ref(alarm.suppressed_by_id)] if alarm.suppressed_by_id else [],
        "comment": comments,
        "plannedOutageIndicator": "OutOfService" if alarm.planned else "InService",
        "@type": "Alarm",
        "@baseType": "Alarm",
        # Extensions (TMF630 allows them): what dedup and correlation add to the standard.
        "x_occurrences": alarm.occurrences,
        "x_lastOccurrence": iso(alarm.last_occurrence),
        "x_suppressedBy": str(alarm.suppressed_by_id) if alarm.suppressed_by_id else None,
    }
    if threshold:
        doc["crossedThresholdInformation"] = threshold
    return doc
