"""Provisioning and configuration pages: transactions (list, detail with diffs and log, the
rollback button and its form), services (list, request form generated from the model's
schema, detail, delete), configuration versions with diffs, drift; roles and CSRF."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from inventory.choices import Role, TxState
from inventory.provisioning_models import Transaction
from tests.web.provtesting import (
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
from tests.web.webtesting import (
    CANARIES,
    HOSTILE_TEXT,
    XSS_ATTR,
    XSS_SCRIPT,
    World,
    active_content,
    client_as,
    parse_html,
)


def html(client: FlaskClient, path: str, status: int = 200) -> str:
    resp = client.get(path)
    assert resp.status_code == status, (path, resp.status_code)
    return resp.get_data(as_text=True)


def tx_count(world: World) -> int:
    with world.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(Transaction)) or 0)


def tags(page: str, tag: str, **attrs: str) -> list[dict[str, str | None]]:
    return [a for t, a in parse_html(page).tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def post_forms(page: str) -> list[tuple[str, bool]]:
    """(action, has a CSRF field) of each POST form in the page."""
    out: list[tuple[str, bool]] = []
    for form in re.findall(r"<form\b[^>]*>.*?</form>", page, flags=re.S):
        head = form[: form.index(">")]
        if 'method="post"' not in head:
            continue
        action = re.search(r'action="([^"]*)"', head)
        out.append((action.group(1) if action else "", 'name="csrf_token"' in form))
    return out


def test_nav_has_the_new_sections(viewer: tuple[FlaskClient, str]) -> None:
    client, _ = viewer
    page = html(client, f"/transactions/{TX_DONE}")
    nav = [a for a in tags(page, "a") if a.get("href") in ("/transactions", "/services", "/config")]
    assert [a["href"] for a in nav] == ["/transactions", "/services", "/config"]
    active = [a["href"] for a in tags(page, "a", **{"aria-current": "page"})]
    assert active == ["/transactions"]  # the detail page highlights its section
    assert [a["href"] for a in tags(html(client, "/drift"), "a", **{"aria-current": "page"})] == ["/config"]


def test_transaction_list_and_filters(viewer: tuple[FlaskClient, str]) -> None:
    client, _ = viewer
    page = html(client, "/transactions")
    rows = {a["data-tx-id"]: a["data-state"] for a in tags(page, "tr") if a.get("data-tx-id")}
    assert {
        TX_DONE: "done",
        TX_DRY: "dry-run",
        TX_FAILED: "rolled-back",
        TX_RUNNING: "committing",
    }.items() <= rows.items()
    assert 'class="txstate txstate-failed"' in page and 'class="txstate txstate-done"' in page
    done = parse_html(html(client, "/transactions?state=done")).text
    assert TX_DONE in done and TX_RUNNING not in done
    l2 = html(client, f"/transactions?service={SVC_L2}&origin=order")
    assert {a["data-tx-id"] for a in tags(l2, "tr") if a.get("data-tx-id")} == {TX_FAILED, TX_RUNNING}
    assert 'value="done" selected' in html(client, "/transactions?state=done")  # the form keeps it
    html(client, "/transactions?state=sideways", status=400)


def test_transaction_page_shows_diffs_change_and_log(viewer: tuple[FlaskClient, str]) -> None:
    client, _ = viewer
    page = html(client, f"/transactions/{TX_DONE}")
    text = parse_html(page).text
    assert "done" in text and SVC_IA in text and "planned by engineer via api" in text
    adds = re.findall(r'<span class="dl dl-add">([^<]*)</span>', page)
    assert "+interface port1.100" in adds and "+   police rate 100 mbps" in adds
    assert re.search(r'<span class="dl dl-hunk">@@ [^<]*@@</span>', page)
    assert 'class="code native-change"' in page and "service-policy input SVC-IA-1" in page
    assert len(re.findall(r'<li class="tl tl-log-info">', page)) == 5
    # A finished transaction does not poll.
    assert "data-tx-poll" not in page and "js/tx.js" not in page

    failed = html(client, f"/transactions/{TX_FAILED}")
    assert 'data-state="failed"' in failed and "validation error on /sim/policers" in failed
    dels = re.findall(r'<span class="dl dl-del">([^<]*)</span>', failed)
    assert any("<rate-mbps>50</rate-mbps>" in d for d in (parse_html(x).text for x in dels))
    assert 'class="tl tl-log-error"' in failed

    running = html(client, f"/transactions/{TX_RUNNING}")
    (head,) = tags(running, "div", id="tx-head")
    assert head["data-tx-poll"] == f"/api/v1/transactions/{TX_RUNNING}"
    assert head["data-signature"] == "committing|committed,prepared|2"
    assert any((a.get("src") or "").endswith("/js/tx.js") for a in tags(running, "script"))
    html(client, "/transactions/TX-nope", status=404)


def test_planned_transaction_shows_the_intended_change(app: Flask, world: World) -> None:
    ref, done_id, vlan = make_done_service(world)
    client, token = client_as(app, Role.ENGINEER)
    resp = client.post(f"/transactions/{done_id}/rollback", data={"csrf_token": token})
    new_id = resp.headers["Location"].rsplit("/", 1)[1]
    page = html(client, f"/transactions/{new_id}")
    assert "Intended change" in page
    dels = re.findall(r'<span class="dl dl-del">([^<]*)</span>', page)
    assert f"-interface Ethernet7.{vlan}" in dels
    assert f"no interface Ethernet7.{vlan}" in page  # the native change
    assert "data-tx-poll" in page  # planned: the page follows the agent's progress
    assert ref in page


def test_rollback_button_only_for_engineers_and_admins(app: Flask, world: World) -> None:
    for role, shown in ((Role.VIEWER, False), (Role.ENGINEER, True), (Role.ADMIN, True)):
        client, _ = client_as(app, role)
        page = html(client, f"/transactions/{TX_DONE}")
        assert ('id="rollback-button"' in page) is shown, role
        # Only a done transaction can be rolled back.
        for other in (TX_DRY, TX_FAILED, TX_RUNNING):
            assert 'id="rollback-button"' not in html(client, f"/transactions/{other}"), (role, other)


def test_rollback_form(app: Flask, world: World) -> None:
    _, done_id, _ = make_done_service(world)
    before = tx_count(world)
    viewer, vtoken = client_as(app, Role.VIEWER)
    assert viewer.post(f"/transactions/{done_id}/rollback", data={"csrf_token": vtoken}).status_code == 403
    client, token = client_as(app, Role.ENGINEER)
    assert client.post(f"/transactions/{done_id}/rollback").status_code == 400  # no CSRF token
    assert client.post(f"/transactions/{done_id}/rollback", data={"csrf_token": "forged"}).status_code == 400
    assert tx_count(world) == before

    resp = client.post(f"/transactions/{done_id}/rollback", data={"csrf_token": token})
    assert resp.status_code == 302
    new_id = resp.headers["Location"].removeprefix("/transactions/")
    new = load_tx(world, new_id)
    assert new.state is TxState.PLANNED and new.rollback_of == done_id and new.origin == f"rollback:{done_id}"
    assert new.created_by == "engineer"
    page = html(client, resp.headers["Location"])
    assert f"Rollback of {done_id} planned as {new_id}" in page

    # A second click: refused with a message, nothing written.
    again = client.post(f"/transactions/{done_id}/rollback", data={"csrf_token": token})
    assert again.status_code == 302 and again.headers["Location"] == f"/transactions/{done_id}"
    assert "Not rolled back" in html(client, f"/transactions/{done_id}")
    assert tx_count(world) == before + 1


def test_services_list_and_detail(viewer: tuple[FlaskClient, str]) -> None:
    client, _ = viewer
    page = html(client, "/services")
    listed = {a["data-service"] for a in tags(page, "tr") if a.get("data-service")}
    assert {SVC_IA, SVC_L2, SVC_EVIL} <= listed
    assert 'class="svcstate svcstate-active"' in page
    assert {
        a["data-service"]
        for a in tags(html(client, "/services?customer=CUST-1"), "tr")
        if a.get("data-service")
    } == {SVC_IA}
    html(client, "/services?state=asleep", status=400)
    # Viewers see no request form.
    assert 'id="service-form"' not in page

    detail = html(client, f"/services/{SVC_IA}")
    text = parse_html(detail).text
    assert "Internet for Customer One" in text and "CUST-1" in text and "192.0.2.1/30" in text
    assert "interface port1.100" in text  # the fragment on old32
    assert TX_DONE in text and TX_DRY in text
    assert 'id="delete-service"' not in detail
    busy = html(client, f"/services/{SVC_L2}")
    assert 'id="busy"' in busy and TX_RUNNING in busy
    html(client, "/services/SVC-NOPE", status=404)


def test_request_form_is_generated_from_the_schema(engineer: tuple[FlaskClient, str]) -> None:
    client, _ = engineer
    page = html(client, "/services?model=l2vpn-p2p")
    inputs = {
        a["name"]: a for a in tags(page, "input") if (a.get("id") or "").startswith("f-") and a.get("name")
    }
    for name in ("service_id", "customer_id", "vlan", "bandwidth_mbps", "pw_id", "label"):
        assert name in inputs, name
    for end in (0, 1):
        for part in ("device", "port"):
            assert f"endpoints.{end}.{part}" in inputs
            assert "required" in inputs[f"endpoints.{end}.{part}"]
    assert (
        inputs["vlan"]["type"] == "number"
        and inputs["vlan"]["min"] == "2"
        and inputs["vlan"]["max"] == "4094"
    )
    assert (
        "required" in inputs["vlan"]
        and "required" not in inputs["pw_id"]
        and "required" not in inputs["label"]
    )
    assert inputs["service_id"]["type"] == "text"
    assert tags(page, "input", name="model", type="hidden")[0]["value"] == "l2vpn-p2p"
    assert "Endpoint 1" in page and "Endpoint 2" in page
    ia = html(client, "/services?model=internet-access")
    names = {a["name"] for a in tags(ia, "input") if (a.get("id") or "").startswith("f-")}
    assert {"device", "port", "ipv4", "customer_prefix"} <= names and "endpoints.0.device" not in names
    assert tags(ia, "input", name="dry_run")


def test_request_form_submits_a_planned_transaction(app: Flask, world: World) -> None:
    client, token = client_as(app, Role.ENGINEER)
    form = {
        "csrf_token": token,
        "model": "l2vpn-p2p",
        "service_id": "SVC-FORM-1",
        "customer_id": "CUST-FORM",
        "vlan": "310",
        "bandwidth_mbps": "40",
        "endpoints.0.device": "r1",
        "endpoints.0.port": "ethernet-1/2",
        "endpoints.1.device": "r2",
        "endpoints.1.port": "ethernet-1/1",
        "dry_run": "1",
    }
    resp = client.post("/services", data=form)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    tx_id = resp.headers["Location"].removeprefix("/transactions/")
    tx = load_tx(world, tx_id)
    assert tx.state is TxState.PLANNED and tx.dry_run and tx.origin == "web" and tx.created_by == "engineer"
    assert tx.request["after"]["endpoints"][1] == {"device": "r2", "port": "ethernet-1/1"}
    assert tx.request["after"]["vlan"] == 310  # the number input came back as an integer
    assert [(td.device.name, td.format) for td in tx.devices] == [("r1", "netconf"), ("r2", "netconf")]
    assert "A dry run is planned as" in html(client, resp.headers["Location"])


def test_request_form_shows_field_errors(app: Flask, world: World) -> None:
    before = tx_count(world)
    client, token = client_as(app, Role.ENGINEER)
    form = {
        "csrf_token": token,
        "model": "internet-access",
        "service_id": "SVC-FORM-BAD",
        "customer_id": "CUST-FORM",
        "device": "nope",
        "port": "Ethernet1",
        "vlan": "9999",
        "ipv4": "192.0.2.9/30",
        "bandwidth_mbps": "10",
    }
    resp = client.post("/services", data=form)
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert 'id="form-errors"' in page and "vlan" in parse_html(page).text
    assert 'class="field has-error"' in page
    assert tags(page, "input", name="service_id")[0]["value"] == "SVC-FORM-BAD"  # kept for a retry
    resp = client.post("/services", data={**form, "vlan": "300"})  # now the device is what is wrong
    assert resp.status_code == 400 and "unknown device" in resp.get_data(as_text=True)
    assert client.post("/services", data={**form, "model": "teleport"}).status_code == 400
    assert client.post("/services", data={**form, "csrf_token": ""}).status_code == 400
    viewer, vtoken = client_as(app, Role.VIEWER)
    assert viewer.post("/services", data={**form, "csrf_token": vtoken, "vlan": "300"}).status_code == 403
    assert tx_count(world) == before


def test_delete_service_form(app: Flask, world: World) -> None:
    ref, _, _ = make_done_service(world)
    client, token = client_as(app, Role.ENGINEER)
    page = html(client, f"/services/{ref}")
    assert 'id="delete-service"' in page
    viewer, vtoken = client_as(app, Role.VIEWER)
    assert viewer.post(f"/services/{ref}/delete", data={"csrf_token": vtoken}).status_code == 403
    assert client.post(f"/services/{ref}/delete").status_code == 400
    resp = client.post(f"/services/{ref}/delete", data={"csrf_token": token})
    assert resp.status_code == 302
    tx = load_tx(world, resp.headers["Location"].removeprefix("/transactions/"))
    assert tx.action is not None and tx.action.value == "delete" and tx.state is TxState.PLANNED
    # The service now has a transaction in progress: no second delete.
    again = client.post(f"/services/{ref}/delete", data={"csrf_token": token})
    assert again.headers["Location"] == f"/services/{ref}"
    assert "Not deleted" in html(client, f"/services/{ref}")
    assert client.post("/services/SVC-NOPE/delete", data={"csrf_token": token}).status_code == 404


def test_config_pages(viewer: tuple[FlaskClient, str], world: World) -> None:
    client, _ = viewer
    page = html(client, "/config")
    rows = {a["data-device"]: a for a in tags(page, "tr") if a.get("data-device")}
    assert set(rows) == {"r1", "r2", "old32", "new1"}  # the devices with configuration access
    assert rows["old32"].get("class") == "drifted" and rows["r1"].get("class") is None
    text = parse_html(page).text
    assert "drifted (1)" in text and "on record" in text

    w = world.ids
    old32 = html(client, "/config/old32")
    assert 'id="drift"' in old32 and "police rate 100 mbps" in old32
    assert f"Diff #{w['v_old32_2']} → #{w['v_old32_3']}" in parse_html(old32).text
    assert "+interface port1.100" in re.findall(r'<span class="dl dl-add">([^<]*)</span>', old32)
    checked = [a["value"] for a in tags(old32, "input", type="radio") if "checked" in a]
    assert checked == [str(w["v_old32_3"]), str(w["v_old32_2"])]  # to, from (newest first)
    chosen = html(client, f"/config/old32?from={w['v_old32_1']}&to={w['v_old32_3']}")
    assert f"Diff #{w['v_old32_1']} → #{w['v_old32_3']}" in parse_html(chosen).text
    assert "-   description uplink (old)" in parse_html(chosen).text
    shown = html(client, f"/config/old32?show={w['v_old32_3']}")
    version = parse_html(shown).text
    assert "snmp-server community <masked:" in version and "secrets masked" in version
    html(client, f"/config/old32?show={w['v_r1_1']}", status=404)
    html(client, "/config/old32?from=latest", status=400)
    html(client, "/config/nope", status=404)
    one = html(client, "/config/new1")  # access, no versions: no diff
    assert 'id="diff"' not in one and "No backups yet" in one
    for body in (page, old32, chosen, shown):
        assert not [c for c in CANARIES if c in body]


def test_drift_page(viewer: tuple[FlaskClient, str], world: World) -> None:
    client, _ = viewer
    page = html(client, "/drift")
    rows = [a["data-alarm-id"] for a in tags(page, "tr") if a.get("data-alarm-id")]
    assert rows == [str(world.ids["drift"]), str(world.ids["drift_evil"])]  # newest first, active only
    text = parse_html(page).text
    assert "interface port1.100    police rate 100 mbps" in text and "interface port1.100 shutdown" in text
    assert f'href="/alarms/{world.ids["drift"]}"' in page and f'href="/services/{SVC_IA}"' in page
    # Hostile strings from a device's configuration and a service's name stay text.
    assert XSS_SCRIPT in text and XSS_ATTR in text and HOSTILE_TEXT in text
    assert active_content(parse_html(page)) == []


def test_hostile_transaction_stays_inert(admin: tuple[FlaskClient, str]) -> None:
    client, _ = admin
    page = html(client, f"/transactions/{TX_EVIL}")
    parsed = parse_html(page)
    assert active_content(parsed) == [] and "<img" not in page and XSS_SCRIPT not in page
    assert (
        HOSTILE_TEXT in parsed.text
        and f"+{XSS_SCRIPT}" in parsed.text
        and f"description {XSS_ATTR}" in parsed.text
    )
    services = parse_html(html(client, "/services")).text
    assert HOSTILE_TEXT in services


def test_every_form_carries_a_csrf_token(app: Flask, world: World) -> None:
    ref, done_id, _ = make_done_service(world)
    client, _ = client_as(app, Role.ADMIN)
    seen: set[str] = set()
    for path in (
        f"/transactions/{done_id}",
        "/transactions",
        "/services",
        "/services?model=l2vpn-p2p",
        f"/services/{ref}",
        "/config",
        "/config/old32",
        "/drift",
    ):
        page = html(client, path)
        for action, has_token in post_forms(page):
            assert has_token, (path, action)
            seen.add(action)
        assert active_content(parse_html(page)) == [], path
    assert {f"/transactions/{done_id}/rollback", "/services", f"/services/{ref}/delete", "/logout"} <= seen
