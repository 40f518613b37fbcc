"""The BSS part of the OpenAPI document: /api/v1's customers, statements and orders, and the
BSS-facing TM Forum APIs. Each TM Forum path carries a path-level ``servers`` entry of
``/tmf-api`` and is keyed by its API's base path below it (``/productOrderingManagement/v4/
productOrder``), since every API has its own ``/hub``."""

from __future__ import annotations

from typing import Any

from inventory.choices import MessageState, OrderState, ProblemState, ServiceState
from web.tmf.bss_blueprints import (
    BILL,
    CATALOG,
    COMMUNICATION,
    CUSTOMER,
    ORDERING,
    PROBLEM,
    RESOURCE_INVENTORY,
    SERVICE_INVENTORY,
    SERVICE_ORDERING,
    TmfApi,
)
from web.tmf.order_api import MAX_ORDER_BYTES

Schema = dict[str, Any]
TMF_ROOT = "/tmf-api"

_STR = {"type": "string"}
_STR_NULL = {"type": "string", "nullable": True}
_INT = {"type": "integer"}
_BOOL = {"type": "boolean"}
_NUM = {"type": "number"}
_DT = {"type": "string", "format": "date-time"}
_DT_NULL = {**_DT, "nullable": True}
_OBJ = {"type": "object"}
_MONEY_STR = {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "example": "12.50"}
_ERRORS = {"401": {"$ref": "#/components/responses/Unauthorized"}}
_PAGE_HEADERS = {
    "X-Total-Count": {"description": "Rows matching the query", "schema": {"type": "integer"}},
    "X-Result-Count": {"description": "Rows in this response", "schema": {"type": "integer"}},
}
_WRITE_NOTE = "Needs the engineer or admin role (a BSS system uses an engineer's token)."


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _param(name: str) -> Schema:
    return {"$ref": f"#/components/parameters/{name}"}


def _arr(item: Schema) -> Schema:
    return {"type": "array", "items": item}


def _enum(cls: type[Any]) -> Schema:
    return {"type": "string", "enum": [m.value for m in cls]}


def _obj(**props: Any) -> Schema:
    return {"type": "object", "properties": props}


def _error(description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": _ref("TmfError")}}}


def _q(name: str, description: str, **schema: Any) -> Schema:
    return {"name": name, "in": "query", "description": description, "schema": schema or {"type": "string"}}


def _path(name: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _time(name: str) -> list[Schema]:
    return [_q(f"{name}.{op}", f"{name} {word} (ISO 8601)", type="string", format="date-time")
            for op, word in (("gt", "after"), ("gte", "at or after"), ("lt", "before"), ("lte", "at or before"))]  # fmt: skip


_TREF = _ref("TmfRef")
SCHEMAS: dict[str, Schema] = {
    "TmfError": {
        "type": "object",
        "description": "TMF630 Error; x_fieldErrors lists each field at fault when a request is refused",
        "required": ["code", "reason"],
        "properties": {
            "code": _STR,
            "reason": _STR,
            "message": _STR,
            "status": _STR,
            "x_fieldErrors": _arr(_obj(field=_STR, message=_STR)),
        },
    },
    "TmfParty": _obj(id=_STR, name=_STR, role=_STR, **{"@referredType": _STR}),
    "TmfCharacteristic": _obj(name=_STR, value={}, valueType=_STR),
    "TmfMoney": _obj(unit=_STR, value=_NUM),
    "TmfProductOrderItem": {
        "type": "object",
        "required": ["id", "action"],
        "properties": {
            "id": _STR,
            "action": {"type": "string", "enum": ["add", "modify", "delete"]},
            "quantity": _INT,
            "state": {**_enum(OrderState), "readOnly": True},
            "productOffering": _TREF,
            "product": _obj(
                id={**_STR, "description": "The product to modify or delete (the service's id)"},
                productCharacteristic=_arr(_ref("TmfCharacteristic")),
            ),
            "stateReason": {**_STR, "readOnly": True},
            "x_provisioningTransaction": {**_STR, "readOnly": True},
        },
    },
    "TmfProductOrder": {
        "type": "object",
        "description": "TMF622 v4 ProductOrder. POST takes the ProductOrder_Create shape (no id, href, state); "
        "externalId may be a string or the v5 array [{id}].",
        "required": ["productOrderItem", "relatedParty"],
        "properties": {
            "id": {**_STR, "readOnly": True},
            "href": {**_STR, "readOnly": True},
            "externalId": _STR,
            "category": _STR,
            "description": _STR,
            "priority": _STR,
            "orderDate": {**_DT, "readOnly": True},
            "requestedStartDate": _DT,
            "requestedCompletionDate": _DT,
            "completionDate": {**_DT, "readOnly": True},
            "cancellationDate": {**_DT, "readOnly": True},
            "cancellationReason": _STR,
            "state": {**_enum(OrderState), "readOnly": True},
            "relatedParty": _arr(_ref("TmfParty")),
            "billingAccount": _TREF,
            "note": _arr(_OBJ),
            "productOrderItem": _arr(_ref("TmfProductOrderItem")),
            "@type": _STR,
        },
    },
    "TmfCancelProductOrder": {
        "type": "object",
        "required": ["productOrder"],
        "properties": {
            "id": {**_STR, "readOnly": True},
            "href": {**_STR, "readOnly": True},
            "state": {"type": "string", "enum": ["done"], "readOnly": True},
            "productOrder": _TREF,
            "cancellationReason": _STR,
            "requestedCancellationDate": _DT,
            "effectiveCancellationDate": {**_DT, "readOnly": True},
        },
    },
    "TmfServiceOrder": _obj(
        id=_STR,
        href=_STR,
        externalId={**_STR, "description": "The product order's id"},
        state=_enum(OrderState),
        orderDate=_DT,
        completionDate=_DT_NULL,
        orderRelationship=_arr(_OBJ),
        serviceOrderItem=_arr(
            _obj(
                id=_STR,
                action=_STR,
                state=_enum(OrderState),
                service=_TREF,
                x_provisioningTransaction=_STR_NULL,
            )
        ),
        **{"@type": _STR},
    ),
    "TmfProductOffering": _obj(
        id=_STR,
        href=_STR,
        name=_STR,
        description=_STR,
        lifecycleStatus=_STR,
        isBundle=_BOOL,
        isSellable=_BOOL,
        productSpecification=_TREF,
        productSpecCharacteristic=_arr(
            _obj(
                name=_STR,
                valueType=_STR,
                configurable=_BOOL,
                minCardinality=_INT,
                maxCardinality=_INT,
                description=_STR,
            )
        ),
        productOfferingPrice=_arr(
            _obj(name=_STR, priceType=_STR, recurringChargePeriodType=_STR, price=_ref("TmfMoney"))
        ),
        serviceLevelAgreement=_obj(
            id=_STR,
            name=_STR,
            x_targetAvailabilityPct=_NUM,
            x_creditBands=_arr(_obj(availabilityBelowPct=_NUM, creditPct=_NUM)),
            x_creditCapPct=_NUM,
            x_businessHours={**_OBJ, "nullable": True},
            x_excludesPlannedWork=_BOOL,
        ),
        x_fixedParameters=_OBJ,
        **{"@type": _STR},
    ),
    "TmfContactMedium": _obj(
        mediumType={"type": "string", "enum": ["email", "webhook"]},
        preferred=_BOOL,
        characteristic=_obj(
            contactType=_STR,
            emailAddress=_STR,
            x_url={**_STR, "description": "The webhook's URL"},
            x_secret={
                **_STR,
                "writeOnly": True,
                "description": "The webhook's HMAC key (16+ characters); never shown",
            },
        ),
    ),
    "TmfCustomer": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "id": {**_STR, "description": "Optional on create (generated)"},
            "href": {**_STR, "readOnly": True},
            "name": _STR,
            "status": _STR,
            "engagedParty": _TREF,
            "account": _arr(_obj(id=_STR, name=_STR, x_currency=_STR)),
            "contactMedium": _arr(_ref("TmfContactMedium")),
            "validFor": {**_OBJ, "readOnly": True},
            "@type": _STR,
        },
    },
    "TmfService": _obj(
        id=_STR,
        href=_STR,
        name=_STR,
        category=_STR,
        serviceType=_STR,
        state=_enum(ServiceState),
        startDate=_DT,
        endDate=_DT,
        serviceDate=_DT,
        hasStarted=_BOOL,
        isServiceEnabled=_BOOL,
        isStateful=_BOOL,
        serviceCharacteristic=_arr(_ref("TmfCharacteristic")),
        serviceSpecification=_TREF,
        supportingResource=_arr(_TREF),
        relatedParty=_arr(_ref("TmfParty")),
        x_productOffering=_TREF,
        x_productOrder=_STR_NULL,
        x_lastTransaction=_STR,
        **{"@type": _STR},
    ),
    "TmfResource": _obj(
        id={**_STR, "description": "A device's name, or <device>:<interface>"},
        href=_STR,
        name=_STR,
        description=_STR,
        category=_STR,
        administrativeState={"type": "string", "enum": ["locked", "unlocked"]},
        operationalState={"type": "string", "enum": ["enable", "disable"]},
        resourceStatus=_STR,
        resourceSpecification=_TREF,
        resourceCharacteristic=_arr(_ref("TmfCharacteristic")),
        resourceRelationship=_arr(_obj(id=_STR, href=_STR, relationshipType=_STR, resource=_TREF)),
        place=_TREF,
        **{"@type": {"type": "string", "enum": ["PhysicalResource", "LogicalResource"]}, "@baseType": _STR},
    ),
    "TmfServiceProblem": _obj(
        id=_STR,
        href=_STR,
        category=_STR,
        description=_STR,
        priority=_INT,
        reason=_STR,
        status=_enum(ProblemState),
        statusChangeDate=_DT,
        creationDate=_DT,
        resolutionDate=_DT_NULL,
        originatingSystem=_STR,
        originatorParty=_TREF,
        affectedService=_arr(_TREF),
        affectedNumberOfServices=_INT,
        underlyingAlarm=_arr(_TREF),
        characteristic=_arr(_ref("TmfCharacteristic")),
        relatedParty=_arr(_ref("TmfParty")),
        **{"@type": _STR},
    ),
    "TmfServiceProblemUpdate": {
        "type": "object",
        "description": "Only the planned characteristic may change; reclassifying a resolved outage "
        "recomputes its SLA credit in place",
        "required": ["characteristic"],
        "properties": {
            "characteristic": _arr(_obj(name={"type": "string", "enum": ["planned"]}, value=_BOOL))
        },
    },
    "TmfCommunicationMessage": _obj(
        id=_STR,
        href=_STR,
        messageType={"type": "string", "enum": ["Email", "Webhook"]},
        subject=_STR,
        content=_STR,
        priority=_STR,
        state=_enum(MessageState),
        tryTimes=_INT,
        sendTime=_DT,
        sendTimeComplete=_DT_NULL,
        sender=_OBJ,
        receiver=_arr(_OBJ),
        characteristic=_arr(_ref("TmfCharacteristic")),
        **{"@type": _STR},
    ),
    "TmfAppliedCustomerBillingRate": _obj(
        id=_STR,
        href=_STR,
        name=_STR,
        description=_STR,
        type={"type": "string", "enum": ["appliedBillingCredit"]},
        date=_DT,
        isBilled=_BOOL,
        billingAccount=_TREF,
        product=_TREF,
        periodCoverage=_obj(startDateTime=_DT, endDateTime=_DT),
        taxExcludedAmount=_ref("TmfMoney"),
        characteristic=_arr(_ref("TmfCharacteristic")),
        x_serviceProblem=_TREF,
        x_revision={**_INT, "description": "1, then +1 at each recomputation"},
        x_customer=_STR,
        **{"@type": _STR},
    ),
    # -- /api/v1 --
    "BssCustomer": _obj(
        id=_STR,
        tmf_href=_STR,
        name=_STR,
        status=_STR,
        created_at=_DT,
        accounts=_arr(_obj(id=_STR, name=_STR, currency=_STR)),
        contacts=_arr(_obj(kind={"type": "string", "enum": ["email", "webhook"]}, name=_STR, address=_STR)),
        statement_href=_STR,
    ),
    "BssOrder": _obj(
        id=_STR,
        tmf_href=_STR,
        state=_enum(OrderState),
        customer=_STR,
        external_id=_STR_NULL,
        order_date=_DT,
        completion_date=_DT_NULL,
        created_by=_STR,
        items=_arr(
            _obj(
                id=_STR,
                action=_STR,
                state=_enum(OrderState),
                product=_STR,
                offering=_STR_NULL,
                transaction=_STR_NULL,
                transaction_href=_STR_NULL,
                error=_STR,
            )
        ),
    ),
    "Statement": _obj(
        customer=_STR,
        name=_STR,
        month={"type": "string", "example": "2026-03"},
        currency=_STR_NULL,
        fees=_arr(_obj(product=_STR, offering=_STR, amount=_MONEY_STR, currency=_STR)),
        credits=_arr(
            _obj(
                id=_STR,
                kind={"type": "string", "enum": ["outage", "month-end"]},
                product=_STR,
                problem=_STR_NULL,
                outage_minutes=_STR,
                availability_pct=_STR,
                credit_pct=_STR,
                amount=_MONEY_STR,
                currency=_STR,
            )
        ),
        total_fees=_MONEY_STR,
        total_credits=_MONEY_STR,
        net=_MONEY_STR,
    ),
}


# -- operations ---------------------------------------------------------------------------------


def _list(summary: str, item: str, params: list[Schema], error: str = "TmfError") -> Schema:
    return {
        "summary": summary,
        "parameters": [*params, _param("offset"), _param("limit"), _param("fields")],
        "responses": {
            "200": {
                "description": "A page of results",
                "headers": _PAGE_HEADERS,
                "content": {"application/json": {"schema": _arr(_ref(item))}},
            },
            "400": {
                "description": "Bad query parameter (named in the message)",
                "content": {"application/json": {"schema": _ref(error)}},
            },
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


def _write(summary: str, body: str | None, item: str | None, status: str, params: list[Schema],
           **responses: Schema) -> Schema:  # fmt: skip
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
            "400": _error("Refused; x_fieldErrors names each field at fault"),
            "403": _error("The user's role may not do this"),
            **responses,
            **_ERRORS,
        },
    }
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(body)}}}
    return op


def _hub_paths(api: TmfApi) -> dict[str, Schema]:
    hub_id = [_param("hubId")]
    post = _write(
        f"Register a listener for {api.title} events",
        "EventSubscriptionInput",
        "EventSubscription",
        "201",
        [],
    )
    post["responses"]["201"]["headers"] = {"Location": {"schema": _STR}}
    return {
        "/hub": {"post": post},
        "/hub/{hub_id}": {
            "get": _get("A listener registration (engineer role)", "EventSubscription", hub_id),
            "delete": _write(
                "Remove a listener registration", None, None, "204", hub_id, **{"404": _error("Not found")}
            ),
        },
    }


def _ordering() -> dict[str, Schema]:
    post = _write(
        "Place a product order",
        "TmfProductOrder",
        "TmfProductOrder",
        "201",
        [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "description": "A replay with the same key and body answers 200 with the same order; "
                "the same key with another body is a 422",
                "schema": {"type": "string", "maxLength": 255},
            }
        ],
        **{
            "200": {
                "description": "A replay: the order this request created before",
                "content": {"application/json": {"schema": _ref("TmfProductOrder")}},
            },
            "413": _error(f"Body over {MAX_ORDER_BYTES} bytes"),
            "415": _error("Not application/json"),
            "422": _error("Idempotency-Key or externalId reused with another body"),
        },
    )
    post["description"] += (
        " Validates and qualifies the order against the live inventory and plans one provisioning "
        "transaction per item, all or nothing; the agent then delivers the items and announces each "
        "state change to the /hub listeners (ProductOrderStateChangeEvent)."
    )
    post["responses"]["201"]["headers"] = {"Location": {"schema": _STR}}
    cancel = _write(
        "Cancel an order none of whose items has started",
        "TmfCancelProductOrder",
        "TmfCancelProductOrder",
        "201",
        [],
        **{"409": _error("The order has started or is finished")},
    )
    return {
        "/productOrder": {
            "get": _list(
                "Product orders, newest first",
                "TmfProductOrder",
                [
                    _q("id", "Comma-separate or repeat for several"),
                    _q("state", "Comma-separate or repeat for several", **_enum(OrderState)),
                    _q("externalId", "The BSS's own reference"),
                    _q("relatedParty.id", "The customer"),
                    *_time("orderDate"),
                ],
            ),
            "post": post,
        },
        "/productOrder/{order_id}": {
            "get": _get("One product order", "TmfProductOrder", [_path("order_id")])
        },
        "/cancelProductOrder": {"post": cancel},
        "/cancelProductOrder/{cancel_id}": {
            "get": _get("A done cancellation", "TmfCancelProductOrder", [_path("cancel_id")])
        },
    }


def _service_ordering() -> dict[str, Schema]:
    return {
        "/serviceOrder": {
            "get": _list(
                "The product orders as service orders (one item per product order item)",
                "TmfServiceOrder",
                [
                    _q("id", "SO-<product order id>"),
                    _q("state", "Comma-separate or repeat for several", **_enum(OrderState)),
                    _q("externalId", "The product order's id"),
                    *_time("orderDate"),
                ],
            )
        },
        "/serviceOrder/{service_order_id}": {
            "get": _get("One service order", "TmfServiceOrder", [_path("service_order_id")])
        },
    }


def _catalog() -> dict[str, Schema]:
    return {
        "/productOffering": {
            "get": _list(
                "Product offerings",
                "TmfProductOffering",
                [
                    _q("id", "Comma-separate for several"),
                    _q("name", "Exact name"),
                    _q("lifecycleStatus", "e.g. Active"),
                ],
            )
        },
        "/productOffering/{offering_id}": {
            "get": _get("One product offering", "TmfProductOffering", [_path("offering_id")])
        },
    }


def _customers() -> dict[str, Schema]:
    create = _write(
        "Create a customer",
        "TmfCustomer",
        "TmfCustomer",
        "201",
        [],
        **{"409": _error("The id (or an account id) is taken"), "415": _error("Not application/json")},
    )
    create["responses"]["201"]["headers"] = {"Location": {"schema": _STR}}
    return {
        "/customer": {
            "get": _list(
                "Customers",
                "TmfCustomer",
                [
                    _q("id", "Comma-separate for several"),
                    _q("name", "Exact name"),
                    _q("status", "e.g. approved"),
                ],
            ),
            "post": create,
        },
        "/customer/{customer_id}": {"get": _get("One customer", "TmfCustomer", [_path("customer_id")])},
    }


def _services() -> dict[str, Schema]:
    return {
        "/service": {
            "get": _list(
                "Services",
                "TmfService",
                [
                    _q("id", "Comma-separate for several"),
                    _q("state", "Comma-separate for several", **_enum(ServiceState)),
                    _q("relatedParty.id", "The customer"),
                    _q("serviceType", "The service model, e.g. internet-access"),
                ],
            )
        },
        "/service/{service_id}": {"get": _get("One service", "TmfService", [_path("service_id")])},
    }


def _resources() -> dict[str, Schema]:
    return {
        "/resource": {
            "get": _list(
                "Devices (PhysicalResource) then interfaces (LogicalResource), paged in the database",
                "TmfResource",
                [
                    _q(
                        "@type",
                        "PhysicalResource or LogicalResource",
                        type="string",
                        enum=["PhysicalResource", "LogicalResource"],
                    ),
                    _q("name", "Exact name (a device's, or an interface's without the device)"),
                    _q("operationalState", "enable or disable", type="string", enum=["enable", "disable"]),
                    _q(
                        "administrativeState",
                        "locked or unlocked",
                        type="string",
                        enum=["locked", "unlocked"],
                    ),
                    _q("resourceRelationship.resource.id", "A device: itself and the interfaces it contains"),
                ],
            )
        },
        "/resource/{resource_id}": {
            "get": _get(
                "A device by name, or an interface as <device>:<interface> (URL-encoded)",
                "TmfResource",
                [_path("resource_id")],
            )
        },
    }


def _problems() -> dict[str, Schema]:
    patch = _write(
        "Reclassify an outage as planned or unplanned",
        "TmfServiceProblemUpdate",
        "TmfServiceProblem",
        "200",
        [_path("problem_id")],
        **{"404": _error("Not found"), "415": _error("Another media type")},
    )
    patch["requestBody"]["content"]["application/merge-patch+json"] = {
        "schema": _ref("TmfServiceProblemUpdate")
    }
    patch["description"] += (
        " A resolved outage's SLA credit is recomputed in place (the same record, its revision + 1) and "
        "announced to TMF678 listeners; the change itself to TMF656 listeners."
    )
    return {
        "/serviceProblem": {
            "get": _list(
                "Service problems (outages), newest first",
                "TmfServiceProblem",
                [
                    _q("status", "Comma-separate for several", **_enum(ProblemState)),
                    _q("affectedService.id", "The service's id"),
                    _q("relatedParty.id", "The customer"),
                    *_time("creationDate"),
                ],
            )
        },
        "/serviceProblem/{problem_id}": {
            "get": _get("One service problem", "TmfServiceProblem", [_path("problem_id")]),
            "patch": patch,
        },
    }


def _messages() -> dict[str, Schema]:
    return {
        "/communicationMessage": {
            "get": _list(
                "Notices sent to customers, newest first",
                "TmfCommunicationMessage",
                [
                    _q("state", "Comma-separate for several", **_enum(MessageState)),
                    _q("receiver.id", "The customer"),
                    _q("serviceProblemId", "The outage the notice is about"),
                    _q("messageType", "Email or Webhook", type="string", enum=["Email", "Webhook"]),
                ],
            )
        },
        "/communicationMessage/{message_id}": {
            "get": _get("One notice", "TmfCommunicationMessage", [_path("message_id")])
        },
    }


def _credits() -> dict[str, Schema]:
    return {
        "/appliedCustomerBillingRate": {
            "get": _list(
                "SLA credits (appliedBillingCredit), newest change first; read-only",
                "TmfAppliedCustomerBillingRate",
                [
                    _q("billingAccount.id", "The billing account"),
                    _q("type", "appliedBillingCredit (the v5 name appliedBillingRateType is accepted too)"),
                    _q("month", "Extension: the month the credit is for (YYYY-MM)"),
                    _q("x_customer", "Extension: the customer"),
                    _q("x_serviceProblem.id", "Extension: the outage"),
                    *_time("date"),
                ],
            )
        },
        "/appliedCustomerBillingRate/{credit_id}": {
            "get": _get("One credit", "TmfAppliedCustomerBillingRate", [_path("credit_id")])
        },
    }


_TMF = (
    (ORDERING, _ordering),
    (SERVICE_ORDERING, _service_ordering),
    (CATALOG, _catalog),
    (CUSTOMER, _customers),
    (SERVICE_INVENTORY, _services),
    (RESOURCE_INVENTORY, _resources),
    (PROBLEM, _problems),
    (COMMUNICATION, _messages),
    (BILL, _credits),
)


def tmf_paths() -> dict[str, Schema]:
    """Keys relative to /tmf-api (each path's server), so that every API keeps its own /hub."""
    out: dict[str, Schema] = {}
    for api, paths in _TMF:
        prefix = api.base.removeprefix(TMF_ROOT)
        servers = [{"url": TMF_ROOT, "description": f"{api.title} (v4 base path {api.base})"}]
        for path, item in {**paths(), **_hub_paths(api)}.items():
            out[prefix + path] = {"servers": servers, **item}
    return out


def api_paths() -> dict[str, Schema]:
    """Paths under /api/v1."""
    return {
        "/customers": {
            "get": _list("Customers with accounts and contacts", "BssCustomer", [], error="Error")
        },
        "/customers/{customer_id}/statement": {
            "get": {
                "summary": "A customer's monthly statement: recurring fees, SLA credits and totals",
                "parameters": [
                    _path("customer_id"),
                    _q("month", "YYYY-MM; this month by default", type="string", pattern=r"^\d{4}-\d{2}$"),
                    _q("format", "json or csv", type="string", enum=["json", "csv"], default="json"),
                ],
                "responses": {
                    "200": {
                        "description": "The statement; as CSV, an attachment with a header row and a row "
                        "per fee and credit, then the totals",
                        "content": {
                            "application/json": {"schema": _ref("Statement")},
                            "text/csv": {"schema": _STR},
                        },
                    },
                    "400": {
                        "description": "Bad month or format",
                        "content": {"application/json": {"schema": _ref("Error")}},
                    },
                    "404": {
                        "description": "No such customer",
                        "content": {"application/json": {"schema": _ref("Error")}},
                    },
                    **_ERRORS,
                },
            }
        },
        "/orders": {
            "get": _list(
                "Product orders, newest first, with their items' transactions",
                "BssOrder",
                [
                    _q("state", "Comma-separate for several", **_enum(OrderState)),
                    _q("customer", "Customer id"),
                ],
                error="Error",
            )
        },
    }
