"""TMF622 Product Ordering through the web: placing orders (each item decomposed into a
planned provisioning transaction, the create event in the outbox), refusals that name the
field and leave nothing behind, idempotent replays, cancellation before and after the start,
and concurrent duplicates against a real server (waitress) on SQLite and PostgreSQL."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from inventory import crypto
from inventory.accounts import create_token, create_user
from inventory.bss_models import ProductOrder
from inventory.choices import Role, ServiceState, TxState
from inventory.db import make_engine, session_factory
from inventory.fault_models import OutboxMessage, Service
from inventory.provisioning_models import Transaction
from tests.web.bsstesting import build_order_inventory, order_body, row_counts
from tests.web.faulttesting import PUBLIC_CALLBACK
from tests.web.webtesting import PASSWORD, SECRET_KEY, World, bearer, client_as
from web import create_app
from web.db import store

BASE = "/tmf-api/productOrderingManagement/v4"


def post(world: World, body: Any, key: str | None = None, role: Role = Role.ENGINEER, **kw: Any) -> Any:
    headers = bearer(world, role)
    if key is not None:
        headers["Idempotency-Key"] = key
    if "data" in kw:
        return world.app.test_client().post(f"{BASE}/productOrder", headers=headers, **kw)
    return world.app.test_client().post(f"{BASE}/productOrder", json=body, headers=headers)


def tmf_error(resp: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.get_data(as_text=True)[:500]
    body: dict[str, Any] = resp.get_json()
    assert body["code"] == body["status"] == str(status) and body["reason"] and body["message"]
    if field is not None:
        fields = {e["field"]: e["message"] for e in body.get("x_fieldErrors", [])}
        assert any(f == field or f.startswith(field) for f in fields), fields
    return body


def _tx(world: World, tx_id: str) -> Transaction:
    with world.sessions() as s:
        tx = s.get(Transaction, tx_id)
        assert tx is not None
        s.expunge_all()
        return tx


def test_a_good_order_is_acknowledged_with_a_planned_transaction_per_item(order_world: World) -> None:
    w = order_world
    hub = w.app.test_client().post(f"{BASE}/hub", json={"callback": PUBLIC_CALLBACK, "query": ""},
                                   headers=bearer(w, Role.ENGINEER))  # fmt: skip
    assert hub.status_code == 201, hub.get_json()
    before = row_counts(w)
    body = order_body(description="two sites")
    second = json.loads(json.dumps(body["productOrderItem"][0]))
    second["id"] = "2"
    second["product"]["productCharacteristic"][0]["value"] = "acc1"
    second["product"]["productCharacteristic"][1]["value"] = "Ethernet3"
    body["productOrderItem"].append(second)
    resp = post(w, body, key="good-1")
    assert resp.status_code == 201, resp.get_json()
    doc = resp.get_json()
    assert resp.headers["Location"] == f"{BASE}/productOrder/{doc['id']}" == doc["href"]
    assert doc["state"] == "acknowledged" and doc["externalId"] == body["externalId"]
    assert doc["description"] == "two sites" and doc["@type"] == "ProductOrder"
    assert doc["relatedParty"] == [{"id": "CUST-42", "role": "customer", "@referredType": "Customer"}]
    assert doc["billingAccount"] == {"id": "BA-42"}  # the customer's account, by default
    items = doc["productOrderItem"]
    assert [(i["id"], i["action"], i["state"]) for i in items] == [
        ("1", "add", "acknowledged"),
        ("2", "add", "acknowledged"),
    ]
    assert items[0]["productOffering"]["id"] == "OFF-INET-100M"
    for item in items:
        tx = _tx(w, item["x_provisioningTransaction"])
        assert tx.state is TxState.PLANNED and tx.origin == f"order:{doc['id']}:{item['id']}"
    assert row_counts(w) == (before[0] + 1, before[1] + 2, before[2] + 2)
    with w.sessions() as s:
        svc = s.scalars(select(Service).where(Service.external_id == items[0]["product"]["id"])).one()
        assert svc.state is ServiceState.RESERVED
        events = list(
            s.scalars(select(OutboxMessage).where(OutboxMessage.event_type == "ProductOrderCreateEvent"))
        )
    mine = [e for e in events if e.payload["event"]["productOrder"]["id"] == doc["id"]]
    assert len(mine) == 1 and mine[0].target == PUBLIC_CALLBACK
    assert (
        mine[0].payload["eventType"] == "ProductOrderCreateEvent"
        and mine[0].payload["eventId"] == mine[0].event_id
    )
    assert mine[0].payload["event"]["productOrder"]["state"] == "acknowledged"
    # Readable back, by any role.
    got = w.app.test_client().get(resp.headers["Location"], headers=bearer(w, Role.VIEWER))
    assert got.status_code == 200 and got.get_json() == doc
    w.app.test_client().delete(hub.headers["Location"], headers=bearer(w, Role.ENGINEER))


def _set_char(name: str, value: Any) -> Any:
    def mutate(body: dict[str, Any]) -> None:
        chars = body["productOrderItem"][0]["product"]["productCharacteristic"]
        for c in chars:
            if c["name"] == name:
                c["value"] = value

    return mutate


def _drop_char(name: str) -> Any:
    def mutate(body: dict[str, Any]) -> None:
        item = body["productOrderItem"][0]
        item["product"]["productCharacteristic"] = [
            c for c in item["product"]["productCharacteristic"] if c["name"] != name
        ]

    return mutate


@pytest.mark.parametrize(
    ("mutate", "field", "words"),
    [
        (lambda b: b["productOrderItem"][0]["productOffering"].update(id="OFF-NOPE"),
         "productOrderItem[0].productOffering.id", "unknown product offering"),
        (_drop_char("ipv4Address"), "productOrderItem[0].product.productCharacteristic[ipv4Address]", "required"),
        (_set_char("vlan", 5000), "productOrderItem[0].vlan", ""),
        (_set_char("accessPort", "ethernet-1/1"), "productOrderItem[0].product.productCharacteristic.port", "network link"),
        (_set_char("accessPort", "ethernet-9/9"), "productOrderItem[0].product.productCharacteristic.port", "no port"),
        (lambda b: b.update(relatedParty=[{"id": "CUST-NOPE", "role": "customer"}]), "relatedParty[customer].id", "unknown"),
        (lambda b: b.update(relatedParty="CUST-42"), "relatedParty", "list"),
        (lambda b: b.update(productOrderItem=[]), "productOrderItem", "required"),
    ],
    ids=["unknown-offering", "missing-characteristic", "vlan-out-of-range", "port-is-a-link", "no-such-port",
         "unknown-customer", "party-not-a-list", "no-items"],
)  # fmt: skip
def test_bad_orders_name_the_field_and_leave_nothing(
    order_world: World, mutate: Any, field: str, words: str
) -> None:
    body = order_body()
    mutate(body)
    before = row_counts(order_world)
    err = tmf_error(post(order_world, body, key=f"bad-{field}"), 400, field)
    assert words in err["message"]
    assert row_counts(order_world) == before


def test_a_port_another_customer_uses_is_refused(order_world: World) -> None:
    w = order_world
    assert post(w, order_body(port="ethernet-1/6")).status_code == 201
    assert post(w, order_body(port="ethernet-1/6")).status_code == 201  # the same customer: another VLAN
    before = row_counts(w)
    err = tmf_error(post(w, order_body(customer="CUST-77", port="ethernet-1/6")), 400,
                    "productOrderItem[0].product.productCharacteristic.port")  # fmt: skip
    assert "another customer" in err["message"]
    assert row_counts(w) == before


def test_malformed_oversized_and_mistyped_bodies(order_world: World) -> None:
    w = order_world
    before = row_counts(w)
    headers = {**bearer(w, Role.ENGINEER), "Content-Type": "application/json"}
    client = w.app.test_client()
    tmf_error(client.post(f"{BASE}/productOrder", data='{"relatedParty": [', headers=headers), 400)
    tmf_error(client.post(f"{BASE}/productOrder", data="[1, 2]", headers=headers), 400)
    big = json.dumps({**order_body(), "note": [{"text": "x" * (2 * 2**20)}]})
    tmf_error(client.post(f"{BASE}/productOrder", data=big, headers=headers), 413)
    as_text = {**bearer(w, Role.ENGINEER), "Content-Type": "text/plain"}
    tmf_error(client.post(f"{BASE}/productOrder", data=json.dumps(order_body()), headers=as_text), 415)
    # A charset parameter is fine.
    charset = {**bearer(w, Role.ENGINEER), "Content-Type": "application/json; charset=utf-8"}
    assert (
        client.post(f"{BASE}/productOrder", data=json.dumps(order_body()), headers=charset).status_code == 201
    )
    assert row_counts(w)[0] == before[0] + 1
    # Viewers read, they do not order.
    tmf_error(post(w, order_body(), role=Role.VIEWER), 403)
    assert row_counts(w)[0] == before[0] + 1


def test_idempotency_key_and_external_id_replays(order_world: World) -> None:
    w = order_world
    body = order_body()
    first = post(w, body, key="idem-1")
    assert first.status_code == 201
    before = row_counts(w)
    again = post(w, body, key="idem-1")
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    by_external_id = post(w, body)  # no key: the externalId names it
    assert by_external_id.status_code == 200 and by_external_id.get_json()["id"] == first.get_json()["id"]
    other = json.loads(json.dumps(body))
    other["productOrderItem"][0]["product"]["productCharacteristic"][2]["value"] += 1000
    err = tmf_error(post(w, other, key="idem-1"), 422, "Idempotency-Key")
    assert first.get_json()["id"] in err["message"]
    other["externalId"] = body["externalId"]
    tmf_error(post(w, other), 422, "externalId")  # the externalId reused with another body
    assert row_counts(w) == before
    # The v5 spelling of externalId, an array of identifiers, is taken too.
    v5 = order_body(external_id="placeholder")
    v5["externalId"] = [{"id": "CRM-V5-1", "owner": "crm"}]
    made = post(w, v5)
    assert made.status_code == 201 and made.get_json()["externalId"] == "CRM-V5-1"
    assert post(w, v5).get_json()["id"] == made.get_json()["id"]


def _cancel(world: World, order_id: str, role: Role = Role.ENGINEER) -> Any:
    return world.app.test_client().post(
        f"{BASE}/cancelProductOrder",
        json={"productOrder": {"id": order_id}, "cancellationReason": "the customer changed their mind"},
        headers=bearer(world, role),
    )


def test_cancel_before_the_start_and_not_after(order_world: World) -> None:
    w = order_world
    doc = post(w, order_body()).get_json()
    tmf_error(_cancel(w, doc["id"], role=Role.VIEWER), 403)
    resp = _cancel(w, doc["id"])
    assert resp.status_code == 201, resp.get_json()
    task = resp.get_json()
    assert task["state"] == "done" and task["productOrder"]["id"] == doc["id"]
    assert (
        task["cancellationReason"] == "the customer changed their mind" and task["effectiveCancellationDate"]
    )
    assert resp.headers["Location"] == task["href"] == f"{BASE}/cancelProductOrder/{doc['id']}-cancel"
    viewer = bearer(w, Role.VIEWER)
    assert w.app.test_client().get(task["href"], headers=viewer).get_json() == task
    order = w.app.test_client().get(doc["href"], headers=viewer).get_json()
    assert order["state"] == "cancelled" and order["cancellationReason"] == "the customer changed their mind"
    assert {i["state"] for i in order["productOrderItem"]} == {"cancelled"}
    tx = _tx(w, doc["productOrderItem"][0]["x_provisioningTransaction"])
    assert tx.state is TxState.ROLLED_BACK and "cancelled" in tx.error
    with w.sessions() as s:
        svc = s.scalars(
            select(Service).where(Service.external_id == doc["productOrderItem"][0]["product"]["id"])
        ).one()
        assert svc.state is ServiceState.TERMINATED  # the reservation is released
    tmf_error(_cancel(w, doc["id"]), 409)  # nothing left to cancel

    started = post(w, order_body()).get_json()
    with w.sessions.begin() as s:  # the agent claims the transaction
        s.execute(update(Transaction).where(Transaction.id == started["productOrderItem"][0]["x_provisioningTransaction"])
                  .values(state=TxState.PREPARING))  # fmt: skip
    err = tmf_error(_cancel(w, started["id"]), 409)
    assert "started" in err["message"]
    assert w.app.test_client().get(started["href"], headers=viewer).get_json()["state"] == "acknowledged"
    tmf_error(_cancel(w, "PO-NOPE"), 400, "productOrder.id")
    bad = w.app.test_client().post(f"{BASE}/cancelProductOrder", json={"cancellationReason": "x"},
                                   headers=bearer(w, Role.ENGINEER))  # fmt: skip
    tmf_error(bad, 400, "productOrder")
    assert (
        w.app.test_client()
        .get(f"{BASE}/cancelProductOrder/{started['id']}-cancel", headers=viewer)
        .status_code
        == 404
    )


# -- concurrent duplicates against a real server ---------------------------------------------------


@contextmanager
def serve(app: Flask) -> Iterator[int]:
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    try:
        yield int(server.effective_port)
    finally:
        server.task_dispatcher.shutdown()
        for channel in list(server._map.values()):
            channel.close()
        thread.join(timeout=5)


def _request(port: int, method: str, path: str, token: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:  # fmt: skip
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers={"Authorization": f"Bearer {token}", **(headers or {})})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"{}")
    finally:
        conn.close()


def hammer(port: int, token: str, body: dict[str, Any], key: str, n: int) -> list[tuple[int, dict[str, Any]]]:
    """``n`` clients POST the same order with the same key at the same moment."""
    payload = json.dumps(body).encode()
    start = threading.Barrier(n)
    results: list[tuple[int, dict[str, Any]]] = []
    lock = threading.Lock()

    def one() -> None:
        start.wait()
        got = _request(port, "POST", f"{BASE}/productOrder", token, payload,
                       {"Content-Type": "application/json", "Idempotency-Key": key})  # fmt: skip
        with lock:
            results.append(got)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def _assert_one_order(world: World, results: list[tuple[int, dict[str, Any]]], key: str, n: int) -> None:
    assert len(results) == n
    assert all(status in (200, 201) for status, _ in results), [(s, b.get("message")) for s, b in results]
    ids = {body["id"] for _, body in results}
    assert len(ids) == 1, ids
    assert sorted(status for status, _ in results) == [200] * (n - 1) + [201]
    with world.sessions() as s:
        orders = list(s.scalars(select(ProductOrder).where(ProductOrder.idempotency_key == key)))
        assert [o.id for o in orders] == list(ids)
        assert len(orders[0].items) == 1
        origin = f"order:{orders[0].id}:%"
        assert len(list(s.scalars(select(Transaction.id).where(Transaction.origin.like(origin))))) == 1


def test_concurrent_duplicates_create_one_order_on_sqlite(order_world: World) -> None:
    w = order_world
    token = w.tokens[Role.ENGINEER]
    with serve(w.app) as port:
        # A first call stamps the token's last use, so that the racers only race on the order.
        assert _request(port, "GET", f"{BASE}/productOrder?limit=1", token)[0] == 200
        results = hammer(port, token, order_body(), "race-sqlite", 8)
        big = json.dumps({**order_body(), "note": [{"text": "x" * (2 * 2**20)}]}).encode()
        status, err = _request(
            port, "POST", f"{BASE}/productOrder", token, big, {"Content-Type": "application/json"}
        )
    _assert_one_order(w, results, "race-sqlite", 8)
    assert status == 413 and err["code"] == "413"


@pytest.mark.postgres
def test_concurrent_duplicates_create_one_order_on_postgresql(pg_url: str, web_key: bytes) -> None:
    crypto.use_key(web_key)
    app = create_app({"DATABASE_URL": pg_url, "SECRET_KEY": SECRET_KEY, "TESTING": True})
    engine = make_engine(pg_url)
    sessions = session_factory(engine)
    w = World(app=app, engine=engine, sessions=sessions, key=web_key, tokens={})
    with sessions.begin() as s:
        w.tokens[Role.ENGINEER] = create_token(s, create_user(s, "engineer", PASSWORD, Role.ENGINEER))
        build_order_inventory(s)
    try:
        token = w.tokens[Role.ENGINEER]
        with serve(app) as port:
            assert _request(port, "GET", f"{BASE}/productOrder?limit=1", token)[0] == 200
            results = hammer(port, token, order_body(), "race-pg", 8)
        _assert_one_order(w, results, "race-pg", 8)
        # Cancelling locks the order and its transactions (FOR UPDATE) on PostgreSQL.
        assert _cancel(w, results[0][1]["id"]).status_code == 201
        assert _cancel(w, results[0][1]["id"]).status_code == 409
    finally:
        store(app).engine.dispose()
        engine.dispose()


def test_a_dashboard_session_orders_with_the_csrf_header_only(order_world: World) -> None:
    client, token = client_as(order_world.app, Role.ENGINEER)
    before = row_counts(order_world)
    refused = client.post(f"{BASE}/productOrder", json=order_body())
    tmf_error(refused, 400)
    assert row_counts(order_world) == before
    ok = client.post(f"{BASE}/productOrder", json=order_body(), headers={"X-CSRF-Token": token})
    assert ok.status_code == 201 and ok.get_json()["state"] == "acknowledged"
