"""TMF622 product orders: validate, qualify, decompose into provisioning transactions, and
keep them idempotent.

``place_order`` turns a request body into an acknowledged order whose every item has a
planned provisioning transaction, all in the caller's database transaction, or raises
``OrderError`` with field-level errors and leaves nothing behind. The agent then drives the
items (agent.bss.fulfilment) and this module derives the order's state from them.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bss_bridge.provisioning import live_instances, settle_service, submit
from inventory.bss_models import (
    BillingAccount,
    Customer,
    ProductOffering,
    ProductOrder,
    ProductOrderItem,
    Subscription,
)
from inventory.choices import DeviceStatus, OrderState, ServiceState, TxState
from inventory.fault_models import Service
from inventory.models import Device, Interface, Link
from inventory.provisioning_models import ServiceInstance, Transaction
from inventory.types import utcnow
from provisioners.services.catalog import ServiceError, model

MAX_ITEMS = 100
ACTIONS = ("add", "modify", "delete")


@dataclass
class OrderError(ValueError):
    """Why an order is refused: ``fields`` maps a field path to what is wrong with it."""

    status: int
    reason: str
    fields: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        detail = "; ".join(f"{k}: {v}" for k, v in self.fields.items())
        return f"{self.reason}" + (f": {detail}" if detail else "")


class IdempotencyConflict(OrderError):
    pass


def digest(body: Mapping[str, Any]) -> str:
    """A stable digest of a request body (key order and whitespace do not matter)."""
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).hexdigest()


def new_order_id() -> str:
    return f"PO-{secrets.token_hex(5).upper()}"


def new_product_id() -> str:
    return f"SVC-{secrets.token_hex(4).upper()}"


# ---------------------------------------------------------------------------------- parsing
def _str(value: Any, where: str, errors: dict[str, str], required: bool = True, max_len: int = 128) -> str:
    if value is None or value == "":
        if required:
            errors[where] = "required"
        return ""
    if not isinstance(value, str):
        errors[where] = "must be a string"
        return ""
    if len(value) > max_len:
        errors[where] = f"at most {max_len} characters"
        return ""
    return value


def _characteristics(item: Mapping[str, Any], where: str, errors: dict[str, str]) -> dict[str, Any]:
    product = item.get("product") or {}
    if not isinstance(product, dict):
        errors[f"{where}.product"] = "must be an object"
        return {}
    chars = product.get("productCharacteristic") or []
    if not isinstance(chars, list):
        errors[f"{where}.product.productCharacteristic"] = "must be a list of {name, value}"
        return {}
    out: dict[str, Any] = {}
    for i, c in enumerate(chars):
        if not isinstance(c, dict) or not isinstance(c.get("name"), str) or "value" not in c:
            errors[f"{where}.product.productCharacteristic[{i}]"] = "needs a name and a value"
            continue
        if c["name"] in out:
            errors[f"{where}.product.productCharacteristic[{c['name']}]"] = "given twice"
        out[c["name"]] = c["value"]
    return out


def _set_path(params: dict[str, Any], path: str, value: Any) -> None:
    """``endpoints.0.device`` -> params["endpoints"][0]["device"]."""
    parts = path.split(".")
    cur: Any = params
    for i, part in enumerate(parts[:-1]):
        nxt: Any = [] if parts[i + 1].isdigit() else {}
        if part.isdigit():
            idx = int(part)
            while len(cur) <= idx:
                cur.append({} if not parts[i + 1].isdigit() else [])
            cur = cur[idx]
        else:
            cur = cur.setdefault(part, nxt)
    last = parts[-1]
    if last.isdigit():
        while len(cur) <= int(last):
            cur.append(None)
        cur[int(last)] = value
    else:
        cur[last] = value


def _coerce(value: Any, value_type: str) -> Any:
    if value_type == "integer":
        if isinstance(value, bool):
            raise ValueError("must be an integer")
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        raise ValueError("must be an integer")
    if not isinstance(value, str | int | float):
        raise ValueError("must be a string")
    return str(value)


def params_for(
    offering: ProductOffering, chars: Mapping[str, Any], where: str, errors: dict[str, str],
    base: Mapping[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Service parameters from an offering's characteristics (and its fixed values)."""
    params: dict[str, Any] = json.loads(json.dumps(base)) if base else {}
    known = {c["name"]: c for c in offering.characteristics}
    for name in chars:
        if name not in known:
            errors[f"{where}.product.productCharacteristic[{name}]"] = (
                f"not a characteristic of {offering.id} (has {', '.join(sorted(known))})"
            )
    for spec in offering.characteristics:
        name = spec["name"]
        if name in chars:
            try:
                _set_path(params, spec["param"], _coerce(chars[name], spec.get("valueType", "string")))
            except ValueError as exc:
                errors[f"{where}.product.productCharacteristic[{name}]"] = str(exc)
        elif spec.get("required") and base is None:
            errors[f"{where}.product.productCharacteristic[{name}]"] = "required"
    for key, value in offering.fixed_params.items():
        params[key] = value
    return params


# ---------------------------------------------------------------------------------- qualify
def _port_speed_ok(s: Session, params: Mapping[str, Any], m_name: str, where: str, errors: dict[str, str],
                   own_service: int | None) -> None:  # fmt: skip
    """Devices reachable, ports free (no link to another device, no other customer's
    service), bandwidth within the port's speed."""
    m = model(m_name)
    for i, end in enumerate(m.endpoints_of(params)):
        at = f"{where}.product.productCharacteristic" + (f"[endpoint {i}]" if m.endpoints == "pair" else "")
        device = s.scalar(select(Device).where(Device.name == end.get("device")))
        if device is None:
            errors[f"{at}.device"] = f"unknown device {end.get('device')!r}"
            continue
        if device.status is not DeviceStatus.UP:
            errors[f"{at}.device"] = f"{device.name} is {device.status.value}: not reachable now"
        port = s.scalar(
            select(Interface).where(Interface.device_id == device.id, Interface.name == end.get("port"))
        )
        if port is None:
            errors[f"{at}.port"] = f"{device.name} has no port {end.get('port')!r}"
            continue
        if s.scalar(
            select(Link.id).where(
                (Link.local_interface_id == port.id) | (Link.remote_interface_id == port.id)
            )
        ):
            errors[f"{at}.port"] = f"{device.name} {port.name} is a network link, not a customer port"
        for inst in live_instances(s, own_service):
            for other in model(inst.model).endpoints_of(inst.params):
                same_port = other.get("device") == device.name and other.get("port") == port.name
                # The same customer may add VLANs on its own port; nobody else may.
                if same_port and inst.service.customer_ref != params.get("customer_id"):
                    errors[f"{at}.port"] = f"{device.name} {port.name} is used by another customer's service"
        bw = params.get("bandwidth_mbps")
        if isinstance(bw, int) and port.speed_bps and bw * 1_000_000 > port.speed_bps:
            errors[f"{at}.bandwidth"] = f"{bw} Mb/s exceeds the {port.speed_bps // 1_000_000} Mb/s port"


# ---------------------------------------------------------------------------------- placing
def _existing(s: Session, customer_id: str, external_id: str | None, key: str | None) -> ProductOrder | None:
    if key:
        found = s.scalar(select(ProductOrder).where(ProductOrder.idempotency_key == key))
        if found is not None:
            return found
    if external_id:
        return s.scalar(
            select(ProductOrder).where(
                ProductOrder.customer_id == customer_id, ProductOrder.external_id == external_id
            )
        )
    return None


def replay(s: Session, body: Mapping[str, Any], key: str | None) -> ProductOrder | None:
    """The order this request already created, or None. Raises IdempotencyConflict (422)
    when the key or externalId was used with another body."""
    party = _customer_id(body)
    external = body.get("externalId") if isinstance(body.get("externalId"), str) else None
    found = _existing(s, party or "", external, key)
    if found is None:
        return None
    if found.request_digest != digest(body):
        what = "Idempotency-Key" if key and found.idempotency_key == key else "externalId"
        raise IdempotencyConflict(422, f"this {what} was used for another order ({found.id}) with a different body",
                                  {what: "reused with a different request"})  # fmt: skip
    return found


def _customer_id(body: Mapping[str, Any]) -> str | None:
    for party in body.get("relatedParty") or []:
        if (
            isinstance(party, dict)
            and str(party.get("role", "")).lower() == "customer"
            and isinstance(party.get("id"), str)
        ):
            return str(party["id"])
    return None


def place_order(
    s: Session,
    body: Mapping[str, Any],
    *,
    idempotency_key: str | None,
    user: str,
    now: datetime | None = None,
) -> ProductOrder:
    now = now or utcnow()
    if not isinstance(body, dict):
        raise OrderError(400, "the body must be a JSON object (a ProductOrder)")
    errors: dict[str, str] = {}
    external_id = _str(body.get("externalId"), "externalId", errors, required=False)
    if idempotency_key is not None and not (1 <= len(idempotency_key) <= 255):
        errors["Idempotency-Key"] = "1 to 255 characters"
    customer_id = _customer_id(body)
    customer = s.get(Customer, customer_id) if customer_id else None
    if customer_id is None:
        errors["relatedParty"] = "a party with role customer and an id is required"
    elif customer is None:
        errors["relatedParty[customer].id"] = f"unknown customer {customer_id!r}"
    account: BillingAccount | None = None
    ba = body.get("billingAccount")
    if ba is not None:
        ba_id = ba.get("id") if isinstance(ba, dict) else None
        account = s.get(BillingAccount, ba_id) if isinstance(ba_id, str) else None
        if account is None:
            errors["billingAccount.id"] = f"unknown billing account {ba_id!r}"
        elif customer is not None and account.customer_id != customer.id:
            errors["billingAccount.id"] = f"{account.id} belongs to another customer"
    elif customer is not None and customer.accounts:
        account = customer.accounts[0]
    items = body.get("productOrderItem")
    if not isinstance(items, list) or not items:
        errors["productOrderItem"] = "required: a non-empty list"
        items = []
    elif len(items) > MAX_ITEMS:
        errors["productOrderItem"] = f"at most {MAX_ITEMS} items"
        items = []
    seen_ids: set[str] = set()
    parsed: list[
        tuple[int, str, str, ProductOffering | None, str | None, dict[str, Any], Service | None]
    ] = []
    for i, item in enumerate(items):
        where = f"productOrderItem[{i}]"
        if not isinstance(item, dict):
            errors[where] = "must be an object"
            continue
        item_id = _str(item.get("id"), f"{where}.id", errors, max_len=32)
        if item_id in seen_ids:
            errors[f"{where}.id"] = f"duplicate item id {item_id!r}"
        seen_ids.add(item_id)
        action = item.get("action")
        if action not in ACTIONS:
            errors[f"{where}.action"] = f"must be one of {', '.join(ACTIONS)}"
            continue
        chars = _characteristics(item, where, errors)
        off_ref = item.get("productOffering")
        off_id = off_ref.get("id") if isinstance(off_ref, dict) else None
        offering = s.get(ProductOffering, off_id) if isinstance(off_id, str) else None
        if off_ref is not None and offering is None:
            errors[f"{where}.productOffering.id"] = f"unknown product offering {off_id!r}"
        product_ref = (item.get("product") or {}).get("id") if isinstance(item.get("product"), dict) else None
        service = None
        if action == "add":
            if offering is None and off_ref is None:
                errors[f"{where}.productOffering"] = "required for add"
            if product_ref:
                errors[f"{where}.product.id"] = "an added product gets its id from us"
        else:
            if not isinstance(product_ref, str):
                errors[f"{where}.product.id"] = f"required for {action}: the product to change"
                continue
            service = s.scalar(select(Service).where(Service.external_id == product_ref))
            sub = s.get(Subscription, service.id) if service is not None else None
            if service is None or sub is None or service.state is ServiceState.TERMINATED:
                errors[f"{where}.product.id"] = f"no active product {product_ref!r}"
                continue
            if customer is not None and sub.customer_id != customer.id:
                errors[f"{where}.product.id"] = f"{product_ref} belongs to another customer"
                continue
            offering = offering or sub.offering
            if offering.service_model != sub.offering.service_model:
                errors[f"{where}.productOffering.id"] = (
                    f"{offering.id} is not a {sub.offering.service_model} offering"
                )
        params: dict[str, Any] = {}
        if offering is not None and action != "delete":
            base = None
            if action == "modify" and service is not None:
                inst = s.get(ServiceInstance, service.id)
                base = dict(inst.params) if inst else None
            params = params_for(offering, chars, where, errors, base)
        parsed.append(
            (
                i,
                item_id,
                str(action),
                offering,
                product_ref if isinstance(product_ref, str) else None,
                params,
                service,
            )
        )
    if errors:
        raise OrderError(400, "the order is not valid", errors)

    # Idempotent replay (checked again by the unique constraints for concurrent duplicates).
    found = replay(s, body, idempotency_key)
    if found is not None:
        return found

    assert customer is not None
    order = ProductOrder(
        id=new_order_id(), external_id=external_id or None, idempotency_key=idempotency_key, request_digest=digest(body),
        customer_id=customer.id, billing_account_id=account.id if account else None, state=OrderState.ACKNOWLEDGED,
        order_date=now, state_changed=now, body=dict(body), created_by=user,
    )  # fmt: skip
    s.add(order)
    s.flush()
    for index, item_id, action, offering, product_ref, params, service in parsed:
        where = f"productOrderItem[{index}]"
        product_id = product_ref or new_product_id()
        request: dict[str, Any]
        if action == "delete":
            request = {"action": "delete", "service_id": product_id}
        else:
            assert offering is not None
            params = {**params, "service_id": product_id, "customer_id": customer.id}
            _port_speed_ok(s, params, offering.service_model, where, errors, service.id if service else None)
            request = {
                "service": offering.service_model,
                "action": "create" if action == "add" else "modify",
                "params": params,
            }
        if errors:
            continue
        try:
            tx = submit(s, request, user=user, origin=f"order:{order.id}:{item_id}")
        except ServiceError as exc:
            for k, v in exc.errors.items():
                errors[f"{where}.{k}"] = v
            continue
        order.items.append(
            ProductOrderItem(item_id=item_id, action=action, offering_id=offering.id if offering else None,
                             product_id=product_id, params=params, state=OrderState.ACKNOWLEDGED, transaction_id=tx.id)
        )  # fmt: skip
    if errors:
        raise OrderError(400, "the order cannot be delivered on this network", errors)
    s.flush()
    return order


# ---------------------------------------------------------------------------------- state
def derive_state(order: ProductOrder) -> OrderState:
    states = [i.state for i in order.items]
    if not states:
        return order.state
    if any(st in (OrderState.ACKNOWLEDGED, OrderState.IN_PROGRESS) for st in states):
        return (
            OrderState.IN_PROGRESS if any(st is not OrderState.ACKNOWLEDGED for st in states) else order.state
        )
    if all(st is OrderState.COMPLETED for st in states):
        return OrderState.COMPLETED
    if all(st is OrderState.CANCELLED for st in states):
        return OrderState.CANCELLED
    if all(st in (OrderState.FAILED, OrderState.CANCELLED) for st in states):
        return OrderState.FAILED
    return OrderState.PARTIAL


def set_state(order: ProductOrder, state: OrderState, now: datetime) -> bool:
    if order.state is state:
        return False
    order.state = state
    order.state_changed = now
    if state is OrderState.COMPLETED or state is OrderState.PARTIAL or state is OrderState.FAILED:
        order.completion_date = now
    return True


def cancel_order(s: Session, order: ProductOrder, reason: str, now: datetime) -> None:
    """Cancel an order none of whose items has started; raises OrderError (409) otherwise."""
    if order.state.terminal:
        raise OrderError(409, f"{order.id} is {order.state.value}: nothing to cancel")
    txs = [s.get(Transaction, i.transaction_id) for i in order.items if i.transaction_id]
    if any(tx is not None and tx.state is not TxState.PLANNED for tx in txs):
        raise OrderError(409, f"{order.id} has started: its items are being provisioned")
    for tx in txs:
        if tx is None:
            continue
        tx.state = TxState.ROLLED_BACK
        tx.error = f"cancelled with order {order.id}: {reason}"
        tx.finished_at = now
        settle_service(s, tx.id, success=False)
    for item in order.items:
        item.state = OrderState.CANCELLED
    order.cancellation_date = now
    order.cancellation_reason = reason
    set_state(order, OrderState.CANCELLED, now)
