"""The BSS side in the web tests' inventories, built with the models and the domain functions.

The shared inventory (``build_bss``) gets the demo seed plus three customers of its own (one
with a hostile name, two with a webhook whose secret is a canary), subscriptions for the
provisioning fixtures' services, orders in several states (built as rows, on the provisioning
fixtures' transactions), outages on the fault fixtures' alarms, notices, a credit computed by
``credit_for_problem`` and one hub registration per BSS-facing API. Those rows are read-only
for the tests; a test that reclassifies an outage makes its own with
``make_resolved_problem``.

Placing orders writes services and transactions, which the provisioning tests count, so it
happens on an inventory of its own (``build_order_inventory``): the demo seed and two
devices with configuration access and free ports, as tests/integration/test_orders.py has.
"""

from __future__ import annotations

import copy
import itertools
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bss_bridge.credits import credit_for_problem
from bss_bridge.orders import digest
from bss_bridge.seed import DEMO_SEED, load_seed, load_seed_file
from bss_bridge.sla import month_bounds, month_of
from inventory.bss_models import (
    CreditRecord,
    CustomerContact,
    CustomerMessage,
    ProductOrder,
    ProductOrderItem,
    ServiceProblem,
    Subscription,
)
from inventory.choices import DeviceStatus, IfStatus, MessageState, OrderState, ProblemState, ServiceState
from inventory.domain import ConfigAccessSpec, Secret
from inventory.fault_models import HubSubscription, OutboxMessage, Service
from inventory.models import Device, Interface, Link
from inventory.provisioning_models import Transaction
from inventory.store import set_config_access
from tests.web.faulttesting import PUBLIC_CALLBACK
from tests.web.provtesting import SVC_EVIL, SVC_IA, SVC_L2, TX_DONE, TX_EVIL, TX_FAILED, TX_RUNNING
from tests.web.webtesting import HOSTILE_TEXT, NOW, WEBHOOK_SECRET, XSS_ATTR, XSS_SCRIPT, World
from web.tmf.bss_blueprints import APIS

ORDER_DONE = "PO-WEB-DONE"
ORDER_RUNNING = "PO-WEB-RUN"
ORDER_FAILED = "PO-WEB-FAIL"
ORDER_EVIL = "PO-WEB-EVIL"
ORDER_CANCELLED = "PO-WEB-CANC"
SP_RESOLVED = "SP-WEB-1"
SP_OPEN = "SP-WEB-2"
SP_EVIL = "SP-WEB-EVIL"
MESSAGES = ("CM-WEB-1", "CM-WEB-2", "CM-WEB-3", "CM-WEB-4", "CM-WEB-EVIL")
CUSTOMERS = ("CUST-1", "CUST-2", "CUST-EVIL")
CREDIT_MONTH_END = "ACBR-WEB-ME"

WEB_SEED: dict[str, Any] = {
    "customers": [
        {
            "id": "CUST-1",
            "name": "Customer One",
            "billing_accounts": [{"id": "BA-1", "name": "One main", "currency": "EUR"}],
            "contacts": [
                {"kind": "email", "name": "One NOC", "address": "noc@one.example"},
                {
                    "kind": "webhook",
                    "name": "One ticketing",
                    "address": "https://hooks.one.example/oss",
                    "secret": WEBHOOK_SECRET,
                },
            ],
        },
        {
            "id": "CUST-2",
            "name": "Customer Two",
            "billing_accounts": [{"id": "BA-2", "name": "Two", "currency": "EUR"}],
            "contacts": [{"kind": "email", "name": "Two ops", "address": "ops@two.example"}],
        },
        {
            "id": "CUST-EVIL",
            "name": HOSTILE_TEXT,
            "billing_accounts": [{"id": "BA-EVIL", "name": XSS_ATTR, "currency": "EUR"}],
            "contacts": [
                {
                    "kind": "webhook",
                    "name": XSS_SCRIPT,
                    "address": "https://hooks.evil.example/oss",
                    "secret": WEBHOOK_SECRET,
                },
            ],
        },
    ]
}


def _service(s: Session, ref: str) -> Service:
    return s.scalars(select(Service).where(Service.external_id == ref)).one()


def _order(order_id: str, customer: str, state: OrderState, at: datetime, **kw: Any) -> ProductOrder:
    body = kw.pop("body", {"relatedParty": [{"id": customer, "role": "customer"}]})
    return ProductOrder(
        id=order_id,
        external_id=kw.pop("external_id", f"CRM-{order_id}"),
        request_digest=digest(body),
        customer_id=customer,
        billing_account_id=kw.pop("account", None),
        state=state,
        order_date=at,
        state_changed=kw.pop("state_changed", at),
        body=body,
        created_by=kw.pop("created_by", "bss"),
        **kw,
    )


def _item(
    item_id: str, action: str, product: str, state: OrderState, tx: str | None, **kw: Any
) -> ProductOrderItem:
    return ProductOrderItem(
        item_id=item_id, action=action, product_id=product, state=state, transaction_id=tx, **kw
    )


def _message(
    mid: str, problem: ServiceProblem, contact: CustomerContact | None, kind: str, **kw: Any
) -> CustomerMessage:
    return CustomerMessage(
        id=mid,
        dedup_key=f"{problem.id}:{mid}:{kind}",
        problem_id=problem.id,
        customer_id=problem.customer_id,
        contact_id=contact.id if contact else None,
        kind=kind,
        channel=kw.pop("channel", contact.kind if contact else "email"),
        recipient=kw.pop("recipient", contact.address if contact else "nobody@example.net"),
        subject=kw.pop("subject", f"Service {kind}"),
        content=kw.pop("content", f"Your service is {kind}. Ref {problem.id}."),
        **kw,
    )


def build_bss(session: Session, world: World) -> None:
    load_seed_file(session, DEMO_SEED)
    load_seed(session, copy.deepcopy(WEB_SEED))
    ia, l2, evil = _service(session, SVC_IA), _service(session, SVC_L2), _service(session, SVC_EVIL)
    done_at = NOW - timedelta(hours=1, minutes=58)
    session.add_all(
        [
            Subscription(service_id=ia.id, customer_id="CUST-1", billing_account_id="BA-1", offering_id="OFF-INET-100M",
                         monthly_price=199, currency="EUR", started_at=done_at, order_id=ORDER_DONE),
            Subscription(service_id=l2.id, customer_id="CUST-2", billing_account_id="BA-2", offering_id="OFF-L2VPN-P2P",
                         monthly_price=349, currency="EUR", started_at=NOW - timedelta(days=40)),
            Subscription(service_id=evil.id, customer_id="CUST-EVIL", billing_account_id="BA-EVIL",
                         offering_id="OFF-INET-1G", monthly_price=799, currency="EUR", started_at=NOW - timedelta(days=3)),
        ]
    )  # fmt: skip

    done = _order(ORDER_DONE, "CUST-1", OrderState.COMPLETED, NOW - timedelta(hours=2, minutes=3), account="BA-1",
                  completion_date=done_at + timedelta(minutes=1), state_changed=done_at + timedelta(minutes=1))  # fmt: skip
    done.items.append(_item("1", "add", SVC_IA, OrderState.COMPLETED, TX_DONE, offering_id="OFF-INET-100M"))
    running = _order(ORDER_RUNNING, "CUST-2", OrderState.IN_PROGRESS, NOW - timedelta(minutes=4))
    running.items.append(
        _item("1", "modify", SVC_L2, OrderState.IN_PROGRESS, TX_RUNNING, offering_id="OFF-L2VPN-P2P")
    )
    failed = _order(ORDER_FAILED, "CUST-2", OrderState.FAILED, NOW - timedelta(minutes=51),
                    completion_date=NOW - timedelta(minutes=45))  # fmt: skip
    failed.items.append(_item("1", "modify", SVC_L2, OrderState.FAILED, TX_FAILED,
                              error="provisioning failed: r2: commit failed: validation error on /sim/policers"))  # fmt: skip
    evil_body = {"description": HOSTILE_TEXT, "note": [{"text": XSS_SCRIPT}],
                 "relatedParty": [{"id": "CUST-EVIL", "role": "customer"}]}  # fmt: skip
    evil_order = _order(ORDER_EVIL, "CUST-EVIL", OrderState.FAILED, NOW - timedelta(minutes=31), body=evil_body,
                        external_id=XSS_ATTR, created_by=XSS_ATTR[:60], completion_date=NOW - timedelta(minutes=29))  # fmt: skip
    evil_order.items.append(_item("1", "add", SVC_EVIL, OrderState.FAILED, TX_EVIL, offering_id="OFF-INET-1G",
                                  error=HOSTILE_TEXT))  # fmt: skip
    cancelled = _order(ORDER_CANCELLED, "CUST-42", OrderState.CANCELLED, NOW - timedelta(days=2),
                       cancellation_date=NOW - timedelta(days=2) + timedelta(minutes=5),
                       cancellation_reason="the customer changed their mind")  # fmt: skip
    cancelled.items.append(
        _item("1", "add", "SVC-WEB-CANC", OrderState.CANCELLED, None, offering_id="OFF-INET-100M")
    )
    session.add_all([done, running, failed, evil_order, cancelled])
    session.flush()

    resolved = ServiceProblem(
        id=SP_RESOLVED, service_id=ia.id, customer_id="CUST-1", state=ProblemState.RESOLVED,
        opened_at=NOW - timedelta(hours=2), resolved_at=NOW - timedelta(hours=1),
        state_changed=NOW - timedelta(hours=1), alarm_ids=[world.ids["a_cleared"]],
        root_alarm_id=world.ids["a_cleared"], reason="ethernet-1/2 oper-status down",
    )  # fmt: skip
    open_ = ServiceProblem(
        id=SP_OPEN, service_id=l2.id, customer_id="CUST-2", state=ProblemState.IN_PROGRESS,
        opened_at=NOW - timedelta(minutes=30), state_changed=NOW - timedelta(minutes=29),
        alarm_ids=[world.ids["a_root"]], root_alarm_id=world.ids["a_root"], reason="device unreachable: timeout",
    )  # fmt: skip
    evil_problem = ServiceProblem(
        id=SP_EVIL, service_id=evil.id, customer_id="CUST-EVIL", state=ProblemState.IN_PROGRESS,
        opened_at=NOW - timedelta(minutes=5), state_changed=NOW - timedelta(minutes=5),
        alarm_ids=[world.ids["a_hostile"]], root_alarm_id=world.ids["a_hostile"], reason=HOSTILE_TEXT,
    )  # fmt: skip
    session.add_all([resolved, open_, evil_problem])
    session.flush()

    contacts = {(c.customer_id, c.kind): c for c in session.scalars(select(CustomerContact))}
    one_mail, one_hook = contacts[("CUST-1", "email")], contacts[("CUST-1", "webhook")]
    session.add_all(
        [
            _message("CM-WEB-1", resolved, one_mail, "interrupted", state=MessageState.COMPLETED, try_times=1,
                     created_at=resolved.opened_at + timedelta(seconds=20), sent_at=resolved.opened_at + timedelta(seconds=40)),
            _message("CM-WEB-2", resolved, one_hook, "interrupted", state=MessageState.FAILED, try_times=3,
                     created_at=resolved.opened_at + timedelta(seconds=20), sent_at=None, last_error="HTTP 500 from the listener"),
            _message("CM-WEB-3", resolved, one_mail, "restored", state=MessageState.COMPLETED, try_times=1,
                     created_at=NOW - timedelta(minutes=59), sent_at=NOW - timedelta(minutes=58)),
            _message("CM-WEB-4", open_, contacts[("CUST-2", "email")], "interrupted", state=MessageState.INITIAL,
                     created_at=NOW - timedelta(minutes=29)),
            _message("CM-WEB-EVIL", evil_problem, contacts[("CUST-EVIL", "webhook")], "interrupted",
                     subject=XSS_SCRIPT, content=HOSTILE_TEXT, recipient=XSS_ATTR, state=MessageState.IN_PROGRESS,
                     try_times=1, created_at=NOW - timedelta(minutes=4), last_error=XSS_SCRIPT),
        ]
    )  # fmt: skip
    changes = credit_for_problem(session, resolved, NOW)
    assert changes, "the fixture outage should earn a credit"
    world.refs["credit"] = changes[-1].record.id
    # A month-end adjustment of last month, as agent.bss month end writes them.
    last = previous_month(NOW)
    m0, m1 = month_bounds(last)
    session.add(
        CreditRecord(id=CREDIT_MONTH_END, dedup_key=f"month:{l2.id}:{last}", kind="month-end", customer_id="CUST-2",
                     billing_account_id="BA-2", service_id=l2.id, problem_id=None, month=last, period_start=m0,
                     period_end=m1, unavailable_minutes=Decimal("300"), availability_pct=Decimal("98.6"),
                     credit_pct=Decimal("10"), amount=Decimal("34.90"), currency="EUR", created_at=m1, updated_at=m1)
    )  # fmt: skip

    for api in APIS:
        sub = HubSubscription(api=api.api, callback=PUBLIC_CALLBACK, query="", created_by="admin")
        session.add(sub)
        session.flush()
        world.ids[f"hub_{api.name}"] = sub.id
    session.flush()


_tags = itertools.count(1)


def previous_month(now: datetime | None = None) -> str:
    start, _ = month_bounds(month_of(now or datetime.now(UTC)))
    return month_of(start - timedelta(days=1))


def make_resolved_problem(world: World, *, minutes: int = 150, planned: bool = False) -> tuple[str, str, str]:
    """A fresh customer with one Business Internet 100M subscription (SLA-STANDARD, planned
    work excluded) and one resolved outage of ``minutes`` on the 10th of last month, with its
    credit computed as the agent does. Returns (customer id, problem id, month)."""
    tag = f"{next(_tags)}-{uuid.uuid4().hex[:6]}"
    month = previous_month()
    start = month_bounds(month)[0] + timedelta(days=9, hours=10)
    with world.sessions.begin() as s:
        load_seed(s, {"customers": [{"id": f"CUST-R{tag}", "name": f"Reclassify {tag}",
                                     "billing_accounts": [{"id": f"BA-R{tag}", "currency": "EUR"}]}]})  # fmt: skip
        svc = Service(external_id=f"SVC-R{tag}", name=f"reclassify {tag}", service_type="internet-access",
                      state=ServiceState.ACTIVE, customer_ref=f"CUST-R{tag}")  # fmt: skip
        s.add(svc)
        s.flush()
        s.add(Subscription(service_id=svc.id, customer_id=f"CUST-R{tag}", billing_account_id=f"BA-R{tag}",
                           offering_id="OFF-INET-100M", monthly_price=199, currency="EUR",
                           started_at=start - timedelta(days=60)))  # fmt: skip
        problem = ServiceProblem(id=f"SP-R{tag}", service_id=svc.id, customer_id=f"CUST-R{tag}",
                                 state=ProblemState.RESOLVED, planned=planned, opened_at=start,
                                 resolved_at=start + timedelta(minutes=minutes), state_changed=start,
                                 alarm_ids=[], reason="test outage")  # fmt: skip
        s.add(problem)
        s.flush()
        credit_for_problem(s, problem, start + timedelta(minutes=minutes, seconds=5))
    return f"CUST-R{tag}", f"SP-R{tag}", month


def credits_of(world: World, problem_id: str) -> list[CreditRecord]:
    with world.sessions() as s:
        rows = list(s.scalars(select(CreditRecord).where(CreditRecord.problem_id == problem_id)))
        s.expunge_all()
        return rows


def outbox_events(world: World, event_type: str) -> list[OutboxMessage]:
    with world.sessions() as s:
        rows = list(
            s.scalars(
                select(OutboxMessage).where(OutboxMessage.event_type == event_type).order_by(OutboxMessage.id)
            )
        )
        s.expunge_all()
        return rows


# -- the ordering inventory ---------------------------------------------------------------------

PE_PORTS = [f"ethernet-1/{n}" for n in range(1, 9)]
ACC_PORTS = [f"Ethernet{n}" for n in range(1, 9)]


def build_order_inventory(session: Session) -> None:
    """The demo seed and two reachable devices with configuration access: pe1 (srlinux,
    NETCONF; its ethernet-1/1 is a network link) and acc1 (eos, CLI)."""
    load_seed_file(session, DEMO_SEED)
    for name, platform, ports in (("pe1", "srlinux", PE_PORTS), ("acc1", "eos", ACC_PORTS)):
        d = Device(name=name, host="192.0.2.9", status=DeviceStatus.UP, platform=platform)
        for i, p in enumerate(ports, 1):
            d.interfaces.append(Interface(if_index=i, name=p, speed_bps=10**10, admin_status=IfStatus.UP,
                                          oper_status=IfStatus.UP))  # fmt: skip
        session.add(d)
        session.flush()
        driver = "netconf" if platform == "srlinux" else "cli"
        set_config_access(
            session, d, ConfigAccessSpec(driver, platform, 830, "admin", Secret("pw-canary-XYZ"))
        )
    pe1 = session.scalars(select(Device).where(Device.name == "pe1")).one()
    session.add(Link(local_interface_id=pe1.interfaces[0].id, remote_sys_name="core1", remote_chassis_id="x",
                     remote_port_id="Ethernet2"))  # fmt: skip
    session.flush()


_vlans = itertools.count(100)


def order_body(*, customer: str = "CUST-42", vlan: int | None = None, port: str | None = None,
               external_id: str | None = None, **over: Any) -> dict[str, Any]:  # fmt: skip
    """A valid TMF622 order for Business Internet 100M on pe1; each call takes a fresh VLAN
    (and externalId) unless told, so that orders never collide by accident."""
    vlan = next(_vlans) if vlan is None else vlan
    body: dict[str, Any] = {
        "externalId": external_id or f"CRM-{uuid.uuid4().hex[:8]}",
        "relatedParty": [{"id": customer, "role": "customer", "@referredType": "Customer"}],
        "productOrderItem": [
            {
                "id": "1",
                "action": "add",
                "productOffering": {"id": "OFF-INET-100M"},
                "product": {"productCharacteristic": [
                    {"name": "accessNode", "value": "pe1"},
                    {"name": "accessPort", "value": port or "ethernet-1/5"},
                    {"name": "vlan", "value": vlan},
                    {"name": "ipv4Address", "value": "192.0.2.1/30"},
                ]},
            }
        ],
    }  # fmt: skip
    body.update(over)
    return body


def row_counts(world: World) -> tuple[int, int, int]:
    """(orders, transactions, services)."""
    with world.sessions() as s:
        return (
            int(s.scalar(select(func.count()).select_from(ProductOrder)) or 0),
            int(s.scalar(select(func.count()).select_from(Transaction)) or 0),
            int(s.scalar(select(func.count()).select_from(Service)) or 0),
        )
