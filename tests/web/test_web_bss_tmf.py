"""The BSS-facing TM Forum APIs on the shared inventory: every list's filters, field
selection, paging and count headers; retrieval and 404s; listener registration on each API;
reclassifying an outage (its credit recomputed in place and announced); creating customers
(TMF629) with field errors, and never showing a webhook's secret."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from inventory.bss_models import Customer, ServiceProblem
from inventory.choices import Role
from inventory.fault_models import HubSubscription, OutboxMessage
from tests.web.bsstesting import (
    CREDIT_MONTH_END,
    MESSAGES,
    ORDER_CANCELLED,
    ORDER_DONE,
    ORDER_EVIL,
    ORDER_FAILED,
    ORDER_RUNNING,
    SP_EVIL,
    SP_OPEN,
    SP_RESOLVED,
    credits_of,
    make_resolved_problem,
    previous_month,
)
from tests.web.faulttesting import PUBLIC_CALLBACK
from tests.web.provtesting import SVC_EVIL, SVC_IA, SVC_L2
from tests.web.webtesting import NOW, WEBHOOK_SECRET, World, bearer
from web.tmf.bss_blueprints import APIS, BILL, PROBLEM

ORDERING = "/tmf-api/productOrderingManagement/v4"
SERVICE_ORDERING = "/tmf-api/serviceOrdering/v4"
CATALOG = "/tmf-api/productCatalogManagement/v4"
CUSTOMERS = "/tmf-api/customerManagement/v4"
SERVICES = "/tmf-api/serviceInventory/v4"
RESOURCES = "/tmf-api/resourceInventoryManagement/v4"
PROBLEMS = "/tmf-api/serviceProblemManagement/v4"
MESSAGES_API = "/tmf-api/communicationManagement/v4"
BILLS = "/tmf-api/customerBillManagement/v4"


def iso(dt: Any) -> str:
    return str(dt.isoformat().replace("+00:00", "Z"))


@pytest.fixture
def tmf(app: Flask, world: World) -> Callable[..., Any]:
    """GET as a viewer (reads are for every role)."""
    client = app.test_client()

    def get(path: str, **query: Any) -> Any:
        return client.get(path, query_string=query, headers=bearer(world, Role.VIEWER))

    return get


def ids(resp: Any) -> list[str]:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return [d["id"] for d in resp.get_json()]


def tmf_error(resp: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.get_data(as_text=True)[:500]
    body: dict[str, Any] = resp.get_json()
    assert body["code"] == body["status"] == str(status) and body["reason"] and body["message"]
    if field is not None:
        assert body["message"].startswith(f"{field}:") or any(
            e["field"] == field for e in body.get("x_fieldErrors", [])
        ), body
    return body


# Every list: (path, a filter that keeps some rows, the ids expected in them).
LISTS = [
    f"{ORDERING}/productOrder",
    f"{SERVICE_ORDERING}/serviceOrder",
    f"{CATALOG}/productOffering",
    f"{CUSTOMERS}/customer",
    f"{SERVICES}/service",
    f"{RESOURCES}/resource",
    f"{PROBLEMS}/serviceProblem",
    f"{MESSAGES_API}/communicationMessage",
    f"{BILLS}/appliedCustomerBillingRate",
]


@pytest.mark.parametrize("path", LISTS)
def test_every_list_pages_selects_fields_and_counts(tmf: Any, path: str) -> None:
    everything = tmf(path, limit=1000)
    all_ids = ids(everything)
    total = int(everything.headers["X-Total-Count"])
    assert total == len(all_ids) == int(everything.headers["X-Result-Count"]) and total >= 2
    assert len(set(all_ids)) == total
    page = tmf(path, offset=1, limit=1)
    assert ids(page) == all_ids[1:2]
    assert page.headers["X-Total-Count"] == str(total) and page.headers["X-Result-Count"] == "1"
    past = tmf(path, offset=total, limit=5)
    assert ids(past) == [] and past.headers["X-Total-Count"] == str(total)
    slim = tmf(path, fields="name", limit=3).get_json()
    assert all(set(d) <= {"id", "href", "@type", "name"} and {"id", "href"} <= set(d) for d in slim)
    tmf_error(tmf(path, colour="red"), 400, "colour")
    tmf_error(tmf(path, limit=0), 400)
    tmf_error(tmf(path, offset="x"), 400)


def test_order_filters(tmf: Any, world: World) -> None:
    path = f"{ORDERING}/productOrder"
    everything = ids(tmf(path))
    assert everything[:2] == [ORDER_RUNNING, ORDER_EVIL]  # newest first
    assert set(ids(tmf(path, state="failed"))) == {ORDER_FAILED, ORDER_EVIL}
    assert set(ids(tmf(path, state="failed,completed"))) == {ORDER_FAILED, ORDER_EVIL, ORDER_DONE}
    assert set(ids(tmf(path, state=["cancelled", "completed"]))) == {ORDER_CANCELLED, ORDER_DONE}
    assert ids(tmf(path, externalId=f"CRM-{ORDER_DONE}")) == [ORDER_DONE]
    assert set(ids(tmf(path, **{"relatedParty.id": "CUST-2"}))) == {ORDER_RUNNING, ORDER_FAILED}
    recent = set(ids(tmf(path, **{"orderDate.gt": iso(NOW - timedelta(hours=1))})))
    assert recent == {ORDER_RUNNING, ORDER_FAILED, ORDER_EVIL}
    window = {
        "orderDate.gte": iso(NOW - timedelta(hours=3)),
        "orderDate.lt": iso(NOW - timedelta(minutes=40)),
    }
    assert set(ids(tmf(path, **window))) == {ORDER_DONE, ORDER_FAILED}
    assert ids(tmf(path, state="failed", **{"relatedParty.id": "CUST-1"})) == []
    tmf_error(tmf(path, state="finished"), 400, "state")
    tmf_error(tmf(path, **{"orderDate.gt": "yesterday"}), 400, "orderDate.gt")
    tmf_error(tmf(path, orderDate=iso(NOW)), 400, "orderDate")
    one = tmf(f"{path}/{ORDER_DONE}", fields="state").get_json()
    assert one == {
        "id": ORDER_DONE,
        "href": f"{path}/{ORDER_DONE}",
        "@type": "ProductOrder",
        "state": "completed",
    }
    tmf_error(tmf(f"{path}/PO-NOPE"), 404)
    cancel = tmf(f"{ORDERING}/cancelProductOrder/{ORDER_CANCELLED}-cancel").get_json()
    assert cancel["state"] == "done" and cancel["productOrder"]["id"] == ORDER_CANCELLED
    tmf_error(tmf(f"{ORDERING}/cancelProductOrder/{ORDER_DONE}-cancel"), 404)


def test_service_orders_mirror_the_product_orders(tmf: Any) -> None:
    path = f"{SERVICE_ORDERING}/serviceOrder"
    assert ids(tmf(path))[:2] == [f"SO-{ORDER_RUNNING}", f"SO-{ORDER_EVIL}"]
    assert ids(tmf(path, id=f"SO-{ORDER_DONE}")) == [f"SO-{ORDER_DONE}"]
    assert ids(tmf(path, externalId=ORDER_FAILED)) == [f"SO-{ORDER_FAILED}"]
    assert ids(tmf(path, id=ORDER_DONE)) == []  # not a service order id
    assert ids(tmf(path, id=f"SO-{ORDER_DONE}", externalId=ORDER_FAILED)) == []
    doc = tmf(f"{path}/SO-{ORDER_FAILED}").get_json()
    assert doc["externalId"] == ORDER_FAILED and doc["state"] == "failed"
    assert doc["orderRelationship"][0]["id"] == ORDER_FAILED
    assert doc["serviceOrderItem"][0]["service"]["id"] == SVC_L2
    tmf_error(tmf(f"{path}/{ORDER_FAILED}"), 404)


def test_catalog_offerings(tmf: Any) -> None:
    path = f"{CATALOG}/productOffering"
    assert ids(tmf(path)) == ["OFF-INET-100M", "OFF-INET-1G", "OFF-L2VPN-P2P"]
    assert ids(tmf(path, name="L2 VPN point-to-point")) == ["OFF-L2VPN-P2P"]
    assert ids(tmf(path, lifecycleStatus="Retired")) == []
    doc = tmf(f"{path}/OFF-INET-100M").get_json()
    assert doc["name"] == "Business Internet 100M" and doc["lifecycleStatus"] == "Active"
    price = doc["productOfferingPrice"][0]
    assert price["priceType"] == "recurring" and price["recurringChargePeriodType"] == "month"
    assert price["price"] == {"unit": "EUR", "value": 199}
    chars = {c["name"]: c for c in doc["productSpecCharacteristic"]}
    assert set(chars) == {"accessNode", "accessPort", "vlan", "ipv4Address", "customerPrefix"}
    assert chars["vlan"]["valueType"] == "integer" and chars["vlan"]["minCardinality"] == 1
    assert chars["customerPrefix"]["minCardinality"] == 0
    sla = doc["serviceLevelAgreement"]
    assert sla["id"] == "SLA-STANDARD" and sla["x_targetAvailabilityPct"] == 99.9
    assert sla["x_creditBands"][0] == {"availabilityBelowPct": 99.9, "creditPct": 10}
    assert sla["x_creditCapPct"] == 50 and sla["x_excludesPlannedWork"] is True
    assert (
        tmf(f"{path}/OFF-L2VPN-P2P").get_json()["serviceLevelAgreement"]["x_businessHours"]["start"]
        == "08:00"
    )
    tmf_error(tmf(f"{path}/OFF-NOPE"), 404)


def test_customers(tmf: Any) -> None:
    path = f"{CUSTOMERS}/customer"
    everything = ids(tmf(path, limit=1000))
    assert {"CUST-1", "CUST-2", "CUST-EVIL", "CUST-42", "CUST-77"} <= set(everything)
    assert everything == sorted(everything)
    assert ids(tmf(path, id="CUST-42,CUST-77")) == ["CUST-42", "CUST-77"]
    assert ids(tmf(path, name="Acme Ltd")) == ["CUST-42"]
    doc = tmf(f"{path}/CUST-1").get_json()
    assert doc["name"] == "Customer One" and doc["status"] == "approved"
    assert doc["account"] == [
        {"id": "BA-1", "name": "One main", "@referredType": "BillingAccount", "x_currency": "EUR"}
    ]
    media = {m["mediumType"]: m["characteristic"] for m in doc["contactMedium"]}
    assert media["email"] == {"contactType": "One NOC", "emailAddress": "noc@one.example"}
    assert media["webhook"] == {"contactType": "One ticketing", "x_url": "https://hooks.one.example/oss"}
    tmf_error(tmf(f"{path}/CUST-NOPE"), 404)


def test_service_inventory(tmf: Any) -> None:
    path = f"{SERVICES}/service"
    assert {SVC_IA, SVC_L2, SVC_EVIL} <= set(ids(tmf(path, limit=1000)))
    assert ids(tmf(path, **{"relatedParty.id": "CUST-1"})) == [SVC_IA]
    assert set(ids(tmf(path, state="active", serviceType="l2vpn-p2p"))) == {SVC_L2}
    assert ids(tmf(path, state="inactive")) == [SVC_EVIL]
    doc = tmf(f"{path}/{SVC_IA}").get_json()
    assert doc["state"] == "active" and doc["serviceSpecification"]["id"] == "internet-access"
    chars = {c["name"]: c["value"] for c in doc["serviceCharacteristic"]}
    assert chars["device"] == "old32" and chars["vlan"] == 100 and chars["bandwidth_mbps"] == 100
    assert doc["relatedParty"] == [{"id": "CUST-1", "role": "customer", "@referredType": "Customer"}]
    assert {(r["id"], r["@referredType"]) for r in doc["supportingResource"]} == {
        ("old32", "PhysicalResource"),
        ("old32:port1", "LogicalResource"),
    }
    assert (
        doc["startDate"] and doc["hasStarted"] is True and doc["x_productOffering"]["id"] == "OFF-INET-100M"
    )
    l2 = tmf(f"{path}/{SVC_L2}").get_json()
    assert {r["id"] for r in l2["supportingResource"]} == {"r1", "r2"}
    tmf_error(tmf(f"{path}/SVC-NOPE"), 404)


def test_resource_inventory(tmf: Any, world: World) -> None:
    path = f"{RESOURCES}/resource"
    everything = tmf(path, limit=1000).get_json()
    kinds = [d["@type"] for d in everything]
    assert kinds == sorted(kinds, key=lambda k: k != "PhysicalResource")  # devices, then interfaces
    devices = [d["id"] for d in everything if d["@type"] == "PhysicalResource"]
    assert devices == ["down1", "evil", "new1", "old32", "r1", "r2"]
    assert ids(tmf(path, **{"@type": "PhysicalResource", "operationalState": "disable"})) == ["down1"]
    assert ids(tmf(path, name="ethernet-1/1")) == ["r1:ethernet-1/1", "r2:ethernet-1/1"]
    down = set(ids(tmf(path, **{"@type": "LogicalResource", "operationalState": "disable"})))
    assert down == {"r1:ethernet-1/2", "r1:ethernet-1/3", "old32:port2"}
    assert ids(tmf(path, **{"resourceRelationship.resource.id": "old32"})) == [
        "old32",
        "old32:port1",
        "old32:port2",
    ]
    # Paging across the boundary between devices and interfaces.
    assert ids(tmf(path, offset=5, limit=3)) == [d["id"] for d in everything[5:8]]
    port = tmf(f"{path}/r1%3Aethernet-1%2F2").get_json()
    assert port["operationalState"] == "disable" and port["administrativeState"] == "unlocked"
    rel = port["resourceRelationship"][0]
    assert rel["relationshipType"] == "isContainedIn" and rel["resource"]["id"] == "r1"
    r1 = tmf(f"{path}/r1").get_json()
    assert r1["@type"] == "PhysicalResource" and r1["operationalState"] == "enable"
    assert "snmp" not in str(r1).lower() or "community" not in str(r1).lower()
    tmf_error(tmf(f"{path}/r1:nope"), 404)
    tmf_error(tmf(f"{path}/nope"), 404)
    tmf_error(tmf(path, operationalState="on"), 400, "operationalState")


def test_resource_list_costs_the_same_statements_for_any_page(app: Flask, world: World) -> None:
    from sqlalchemy import event

    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    engine = app.extensions["ossagent_store"].engine
    event.listen(engine, "before_cursor_execute", count)
    client = app.test_client()
    try:
        costs = []
        for limit in (1, 5, 100):
            statements.clear()
            assert (
                client.get(f"{RESOURCES}/resource?offset=2&limit={limit}", headers=bearer(world)).status_code
                == 200
            )
            costs.append(len(statements))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert costs[1] == costs[2] and costs[2] <= costs[0] + 1, costs


def test_problems_and_messages(tmf: Any) -> None:
    path = f"{PROBLEMS}/serviceProblem"
    # Newest first; tests that reclassify add outages of last month, which sort after these.
    assert ids(tmf(path))[:3] == [SP_EVIL, SP_OPEN, SP_RESOLVED]
    today = {"creationDate.gt": iso(NOW - timedelta(days=1))}
    assert ids(tmf(path, status="resolved", **today)) == [SP_RESOLVED]
    assert ids(tmf(path, status="inProgress,acknowledged")) == [SP_EVIL, SP_OPEN]
    assert ids(tmf(path, **{"affectedService.id": SVC_L2})) == [SP_OPEN]
    assert ids(tmf(path, **{"relatedParty.id": "CUST-1"})) == [SP_RESOLVED]
    assert ids(tmf(path, **{"creationDate.gt": iso(NOW - timedelta(hours=1))})) == [SP_EVIL, SP_OPEN]
    assert ids(tmf(path, **{"creationDate.lt": iso(NOW - timedelta(hours=1))}))[0] == SP_RESOLVED
    doc = tmf(f"{path}/{SP_RESOLVED}").get_json()
    assert doc["status"] == "resolved" and doc["resolutionDate"] and doc["creationDate"]
    assert doc["affectedService"][0]["id"] == SVC_IA and doc["characteristic"] == [
        {"name": "planned", "value": False}
    ]
    tmf_error(tmf(path, status="open"), 400, "status")
    tmf_error(tmf(f"{path}/SP-NOPE"), 404)

    mpath = f"{MESSAGES_API}/communicationMessage"
    assert set(ids(tmf(mpath, limit=100))) == set(MESSAGES)
    assert set(ids(tmf(mpath, serviceProblemId=SP_RESOLVED))) == {"CM-WEB-1", "CM-WEB-2", "CM-WEB-3"}
    assert ids(tmf(mpath, state="failed")) == ["CM-WEB-2"]
    assert set(ids(tmf(mpath, **{"receiver.id": "CUST-2"}))) == {"CM-WEB-4"}
    assert set(ids(tmf(mpath, messageType="Webhook"))) == {"CM-WEB-2", "CM-WEB-EVIL"}
    failed = tmf(f"{mpath}/CM-WEB-2").get_json()
    assert failed["tryTimes"] == 3 and failed["messageType"] == "Webhook" and failed["state"] == "failed"
    assert {"name": "serviceProblemId", "value": SP_RESOLVED} in failed["characteristic"]
    tmf_error(tmf(f"{mpath}/CM-NOPE"), 404)


def test_credits(tmf: Any, world: World) -> None:
    path = f"{BILLS}/appliedCustomerBillingRate"
    credit = world.refs["credit"]
    assert credit in ids(tmf(path))
    assert ids(tmf(path, **{"billingAccount.id": "BA-1"})) == [credit]
    assert ids(tmf(path, **{"billingAccount.id": "BA-2"})) == [CREDIT_MONTH_END]
    assert ids(tmf(path, **{"billingAccount.id": "BA-EVIL"})) == []
    assert ids(tmf(path, x_customer="CUST-2", month=previous_month(NOW))) == [CREDIT_MONTH_END]
    assert ids(tmf(path, **{"x_serviceProblem.id": SP_RESOLVED})) == [credit]
    assert credit in ids(tmf(path, type="appliedBillingCredit"))
    assert credit in ids(tmf(path, appliedBillingRateType="appliedBillingCredit"))
    assert ids(tmf(path, type="appliedBillingCharge")) == []
    doc = tmf(f"{path}/{credit}").get_json()
    month = next(c["value"] for c in doc["characteristic"] if c["name"] == "month")
    assert credit in ids(tmf(path, month=month))
    assert ids(tmf(path, month="1999-01")) == []
    assert ids(tmf(path, **{"date.gt": iso(NOW + timedelta(minutes=1))})) == []
    assert credit in ids(tmf(path, **{"date.lte": iso(NOW + timedelta(minutes=1))}))
    assert doc["type"] == "appliedBillingCredit" and doc["isBilled"] is False
    assert doc["product"]["id"] == SVC_IA and doc["billingAccount"] == {"id": "BA-1"}
    assert doc["taxExcludedAmount"] == {"unit": "EUR", "value": 19.9}  # 10 % of 199.00
    assert doc["x_serviceProblem"]["id"] == SP_RESOLVED and doc["x_revision"] == 1
    tmf_error(tmf(path, month="2026-13"), 400, "month")
    tmf_error(tmf(f"{path}/ACBR-NOPE"), 404)
    # Read-only, as the specification has it.
    client = world.app.test_client()
    assert client.post(path, json={}, headers=bearer(world, Role.ADMIN)).status_code == 405


# -- listener registration on each API -------------------------------------------------------------


@pytest.mark.parametrize("api", APIS, ids=[a.name for a in APIS])
def test_hub_registration_on_each_api(app: Flask, world: World, api: Any) -> None:
    client = app.test_client()
    engineer = bearer(world, Role.ENGINEER)
    resp = client.post(f"{api.base}/hub", json={"callback": PUBLIC_CALLBACK + "/x", "query": "eventType=X"},
                       headers=engineer)  # fmt: skip
    assert resp.status_code == 201, resp.get_json()
    doc = resp.get_json()
    assert resp.headers["Location"] == f"{api.base}/hub/{doc['id']}" == doc["href"]
    with world.sessions() as s:
        row = s.get(HubSubscription, int(doc["id"]))
        assert row is not None and row.api == api.api and row.created_by == "engineer"
    assert client.get(doc["href"], headers=engineer).get_json() == doc
    # A registration of another API is not found here.
    tmf_error(client.get(f"{api.base}/hub/{world.ids['hub']}", headers=engineer), 404)
    tmf_error(client.get(doc["href"], headers=bearer(world, Role.VIEWER)), 403)
    tmf_error(
        client.post(f"{api.base}/hub", json={"callback": "http://10.0.0.1/x"}, headers=engineer),
        400,
        "callback",
    )
    tmf_error(client.post(f"{api.base}/hub", json={"query": "x"}, headers=engineer), 400, "callback")
    assert client.delete(doc["href"], headers=engineer).status_code == 204
    tmf_error(client.delete(doc["href"], headers=engineer), 404)


# -- reclassifying an outage ---------------------------------------------------------------------------


def _patch(
    world: World,
    problem_id: str,
    body: Any,
    role: Role = Role.ENGINEER,
    ctype: str = "application/merge-patch+json",
) -> Any:
    import json

    return world.app.test_client().patch(
        f"{PROBLEMS}/serviceProblem/{problem_id}",
        data=json.dumps(body),
        headers={**bearer(world, role), "Content-Type": ctype},
    )


def test_reclassify_as_planned_recomputes_the_credit_in_place(world: World) -> None:
    client = world.app.test_client()
    engineer = bearer(world, Role.ENGINEER)
    hubs = [
        client.post(
            f"{api.base}/hub", json={"callback": PUBLIC_CALLBACK + "/reclass"}, headers=engineer
        ).get_json()
        for api in (PROBLEM, BILL)
    ]
    customer, problem_id, month = make_resolved_problem(world, minutes=150)
    (before,) = credits_of(world, problem_id)
    assert before.revision == 1 and before.amount == Decimal("19.90") and before.month == month

    resp = _patch(world, problem_id, {"characteristic": [{"name": "planned", "value": True}]})
    assert resp.status_code == 200, resp.get_json()
    assert {"name": "planned", "value": True} in resp.get_json()["characteristic"]
    (after,) = credits_of(world, problem_id)  # the same record, recomputed
    assert after.id == before.id and after.revision == 2 and after.amount == Decimal("0.00")
    with world.sessions() as s:
        assert s.get(ServiceProblem, problem_id).planned is True  # type: ignore[union-attr]
        events = list(
            s.scalars(select(OutboxMessage).where(OutboxMessage.target == PUBLIC_CALLBACK + "/reclass"))
        )
    by_type = {e.event_type: e.payload for e in events}
    assert by_type["ServiceProblemAttributeValueChangeEvent"]["event"]["serviceProblem"]["id"] == problem_id
    rate = by_type["AppliedCustomerBillingRateAttributeValueChangeEvent"]["event"][
        "appliedCustomerBillingRate"
    ]
    assert rate["id"] == before.id and rate["taxExcludedAmount"]["value"] == 0.0 and rate["x_revision"] == 2

    # The same again changes nothing; back to unplanned restores the credit (revision 3).
    assert (
        _patch(world, problem_id, {"characteristic": [{"name": "planned", "value": True}]}).status_code == 200
    )
    assert credits_of(world, problem_id)[0].revision == 2
    assert (
        _patch(
            world,
            problem_id,
            {"characteristic": [{"name": "planned", "value": "false"}]},
            ctype="application/json",
        ).status_code
        == 200
    )
    (again,) = credits_of(world, problem_id)
    assert again.id == before.id and again.revision == 3 and again.amount == Decimal("19.90")
    statement = client.get(
        f"/api/v1/customers/{customer}/statement", query_string={"month": month}, headers=engineer
    )
    assert statement.get_json()["total_credits"] == "19.90"
    for h in hubs:
        client.delete(h["href"], headers=engineer)


def test_reclassify_refuses_bad_input(world: World) -> None:
    tmf_error(
        _patch(world, SP_OPEN, {"characteristic": [{"name": "planned", "value": True}]}, role=Role.VIEWER),
        403,
    )
    tmf_error(_patch(world, "SP-NOPE", {"characteristic": [{"name": "planned", "value": True}]}), 404)
    tmf_error(_patch(world, SP_OPEN, {"status": "resolved"}), 400, "status")
    tmf_error(_patch(world, SP_OPEN, {"characteristic": []}), 400, "characteristic")
    tmf_error(
        _patch(world, SP_OPEN, {"characteristic": [{"name": "priority", "value": 1}]}),
        400,
        "characteristic[0].name",
    )
    tmf_error(
        _patch(world, SP_OPEN, {"characteristic": [{"name": "planned", "value": "maybe"}]}),
        400,
        "characteristic[0].value",
    )
    tmf_error(
        _patch(world, SP_OPEN, {"characteristic": [{"name": "planned", "value": True}]}, ctype="text/plain"),
        415,
    )
    with world.sessions() as s:
        assert s.get(ServiceProblem, SP_OPEN).planned is False  # type: ignore[union-attr]


# -- TMF629: creating customers --------------------------------------------------------------------


def _create(world: World, body: Any, role: Role = Role.ENGINEER) -> Any:
    return world.app.test_client().post(f"{CUSTOMERS}/customer", json=body, headers=bearer(world, role))


def test_create_a_customer(world: World) -> None:
    body = {
        "name": "Initech",
        "contactMedium": [
            {
                "mediumType": "email",
                "characteristic": {"emailAddress": "noc@initech.example", "contactType": "NOC"},
            },
            {
                "mediumType": "webhook",
                "characteristic": {"x_url": "https://93.184.215.14/initech", "x_secret": WEBHOOK_SECRET},
            },
        ],
        "account": [{"id": "BA-INITECH", "name": "Initech", "x_currency": "USD"}],
        "@type": "Customer",
    }
    resp = _create(world, body)
    assert resp.status_code == 201, resp.get_json()
    doc = resp.get_json()
    assert doc["id"].startswith("CUST-") and doc["name"] == "Initech" and doc["status"] == "approved"
    assert resp.headers["Location"] == f"{CUSTOMERS}/customer/{doc['id']}" == doc["href"]
    assert doc["account"][0]["id"] == "BA-INITECH" and doc["account"][0]["x_currency"] == "USD"
    assert [m["mediumType"] for m in doc["contactMedium"]] == ["email", "webhook"]
    assert WEBHOOK_SECRET not in resp.get_data(as_text=True)
    assert "x_secret" not in str(doc)
    with world.sessions() as s:
        customer = s.get(Customer, doc["id"])
        assert customer is not None
        hook = next(c for c in customer.contacts if c.kind == "webhook")
        assert hook.secret is not None and hook.secret.reveal() == WEBHOOK_SECRET  # kept, encrypted
    named = _create(world, {"id": "CUST-INITECH-2", "name": "Initech two"})
    assert named.status_code == 201 and named.get_json()["id"] == "CUST-INITECH-2"
    tmf_error(_create(world, {"id": "CUST-INITECH-2", "name": "again"}), 409, "id")
    got = world.app.test_client().get(named.headers["Location"], headers=bearer(world, Role.VIEWER))
    assert got.get_json()["name"] == "Initech two"


def test_customer_refusals_name_every_field(world: World) -> None:
    with world.sessions() as s:
        before = len(list(s.scalars(select(Customer.id))))
    err = tmf_error(
        _create(
            world,
            {
                "id": "bad id!",
                "contactMedium": [
                    {"mediumType": "fax", "characteristic": {}},
                    {"mediumType": "email", "characteristic": {"emailAddress": "not-an-address"}},
                    {
                        "mediumType": "webhook",
                        "characteristic": {"x_url": "http://127.0.0.1/hook", "x_secret": "short"},
                    },
                ],
                "colour": "red",
            },
        ),
        400,
    )
    fields = {e["field"] for e in err["x_fieldErrors"]}
    assert {
        "id",
        "name",
        "colour",
        "contactMedium[0].mediumType",
        "contactMedium[1].characteristic.emailAddress",
        "contactMedium[2].characteristic.x_url",
        "contactMedium[2].characteristic.x_secret",
    } <= fields
    tmf_error(_create(world, {"name": "x"}, role=Role.VIEWER), 403)
    resp = world.app.test_client().post(
        f"{CUSTOMERS}/customer", data="name=x", headers=bearer(world, Role.ENGINEER)
    )
    tmf_error(resp, 415)
    with world.sessions() as s:
        assert len(list(s.scalars(select(Customer.id)))) == before
