"""The OpenAPI 3.0 description of /api/v1, written by hand next to the routes it describes.

A test compares its paths with the app's URL map, so a route cannot be added silently.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from web.api import openapi_bss, openapi_faults, openapi_provisioning
from web.api.blueprint import PREFIX, bp
from web.api.interfaces import SAMPLES_DEFAULT_LIMIT, SAMPLES_MAX_LIMIT
from web.api.params import DEFAULT_LIMIT, MAX_LIMIT, RANGES, RESOLUTIONS

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra: Any) -> Schema:
    return {"type": kind, "nullable": True, **extra}


_DATETIME = {"type": "string", "format": "date-time", "example": "2024-05-01T12:00:00Z"}
_DATETIME_NULL = {**_DATETIME, "nullable": True}
_IF_STATUS = {
    "type": "string",
    "enum": ["up", "down", "testing", "unknown", "dormant", "notPresent", "lowerLayerDown"],
}

SCHEMAS: dict[str, Schema] = {
    "Error": {
        "type": "object",
        "required": ["code", "reason"],
        "properties": {
            "code": {"type": "string", "example": "404"},
            "reason": {"type": "string", "example": "Not Found"},
            "message": {"type": "string", "description": "Starts with the field at fault, if any"},
            "status": {"type": "string", "example": "404"},
            "errors": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "When a request is refused field by field: each field path and what is wrong",
            },
        },
    },
    "Device": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "href": {"type": "string"},
            "name": {"type": "string"},
            "host": {"type": "string"},
            "snmp_port": {"type": "integer"},
            "platform": {"type": "string"},
            "role": {"type": "string"},
            "site": _nullable("string"),
            "snmp_profile": _nullable("string", description="Profile name; credentials are never returned"),
            "enabled": {"type": "boolean"},
            "poll_interval_s": _nullable("integer"),
            "status": {"type": "string", "enum": ["unknown", "up", "unreachable"]},
            "status_changed": _DATETIME_NULL,
            "sys_name": {"type": "string"},
            "sys_descr": {"type": "string"},
            "sys_object_id": {"type": "string"},
            "sys_location": {"type": "string"},
            "sys_contact": {"type": "string"},
            "uptime_ticks": _nullable("integer", description="sysUpTime in hundredths of a second"),
            "uptime_seconds": _nullable("number"),
            "last_seen": _DATETIME_NULL,
            "last_discovered": _DATETIME_NULL,
            "last_polled": _DATETIME_NULL,
            "last_error": {"type": "string"},
            "consecutive_failures": {"type": "integer"},
            "interfaces_up": {"type": "integer", "description": "Present interfaces with ifOperStatus up"},
            "interfaces_total": {"type": "integer", "description": "Present interfaces"},
            "interfaces_href": {"type": "string"},
            "created_at": _DATETIME,
        },
    },
    "HardwareComponent": {
        "type": "object",
        "description": "One ENTITY-MIB entPhysicalTable row",
        "properties": {
            "ent_index": {"type": "integer"},
            "class": {"type": "string", "example": "powerSupply"},
            "name": {"type": "string"},
            "descr": {"type": "string"},
            "contained_in": {"type": "integer"},
            "model": {"type": "string"},
            "serial": {"type": "string"},
            "mfg_name": {"type": "string"},
            "hardware_rev": {"type": "string"},
            "firmware_rev": {"type": "string"},
            "software_rev": {"type": "string"},
        },
    },
    "DeviceDetail": {
        "allOf": [
            _ref("Device"),
            {
                "type": "object",
                "properties": {"hardware": {"type": "array", "items": _ref("HardwareComponent")}},
            },
        ]
    },
    "Interface": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "href": {"type": "string"},
            "device": {"type": "string"},
            "device_href": {"type": "string"},
            "if_index": {"type": "integer"},
            "name": {"type": "string"},
            "descr": {"type": "string"},
            "alias": {"type": "string"},
            "if_type": {"type": "integer"},
            "mtu": {"type": "integer"},
            "speed_bps": {"type": "integer"},
            "mac": {"type": "string"},
            "admin_status": _IF_STATUS,
            "oper_status": _IF_STATUS,
            "last_change": _DATETIME_NULL,
            "counter_bits": {"type": "integer", "enum": [32, 64]},
            "present": {"type": "boolean"},
            "in_bps": _nullable("number"),
            "out_bps": _nullable("number"),
            "utilisation_in": _nullable("number", description="Percent of speed_bps"),
            "utilisation_out": _nullable("number", description="Percent of speed_bps"),
            "updated_at": _DATETIME_NULL,
            "samples_href": {"type": "string"},
        },
    },
    "Sample": {
        "type": "object",
        "description": "Rates over the poll interval that ends at ts (null after a counter discontinuity), "
        "or, from rollups, over the bucket of period_s seconds that starts at ts",
        "properties": {
            "ts": _DATETIME,
            "in_bps": _nullable("number"),
            "out_bps": _nullable("number"),
            "in_pps": _nullable("number"),
            "out_pps": _nullable("number"),
            "in_errors_ps": _nullable("number"),
            "out_errors_ps": _nullable("number"),
            "in_discards_ps": _nullable("number"),
            "out_discards_ps": _nullable("number"),
            "oper_status": _IF_STATUS,
            "discontinuity": _nullable("string"),
            # rollups (period_s > 0): the rates above are the bucket's averages
            "period_s": {
                "type": "integer",
                "description": "Rollups only: seconds of the bucket starting at ts",
            },
            "samples": {"type": "integer", "description": "Rollups only: samples behind the averages"},
            "in_bps_max": _nullable("number"),
            "out_bps_max": _nullable("number"),
            "in_errors_ps_max": _nullable("number"),
            "out_errors_ps_max": _nullable("number"),
        },
    },
    "LinkEnd": {
        "type": "object",
        "properties": {
            "device": _nullable("string"),
            "interface": _nullable("string"),
            "interface_id": _nullable("integer"),
            "interface_href": _nullable("string"),
        },
    },
    "RemoteLinkEnd": {
        "allOf": [
            _ref("LinkEnd"),
            {
                "type": "object",
                "description": "The neighbour as LLDP reported it; device/interface are null when unresolved",
                "properties": {
                    "sys_name": {"type": "string"},
                    "chassis_id": {"type": "string"},
                    "port_id": {"type": "string"},
                    "port_descr": {"type": "string"},
                },
            },
        ]
    },
    "Link": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "source": {"type": "string", "enum": ["lldp", "manual"]},
            "resolved": {"type": "boolean"},
            "last_seen": _DATETIME,
            "local": _ref("LinkEnd"),
            "remote": _ref("RemoteLinkEnd"),
        },
    },
    "JobRequest": {
        "type": "object",
        "description": "A request the agent carries out within seconds; an open request is reused",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": ["discover", "poll"]},
            "device": {"type": "string"},
            "device_href": {"type": "string"},
            "requested_by": {"type": "string"},
            "created_at": _DATETIME,
            "taken_at": _DATETIME_NULL,
        },
    },
}

_PARAMS: dict[str, Schema] = {
    "offset": {
        "name": "offset",
        "in": "query",
        "description": "Index of the first row to return",
        "schema": {"type": "integer", "minimum": 0, "default": 0},
    },
    "limit": {
        "name": "limit",
        "in": "query",
        "description": "Rows to return",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    },
    "fields": {
        "name": "fields",
        "in": "query",
        "description": "Comma-separated properties to return (id and href are always kept)",
        "schema": {"type": "string"},
    },
    "deviceName": {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
    "interfaceId": {"name": "interface_id", "in": "path", "required": True, "schema": {"type": "integer"}},
}


def _param(name: str) -> Schema:
    return {"$ref": f"#/components/parameters/{name}"}


def _error(description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


_ERRORS = {"401": {"$ref": "#/components/responses/Unauthorized"}}
_PAGE_HEADERS = {
    "X-Total-Count": {"description": "Rows matching the query", "schema": {"type": "integer"}},
    "X-Result-Count": {"description": "Rows in this response", "schema": {"type": "integer"}},
}


def _list(
    summary: str, item: str, extra_params: list[Schema] | None = None, limit: Schema | None = None
) -> Schema:
    return {
        "summary": summary,
        "parameters": [*(extra_params or []), _param("offset"), limit or _param("limit"), _param("fields")],
        "responses": {
            "200": {
                "description": "A page of results",
                "headers": _PAGE_HEADERS,
                "content": {"application/json": {"schema": {"type": "array", "items": _ref(item)}}},
            },
            "400": _error("Bad query parameter"),
            **_ERRORS,
        },
    }


def _get(summary: str, item: str, params: list[Schema]) -> Schema:
    return {
        "summary": summary,
        "parameters": [*params, _param("fields")],
        "responses": {
            "200": {"description": "Found", "content": {"application/json": {"schema": _ref(item)}}},
            "404": _error("Not found"),
            **_ERRORS,
        },
    }


def _action(summary: str) -> Schema:
    return {
        "summary": summary,
        "description": "Needs the engineer or admin role. With the session cookie, send the "
        "X-CSRF-Token header too.",
        "parameters": [_param("deviceName")],
        "responses": {
            "202": {"description": "Queued", "content": {"application/json": {"schema": _ref("JobRequest")}}},
            "400": _error("Missing CSRF token (session cookie only)"),
            "403": _error("The user's role may not do this"),
            "404": _error("No such device"),
            **_ERRORS,
        },
    }


_SAMPLE_WINDOW = [
    {
        "name": "since",
        "in": "query",
        "description": "Start of the window (ISO 8601; no offset means UTC). Default: until minus range",
        "schema": {"type": "string", "format": "date-time"},
    },
    {
        "name": "until",
        "in": "query",
        "description": "End of the window (ISO 8601). Default: now",
        "schema": {"type": "string", "format": "date-time"},
    },
    {
        "name": "range",
        "in": "query",
        "description": "Window length when since is not given",
        "schema": {"type": "string", "enum": list(RANGES), "default": "1h"},
    },
    {
        "name": "resolution",
        "in": "query",
        "description": "Points: raw samples, or 5-minute or hourly rollups (averages, with maxima). auto: raw "
        "samples for a window of up to a day that raw retention covers, 5-minute rollups up to 8 days, "
        "hourly beyond. The X-Sample-Period response header gives the seconds per point (0: raw)",
        "schema": {"type": "string", "enum": ["auto", *RESOLUTIONS], "default": "auto"},
    },
]


def document() -> Schema:
    samples = _list(
        "Samples of an interface, oldest first",
        "Sample",
        [_param("interfaceId"), *_SAMPLE_WINDOW],
        limit={
            "name": "limit",
            "in": "query",
            "description": "Rows to return",
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": SAMPLES_MAX_LIMIT,
                "default": SAMPLES_DEFAULT_LIMIT,
            },
        },
    )
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "ossagent API",
            "version": "1",
            "description": "Inventory, interface state and traffic of the devices ossagent monitors, "
            "alarms, events and maintenance windows, provisioning (service requests planned as "
            "transactions the agent executes, configuration versions and drift), customers, orders "
            "and monthly statements; and TM Forum v4 APIs (the paths with their own server): TMF642 "
            "Alarm Management, TMF622 Product Ordering, TMF641 Service Ordering, TMF620 Product "
            "Catalog, TMF629 Customer, TMF638 Service Inventory, TMF639 Resource Inventory, TMF656 "
            "Service Problem, TMF681 Communication and TMF678 Customer Bill. Lists follow TM Forum TMF630: offset/limit paging "
            "with X-Total-Count and X-Result-Count headers, fields= selection, errors as "
            "{code, reason, message, status}.",
        },
        "servers": [{"url": PREFIX}],
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
        "paths": {
            "/devices": {"get": _list("List devices", "Device")},
            "/devices/{name}": {
                "get": _get("One device with its hardware", "DeviceDetail", [_param("deviceName")])
            },
            "/devices/{name}/interfaces": {
                "get": _list("Interfaces of a device", "Interface", [_param("deviceName")])
            },
            "/devices/{name}/discover": {"post": _action("Ask the agent to discover the device now")},
            "/devices/{name}/poll": {"post": _action("Ask the agent to poll the device now")},
            "/interfaces/{interface_id}": {
                "get": _get("One interface", "Interface", [_param("interfaceId")])
            },
            "/interfaces/{interface_id}/samples": {"get": samples},
            "/links": {"get": _list("LLDP links", "Link")},
            **openapi_faults.api_paths(),
            **openapi_provisioning.api_paths(),
            **openapi_bss.api_paths(),
            **openapi_faults.tmf_paths(),
            **openapi_bss.tmf_paths(),
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {"200": {"description": "OpenAPI 3.0 document"}, **_ERRORS},
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "An API token (oss_...)"},
                "cookieAuth": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "ossagent_session",
                    "description": "The dashboard's login session; writes also need the X-CSRF-Token header",
                },
            },
            "parameters": {**_PARAMS, **openapi_faults.PARAMS, **openapi_provisioning.PARAMS},
            "responses": {"Unauthorized": _error("Missing or invalid credentials")},
            "schemas": {
                **SCHEMAS,
                **openapi_faults.SCHEMAS,
                **openapi_provisioning.SCHEMAS,
                **openapi_bss.SCHEMAS,
            },
        },
    }


@bp.get("/openapi.json")
def openapi_document() -> Response:
    return jsonify(document())
