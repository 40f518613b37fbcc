"""Driving order items from their provisioning transactions to completed or failed.

An item is in progress while its transaction runs. When the transaction is done, the item
completes only once the network shows the service as the collectors read it back: the
devices are rediscovered, and the service's interface must be present, admin and oper up
(and, for a delete, gone). If that does not happen in time, the transaction is rolled back
and the item fails with the reason. A transaction that rolls back fails its item. The
order's state follows its items; every change is announced to TMF622 hub listeners.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bss_bridge.orders import derive_state, set_state
from bss_bridge.provisioning import facts_for, submit_rollback, tx_items
from bss_bridge.tmf.common import event_envelope
from bss_bridge.tmf.order import STATE_CHANGE_EVENT, order_to_tmf
from inventory.bss_models import ProductOffering, ProductOrder, ProductOrderItem, Subscription
from inventory.choices import IfStatus, OrderState, TxState
from inventory.fault_models import Service
from inventory.hub import enqueue_event, new_event_id
from inventory.models import Device, Interface, JobRequest
from inventory.provisioning_models import Transaction
from provisioners.services.catalog import ServiceError, model
from provisioners.services.render import PORT_OWNING, flavour

log = logging.getLogger(__name__)
API = "productOrderingManagement"
SUBINTERFACE_MODELS = {"internet-access", "l2vpn-p2p"}  # render <port>.<vlan> on platforms that have them


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str


def _service_interfaces(s: Session, item: ProductOrderItem, tx: Transaction) -> list[tuple[Device, str]]:
    """(device, interface name) the service should show on, from its parameters."""
    request = next((it for it in tx_items(tx) if it["service_id"] == item.product_id), tx_items(tx)[0])
    params = request.get("after") or request.get("before") or {}
    m = model(request["model"])
    out = []
    for end in m.endpoints_of(params):
        device = s.scalar(select(Device).where(Device.name == end["device"]))
        if device is None:
            continue
        fam = flavour(facts_for(s, {device.name})[device.name].platform)[0]
        name = (
            f"{end['port']}.{params['vlan']}"
            if fam not in PORT_OWNING and m.name in SUBINTERFACE_MODELS
            else end["port"]
        )
        out.append((device, name))
    return out


def verify(s: Session, item: ProductOrderItem, tx: Transaction) -> Check:
    """The collectors' view after the change: interfaces there and up (or gone, for delete)."""
    assert tx.finished_at is not None
    problems = []
    for device, ifname in _service_interfaces(s, item, tx):
        if device.last_discovered is None or device.last_discovered < tx.finished_at:
            problems.append(f"{device.name} not rediscovered since the change")
            continue
        iface = s.scalar(select(Interface).where(Interface.device_id == device.id, Interface.name == ifname))
        if item.action == "delete":
            # A deleted subinterface must be gone; a physical port (FRR) stays, only unconfigured.
            if "." in ifname and iface is not None and iface.present:
                problems.append(f"{device.name} {ifname} still present")
            continue
        if iface is None or not iface.present:
            problems.append(f"{device.name} {ifname} not found by discovery")
        elif iface.admin_status is not IfStatus.UP or iface.oper_status is not IfStatus.UP:
            problems.append(
                f"{device.name} {ifname} is admin {iface.admin_status.label}, oper {iface.oper_status.label}"
            )
    return Check(not problems, "; ".join(problems))


def _request_discovery(s: Session, item: ProductOrderItem, tx: Transaction) -> None:
    for device, _ in _service_interfaces(s, item, tx):
        s.add(JobRequest(kind="discover", device_id=device.id, requested_by=f"order {item.order_id}"))


def _subscribe(s: Session, order: ProductOrder, item: ProductOrderItem, now: datetime) -> None:
    service = s.scalar(select(Service).where(Service.external_id == item.product_id))
    if service is None:
        return
    sub = s.get(Subscription, service.id)
    if item.action == "delete":
        if sub is not None:
            sub.ended_at = now
        return
    offering = (
        s.get(ProductOffering, item.offering_id) if item.offering_id else (sub.offering if sub else None)
    )
    if offering is None:
        return
    if sub is None:
        sub = Subscription(service_id=service.id, customer_id=order.customer_id, started_at=now, order_id=order.id,
                           offering_id=offering.id, monthly_price=offering.price, currency=offering.currency)  # fmt: skip
        s.add(sub)
    sub.billing_account_id = order.billing_account_id
    sub.offering_id = offering.id
    sub.monthly_price = offering.price
    sub.currency = offering.currency
    service.name = f"{offering.name} {service.external_id}"


def _announce(s: Session, order: ProductOrder, now: datetime) -> None:
    event_id = new_event_id()
    doc = event_envelope(STATE_CHANGE_EVENT, "productOrder", order_to_tmf(order), event_id, now)
    enqueue_event(s, API, STATE_CHANGE_EVENT, doc, event_id, now=now)


def advance(s: Session, now: datetime, verify_timeout_s: float = 90.0) -> int:
    """One pass over the open items; returns how many changed state."""
    changed = 0
    orders: dict[str, ProductOrder] = {}
    items = s.scalars(
        select(ProductOrderItem).where(
            ProductOrderItem.state.in_([OrderState.ACKNOWLEDGED, OrderState.IN_PROGRESS])
        )
    )
    for item in items:
        orders[item.order_id] = item.order
        tx = s.get(Transaction, item.transaction_id) if item.transaction_id else None
        if tx is None:
            continue
        before = item.state
        if tx.state in (TxState.ROLLED_BACK, TxState.FAILED):
            item.state = OrderState.FAILED
            item.error = item.error or f"provisioning failed: {tx.error}"
        elif tx.state is TxState.DONE:
            if item.verify_deadline is None:
                item.state = OrderState.IN_PROGRESS
                item.verify_deadline = now + timedelta(seconds=verify_timeout_s)
                _request_discovery(s, item, tx)
            else:
                check = verify(s, item, tx)
                if check.ok:
                    item.state = OrderState.COMPLETED
                    _subscribe(s, item.order, item, now)
                elif now > item.verify_deadline:
                    item.error = f"the network does not show the service: {check.detail}"
                    item.state = OrderState.FAILED
                    try:
                        rb = submit_rollback(s, tx.id, user="ossagent", dry_run=False)
                        item.rollback_transaction_id = rb.id
                    except ServiceError as exc:
                        item.error += f"; rollback refused: {exc}"
                    log.warning(
                        "order %s item %s failed verification: %s", item.order_id, item.item_id, check.detail
                    )
                elif (item.verify_deadline - now).total_seconds() % 10 < 2.5:
                    _request_discovery(s, item, tx)  # ask again every ~10 s while waiting
        elif tx.state is not TxState.PLANNED:
            item.state = OrderState.IN_PROGRESS
        if item.state is not before:
            changed += 1
    for order in orders.values():
        if set_state(order, derive_state(order), now):
            _announce(s, order, now)
    return changed
