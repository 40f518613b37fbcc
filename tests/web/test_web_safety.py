"""Hostile strings from devices stay inert, and secrets never leave the server.

Device data is attacker-controlled: anyone who can set a sysDescr or an ifAlias (or answer
LLDP) writes into our pages. The walk covers every GET route, so a new page or endpoint is
checked without editing this file.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from inventory.choices import Role
from tests.web.bsstesting import (
    MESSAGES,
    ORDER_CANCELLED,
    ORDER_DONE,
    ORDER_EVIL,
    ORDER_FAILED,
    SP_EVIL,
    SP_OPEN,
    SP_RESOLVED,
)
from tests.web.provtesting import SVC_EVIL, SVC_IA, SVC_L2, TX_DONE, TX_EVIL, TX_FAILED, TX_RUNNING
from tests.web.webtesting import (
    AWKWARD,
    CANARIES,
    HOSTILE_TEXT,
    XSS_ATTR,
    XSS_SCRIPT,
    World,
    active_content,
    bearer,
    client_as,
    parse_html,
)

SKIP = {"static"}


def get_paths(app: Flask, world: World) -> Iterator[str]:
    """Every GET route, once for each object of interest (a well-kept and a hostile one)."""
    choices: dict[str, list[object]] = {
        "name": ["r1", "r2", "evil", "old32"],
        "interface_id": [world.ids["r1_e1"], world.ids["evil_if"]],
        "alarm_id": [
            world.ids["a_root"],
            world.ids["a_child"],
            world.ids["a_hostile"],
            world.ids["drift_evil"],
        ],
        "window_id": [world.ids["window"]],
        "hub_id": [world.ids["hub"]],
        "tx_id": [TX_DONE, TX_EVIL, TX_RUNNING, TX_FAILED],
        "external_id": [SVC_IA, SVC_L2, SVC_EVIL],
        "order_id": [ORDER_DONE, ORDER_EVIL, ORDER_FAILED],
        "cancel_id": [f"{ORDER_CANCELLED}-cancel"],
        "service_order_id": [f"SO-{ORDER_DONE}", f"SO-{ORDER_EVIL}"],
        "offering_id": ["OFF-INET-100M", "OFF-L2VPN-P2P"],
        "customer_id": ["CUST-1", "CUST-EVIL", "CUST-42"],
        "service_id": [SVC_IA, SVC_L2, SVC_EVIL],
        "resource_id": ["r1", "r1:ethernet-1/1", "evil", "evil:eth0"],
        "problem_id": [SP_RESOLVED, SP_OPEN, SP_EVIL],
        "message_id": list(MESSAGES),
        "credit_id": [world.refs["credit"]],
    }
    # Routes with more than one parameter: the combinations to fetch.
    combos: dict[tuple[str, ...], list[dict[str, object]]] = {
        ("name", "version_id"): [
            {"name": "old32", "version_id": world.ids["v_old32_3"]},
            {"name": "r1", "version_id": world.ids["v_r1_2"]},
            {"name": "evil", "version_id": world.ids["v_evil_2"]},
        ],
    }
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP or "GET" not in (rule.methods or set()):
            continue
        args = tuple(sorted(rule.arguments))
        if not args:
            yield rule.rule
            continue
        if len(args) > 1:
            assert args in combos, f"add test values for {rule.rule}"
            values = combos[args]
        elif args == ("hub_id",):
            # Each TM Forum API has its own listeners: fetch the one registered there.
            api = rule.endpoint.split(".")[0]
            values = [{"hub_id": world.ids.get(f"hub_{api}", world.ids["hub"])}]
        else:
            assert args[0] in choices, f"add test values for {rule.rule}"
            values = [{args[0]: v} for v in choices[args[0]]]
        for value in values:
            built = rule.build(value)
            assert built is not None
            yield built[1]


@pytest.fixture(scope="module")
def responses(world: World) -> dict[str, Any]:
    """Every GET route fetched as an admin with a session, and the API also with a token."""
    app = world.app
    client, _ = client_as(app, Role.ADMIN)
    token_client = app.test_client()
    out: dict[str, Any] = {}
    for path in get_paths(app, world):
        out[path] = client.get(path)
        if path.startswith(("/api/", "/tmf-api/")):
            out[f"{path} (token)"] = token_client.get(path, headers=bearer(world, Role.ADMIN))
    return out


def test_the_walk_reaches_every_kind_of_page(world: World, responses: dict[str, Any]) -> None:
    hostile = world.ids["a_hostile"]
    for needed in (
        "/devices",
        "/devices/evil",
        "/links",
        "/api/v1/devices/evil",
        "/metrics",
        "/health",
        "/alarms",
        f"/alarms/{hostile}",
        "/events",
        "/maintenance",
        f"/api/v1/alarms/{hostile}",
        "/api/v1/events",
        f"/tmf-api/alarmManagement/v4/alarm/{hostile}",
        f"/tmf-api/alarm/v4/alarm/{hostile}",
        f"/tmf-api/alarmManagement/v4/hub/{world.ids['hub']}",
        "/transactions",
        f"/transactions/{TX_EVIL}",
        "/services",
        f"/services/{SVC_EVIL}",
        "/config",
        "/config/old32",
        "/config/evil",
        "/drift",
        f"/api/v1/transactions/{TX_DONE}",
        f"/api/v1/services/{SVC_EVIL}",
        "/api/v1/service-models",
        f"/api/v1/config/old32/versions/{world.ids['v_old32_3']}",
        "/api/v1/config/old32/diff",
        "/api/v1/config/evil/diff",
        "/api/v1/config/drift",
        "/customers",
        "/customers/CUST-EVIL",
        "/orders",
        f"/orders/{ORDER_EVIL}",
        "/outages",
        f"/outages/{SP_EVIL}",
        f"/outages/{SP_RESOLVED}",
        "/credits",
        "/api/v1/customers",
        "/api/v1/customers/CUST-EVIL/statement",
        "/api/v1/orders",
        f"/tmf-api/productOrderingManagement/v4/productOrder/{ORDER_EVIL}",
        f"/tmf-api/serviceOrdering/v4/serviceOrder/SO-{ORDER_EVIL}",
        "/tmf-api/productCatalogManagement/v4/productOffering/OFF-INET-100M",
        "/tmf-api/customerManagement/v4/customer/CUST-EVIL",
        f"/tmf-api/serviceInventory/v4/service/{SVC_EVIL}",
        "/tmf-api/resourceInventoryManagement/v4/resource/evil:eth0",
        f"/tmf-api/serviceProblemManagement/v4/serviceProblem/{SP_EVIL}",
        "/tmf-api/communicationManagement/v4/communicationMessage/CM-WEB-EVIL",
        f"/tmf-api/customerBillManagement/v4/appliedCustomerBillingRate/{world.refs['credit']}",
        f"/tmf-api/customerBillManagement/v4/hub/{world.ids['hub_tmf_bill']}",
    ):
        assert needed in responses, needed
    assert all(r.status_code in (200, 302) for r in responses.values()), {
        p: r.status_code for p, r in responses.items() if r.status_code not in (200, 302)
    }


def test_hostile_strings_are_inert_in_pages(world: World, responses: dict[str, Any]) -> None:
    pages = {p: r for p, r in responses.items() if r.mimetype == "text/html"}
    assert len(pages) >= 5
    for path, resp in pages.items():
        html = resp.get_data(as_text=True)
        page = parse_html(html)
        assert active_content(page) == [], path
        assert XSS_SCRIPT not in html and "<img" not in html, path
    # The strings are shown, as text, where they belong.
    evil = parse_html(pages["/devices/evil"].get_data(as_text=True))
    for text in (XSS_SCRIPT, XSS_ATTR, 'quote " back\\slash'):
        assert text in evil.text
    assert XSS_SCRIPT in parse_html(pages["/links"].get_data(as_text=True)).text
    # The hostile alarm: its problem, object, correlation and comment, as text.
    alarm = parse_html(pages[f"/alarms/{world.ids['a_hostile']}"].get_data(as_text=True))
    assert HOSTILE_TEXT in alarm.text and f"evil:{XSS_ATTR}" in alarm.text and AWKWARD in alarm.text
    events = parse_html(pages["/events"].get_data(as_text=True))
    assert XSS_SCRIPT in events.text and "unknown source" in events.text
    # In attributes too (the truncated sysDescr's title), fully escaped.
    listing = parse_html(pages["/devices"].get_data(as_text=True))
    titles = [a.get("title") for t, a in listing.tags if t == "td" and a.get("class") == "descr"]
    assert HOSTILE_TEXT in titles
    # The BSS pages: a customer's name, an outage's reason and notice, an order's error.
    customer = parse_html(pages["/customers/CUST-EVIL"].get_data(as_text=True))
    assert HOSTILE_TEXT in customer.text and XSS_SCRIPT in customer.text and XSS_ATTR in customer.text
    outage = parse_html(pages[f"/outages/{SP_EVIL}"].get_data(as_text=True))
    assert HOSTILE_TEXT in outage.text and XSS_ATTR in outage.text
    order = parse_html(pages[f"/orders/{ORDER_EVIL}"].get_data(as_text=True))
    assert HOSTILE_TEXT in order.text and XSS_ATTR in order.text
    assert HOSTILE_TEXT in parse_html(pages["/customers"].get_data(as_text=True)).text


def test_hostile_strings_round_trip_in_json(world: World, responses: dict[str, Any]) -> None:
    api = {p: r for p, r in responses.items() if p.startswith(("/api/", "/tmf-api/"))}
    for path, resp in api.items():
        assert resp.mimetype == "application/json", path
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        json.loads(resp.get_data(as_text=True))  # valid JSON, whatever the strings held
    device = responses["/api/v1/devices/evil"].get_json()
    assert device["sys_descr"] == HOSTILE_TEXT and device["sys_name"] == HOSTILE_TEXT
    assert device["hardware"][0]["name"] == XSS_SCRIPT
    iface = responses["/api/v1/devices/evil/interfaces"].get_json()[0]
    assert iface["alias"] == HOSTILE_TEXT and AWKWARD in iface["alias"]
    hostile = world.ids["a_hostile"]
    alarm = responses[f"/api/v1/alarms/{hostile}"].get_json()
    assert alarm["problem"] == HOSTILE_TEXT and alarm["object"] == f"evil:{XSS_ATTR}"
    assert alarm["correlation"] == XSS_SCRIPT
    assert [h["text"] for h in alarm["history"] if h["action"] == "comment"] == [f"{HOSTILE_TEXT} {AWKWARD}"]
    tx = responses[f"/api/v1/transactions/{TX_EVIL}"].get_json()
    assert tx["error"] == HOSTILE_TEXT and tx["log"][0]["message"] == XSS_SCRIPT
    assert f"+{XSS_SCRIPT}" in tx["devices"][0]["diff"] and XSS_ATTR in tx["devices"][0]["change"]
    assert responses[f"/api/v1/services/{SVC_EVIL}"].get_json()["name"] == HOSTILE_TEXT
    assert XSS_SCRIPT in responses["/api/v1/config/evil/diff"].get_json()["diff"]
    tmf = responses[f"/tmf-api/alarmManagement/v4/alarm/{hostile} (token)"].get_json()
    assert tmf["specificProblem"] == HOSTILE_TEXT and tmf["alarmedObject"]["id"] == f"evil:{XSS_ATTR}"
    assert tmf["comment"][0]["comment"] == f"{HOSTILE_TEXT} {AWKWARD}"
    # The BSS APIs carry the hostile strings as data.
    tmf_api = "/tmf-api"
    customer = responses[f"{tmf_api}/customerManagement/v4/customer/CUST-EVIL (token)"].get_json()
    assert customer["name"] == HOSTILE_TEXT and customer["account"][0]["name"] == XSS_ATTR
    assert customer["contactMedium"][0]["characteristic"]["contactType"] == XSS_SCRIPT
    order = responses[f"{tmf_api}/productOrderingManagement/v4/productOrder/{ORDER_EVIL} (token)"].get_json()
    assert order["externalId"] == XSS_ATTR and order["description"] == HOSTILE_TEXT
    assert order["productOrderItem"][0]["stateReason"] == HOSTILE_TEXT
    problem = responses[f"{tmf_api}/serviceProblemManagement/v4/serviceProblem/{SP_EVIL} (token)"].get_json()
    assert problem["reason"] == HOSTILE_TEXT
    message = responses[
        f"{tmf_api}/communicationManagement/v4/communicationMessage/CM-WEB-EVIL (token)"
    ].get_json()
    assert message["subject"] == XSS_SCRIPT and message["content"] == HOSTILE_TEXT
    statement = responses["/api/v1/customers/CUST-EVIL/statement (token)"].get_json()
    assert statement["name"] == HOSTILE_TEXT


def test_no_secret_in_any_response(world: World, responses: dict[str, Any]) -> None:
    tokens = list(world.tokens.values())
    for path, resp in responses.items():
        body = resp.get_data(as_text=True)
        for canary in CANARIES:
            assert canary not in body, (path, canary)
        for token in tokens:
            assert token not in body, path
        assert "scrypt$" not in body, path  # password hashes
        assert "Set-Cookie" not in resp.headers or CANARIES[0] not in resp.headers["Set-Cookie"]
    # The profile is shown by name only.
    assert responses["/api/v1/devices/r1"].get_json()["snmp_profile"] == "lab-v3"
    # Configuration versions are shown masked; the journal's running configurations not at all.
    version = responses[f"/api/v1/config/old32/versions/{world.ids['v_old32_3']}"].get_json()
    assert "<masked:" in version["text"]
    for path in (f"/api/v1/transactions/{TX_DONE}", f"/transactions/{TX_DONE}"):
        body = responses[path].get_data(as_text=True)
        assert "pre_config" not in body and "post_config" not in body and "snmp-server community" not in body


def test_no_secret_in_logs(world: World, app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        client: FlaskClient = app.test_client()
        client.post("/login", data={"username": "admin", "password": "guess-XYZ-123"})  # no CSRF: 400
        c, token = client_as(app, Role.ADMIN)
        for path in get_paths(app, world):
            c.get(path)
        c.post("/devices/r1/discover", data={"csrf_token": token})
    text = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (*CANARIES, *world.tokens.values(), "guess-XYZ-123", "correct-horse-battery", "scrypt$"):
        assert secret not in text
