"""The provisioning part of the OpenAPI document: transactions, services, service models,
configuration versions and drift under /api/v1."""

from __future__ import annotations

from typing import Any

from inventory.choices import ServiceAction, ServiceState, TxDeviceState, TxState
from web.provisioning_ops import REQUEST_FIELDS

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _param(name: str) -> Schema:
    return {"$ref": f"#/components/parameters/{name}"}


def _error(description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _enum(cls: type[Any], **extra: Any) -> Schema:
    return {"type": "string", "enum": [m.value for m in cls], **extra}


def _q(name: str, description: str, **schema: Any) -> Schema:
    return {"name": name, "in": "query", "description": description, "schema": schema or {"type": "string"}}


_STR = {"type": "string"}
_STR_NULL = {"type": "string", "nullable": True}
_DT = {"type": "string", "format": "date-time"}
_DT_NULL = {**_DT, "nullable": True}
_ERRORS = {"401": {"$ref": "#/components/responses/Unauthorized"}}
_PAGE_HEADERS = {
    "X-Total-Count": {"description": "Rows matching the query", "schema": {"type": "integer"}},
    "X-Result-Count": {"description": "Rows in this response", "schema": {"type": "integer"}},
}
_WRITE_NOTE = (
    "Needs the engineer or admin role. With the session cookie, send the X-CSRF-Token header too. "
    "The web process only plans the transaction (state planned); the agent executes it: poll "
    "the transaction for its progress."
)
_FLAGS = {
    "dry_run": {
        "type": "boolean",
        "default": False,
        "description": "Show each device's diff, change nothing",
    },
    "force": {"type": "boolean", "default": False, "description": "Proceed although a device drifted"},
    "confirm_timeout": {"type": "integer", "minimum": 10, "maximum": 3600, "default": 120},
}

SCHEMAS: dict[str, Schema] = {
    "TransactionDevice": {
        "type": "object",
        "description": "One device of a transaction; lists carry device and state only",
        "properties": {
            "device": _STR,
            "state": _enum(TxDeviceState),
            "device_href": _STR,
            "position": {"type": "integer"},
            "driver": _STR,
            "format": {"type": "string", "enum": ["cli", "netconf"]},
            "error": _STR,
            "diff": {"type": "string", "description": "The device's diff of the candidate (secrets masked)"},
            "change": {"type": "string", "description": "The native change: CLI commands or an edit-config"},
        },
    },
    "TransactionLogEntry": {
        "type": "object",
        "properties": {"at": _DT, "device": _STR, "level": _STR, "message": _STR},
    },
    "Transaction": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "example": "TX-20260101120000-1a2b3c"},
            "href": _STR,
            "state": _enum(TxState),
            "finished": {"type": "boolean", "description": "The state is final"},
            "action": {**_enum(ServiceAction), "nullable": True},
            "service": {**_STR_NULL, "description": "The service's external id"},
            "service_href": _STR_NULL,
            "model": _STR_NULL,
            "dry_run": {"type": "boolean"},
            "force": {"type": "boolean"},
            "origin": {
                "type": "string",
                "example": "api",
                "description": "api, web, cli, order:<id>, rollback:<tx>",
            },
            "created_by": _STR,
            "created_at": _DT,
            "started_at": _DT_NULL,
            "finished_at": _DT_NULL,
            "error": _STR,
            "rollback_of": _STR_NULL,
            "rollback_of_href": _STR_NULL,
            "devices": {"type": "array", "items": _ref("TransactionDevice")},
        },
    },
    "TransactionDetail": {
        "allOf": [
            _ref("Transaction"),
            {
                "type": "object",
                "properties": {
                    "confirm_timeout_s": {"type": "integer"},
                    "request": {
                        "type": "object",
                        "description": "The service's parameters before and after (null: absent)",
                        "properties": {
                            "model": _STR,
                            "before": {"type": "object", "nullable": True},
                            "after": {"type": "object", "nullable": True},
                        },
                    },
                    "rolled_back_by": {
                        "type": "array",
                        "items": {"type": "object", "properties": {"id": _STR, "href": _STR}},
                    },
                    "log": {"type": "array", "items": _ref("TransactionLogEntry")},
                },
            },
        ]
    },
    "ServiceRequest": {
        "type": "object",
        "description": "A TMF641-style service order item. Create or modify: service (the model), "
        "action and params (validated against the model's JSON Schema, see /service-models). "
        "Delete: action delete and service_id.",
        "properties": {
            "service": {"type": "string", "example": "internet-access"},
            "action": _enum(ServiceAction),
            "params": {"type": "object"},
            "service_id": _STR,
            **_FLAGS,
        },
        "additionalProperties": False,
    },
    "ServiceCreate": {
        "type": "object",
        "required": ["service", "params"],
        "properties": {"service": _STR, "params": {"type": "object"}, **_FLAGS},
        "additionalProperties": False,
    },
    "ServiceUpdate": {
        "type": "object",
        "description": "JSON Merge Patch of the parameters: given ones replace, null removes",
        "required": ["params"],
        "properties": {"params": {"type": "object"}, **_FLAGS},
        "additionalProperties": False,
    },
    "ServiceDelete": {
        "type": "object",
        "properties": dict(_FLAGS),
        "additionalProperties": False,
    },
    "RollbackInput": {
        "type": "object",
        "properties": {"dry_run": _FLAGS["dry_run"]},
        "additionalProperties": False,
    },
    "Service": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "The external id", "example": "SVC-1001"},
            "href": _STR,
            "name": _STR,
            "service_type": _STR,
            "state": _enum(ServiceState),
            "customer": _STR,
            "model": {**_STR_NULL, "description": "null for a service ossagent did not provision"},
            "version": {"type": "integer", "nullable": True},
            "devices": {"type": "array", "items": _STR},
            "created_at": _DT,
            "last_transaction": _STR_NULL,
            "last_transaction_href": _STR_NULL,
        },
    },
    "ServiceDetail": {
        "allOf": [
            _ref("Service"),
            {
                "type": "object",
                "properties": {
                    "params": {"type": "object", "nullable": True},
                    "transaction_in_progress": _STR_NULL,
                    "fragments": {
                        "type": "array",
                        "description": "The configuration the service owns on each device",
                        "items": {
                            "type": "object",
                            "properties": {
                                "device": _STR,
                                "device_href": _STR,
                                "format": _STR,
                                "text": _STR,
                                "transaction": _STR_NULL,
                                "transaction_href": _STR_NULL,
                            },
                        },
                    },
                    "transactions_total": {"type": "integer"},
                    "transactions": {"type": "array", "items": _ref("Transaction")},
                },
            },
        ]
    },
    "ServiceModel": {
        "type": "object",
        "properties": {
            "id": _STR,
            "name": _STR,
            "description": _STR,
            "endpoints": {"type": "string", "enum": ["single", "pair"]},
            "schema": {"type": "object", "description": "JSON Schema (2020-12) of the params"},
        },
    },
    "ConfigVersion": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "href": _STR,
            "device": _STR,
            "device_href": _STR,
            "taken_at": _DT,
            "source": {
                "type": "string",
                "example": "scheduled",
                "description": "scheduled, on-demand, pre-tx, post-tx",
            },
            "transaction": _STR_NULL,
            "transaction_href": _STR_NULL,
            "format": _STR,
            "digest": _STR,
            "size": {"type": "integer", "description": "Characters of text"},
        },
    },
    "ConfigVersionText": {
        "allOf": [
            _ref("ConfigVersion"),
            {"type": "object", "properties": {"text": {"type": "string", "description": "Secrets masked"}}},
        ]
    },
    "ConfigDiff": {
        "type": "object",
        "properties": {
            "device": _STR,
            "from": _ref("ConfigVersion"),
            "to": _ref("ConfigVersion"),
            "diff": {"type": "string", "description": "Unified diff; empty when equal"},
        },
    },
    "Drift": {
        "type": "object",
        "description": "An active config-drift alarm: the device no longer holds what a service owns",
        "properties": {
            "id": {"type": "integer", "description": "The alarm's id"},
            "href": {"type": "string", "description": "The alarm"},
            "device": _STR,
            "device_href": _STR_NULL,
            "service": {"type": "string", "description": "The service's external id"},
            "service_href": _STR_NULL,
            "service_name": _STR_NULL,
            "service_state": {**_enum(ServiceState), "nullable": True},
            "missing": {"type": "array", "items": _STR},
            "added": {"type": "array", "items": _STR},
            "since": _DT,
            "last_seen": _DT,
            "severity": _STR,
            "problem": _STR,
        },
    },
}

PARAMS: dict[str, Schema] = {
    "txId": {"name": "tx_id", "in": "path", "required": True, "schema": _STR},
    "externalId": {"name": "external_id", "in": "path", "required": True, "schema": _STR},
    "versionId": {"name": "version_id", "in": "path", "required": True, "schema": {"type": "integer"}},
}


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


def _get(summary: str, item: str, params: list[Schema], extra: list[Schema] | None = None) -> Schema:
    return {
        "summary": summary,
        "parameters": [*params, *(extra or []), _param("fields")],
        "responses": {
            "200": {"description": "Found", "content": {"application/json": {"schema": _ref(item)}}},
            "404": _error("Not found"),
            **_ERRORS,
        },
    }


def _plan(summary: str, body: str, params: list[Schema], status: str, *, required: bool = True) -> Schema:
    return {
        "summary": summary,
        "description": _WRITE_NOTE,
        "parameters": params,
        "requestBody": {"required": required, "content": {"application/json": {"schema": _ref(body)}}},
        "responses": {
            status: {
                "description": "The planned transaction",
                "headers": {"Location": {"description": "The transaction", "schema": _STR}},
                "content": {"application/json": {"schema": _ref("TransactionDetail")}},
            },
            "400": _error(
                "Refused: the message names each field at fault, and errors maps each field path "
                "(params.vlan, params.endpoints.0.device, ...) to what is wrong"
            ),
            "403": _error("The user's role may not do this (engineer or admin needed)"),
            "404": _error("Not found"),
            "409": _error("The service has a transaction in progress, or this cannot be done now"),
            "415": _error("The body is not JSON"),
            **_ERRORS,
        },
    }


def api_paths() -> dict[str, Schema]:
    tx = [_param("txId")]
    svc = [_param("externalId")]
    device = [_param("deviceName")]
    patch = _plan("Modify a service", "ServiceUpdate", svc, "202")
    patch["requestBody"]["content"]["application/merge-patch+json"] = {"schema": _ref("ServiceUpdate")}
    rollback = _plan("Roll a done transaction back", "RollbackInput", tx, "201", required=False)
    rollback["responses"]["409"] = _error(
        "The transaction cannot be rolled back (not done, or its service changed since)"
    )
    return {
        "/transactions": {
            "get": _list(
                "Provisioning transactions, newest first",
                "Transaction",
                [
                    _q("state", "Repeat or comma-separate for several", **_enum(TxState)),
                    _q("service", "The service's external id"),
                    _q("origin", "api, web, cli; order or rollback match every order:<id> / rollback:<tx>"),
                    _q("device", "A device the transaction changes"),
                ],
            ),
            "post": _plan(
                f"Submit a service request (fields: {', '.join(REQUEST_FIELDS)})", "ServiceRequest", [], "201"
            ),
        },
        "/transactions/{tx_id}": {
            "get": _get(
                "One transaction: each device's state, error, diff and native change, and the log",
                "TransactionDetail",
                tx,
            )
        },
        "/transactions/{tx_id}/rollback": {"post": rollback},
        "/services": {
            "get": _list(
                "Services, by external id",
                "Service",
                [
                    _q("state", "Repeat or comma-separate for several", **_enum(ServiceState)),
                    _q("type", "Service type (the model name)"),
                    _q("customer", "Customer reference"),
                ],
            ),
            "post": _plan("Create a service", "ServiceCreate", [], "201"),
        },
        "/services/{external_id}": {
            "get": _get(
                "One service: parameters, state, configuration per device, transactions", "ServiceDetail", svc
            ),
            "patch": patch,
            "delete": _plan("Delete a service", "ServiceDelete", svc, "202", required=False),
        },
        "/service-models": {
            "get": _list("Service models with their parameters' JSON Schema", "ServiceModel", [])
        },
        "/config/{name}/versions": {
            "get": _list("Configuration versions of a device, newest first", "ConfigVersion", device)
        },
        "/config/{name}/versions/{version_id}": {
            "get": _get(
                "One configuration version with its (masked) text",
                "ConfigVersionText",
                [*device, _param("versionId")],
            )
        },
        "/config/{name}/diff": {
            "get": _get(
                "Unified diff of two configuration versions",
                "ConfigDiff",
                device,
                [
                    _q("from", "The older version's id (default: the one before to)", type="integer"),
                    _q("to", "The newer version's id (default: the newest)", type="integer"),
                ],
            )
        },
        "/config/drift": {
            "get": _list(
                "Devices whose configuration drifted, with the service each drift is attributed to",
                "Drift",
                [_q("device", "Device name")],
            )
        },
    }
