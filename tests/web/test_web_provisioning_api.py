"""/api/v1 provisioning: transactions (list, detail, submit, rollback), services (list,
detail, create, modify, delete), service models, configuration versions and diffs, drift.

Submissions go through the real ``bss_bridge.provisioning.submit``: the request is validated
against its service model, qualified against the inventory (configuration access, ports,
free VLANs), rendered per platform (eos: CLI commands, srlinux: NETCONF XML) and written as a
planned transaction; nothing here talks to a device.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from inventory.choices import Role, ServiceState, TxDeviceState, TxState
from inventory.fault_models import Service
from inventory.provisioning_models import ServiceInstance, Transaction
from tests.web.provtesting import (
    DRIFT_ADDED,
    DRIFT_MISSING,
    IA_PARAMS,
    SVC_EVIL,
    SVC_IA,
    SVC_L2,
    TX_DONE,
    TX_DRY,
    TX_EVIL,
    TX_FAILED,
    TX_RUNNING,
    load_tx,
    make_done_service,
)
from tests.web.webtesting import CANARIES, World, bearer

API = "/api/v1"
_vlans = itertools.count(2000)


@pytest.fixture
def api(app: Flask, world: World) -> Any:
    client: FlaskClient = app.test_client()

    def get(path: str, **query: Any) -> Any:
        return client.get(f"{API}{path}", query_string=query, headers=bearer(world))

    return get


def send(
    app: Flask, world: World, method: str, path: str, body: Any = None, role: Role = Role.ENGINEER, **kw: Any
) -> Any:
    client = app.test_client()
    if body is not None:
        kw["json"] = body
    return client.open(f"{API}{path}", method=method, headers=bearer(world, role), **kw)


def refused(resp: Any, status: int, field: str) -> dict[str, str]:
    """The error body names ``field`` first in its message; returns its errors map."""
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["code"] == str(status) and body["status"] == str(status)
    assert body["message"].startswith(f"{field}:"), body["message"]
    errors: dict[str, str] = body.get("errors") or {}
    if errors:
        assert field in errors, errors
    return errors


def ids(resp: Any) -> list[str]:
    return [r["id"] for r in resp.get_json()]


def tx_count(world: World) -> int:
    with world.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(Transaction)) or 0)


def no_secret(resp: Any) -> None:
    body = resp.get_data(as_text=True)
    for canary in CANARIES:
        assert canary not in body, canary


def ia_request(device: str = "new1", port: str = "Ethernet3", **params: Any) -> dict[str, Any]:
    vlan = next(_vlans)
    return {
        "service": "internet-access",
        "action": "create",
        "params": {
            "service_id": f"SVC-API-{vlan}",
            "customer_id": "CUST-API",
            "device": device,
            "port": port,
            "vlan": vlan,
            "ipv4": "203.0.113.1/30",
            "bandwidth_mbps": 100,
            **params,
        },
    }


# -- transactions: reading -------------------------------------------------------------------------


def test_transaction_list_is_newest_first_with_paging_headers(api: Any) -> None:
    resp = api("/transactions", limit=1000)
    body = resp.get_json()
    assert resp.status_code == 200
    assert resp.headers["X-Total-Count"] == str(len(body)) == resp.headers["X-Result-Count"]
    got = [t["id"] for t in body]
    fixture = [t for t in got if t in {TX_DONE, TX_DRY, TX_FAILED, TX_RUNNING, TX_EVIL}]
    assert fixture == [TX_RUNNING, TX_EVIL, TX_FAILED, TX_DRY, TX_DONE]
    assert [t["created_at"] for t in body] == sorted((t["created_at"] for t in body), reverse=True)
    done = next(t for t in body if t["id"] == TX_DONE)
    assert done == {
        "id": TX_DONE,
        "href": f"{API}/transactions/{TX_DONE}",
        "state": "done",
        "finished": True,
        "action": "create",
        "service": SVC_IA,
        "service_href": f"{API}/services/{SVC_IA}",
        "model": "internet-access",
        "dry_run": False,
        "force": False,
        "origin": "api",
        "created_by": "engineer",
        "created_at": done["created_at"],
        "started_at": done["started_at"],
        "finished_at": done["finished_at"],
        "error": "",
        "rollback_of": None,
        "rollback_of_href": None,
        "devices": [{"device": "old32", "state": "confirmed"}],
    }
    page = api("/transactions", limit=2, offset=1)
    assert len(page.get_json()) == 2 and page.headers["X-Total-Count"] == str(len(body))
    assert ids(page) == got[1:3]
    slim = api("/transactions", fields="state", limit=1).get_json()[0]
    assert set(slim) == {"id", "href", "state"}


def test_transaction_filters(api: Any) -> None:
    def got(**query: Any) -> set[str]:
        resp = api("/transactions", limit=1000, **query)
        assert resp.status_code == 200, resp.get_json()
        return set(ids(resp))

    assert {TX_DONE} <= got(state="done") and not {TX_DRY, TX_RUNNING} & got(state="done")
    assert {TX_DONE, TX_DRY} <= got(state="done,dry-run")
    assert got(state=["done", "dry-run"]) == got(state="done,dry-run")
    assert got(service=SVC_L2) == {TX_FAILED, TX_RUNNING}
    assert got(service="SVC-NOPE") == set()
    assert got(origin="order") == {TX_FAILED, TX_RUNNING}  # order matches order:<id>
    assert got(origin="order:ORD-7") == {TX_FAILED}
    assert TX_DONE in got(origin="api") and not got(origin="api") & {TX_FAILED, TX_RUNNING}
    assert got(origin="%") == set()  # a LIKE wildcard is just a character
    assert {TX_DONE, TX_DRY} <= got(device="old32") and TX_RUNNING not in got(device="old32")
    assert got(device="r2", service=SVC_L2, state="committing") == {TX_RUNNING}
    for bad, field in (({"state": "finished"}, "state"), ({"colour": "red"}, "colour"), ({"limit": 0}, None)):
        resp = api("/transactions", **bad)
        assert resp.status_code == 400, bad
        if field:
            assert resp.get_json()["message"].startswith(f"{field}:")


def test_transaction_detail(api: Any) -> None:
    resp = api(f"/transactions/{TX_DONE}")
    tx = resp.get_json()
    assert resp.status_code == 200
    assert tx["state"] == "done" and tx["confirm_timeout_s"] == 120
    assert tx["request"] == {"model": "internet-access", "before": None, "after": IA_PARAMS}
    (dev,) = tx["devices"]
    assert set(dev) == {
        "device",
        "state",
        "device_href",
        "position",
        "driver",
        "format",
        "error",
        "diff",
        "change",
    }
    assert dev["device"] == "old32" and dev["state"] == "confirmed" and dev["format"] == "cli"
    assert dev["device_href"] == f"{API}/devices/old32"
    assert "+interface port1.100" in dev["diff"] and "+   police rate 100 mbps" in dev["diff"]
    assert "interface port1.100" in dev["change"] and "police rate 100 mbps" in dev["change"]
    assert tx["log"][0]["message"] == "planned by engineer via api" and len(tx["log"]) == 5
    assert all(e["at"].endswith("Z") for e in tx["log"])
    no_secret(resp)  # the running configurations journaled with it stay in the database

    failed = api(f"/transactions/{TX_FAILED}").get_json()
    assert failed["error"].startswith("r2: commit failed")
    assert [(d["device"], d["state"], d["error"]) for d in failed["devices"]] == [
        ("r1", "rolled-back", ""),
        ("r2", "failed", "commit failed: validation error on /sim/policers"),
    ]
    assert "<rate-mbps>80</rate-mbps>" in failed["devices"][0]["change"]  # NETCONF XML
    running = api(f"/transactions/{TX_RUNNING}").get_json()
    assert running["finished"] is False and running["finished_at"] is None
    assert api(f"/transactions/{TX_DONE}", fields="state,log").get_json().keys() == {
        "id",
        "href",
        "state",
        "log",
    }
    missing = api("/transactions/TX-nope")
    assert missing.status_code == 404 and missing.get_json()["code"] == "404"


# -- transactions: submitting ----------------------------------------------------------------------


def test_submit_plans_a_cli_transaction(app: Flask, world: World) -> None:
    request = ia_request()
    resp = send(app, world, "POST", "/transactions", request)
    assert resp.status_code == 201, resp.get_json()
    tx = resp.get_json()
    assert resp.headers["Location"] == tx["href"] == f"{API}/transactions/{tx['id']}"
    assert tx["state"] == "planned" and tx["action"] == "create" and tx["origin"] == "api"
    assert tx["created_by"] == "engineer" and tx["dry_run"] is False and tx["log"] == []
    (dev,) = tx["devices"]
    vlan = request["params"]["vlan"]
    assert dev["device"] == "new1" and dev["state"] == "pending" and dev["format"] == "cli"
    assert dev["driver"] == "cli" and dev["diff"] == ""  # the agent adds the device's diff
    assert f"interface Ethernet3.{vlan}" in dev["change"] and "police rate 100 mbps" in dev["change"]
    no_secret(resp)
    # The rows the agent picks up: the planned transaction with its per-device change, and
    # the service reserved with its parameters.
    stored = load_tx(world, tx["id"])
    assert stored.state is TxState.PLANNED and stored.request["after"] == request["params"]
    assert [(td.device.name, td.state, td.payload) for td in stored.devices] == [
        ("new1", TxDeviceState.PENDING, dev["change"])
    ]
    with world.sessions() as s:
        service = s.scalars(
            select(Service).where(Service.external_id == request["params"]["service_id"])
        ).one()
        assert service.state is ServiceState.RESERVED and service.customer_ref == "CUST-API"
        instance = s.get(ServiceInstance, service.id)
        assert instance is not None and instance.params == request["params"]


def test_submit_plans_netconf_for_both_ends_and_dry_runs(app: Flask, world: World) -> None:
    vlan = next(_vlans)
    request = {
        "service": "l2vpn-p2p",
        "action": "create",
        "params": {
            "service_id": f"SVC-L2-API-{vlan}",
            "customer_id": "CUST-API",
            "vlan": vlan,
            "bandwidth_mbps": 20,
            "endpoints": [{"device": "r1", "port": "ethernet-1/2"}, {"device": "r2", "port": "ethernet-1/1"}],
        },
        "dry_run": True,
    }
    resp = send(app, world, "POST", "/transactions", request)
    assert resp.status_code == 201, resp.get_json()
    tx = resp.get_json()
    assert tx["dry_run"] is True and tx["state"] == "planned"
    assert [(d["device"], d["format"], d["driver"]) for d in tx["devices"]] == [
        ("r1", "netconf", "netconf"),
        ("r2", "netconf", "netconf"),
    ]
    for dev, peer in zip(tx["devices"], ("192.0.2.2", "192.0.2.1"), strict=True):
        assert dev["change"].lstrip().startswith("<") and "<vlan-id" in dev["change"]
        assert f"<neighbor>{peer}</neighbor>" in dev["change"]
    # A dry run reserves nothing: the service is not created.
    with world.sessions() as s:
        assert s.scalars(select(Service).where(Service.external_id == f"SVC-L2-API-{vlan}")).first() is None


def test_bad_requests_are_400_naming_the_field(app: Flask, world: World) -> None:
    before = tx_count(world)

    def post(body: Any) -> Any:
        return send(app, world, "POST", "/transactions", body)

    refused(post({**ia_request(), "service": "teleportation"}), 400, "service")
    errors = refused(post(ia_request(vlan=5000)), 400, "params.vlan")
    assert "5000" in errors["params.vlan"]
    errors = refused(post(ia_request(device="nope")), 400, "params.device")
    assert errors["params.device"] == "unknown device 'nope'"  # the qualification
    errors = refused(post(ia_request(device="evil", port="eth0")), 400, "params.device")
    assert "no configuration access" in errors["params.device"]
    errors = refused(post(ia_request(device="old32", port="port9")), 400, "params.port")
    assert "has no port 'port9'" in errors["params.port"]
    errors = refused(post(ia_request(device="old32", port="port1", vlan=100)), 400, "params.port")
    assert f"taken by {SVC_IA}" in errors["params.port"]
    l2 = {
        "service": "l2vpn-p2p",
        "params": {
            "service_id": "SVC-L2-BAD",
            "customer_id": "C",
            "vlan": 300,
            "bandwidth_mbps": 1,
            "endpoints": [
                {"device": "r1", "port": "ethernet-1/2"},
                {"device": "ghost", "port": "ethernet-1/1"},
            ],
        },
    }
    refused(post(l2), 400, "params.endpoints.1.device")
    missing = ia_request()
    del missing["params"]["vlan"]
    refused(post(missing), 400, "params.vlan")
    refused(post({**ia_request(), "action": "upgrade"}), 400, "action")
    refused(post({**ia_request(), "colour": "red"}), 400, "colour")
    refused(post({**ia_request(), "dry_run": "yes"}), 400, "dry_run")
    refused(post({**ia_request(), "confirm_timeout": "soon"}), 400, "confirm_timeout")
    refused(post({"action": "delete", "service_id": "SVC-NOPE"}), 400, "params.service_id")
    refused(post(["not", "an", "object"]), 400, "body")
    assert (
        send(app, world, "POST", "/transactions", data="service=x", content_type="text/plain").status_code
        == 415
    )
    assert tx_count(world) == before  # nothing was written


def test_a_busy_service_is_409(app: Flask, world: World) -> None:
    before = tx_count(world)
    modify = {"service": "l2vpn-p2p", "action": "modify", "params": {"service_id": SVC_L2}}
    errors = refused(send(app, world, "POST", "/transactions", modify), 409, "service_id")
    assert TX_RUNNING in errors["service_id"]
    refused(
        send(app, world, "PATCH", f"/services/{SVC_L2}", {"params": {"bandwidth_mbps": 60}}),
        409,
        "service_id",
    )
    refused(send(app, world, "DELETE", f"/services/{SVC_L2}"), 409, "service_id")
    assert tx_count(world) == before


# -- rollback -------------------------------------------------------------------------------------


def test_rollback_plans_the_inverse_transaction(app: Flask, world: World) -> None:
    ref, done_id, vlan = make_done_service(world)
    resp = send(app, world, "POST", f"/transactions/{done_id}/rollback")
    assert resp.status_code == 201, resp.get_json()
    tx = resp.get_json()
    assert resp.headers["Location"] == tx["href"]
    assert tx["state"] == "planned" and tx["rollback_of"] == done_id and tx["origin"] == f"rollback:{done_id}"
    assert tx["action"] == "delete" and tx["service"] == ref  # undoing a create removes the service
    (dev,) = tx["devices"]
    assert dev["device"] == "new1" and f"no interface Ethernet7.{vlan}" in dev["change"]
    no_secret(resp)
    undone = send(app, world, "GET", f"/transactions/{done_id}", role=Role.VIEWER).get_json()
    assert undone["rolled_back_by"] == [{"id": tx["id"], "href": tx["href"]}]
    # Rolled back once: the service now has that transaction in progress.
    refused(send(app, world, "POST", f"/transactions/{done_id}/rollback"), 409, "service_id")


def test_rollback_refusals(app: Flask, world: World) -> None:
    before = tx_count(world)
    errors = refused(send(app, world, "POST", f"/transactions/{TX_FAILED}/rollback"), 409, "transaction")
    assert "only a done transaction is rolled back" in errors["transaction"]
    refused(send(app, world, "POST", f"/transactions/{TX_RUNNING}/rollback"), 409, "transaction")
    refused(send(app, world, "POST", f"/transactions/{TX_DRY}/rollback"), 409, "transaction")
    assert send(app, world, "POST", "/transactions/TX-nope/rollback").status_code == 404
    refused(send(app, world, "POST", f"/transactions/{TX_DONE}/rollback", {"force": True}), 400, "force")
    assert tx_count(world) == before


def test_rollback_as_a_dry_run(app: Flask, world: World) -> None:
    _, done_id, _ = make_done_service(world)
    tx = send(app, world, "POST", f"/transactions/{done_id}/rollback", {"dry_run": True}).get_json()
    assert tx["dry_run"] is True and tx["rollback_of"] == done_id


# -- services -------------------------------------------------------------------------------------


def test_service_list_and_filters(api: Any) -> None:
    resp = api("/services", limit=1000)
    body = resp.get_json()
    assert resp.headers["X-Total-Count"] == str(len(body))
    assert [s["id"] for s in body] == sorted(s["id"] for s in body)
    ia = next(s for s in body if s["id"] == SVC_IA)
    assert ia == {
        "id": SVC_IA,
        "href": f"{API}/services/{SVC_IA}",
        "name": "Internet for Customer One",
        "service_type": "internet-access",
        "state": "active",
        "customer": "CUST-1",
        "model": "internet-access",
        "version": 1,
        "devices": ["old32"],
        "created_at": ia["created_at"],
        "last_transaction": TX_DONE,
        "last_transaction_href": f"{API}/transactions/{TX_DONE}",
    }
    evil = next(s for s in body if s["id"] == SVC_EVIL)
    assert evil["model"] is None and evil["state"] == "inactive"

    def got(**query: Any) -> set[str]:
        resp = api("/services", limit=1000, **query)
        assert resp.status_code == 200, resp.get_json()
        return set(ids(resp))

    assert {SVC_IA, SVC_L2} <= got(state="active") and SVC_EVIL not in got(state="active")
    assert got(type="l2vpn-p2p") >= {SVC_L2} and SVC_IA not in got(type="l2vpn-p2p")
    assert got(customer="CUST-1") == {SVC_IA}
    assert got(state="inactive,active", customer="CUST-2") == {SVC_L2}
    assert api("/services", state="sleeping").status_code == 400
    assert len(api("/services", limit=1).get_json()) == 1


def test_service_detail(api: Any) -> None:
    svc = api(f"/services/{SVC_IA}").get_json()
    assert svc["params"] == IA_PARAMS and svc["transaction_in_progress"] is None
    (frag,) = svc["fragments"]
    assert frag["device"] == "old32" and frag["format"] == "cli" and frag["transaction"] == TX_DONE
    assert "interface port1.100" in frag["text"]
    assert {TX_DONE, TX_DRY} <= {t["id"] for t in svc["transactions"]}
    assert svc["transactions_total"] == len(svc["transactions"])
    l2 = api(f"/services/{SVC_L2}").get_json()
    assert l2["transaction_in_progress"] == TX_RUNNING
    assert [f["device"] for f in l2["fragments"]] == ["r1", "r2"]
    assert all(f["format"] == "netconf" and "<xconnect>" in f["text"] for f in l2["fragments"])
    assert api("/services/SVC-NOPE").status_code == 404


def test_create_modify_and_delete_a_service(app: Flask, world: World) -> None:
    request = ia_request(port="Ethernet4", label="first")
    body = {"service": request["service"], "params": request["params"]}
    created = send(app, world, "POST", "/services", body)
    assert created.status_code == 201, created.get_json()
    tx = created.get_json()
    assert tx["action"] == "create" and tx["state"] == "planned" and created.headers["Location"] == tx["href"]
    ref = request["params"]["service_id"]
    assert send(app, world, "GET", f"/services/{ref}", role=Role.VIEWER).get_json()["state"] == "reserved"
    refused(send(app, world, "POST", "/services", {**body, "action": "delete"}), 400, "action")
    refused(send(app, world, "POST", "/services", {"params": body["params"]}), 400, "service")

    # Modify and delete a service as a done transaction leaves it.
    ref, _, vlan = make_done_service(world)
    patch = {"params": {"bandwidth_mbps": 250, "label": "faster"}}
    resp = send(app, world, "PATCH", f"/services/{ref}", patch, content_type="application/merge-patch+json")
    assert resp.status_code == 202, resp.get_json()
    tx = resp.get_json()
    assert tx["action"] == "modify" and resp.headers["Location"] == tx["href"]
    after = tx["request"]["after"]
    assert after["bandwidth_mbps"] == 250 and after["label"] == "faster" and after["vlan"] == vlan
    assert tx["request"]["before"]["bandwidth_mbps"] == 10
    (dev,) = tx["devices"]
    assert "police rate 250 mbps" in dev["change"]
    # That one is in progress now; a second change waits.
    refused(send(app, world, "PATCH", f"/services/{ref}", patch), 409, "service_id")

    ref2, _, _ = make_done_service(world)
    bad = send(app, world, "PATCH", f"/services/{ref2}", {"params": {"vlan": 1}})
    refused(bad, 400, "params.vlan")
    refused(
        send(app, world, "PATCH", f"/services/{ref2}", {"params": {"service_id": "X"}}),
        400,
        "params.service_id",
    )
    refused(send(app, world, "PATCH", f"/services/{ref2}", {"bandwidth_mbps": 3}), 400, "bandwidth_mbps")
    refused(send(app, world, "PATCH", f"/services/{SVC_EVIL}", {"params": {"vlan": 3}}), 409, "service_id")
    assert send(app, world, "PATCH", "/services/SVC-NOPE", {"params": {"vlan": 3}}).status_code == 404
    # A label set to null is removed (JSON Merge Patch).
    ref3, _, _ = make_done_service(world)
    with world.sessions.begin() as s:
        svc = s.scalars(select(Service).where(Service.external_id == ref3)).one()
        inst = s.get(ServiceInstance, svc.id)
        assert inst is not None
        inst.params = {**inst.params, "label": "old"}
    tx = send(app, world, "PATCH", f"/services/{ref3}", {"params": {"label": None}}).get_json()
    assert "label" not in tx["request"]["after"] and tx["request"]["before"]["label"] == "old"

    deleted = send(app, world, "DELETE", f"/services/{ref2}")
    assert deleted.status_code == 202, deleted.get_json()
    tx = deleted.get_json()
    assert tx["action"] == "delete" and tx["request"]["after"] is None and tx["service"] == ref2
    assert any(line.startswith("no ") for line in tx["devices"][0]["change"].splitlines())
    assert send(app, world, "DELETE", "/services/SVC-NOPE").status_code == 404
    refused(send(app, world, "DELETE", f"/services/{SVC_EVIL}"), 409, "service_id")


def test_service_models(api: Any) -> None:
    resp = api("/service-models")
    body = resp.get_json()
    assert resp.headers["X-Total-Count"] == "2" == resp.headers["X-Result-Count"]
    by_name = {m["name"]: m for m in body}
    assert set(by_name) == {"internet-access", "l2vpn-p2p"}
    ia = by_name["internet-access"]
    assert ia["id"] == "internet-access" and ia["endpoints"] == "single" and ia["description"]
    assert ia["schema"]["properties"]["vlan"] == {"type": "integer", "minimum": 2, "maximum": 4094}
    assert "endpoints" in by_name["l2vpn-p2p"]["schema"]["required"]
    assert [m["name"] for m in api("/service-models", limit=1, offset=1).get_json()] == ["l2vpn-p2p"]


# -- roles and CSRF ---------------------------------------------------------------------------------


def test_viewers_may_read_but_not_write(app: Flask, world: World, viewer: tuple[FlaskClient, str]) -> None:
    before = tx_count(world)
    for method, path, body in (
        ("POST", "/transactions", ia_request()),
        ("POST", f"/transactions/{TX_DONE}/rollback", None),
        ("POST", "/services", {"service": "internet-access", "params": ia_request()["params"]}),
        ("PATCH", f"/services/{SVC_IA}", {"params": {"bandwidth_mbps": 5}}),
        ("DELETE", f"/services/{SVC_IA}", None),
    ):
        resp = send(app, world, method, path, body, role=Role.VIEWER)
        assert resp.status_code == 403 and resp.get_json()["reason"] == "Forbidden", (method, path)
    assert send(app, world, "GET", "/transactions", role=Role.VIEWER).status_code == 200
    # With the session cookie, writes need the CSRF header too (even for an engineer).
    client, token = viewer
    assert (
        client.post(f"{API}/transactions", json=ia_request(), headers={"X-CSRF-Token": token}).status_code
        == 403
    )
    assert tx_count(world) == before


def test_session_writes_need_the_csrf_header(world: World, engineer: tuple[FlaskClient, str]) -> None:
    client, token = engineer
    before = tx_count(world)
    assert client.post(f"{API}/transactions", json=ia_request()).status_code == 400
    assert client.post(f"{API}/transactions/{TX_DONE}/rollback").status_code == 400
    assert client.delete(f"{API}/services/{SVC_IA}").status_code == 400
    assert tx_count(world) == before
    ok = client.post(f"{API}/transactions", json=ia_request(), headers={"X-CSRF-Token": token})
    assert ok.status_code == 201 and ok.get_json()["created_by"] == "engineer"


# -- configuration versions and drift ---------------------------------------------------------------


def test_config_versions(api: Any, world: World) -> None:
    resp = api("/config/old32/versions")
    body = resp.get_json()
    w = world.ids
    assert [v["id"] for v in body] == [w["v_old32_3"], w["v_old32_2"], w["v_old32_1"]]
    assert resp.headers["X-Total-Count"] == "3"
    newest = body[0]
    assert newest == {
        "id": w["v_old32_3"],
        "href": f"{API}/config/old32/versions/{w['v_old32_3']}",
        "device": "old32",
        "device_href": f"{API}/devices/old32",
        "taken_at": newest["taken_at"],
        "source": "post-tx",
        "transaction": TX_DONE,
        "transaction_href": f"{API}/transactions/{TX_DONE}",
        "format": "cli",
        "digest": newest["digest"],
        "size": newest["size"],
    }
    assert "text" not in newest and newest["size"] > 100
    assert [v["id"] for v in api("/config/old32/versions", limit=1, offset=2).get_json()] == [w["v_old32_1"]]
    assert api("/config/new1/versions").get_json() == []
    assert api("/config/nope/versions").status_code == 404

    one = api(f"/config/old32/versions/{w['v_old32_3']}")
    text = one.get_json()["text"]
    assert "interface port1.100" in text and "snmp-server community <masked:" in text
    no_secret(one)
    # Another device's version is not this device's.
    assert api(f"/config/old32/versions/{w['v_r1_1']}").status_code == 404


def test_config_diff(api: Any, world: World) -> None:
    w = world.ids
    resp = api("/config/old32/diff")  # the two newest
    doc = resp.get_json()
    assert doc["from"]["id"] == w["v_old32_2"] and doc["to"]["id"] == w["v_old32_3"]
    assert doc["diff"].startswith(f"--- old32 #{w['v_old32_2']}")
    assert "+interface port1.100" in doc["diff"] and "+   police rate 100 mbps" in doc["diff"]
    older = api("/config/old32/diff", **{"from": w["v_old32_1"], "to": w["v_old32_2"]}).get_json()
    assert "-   description uplink (old)" in older["diff"] and "+   description uplink" in older["diff"]
    same = api("/config/old32/diff", **{"from": w["v_old32_2"], "to": w["v_old32_2"]}).get_json()
    assert same["diff"] == ""
    assert api("/config/old32/diff", to=w["v_old32_1"]).status_code == 404  # nothing before the first
    assert api("/config/old32/diff", **{"from": w["v_r1_1"]}).status_code == 404
    assert api("/config/new1/diff").status_code == 404
    bad = api("/config/old32/diff", **{"from": "newest"})
    assert bad.status_code == 400 and bad.get_json()["message"].startswith("from:")
    xml = api("/config/r1/diff").get_json()["diff"]
    assert "-  <hostname>r1-old</hostname>" in xml and "+  <hostname>r1</hostname>" in xml
    for resp in (api("/config/old32/diff"), api("/config/r1/diff")):
        no_secret(resp)


def test_config_drift(api: Any, world: World) -> None:
    resp = api("/config/drift")
    body = resp.get_json()
    assert resp.headers["X-Total-Count"] == str(len(body))
    by_alarm = {d["id"]: d for d in body}
    assert world.ids["drift_cleared"] not in by_alarm  # cleared drift is history
    old32 = by_alarm[world.ids["drift"]]
    assert old32 == {
        "id": world.ids["drift"],
        "href": f"{API}/alarms/{world.ids['drift']}",
        "device": "old32",
        "device_href": f"{API}/devices/old32",
        "service": SVC_IA,
        "service_href": f"{API}/services/{SVC_IA}",
        "service_name": "Internet for Customer One",
        "service_state": "active",
        "missing": DRIFT_MISSING,
        "added": DRIFT_ADDED,
        "since": old32["since"],
        "last_seen": old32["last_seen"],
        "severity": "major",
        "problem": old32["problem"],
    }
    assert [d["device"] for d in api("/config/drift", device="old32").get_json()] == ["old32"]
    assert api("/config/drift", device="r2").get_json() == []
    assert api("/config/drift", sort="x").status_code == 400
    # The alarm it links to is the fault management alarm.
    assert (
        api(f"/alarms/{world.ids['drift']}").get_json()["reduction_key"]
        == f"old32/service={SVC_IA}/config-drift"
    )


def test_openapi_documents_the_provisioning_errors(api: Any) -> None:
    doc = api("/openapi.json").get_json()
    post = doc["paths"]["/transactions"]["post"]
    assert {"201", "400", "403", "409", "415"} <= set(post["responses"])
    assert "409" in doc["paths"]["/transactions/{tx_id}/rollback"]["post"]["responses"]
    assert "202" in doc["paths"]["/services/{external_id}"]["delete"]["responses"]
    assert "errors" in doc["components"]["schemas"]["Error"]["properties"]
