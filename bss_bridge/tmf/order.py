"""TMF622 ProductOrder (v4) and the TMF641 ServiceOrder view of the same items."""

from __future__ import annotations

from typing import Any

from bss_bridge.tmf.common import href, iso
from inventory.bss_models import ProductOrder, ProductOrderItem

BASE = "/tmf-api/productOrderingManagement/v4"
SERVICE_ORDER_BASE = "/tmf-api/serviceOrdering/v4"
SERVICE_BASE = "/tmf-api/serviceInventory/v4"

CREATE_EVENT = "ProductOrderCreateEvent"
STATE_CHANGE_EVENT = "ProductOrderStateChangeEvent"


def _item(order: ProductOrder, item: ProductOrderItem) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": item.item_id,
        "action": item.action,
        "quantity": 1,
        "state": item.state.value,
        "product": {
            "id": item.product_id,
            "href": href(SERVICE_BASE, "service", item.product_id),
            "@referredType": "Product",
        },
    }
    if item.offering_id:
        doc["productOffering"] = {
            "id": item.offering_id,
            "name": item.offering.name if item.offering else item.offering_id,
            "href": href("/tmf-api/productCatalogManagement/v4", "productOffering", item.offering_id),
        }
    if item.error:
        doc["stateReason"] = item.error  # TMF622 v5 spelling; v4 has none
    if item.transaction_id:
        doc["x_provisioningTransaction"] = item.transaction_id
    return doc


def order_to_tmf(order: ProductOrder) -> dict[str, Any]:
    body = order.body or {}
    doc: dict[str, Any] = {
        "id": order.id,
        "href": href(BASE, "productOrder", order.id),
        "externalId": order.external_id,
        "category": body.get("category"),
        "description": body.get("description"),
        "priority": body.get("priority"),
        "orderDate": iso(order.order_date),
        "requestedStartDate": body.get("requestedStartDate"),
        "requestedCompletionDate": body.get("requestedCompletionDate"),
        "completionDate": iso(order.completion_date),
        "cancellationDate": iso(order.cancellation_date),
        "cancellationReason": order.cancellation_reason or None,
        "state": order.state.value,
        "relatedParty": [{"id": order.customer_id, "role": "customer", "@referredType": "Customer"}],
        "billingAccount": {"id": order.billing_account_id} if order.billing_account_id else None,
        "note": body.get("note") or [],
        "productOrderItem": [_item(order, i) for i in order.items],
        "@type": "ProductOrder",
    }
    return {k: v for k, v in doc.items() if v is not None}


def service_order_to_tmf(order: ProductOrder) -> dict[str, Any]:
    """The same order as a TMF641 ServiceOrder: one service order item per product order item."""
    return {
        "id": f"SO-{order.id}",
        "href": href(SERVICE_ORDER_BASE, "serviceOrder", f"SO-{order.id}"),
        "externalId": order.id,
        "state": order.state.value,
        "orderDate": iso(order.order_date),
        "completionDate": iso(order.completion_date),
        "orderRelationship": [
            {"id": order.id, "relationshipType": "productOrder", "@referredType": "ProductOrder"}
        ],
        "serviceOrderItem": [
            {
                "id": i.item_id,
                "action": "add" if i.action == "add" else i.action,
                "state": i.state.value,
                "service": {"id": i.product_id, "href": href(SERVICE_BASE, "service", i.product_id)},
                "x_provisioningTransaction": i.transaction_id,
            }
            for i in order.items
        ],
        "@type": "ServiceOrder",
    }
