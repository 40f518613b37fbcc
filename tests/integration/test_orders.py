"""TMF622 orders on the store (SQLite and PostgreSQL): validation with field errors that
leave nothing behind, qualification against the inventory, decomposition into planned
provisioning transactions, idempotency, cancellation."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import func, select

from agent.context import Context
from bss_bridge.orders import IdempotencyConflict, OrderError, cancel_order, derive_state, place_order
from bss_bridge.seed import DEMO_SEED, load_seed_file
from inventory.bss_models import Customer, ProductOffering, ProductOrder
from inventory.choices import DeviceStatus, IfStatus, OrderState, ServiceState, TxState
from inventory.domain import ConfigAccessSpec, Secret
from inventory.fault_models import Service
from inventory.models import Device, Interface, Link
from inventory.provisioning_models import Transaction
from inventory.store import set_config_access
from inventory.types import utcnow


@pytest.fixture
def bss(ctx: Context) -> Context:
    with ctx.begin() as s:
        load_seed_file(s, DEMO_SEED)
        for name, platform, port_names in (("pe1", "srlinux", [f"ethernet-1/{n}" for n in range(1, 9)]),
                                           ("acc1", "eos", [f"Ethernet{n}" for n in range(1, 9)])):  # fmt: skip
            d = Device(name=name, host="127.0.0.9", status=DeviceStatus.UP, platform=platform)
            for i, p in enumerate(port_names, 1):
                d.interfaces.append(
                    Interface(
                        if_index=i,
                        name=p,
                        speed_bps=10**10,
                        admin_status=IfStatus.UP,
                        oper_status=IfStatus.UP,
                    )
                )
            s.add(d)
            s.flush()
            set_config_access(
                s,
                d,
                ConfigAccessSpec(
                    "netconf" if platform == "srlinux" else "cli", platform, 830, "admin", Secret("pw-canary")
                ),
            )
        pe1 = s.scalars(select(Device).where(Device.name == "pe1")).one()
        s.add(
            Link(
                local_interface_id=pe1.interfaces[0].id,
                remote_sys_name="core1",
                remote_chassis_id="x",
                remote_port_id="Ethernet2",
            )
        )
    return ctx


def order(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "externalId": "CRM-778",
        "relatedParty": [{"id": "CUST-42", "role": "customer", "@referredType": "Customer"}],
        "billingAccount": {"id": "BA-42"},
        "productOrderItem": [
            {
                "id": "1",
                "action": "add",
                "productOffering": {"id": "OFF-INET-100M"},
                "product": {"productCharacteristic": [
                    {"name": "accessNode", "value": "pe1"}, {"name": "accessPort", "value": "ethernet-1/5"},
                    {"name": "vlan", "value": 100}, {"name": "ipv4Address", "value": "192.0.2.1/30"},
                ]},
            }
        ],
    }  # fmt: skip
    body.update(over)
    return body


def counts(ctx: Context) -> tuple[int, int, int]:
    with ctx.begin() as s:
        return (
            int(s.scalar(select(func.count()).select_from(ProductOrder)) or 0),
            int(s.scalar(select(func.count()).select_from(Transaction)) or 0),
            int(s.scalar(select(func.count()).select_from(Service)) or 0),
        )


def test_seed_loads_idempotently(bss: Context) -> None:
    with bss.begin() as s:
        load_seed_file(s, DEMO_SEED)
        assert s.scalar(select(func.count()).select_from(ProductOffering)) == 3
        acme = s.get(Customer, "CUST-42")
        assert acme is not None and len(acme.contacts) == 2 and acme.accounts[0].id == "BA-42"
        webhook = next(c for c in acme.contacts if c.kind == "webhook")
        assert webhook.secret is not None  # from ${ACME_WEBHOOK_SECRET:-...}, encrypted at rest


def test_good_order_is_acknowledged_with_a_planned_transaction(bss: Context) -> None:
    with bss.begin() as s:
        o = place_order(s, order(), idempotency_key="k-1", user="bss")
        assert o.state is OrderState.ACKNOWLEDGED and len(o.items) == 1
        item = o.items[0]
        assert item.product_id.startswith("SVC-") and item.params["bandwidth_mbps"] == 100
        assert (
            item.params["device"] == "pe1"
            and item.params["vlan"] == 100
            and item.params["customer_id"] == "CUST-42"
        )
        tx = s.get(Transaction, item.transaction_id)
        assert tx is not None and tx.state is TxState.PLANNED and tx.origin == f"order:{o.id}:1"
        assert len(tx.devices) == 1 and "<rate-mbps>100</rate-mbps>" in tx.devices[0].payload
        svc = s.scalars(select(Service).where(Service.external_id == item.product_id)).one()
        assert svc.state is ServiceState.RESERVED and svc.resources[0].interface_id is not None


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b["productOrderItem"][0]["productOffering"].update(id="OFF-NOPE"), "productOrderItem[0].productOffering.id"),
        (lambda b: b["productOrderItem"][0]["product"]["productCharacteristic"].pop(), "productOrderItem[0].product.productCharacteristic[ipv4Address]"),
        (lambda b: b["productOrderItem"][0]["product"]["productCharacteristic"].__setitem__(2, {"name": "vlan", "value": 5000}), "productOrderItem[0].vlan"),
        (lambda b: b["productOrderItem"][0]["product"]["productCharacteristic"].__setitem__(1, {"name": "accessPort", "value": "ethernet-1/1"}), "productOrderItem[0].product.productCharacteristic.port"),
        (lambda b: b["productOrderItem"][0]["product"]["productCharacteristic"].__setitem__(1, {"name": "accessPort", "value": "ethernet-9/9"}), "productOrderItem[0].product.productCharacteristic.port"),
        (lambda b: b.update(relatedParty=[{"id": "CUST-NOPE", "role": "customer"}]), "relatedParty[customer].id"),
        (lambda b: b.update(billingAccount={"id": "BA-77"}), "billingAccount.id"),
        (lambda b: b.update(productOrderItem=[]), "productOrderItem"),
        (lambda b: b["productOrderItem"][0].update(action="upgrade"), "productOrderItem[0].action"),
    ],
    ids=["unknown-offering", "missing-characteristic", "vlan-out-of-range", "port-is-a-link", "no-such-port",
         "unknown-customer", "foreign-billing-account", "no-items", "bad-action"],
)  # fmt: skip
def test_bad_orders_name_the_field_and_leave_nothing(bss: Context, mutate, field: str) -> None:  # type: ignore[no-untyped-def]
    body = copy.deepcopy(order())
    mutate(body)
    with pytest.raises(OrderError) as err, bss.begin() as s:
        place_order(s, body, idempotency_key=None, user="bss")
    assert err.value.status == 400
    assert any(k.startswith(field) or field.startswith(k) for k in err.value.fields), err.value.fields
    assert counts(bss) == (0, 0, 0)


def test_vlan_taken_by_another_order(bss: Context) -> None:
    with bss.begin() as s:
        place_order(s, order(), idempotency_key=None, user="bss")
    other = order(externalId="CRM-779")
    with pytest.raises(OrderError) as err, bss.begin() as s:
        place_order(s, other, idempotency_key=None, user="bss")
    assert "VLAN 100" in str(err.value)
    assert counts(bss) == (1, 1, 1)


def test_idempotency_key_and_external_id(bss: Context) -> None:
    with bss.begin() as s:
        first = place_order(s, order(), idempotency_key="key-9", user="bss").id
    with bss.begin() as s:  # the same request again: the same order, nothing new
        assert place_order(s, order(), idempotency_key="key-9", user="bss").id == first
    with bss.begin() as s:  # externalId alone identifies it too
        assert place_order(s, order(), idempotency_key=None, user="bss").id == first
    changed = order()
    changed["productOrderItem"][0]["product"]["productCharacteristic"][2]["value"] = 101
    with pytest.raises(IdempotencyConflict) as err, bss.begin() as s:
        place_order(s, changed, idempotency_key="key-9", user="bss")
    assert err.value.status == 422
    assert counts(bss) == (1, 1, 1)


def test_cancel_before_start_releases_the_reservation(bss: Context) -> None:
    with bss.begin() as s:
        o = place_order(s, order(), idempotency_key=None, user="bss")
        cancel_order(s, o, "customer changed their mind", utcnow())
        assert o.state is OrderState.CANCELLED and o.items[0].state is OrderState.CANCELLED
        tx = s.get(Transaction, o.items[0].transaction_id)
        assert tx is not None and tx.state is TxState.ROLLED_BACK
        svc = s.scalars(select(Service)).one()
        assert svc.state is ServiceState.TERMINATED
    with bss.begin() as s:  # the VLAN is free again
        place_order(s, order(externalId="CRM-780"), idempotency_key=None, user="bss")


def test_cancel_after_start_is_refused(bss: Context) -> None:
    with bss.begin() as s:
        o = place_order(s, order(), idempotency_key=None, user="bss")
        s.get(Transaction, o.items[0].transaction_id).state = TxState.COMMITTING  # type: ignore[union-attr]
    with pytest.raises(OrderError) as err, bss.begin() as s:
        cancel_order(s, s.scalars(select(ProductOrder)).one(), "too late", utcnow())
    assert err.value.status == 409


def test_order_state_follows_items(bss: Context) -> None:
    with bss.begin() as s:
        o = place_order(s, order(), idempotency_key=None, user="bss")
        item = o.items[0]
        assert derive_state(o) is OrderState.ACKNOWLEDGED
        item.state = OrderState.IN_PROGRESS
        assert derive_state(o) is OrderState.IN_PROGRESS
        item.state = OrderState.COMPLETED
        assert derive_state(o) is OrderState.COMPLETED
        item.state = OrderState.FAILED
        assert derive_state(o) is OrderState.FAILED
