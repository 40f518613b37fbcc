"""The blueprints of the BSS-facing TM Forum APIs, one per API at its v4 base path, in a
module of their own so that route modules can import them. Each has listener registration
at /hub (web.tmf.hubs) and answers refusals in TMF630's Error shape, with the fields at
fault listed in ``x_fieldErrors``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import Blueprint, Response, jsonify
from werkzeug.http import HTTP_STATUS_CODES

from bss_bridge.orders import OrderError
from web.validation import FieldError


@dataclass(frozen=True)
class TmfApi:
    bp: Blueprint
    base: str  # the v4 base path
    api: str  # HubSubscription.api of its listeners (the agent announces events under it)
    title: str

    @property
    def name(self) -> str:
        return self.bp.name


def refusal(status: int, reason: str, message: str, fields: Mapping[str, str] | None = None) -> Response:
    """TMF630 Error, plus ``x_fieldErrors`` [{field, message}] when fields are at fault."""
    body: dict[str, object] = {
        "code": str(status),
        "reason": reason,
        "message": message,
        "status": str(status),
    }
    if fields:
        body["x_fieldErrors"] = [{"field": k, "message": v} for k, v in fields.items()]
    response = jsonify(body)
    response.status_code = status
    return response


@dataclass
class Refused(Exception):
    """A request refused as a whole (``status``), with each field at fault and why."""

    status: int
    reason: str
    fields: dict[str, str]

    def __str__(self) -> str:
        detail = "; ".join(f"{k}: {v}" for k, v in self.fields.items())
        return self.reason + (f": {detail}" if detail else "")


def _refused(exc: Refused) -> Response:
    return refusal(exc.status, exc.reason, str(exc), exc.fields)


def _field_error(exc: FieldError) -> Response:
    return refusal(400, HTTP_STATUS_CODES[400], str(exc), {exc.field: exc.message})


def _order_error(exc: OrderError) -> Response:
    return refusal(exc.status, exc.reason, str(exc), exc.fields)


def _api(name: str, base: str, api: str, title: str) -> TmfApi:
    bp = Blueprint(name, __name__)
    bp.register_error_handler(FieldError, _field_error)
    bp.register_error_handler(OrderError, _order_error)
    bp.register_error_handler(Refused, _refused)
    return TmfApi(bp, base, api, title)


ORDERING = _api(
    "tmf_ordering",
    "/tmf-api/productOrderingManagement/v4",
    "productOrderingManagement",
    "TMF622 Product Ordering",
)
SERVICE_ORDERING = _api(
    "tmf_service_ordering", "/tmf-api/serviceOrdering/v4", "serviceOrdering", "TMF641 Service Ordering"
)
CATALOG = _api(
    "tmf_catalog",
    "/tmf-api/productCatalogManagement/v4",
    "productCatalogManagement",
    "TMF620 Product Catalog",
)
CUSTOMER = _api(
    "tmf_customer", "/tmf-api/customerManagement/v4", "customerManagement", "TMF629 Customer Management"
)
SERVICE_INVENTORY = _api(
    "tmf_service_inventory", "/tmf-api/serviceInventory/v4", "serviceInventory", "TMF638 Service Inventory"
)
RESOURCE_INVENTORY = _api(
    "tmf_resource_inventory",
    "/tmf-api/resourceInventoryManagement/v4",
    "resourceInventoryManagement",
    "TMF639 Resource Inventory",
)
PROBLEM = _api(
    "tmf_problem",
    "/tmf-api/serviceProblemManagement/v4",
    "serviceProblemManagement",
    "TMF656 Service Problem Management",
)
COMMUNICATION = _api(
    "tmf_communication",
    "/tmf-api/communicationManagement/v4",
    "communicationManagement",
    "TMF681 Communication",
)
BILL = _api(
    "tmf_bill", "/tmf-api/customerBillManagement/v4", "customerBillManagement", "TMF678 Customer Bill"
)

APIS = (
    ORDERING,
    SERVICE_ORDERING,
    CATALOG,
    CUSTOMER,
    SERVICE_INVENTORY,
    RESOURCE_INVENTORY,
    PROBLEM,
    COMMUNICATION,
    BILL,
)
