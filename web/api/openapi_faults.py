"""The fault management part of the OpenAPI document: /api/v1's alarms, events and
maintenance windows, and TMF642 Alarm Management (documented at its primary base path, with
a path-level ``servers`` entry; the alias /tmf-api/alarm/v4 serves the same operations)."""

from __future__ import annotations

from typing import Any

from inventory.choices import AckState, AlarmedObjectType, AlarmState, AlarmType, Severity
from web.tmf.alarm_api import MAX_TASK_ALARMS
from web.tmf.alarm_input import LIST_FILTERS, PATCHABLE
from web.tmf.blueprint import ALIAS, BASE

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _param(name: str) -> Schema:
    return {"$ref": f"#/components/parameters/{name}"}


def _error(description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _enum(cls: type[Any]) -> Schema:
    return {"type": "string", "enum": [m.value for m in cls]}


_DT = {"type": "string", "format": "date-time"}
_DT_NULL = {**_DT, "nullable": True}
_LINK = {
    "type": "object",
    "nullable": True,
    "properties": {"id": {"type": "integer"}, "href": {"type": "string"}},
}
_ERRORS = {"401": {"$ref": "#/components/responses/Unauthorized"}}
_WRITE_ERRORS = {
    "400": _error("Bad input; the message starts with the field at fault"),
    "403": _error("The user's role may not do this (engineer or admin needed)"),
    **_ERRORS,
}
_PAGE_HEADERS = {
    "X-Total-Count": {"description": "Rows matching the query", "schema": {"type": "integer"}},
    "X-Result-Count": {"description": "Rows in this response", "schema": {"type": "integer"}},
}
_WRITE_NOTE = "Needs the engineer or admin role. With the session cookie, send the X-CSRF-Token header too."

SCHEMAS: dict[str, Schema] = {
    "Alarm": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "href": {"type": "string"},
            "tmf_href": {"type": "string", "description": "The same alarm in TMF642"},
            "reduction_key": {"type": "string", "example": "r1/ifIndex=3/link"},
            "device": {"type": "string", "nullable": True},
            "device_href": {"type": "string", "nullable": True},
            "interface": {"type": "string", "nullable": True},
            "interface_id": {"type": "integer", "nullable": True},
            "object_type": _enum(AlarmedObjectType),
            "object": {"type": "string", "example": "r1:ethernet-1/3"},
            "alarm_type": _enum(AlarmType),
            "probable_cause": {"type": "string"},
            "problem": {"type": "string"},
            "severity": _enum(Severity),
            "state": _enum(AlarmState),
            "active": {"type": "boolean"},
            "ack_state": _enum(AckState),
            "ack_user": {"type": "string", "nullable": True},
            "ack_time": _DT_NULL,
            "raised_at": _DT,
            "changed_at": _DT,
            "cleared_at": _DT_NULL,
            "clear_user": {"type": "string", "nullable": True},
            "occurrences": {"type": "integer"},
            "last_occurrence": _DT,
            "root_cause": {"type": "boolean"},
            "suppressed_by": _LINK,
            "correlation": {"type": "string", "nullable": True, "description": "Why it is suppressed"},
            "suppresses": {"type": "array", "items": _LINK},
            "planned": {"type": "boolean", "description": "Raised inside a maintenance window"},
            "maintenance_window": _LINK,
            "service_affecting": {"type": "boolean"},
            "affected_services": {"type": "array", "items": {"type": "object"}},
            "threshold": {
                "type": "object",
                "nullable": True,
                "description": "TMF642 crossedThresholdInformation",
            },
            "source": {"type": "string", "enum": ["trap", "poll", "system"]},
        },
    },
    "AlarmHistory": {
        "type": "object",
        "properties": {
            "at": _DT,
            "action": {"type": "string", "example": "acknowledged"},
            "severity": {**_enum(Severity), "nullable": True},
            "user": {"type": "string", "nullable": True},
            "system": {"type": "string"},
            "text": {"type": "string"},
        },
    },
    "AlarmDetail": {
        "allOf": [
            _ref("Alarm"),
            {
                "type": "object",
                "properties": {
                    "history": {"type": "array", "items": _ref("AlarmHistory")},
                    "suppressed_alarms": {"type": "array", "items": _ref("Alarm")},
                    "events": {"type": "array", "items": _ref("Event"), "description": "The newest 200"},
                    "events_total": {"type": "integer"},
                },
            },
        ]
    },
    "AlarmText": {
        "type": "object",
        "properties": {"text": {"type": "string", "maxLength": 4000}},
    },
    "AlarmSummary": {
        "type": "object",
        "properties": {
            "active": {"type": "integer"},
            "root": {"type": "integer", "description": "Neither suppressed nor planned"},
            "suppressed": {"type": "integer"},
            "planned": {"type": "integer"},
            "worst": {
                **_enum(Severity),
                "nullable": True,
                "description": "Worst severity of the root alarms",
            },
            "by_severity": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "properties": {
                        "root": {"type": "integer"},
                        "suppressed": {"type": "integer"},
                        "planned": {"type": "integer"},
                    },
                },
            },
            "badge": {
                "type": "object",
                "description": "The header badge: count of root alarms, level = worst severity (ok when none)",
                "properties": {
                    "label": {"type": "string"},
                    "count": {"type": "integer"},
                    "level": {
                        "type": "string",
                        "enum": ["ok", "info", "warning", "minor", "major", "critical"],
                    },
                    "href": {"type": "string"},
                    "title": {"type": "string"},
                },
            },
        },
    },
    "Event": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "received_at": _DT,
            "source": {"type": "string", "enum": ["trap", "poll", "system"]},
            "source_address": {"type": "string"},
            "device": {"type": "string", "nullable": True, "description": "null: an unknown source"},
            "device_href": {"type": "string", "nullable": True},
            "name": {"type": "string", "example": "linkDown"},
            "trap_oid": {"type": "string"},
            "version": {"type": "string", "example": "v2c"},
            "if_index": {"type": "integer", "nullable": True},
            "varbinds": {"type": "array", "items": {}},
            "alarm": _LINK,
            "note": {"type": "string"},
        },
    },
    "MaintenanceWindowInput": {
        "type": "object",
        "required": ["name", "starts_at", "ends_at", "targets"],
        "properties": {
            "name": {"type": "string", "maxLength": 128},
            "description": {"type": "string"},
            "starts_at": {**_DT, "description": "No offset means UTC"},
            "ends_at": _DT,
            "recurrence": {"type": "string", "enum": ["none", "daily", "weekly"], "default": "none"},
            "until": {**_DT_NULL, "description": "Last start of a recurring window"},
            "targets": {
                "type": "object",
                "properties": {
                    "devices": {"type": "array", "items": {"type": "string"}},
                    "sites": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
    "MaintenanceWindow": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "href": {"type": "string"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "starts_at": _DT,
            "ends_at": _DT,
            "recurrence": {"type": "string", "enum": ["none", "daily", "weekly"]},
            "until": _DT_NULL,
            "targets": {
                "type": "object",
                "properties": {
                    "devices": {"type": "array", "items": {"type": "string"}},
                    "sites": {"type": "array", "items": {"type": "string"}},
                },
            },
            "open_now": {"type": "boolean"},
            "next_occurrence": {
                "type": "object",
                "nullable": True,
                "description": "The open occurrence, else the next; null when none is left",
                "properties": {"starts_at": _DT, "ends_at": _DT},
            },
            "created_by": {"type": "string"},
            "created_at": _DT,
        },
    },
    # -- TMF642 --
    "TmfRef": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "href": {"type": "string"},
            "@referredType": {"type": "string"},
        },
    },
    "TmfComment": {
        "type": "object",
        "properties": {
            "comment": {"type": "string"},
            "userId": {"type": "string"},
            "systemId": {"type": "string"},
            "time": _DT,
        },
    },
    "TmfAlarm": {
        "type": "object",
        "description": "TMF642 v4 Alarm; x_* attributes are ossagent's extensions",
        "properties": {
            "id": {"type": "string"},
            "href": {"type": "string"},
            "externalAlarmId": {"type": "string"},
            "alarmType": _enum(AlarmType),
            "perceivedSeverity": _enum(Severity),
            "probableCause": {"type": "string"},
            "specificProblem": {"type": "string"},
            "state": _enum(AlarmState),
            "ackState": _enum(AckState),
            "ackUserId": {"type": "string", "nullable": True},
            "ackSystemId": {"type": "string", "nullable": True},
            "clearUserId": {"type": "string", "nullable": True},
            "clearSystemId": {"type": "string", "nullable": True},
            "alarmRaisedTime": _DT,
            "alarmReportingTime": _DT,
            "alarmChangedTime": _DT,
            "alarmClearedTime": _DT_NULL,
            "alarmDetails": {"type": "string", "nullable": True},
            "sourceSystemId": {"type": "string"},
            "reportingSystemId": {"type": "string"},
            "alarmedObjectType": _enum(AlarmedObjectType),
            "alarmedObject": _ref("TmfRef"),
            "serviceAffecting": {"type": "boolean"},
            "affectedService": {"type": "array", "items": _ref("TmfRef")},
            "isRootCause": {"type": "boolean"},
            "correlatedAlarm": {"type": "array", "items": _ref("TmfRef")},
            "parentAlarm": {"type": "array", "items": _ref("TmfRef")},
            "comment": {"type": "array", "items": _ref("TmfComment")},
            "crossedThresholdInformation": {"type": "object"},
            "plannedOutageIndicator": {"type": "string", "enum": ["InService", "OutOfService"]},
            "@type": {"type": "string"},
            "@baseType": {"type": "string"},
            "x_occurrences": {"type": "integer"},
            "x_lastOccurrence": _DT,
            "x_suppressedBy": {"type": "string", "nullable": True},
        },
    },
    "TmfAlarmUpdate": {
        "type": "object",
        "description": "JSON Merge Patch. Only these attributes; any other is a 400 naming it. "
        "ackUserId/clearUserId are recorded in the history text when they differ from the "
        "authenticated user, who is always the one recorded. Comments are appended (entries "
        "echoed back with their time are skipped), never removed.",
        "properties": {
            "ackState": _enum(AckState),
            "ackUserId": {"type": "string"},
            "state": {"type": "string", "enum": ["cleared"]},
            "clearUserId": {"type": "string"},
            "alarmClearedTime": _DT,
            "comment": {"type": "array", "items": _ref("TmfComment")},
        },
        "additionalProperties": False,
    },
    "TmfAlarmTask": {
        "type": "object",
        "description": "AckAlarms, UnAckAlarms, ClearAlarms or CommentAlarms. An alarm matches a pattern "
        "when every attribute given equals the alarm's (alarmedObject by id); the task acts on the "
        f"alarms matching any pattern, at most {MAX_TASK_ALARMS}. Tasks complete within the request "
        "and are not kept.",
        "required": ["alarmPattern"],
        "properties": {
            "id": {"type": "string", "readOnly": True},
            "state": {"type": "string", "enum": ["done"], "readOnly": True},
            "alarmPattern": {"type": "array", "minItems": 1, "items": {"type": "object"}},
            "ackUserId": {"type": "string"},
            "ackSystemId": {"type": "string"},
            "ackTime": _DT,
            "clearUserId": {"type": "string"},
            "clearSystemId": {"type": "string"},
            "alarmClearedTime": _DT,
            "comment": _ref("TmfComment"),
            "ackedAlarm": {"type": "array", "items": _ref("TmfRef"), "readOnly": True},
            "unAckedAlarm": {"type": "array", "items": _ref("TmfRef"), "readOnly": True},
            "clearedAlarm": {"type": "array", "items": _ref("TmfRef"), "readOnly": True},
            "commentedAlarm": {"type": "array", "items": _ref("TmfRef"), "readOnly": True},
        },
    },
    "EventSubscriptionInput": {
        "type": "object",
        "required": ["callback"],
        "properties": {
            "callback": {
                "type": "string",
                "description": "http(s) URL; private addresses need HUB_ALLOW_NETWORKS",
            },
            "query": {"type": "string", "example": "eventType=AlarmCreateEvent,AlarmStateChangeEvent"},
        },
    },
    "EventSubscription": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "href": {"type": "string"},
            "callback": {"type": "string"},
            "query": {"type": "string", "nullable": True},
        },
    },
}

PARAMS: dict[str, Schema] = {
    "alarmId": {"name": "alarm_id", "in": "path", "required": True, "schema": {"type": "integer"}},
    "windowId": {"name": "window_id", "in": "path", "required": True, "schema": {"type": "integer"}},
    "hubId": {"name": "hub_id", "in": "path", "required": True, "schema": {"type": "integer"}},
}


def _q(name: str, description: str, **schema: Any) -> Schema:
    return {"name": name, "in": "query", "description": description, "schema": schema or {"type": "string"}}


def _list(summary: str, item: str, params: list[Schema]) -> Schema:
    return {
        "summary": summary,
        "parameters": [*params, _param("offset"), _param("limit"), _param("fields")],
        "responses": {
            "200": {
                "description": "A page of results",
                "headers": _PAGE_HEADERS,
                "content": {"application/json": {"schema": {"type": "array", "items": _ref(item)}}},
            },
            "400": _error("Bad query parameter (named in the message)"),
            **_ERRORS,
        },
    }


def _get(summary: str, item: str, params: list[Schema], status: str = "200") -> Schema:
    return {
        "summary": summary,
        "parameters": [*params, _param("fields")],
        "responses": {
            status: {"description": "Found", "content": {"application/json": {"schema": _ref(item)}}},
            "404": _error("Not found"),
            **_ERRORS,
        },
    }


def _write(
    summary: str, item: str | None, body: str | None, params: list[Schema], status: str = "200", **extra: Any
) -> Schema:
    op: Schema = {
        "summary": summary,
        "description": _WRITE_NOTE,
        "parameters": params,
        "responses": {
            status: (
                {"description": "Done", "content": {"application/json": {"schema": _ref(item)}}}
                if item
                else {"description": "Done"}
            ),
            "404": _error("Not found"),
            **_WRITE_ERRORS,
            **extra,
        },
    }
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(body)}}}
    return op


def api_paths() -> dict[str, Schema]:
    """Paths under /api/v1."""
    alarm = [_param("alarmId")]
    window = [_param("windowId")]
    clear = _write("Clear an alarm", "AlarmDetail", None, alarm)
    clear["requestBody"] = {"required": False, "content": {"application/json": {"schema": _ref("AlarmText")}}}
    return {
        "/alarms": {
            "get": _list(
                "Alarms, newest first",
                "Alarm",
                [
                    _q(
                        "state",
                        "Which alarms",
                        type="string",
                        enum=["active", "cleared", "all"],
                        default="active",
                    ),
                    _q("severity", "Severity; repeat or comma-separate for several", type="string"),
                    _q("device", "Device name"),
                    _q("root", "true: only root causes that nothing suppresses", type="boolean"),
                ],
            )
        },
        "/alarms/summary": {
            "get": {
                "summary": "Active alarm counts by severity, root vs suppressed vs planned (the header badge)",
                "responses": {
                    "200": {
                        "description": "Summary",
                        "content": {"application/json": {"schema": _ref("AlarmSummary")}},
                    },
                    **_ERRORS,
                },
            }
        },
        "/alarms/{alarm_id}": {
            "get": _get(
                "One alarm with its history, the alarms it suppresses and its events", "AlarmDetail", alarm
            )
        },
        "/alarms/{alarm_id}/ack": {"post": _write("Acknowledge an alarm", "AlarmDetail", None, alarm)},
        "/alarms/{alarm_id}/unack": {
            "post": _write("Withdraw an acknowledgement", "AlarmDetail", None, alarm)
        },
        "/alarms/{alarm_id}/clear": {"post": clear},
        "/alarms/{alarm_id}/comment": {
            "post": _write("Comment on an alarm", "AlarmDetail", "AlarmText", alarm)
        },
        "/events": {
            "get": _list(
                "Events (traps, poll events), newest first, unknown sources included",
                "Event",
                [
                    _q("device", "Device name"),
                    _q("name", "Event name, e.g. linkDown"),
                    _q("since", "Received at or after (ISO 8601)", type="string", format="date-time"),
                ],
            )
        },
        "/maintenance-windows": {
            "get": _list("Maintenance windows, newest first", "MaintenanceWindow", []),
            "post": _write(
                "Create a maintenance window",
                "MaintenanceWindow",
                "MaintenanceWindowInput",
                [],
                status="201",
            ),
        },
        "/maintenance-windows/{window_id}": {
            "get": _get("One maintenance window", "MaintenanceWindow", window),
            "delete": _write("Delete a maintenance window", None, None, window, status="204"),
        },
    }


def tmf_paths() -> dict[str, Schema]:
    """TMF642 paths, relative to their base path (given as each path's server)."""
    servers = [{"url": BASE, "description": f"TMF642 Alarm Management (also served at {ALIAS})"}]
    alarm_id = [_param("alarmId")]
    hub_id = [_param("hubId")]
    filters = [
        _q(
            name,
            "Repeat (or comma-separate, for enumerations) for OR"
            if not name.startswith("alarmRaisedTime.")
            else "Compare alarmRaisedTime (ISO 8601)",
        )
        for name in LIST_FILTERS
    ]
    patch = _write("Acknowledge, clear or comment (JSON Merge Patch)", "TmfAlarm", "TmfAlarmUpdate", alarm_id)
    patch["requestBody"] = {
        "required": True,
        "content": {
            "application/merge-patch+json": {"schema": _ref("TmfAlarmUpdate")},
            "application/json": {"schema": _ref("TmfAlarmUpdate")},
        },
    }
    patch["responses"]["415"] = _error("Another media type")
    patch["description"] = f"{_WRITE_NOTE} Accepted attributes: {', '.join(PATCHABLE)}."

    def task(summary: str) -> Schema:
        return {"post": _write(summary, "TmfAlarmTask", "TmfAlarmTask", [], status="201")}

    hub_post = _write("Register a listener", "EventSubscription", "EventSubscriptionInput", [], status="201")
    hub_post["responses"]["201"]["headers"] = {"Location": {"schema": {"type": "string"}}}
    out = {
        "/alarm": {"get": _list("List alarms, newest first", "TmfAlarm", filters)},
        "/alarm/{alarm_id}": {"get": _get("Retrieve an alarm", "TmfAlarm", alarm_id), "patch": patch},
        "/ackAlarms": task("Acknowledge the alarms matching the patterns"),
        "/unAckAlarms": task("Unacknowledge the alarms matching the patterns"),
        "/clearAlarms": task("Clear the alarms matching the patterns"),
        "/commentAlarms": task("Comment on the alarms matching the patterns"),
        "/hub": {"post": hub_post},
        "/hub/{hub_id}": {
            "get": _get("A listener registration (engineer role)", "EventSubscription", hub_id),
            "delete": _write("Remove a listener registration", None, None, hub_id, status="204"),
        },
    }
    # Keys are relative to the path's own server (the TMF base path), as the swagger has them.
    return {path: {"servers": servers, **item} for path, item in out.items()}
