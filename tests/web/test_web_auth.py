"""Authentication, authorisation and CSRF: who may reach what, and how they get there."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.routing import Rule

from inventory.accounts import create_token, create_user, set_password
from inventory.choices import Role
from inventory.models import ApiToken, JobRequest, User
from inventory.types import utcnow
from tests.web.bsstesting import MESSAGES, ORDER_CANCELLED, ORDER_DONE, SP_RESOLVED
from tests.web.provtesting import SVC_IA, TX_DONE
from tests.web.webtesting import (
    PASSWORD,
    World,
    active_content,
    bearer,
    client_as,
    csrf_from,
    login,
    parse_html,
)

PUBLIC_ENDPOINTS = {"static", "auth.login", "ops.health", "ops.metrics"}


def path_values(world: World) -> dict[str, object]:
    """A value for every path parameter the app uses. A new parameter fails the test below
    until it gets one here, so a new route is never silently left untested."""
    return {
        "name": "r1",
        "interface_id": world.ids["r1_e1"],
        "alarm_id": world.ids["a_root"],
        "window_id": world.ids["window"],
        "hub_id": world.ids["hub"],
        "tx_id": TX_DONE,
        "external_id": SVC_IA,
        "version_id": world.ids["v_r1_2"],
        "order_id": ORDER_DONE,
        "cancel_id": f"{ORDER_CANCELLED}-cancel",
        "service_order_id": f"SO-{ORDER_DONE}",
        "offering_id": "OFF-INET-100M",
        "customer_id": "CUST-1",
        "service_id": SVC_IA,
        "resource_id": "r1:ethernet-1/1",
        "problem_id": SP_RESOLVED,
        "message_id": MESSAGES[0],
        "credit_id": world.refs["credit"],
    }


def protected_routes(app: Flask, world: World) -> Iterator[tuple[str, str, str]]:
    """(method, path, endpoint) for every method of every non-public rule."""
    values = path_values(world)
    rules: list[Rule] = list(app.url_map.iter_rules())
    for rule in rules:
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        missing = set(rule.arguments) - set(values)
        assert not missing, f"add a test value for path parameter(s) {missing} of {rule.rule}"
        built = rule.build({k: values[k] for k in rule.arguments})
        assert built is not None
        path = built[1]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield method, path, rule.endpoint


def test_every_route_is_listed(app: Flask, world: World) -> None:
    routes = list(protected_routes(app, world))
    endpoints = {e for _, _, e in routes}
    # The known routes are there (so the walk below is not vacuous)...
    assert {
        "dashboard.devices",
        "dashboard.device",
        "dashboard.links",
        "dashboard.discover",
        "auth.logout",
        "api.list_devices",
        "api.list_interface_samples",
        "api.discover_device",
        "api.openapi_document",
        "api.list_alarms",
        "api.ack_alarm",
        "api.create_maintenance_window",
        "dashboard.alarms",
        "dashboard.alarm_ack",
        "dashboard.maintenance_delete",
        "dashboard.events",
        "tmf_alarm.list_alarms",
        "tmf_alarm.patch_alarm",
        "tmf_alarm.delete_hub",
        "tmf_alarm_alias.ack_alarms",
        "tmf_alarm_alias.register_hub",
        "api.list_transactions",
        "api.create_transaction",
        "api.rollback_transaction",
        "api.modify_service",
        "api.delete_service",
        "api.config_diff",
        "api.list_config_drift",
        "dashboard.transaction_rollback",
        "dashboard.service_create",
        "dashboard.config_device",
        "dashboard.drift",
        "dashboard.customers",
        "dashboard.customer",
        "dashboard.orders",
        "dashboard.order",
        "dashboard.outages",
        "dashboard.outage",
        "dashboard.credits",
        "api.list_customers",
        "api.customer_statement",
        "api.list_orders",
        "tmf_ordering.create_order",
        "tmf_ordering.cancel",
        "tmf_ordering.register_hub",
        "tmf_service_ordering.get_service_order",
        "tmf_catalog.get_offering",
        "tmf_customer.create",
        "tmf_service_inventory.get_service",
        "tmf_resource_inventory.get_resource",
        "tmf_problem.patch_problem",
        "tmf_communication.list_messages",
        "tmf_bill.get_credit",
        "tmf_bill.delete_hub",
    } <= endpoints
    # ...and the public ones are only these.
    all_endpoints = {r.endpoint for r in app.url_map.iter_rules()}
    assert all_endpoints - endpoints == PUBLIC_ENDPOINTS


def test_anonymous_is_refused_everywhere(app: Flask, world: World) -> None:
    client = app.test_client()
    for method, path, endpoint in protected_routes(app, world):
        resp = client.open(path, method=method)
        if path.startswith(("/api/", "/tmf-api/")):
            assert resp.status_code == 401, (method, path)
            assert resp.is_json and resp.get_json()["code"] == "401", (method, path)
            assert resp.get_json()["reason"] == "Unauthorized"
            assert resp.headers["WWW-Authenticate"].startswith("Bearer"), (method, path)
        else:
            assert resp.status_code == 302, (method, path, endpoint)
            target = urlsplit(resp.headers["Location"])
            assert target.path == "/login", (method, path)
            if method == "GET":
                assert parse_qs(target.query)["next"] == [path]


def test_public_routes_need_no_login(client: FlaskClient) -> None:
    assert client.get("/login").status_code == 200
    assert client.get("/health").status_code == 200
    assert client.get("/metrics").status_code == 200
    assert client.get("/static/css/app.css").status_code == 200


def test_login_and_logout(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/login?next=/links")
    assert page.status_code == 200
    token = csrf_from(page.get_data(as_text=True))
    resp = client.post(
        "/login", data={"username": "viewer", "password": PASSWORD, "csrf_token": token, "next": "/links"}
    )
    assert resp.status_code == 302 and resp.headers["Location"] == "/links"
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "ossagent_session=" in cookie
    page = client.get("/devices")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert ">viewer<" in html
    # The token issued before login is worth nothing after it.
    new_token = csrf_from(html)
    assert new_token != token

    # Logout is POST-only and needs the CSRF token.
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/devices").status_code == 200  # still logged in
    resp = client.post("/logout", data={"csrf_token": new_token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    assert client.get("/devices").status_code == 302


def test_wrong_password_fails_and_is_logged_without_the_password(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    wrong = "not-the-password-QQQ"
    with caplog.at_level(logging.INFO):
        resp = client.post("/login", data={"username": "viewer", "password": wrong, "csrf_token": token})
        unknown = client.post("/login", data={"username": "nobody", "password": wrong, "csrf_token": token})
    assert resp.status_code == 200 and "Wrong user name or password" in resp.get_data(as_text=True)
    assert unknown.status_code == 200
    assert client.get("/devices").status_code == 302
    failures = [r for r in caplog.records if "login failed" in r.getMessage()]
    assert len(failures) == 2 and "'viewer'" in failures[0].getMessage()
    assert all(wrong not in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "///evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "evil.example",
    ],
)
def test_login_refuses_open_redirects(app: Flask, target: str) -> None:
    client = app.test_client()
    page = client.get("/login", query_string={"next": target})
    html = page.get_data(as_text=True)
    assert 'name="next"' not in html  # not even carried in the form
    token = csrf_from(html)
    resp = client.post(
        "/login", data={"username": "viewer", "password": PASSWORD, "csrf_token": token, "next": target}
    )
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/devices"


def test_login_keeps_a_same_site_next_with_query(app: Flask) -> None:
    client = app.test_client()
    resp = client.get("/devices/r1?x=1")
    assert parse_qs(urlsplit(resp.headers["Location"]).query)["next"] == ["/devices/r1?x=1"]
    token = csrf_from(client.get("/login").get_data(as_text=True))
    resp = client.post(
        "/login",
        data={"username": "viewer", "password": PASSWORD, "csrf_token": token, "next": "/devices/r1?x=1"},
    )
    assert resp.headers["Location"] == "/devices/r1?x=1"


def test_login_post_needs_a_valid_csrf_token(app: Flask) -> None:
    client = app.test_client()
    client.get("/login")
    no_token = client.post("/login", data={"username": "viewer", "password": PASSWORD})
    assert no_token.status_code == 400
    bad = client.post("/login", data={"username": "viewer", "password": PASSWORD, "csrf_token": "forged"})
    assert bad.status_code == 400
    assert "did not come from this site" in bad.get_data(as_text=True)
    # Neither logged anybody in.
    assert client.get("/devices").status_code == 302


def _open_requests(world: World, device_id: int, kind: str) -> list[JobRequest]:
    with world.sessions() as s:
        return list(
            s.scalars(
                select(JobRequest).where(
                    JobRequest.device_id == device_id, JobRequest.kind == kind, JobRequest.taken_at.is_(None)
                )
            )
        )


def _agent_takes_everything(world: World) -> None:
    """What the agent's scheduler does with open requests."""
    with world.sessions.begin() as s:
        s.execute(update(JobRequest).where(JobRequest.taken_at.is_(None)).values(taken_at=utcnow()))


def test_discover_button_writes_a_job_request(world: World, engineer: tuple[FlaskClient, str]) -> None:
    client, token = engineer
    _agent_takes_everything(world)
    page = client.get("/devices/r1").get_data(as_text=True)
    assert "Discover now" in page

    assert client.post("/devices/r1/discover").status_code == 400
    assert client.post("/devices/r1/discover", data={"csrf_token": "wrong"}).status_code == 400
    assert _open_requests(world, world.ids["r1"], "discover") == []

    resp = client.post("/devices/r1/discover", data={"csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/devices/r1"
    rows = _open_requests(world, world.ids["r1"], "discover")
    assert [(r.kind, r.device_id, r.requested_by) for r in rows] == [
        ("discover", world.ids["r1"], "engineer")
    ]
    assert "Discovery of r1 requested" in client.get("/devices/r1").get_data(as_text=True)

    # A second click while the first request waits queues nothing new.
    client.post("/devices/r1/discover", data={"csrf_token": token})
    assert len(_open_requests(world, world.ids["r1"], "discover")) == 1
    assert client.post("/devices/nope/discover", data={"csrf_token": token}).status_code == 404


def test_viewer_may_not_trigger_actions(world: World, viewer: tuple[FlaskClient, str]) -> None:
    client, token = viewer
    _agent_takes_everything(world)
    page = client.get("/devices/r1").get_data(as_text=True)
    assert "Discover now" not in page
    assert client.post("/devices/r1/discover", data={"csrf_token": token}).status_code == 403
    assert client.post("/devices/r1/poll", data={"csrf_token": token}).status_code == 403
    api = client.post("/api/v1/devices/r1/discover", headers={"X-CSRF-Token": token})
    assert api.status_code == 403 and api.get_json()["code"] == "403"
    api = client.post("/api/v1/devices/r1/poll", headers=bearer(world, Role.VIEWER))
    assert api.status_code == 403 and api.get_json()["reason"] == "Forbidden"
    assert _open_requests(world, world.ids["r1"], "discover") == []
    assert _open_requests(world, world.ids["r1"], "poll") == []


def test_api_writes_by_session_need_the_csrf_header(world: World, admin: tuple[FlaskClient, str]) -> None:
    client, token = admin
    _agent_takes_everything(world)
    assert client.get("/api/v1/devices").status_code == 200  # reads by cookie are fine
    refused = client.post("/api/v1/devices/r2/poll")
    assert refused.status_code == 400 and refused.get_json()["code"] == "400"
    assert client.post("/api/v1/devices/r2/poll", headers={"X-CSRF-Token": "nope"}).status_code == 400
    assert _open_requests(world, world.ids["r2"], "poll") == []
    ok = client.post("/api/v1/devices/r2/poll", headers={"X-CSRF-Token": token})
    assert ok.status_code == 202 and ok.get_json()["requested_by"] == "admin"


def test_api_tokens(world: World, app: Flask) -> None:
    client = app.test_client()
    resp = client.get("/api/v1/devices", headers=bearer(world))
    assert resp.status_code == 200
    # Bearer writes need no CSRF token: the browser never sends a bearer token by itself.
    _agent_takes_everything(world)
    resp = client.post("/api/v1/devices/r2/discover", headers=bearer(world, Role.ENGINEER))
    assert resp.status_code == 202 and resp.get_json()["kind"] == "discover"

    for header in ("Bearer oss_not-a-real-token", "Bearer ", "Basic dmlld2VyOnBhc3N3b3Jk", "oss_x"):
        resp = client.get("/api/v1/devices", headers={"Authorization": header})
        assert resp.status_code == 401, header
    resp = client.get("/api/v1/devices", headers={"Authorization": "Bearer oss_forged"})
    assert 'error="invalid_token"' in resp.headers["WWW-Authenticate"]
    # Tokens are for the API only; pages use the login session.
    assert client.get("/devices", headers=bearer(world)).status_code == 302


def test_revoked_tokens_and_disabled_users_are_refused(world: World, app: Flask) -> None:
    with world.sessions.begin() as s:
        user = create_user(s, "temp-token-user", PASSWORD, Role.ADMIN)
        revoked = create_token(s, user)
        s.execute(update(ApiToken).where(ApiToken.user_id == user.id).values(revoked=True))
        live = create_token(s, user)
        uid = user.id
    client = app.test_client()
    assert client.get("/api/v1/links", headers={"Authorization": f"Bearer {revoked}"}).status_code == 401
    assert client.get("/api/v1/links", headers={"Authorization": f"Bearer {live}"}).status_code == 200
    with world.sessions.begin() as s:
        s.execute(update(User).where(User.id == uid).values(disabled=True))
    assert client.get("/api/v1/links", headers={"Authorization": f"Bearer {live}"}).status_code == 401


def test_password_change_ends_sessions(world: World, app: Flask) -> None:
    with world.sessions.begin() as s:
        create_user(s, "temp-session-user", PASSWORD, Role.VIEWER)
    client = app.test_client()
    login(client, "temp-session-user")
    assert client.get("/devices").status_code == 200
    with world.sessions.begin() as s:
        user = s.scalars(select(User).where(User.name == "temp-session-user")).one()
        set_password(s, user, "another-password-123")
    assert client.get("/devices").status_code == 302


def test_forged_session_cookie_is_refused(app: Flask) -> None:
    client = app.test_client()
    client.set_cookie("ossagent_session", "eyJ1aWQiOjF9.forged.signature")
    assert client.get("/devices").status_code == 302
    assert client.get("/api/v1/devices").status_code == 401


def test_security_headers_on_every_kind_of_response(world: World, app: Flask) -> None:
    client, _ = client_as(app, Role.VIEWER)
    anonymous = app.test_client()
    responses = {
        "page": client.get("/devices/r1"),
        "api": client.get("/api/v1/devices"),
        "404 page": client.get("/devices/nope"),
        "404 api": client.get("/api/v1/devices/nope"),
        "redirect": anonymous.get("/devices"),
        "401": anonymous.get("/api/v1/devices"),
        "login": anonymous.get("/login"),
        "static": anonymous.get("/static/js/graphs.js"),
        "metrics": anonymous.get("/metrics"),
    }
    for what, resp in responses.items():
        csp = resp.headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, what
        assert "frame-ancestors 'none'" in csp, what
        assert resp.headers.get("X-Content-Type-Options") == "nosniff", what
        assert resp.headers.get("X-Frame-Options") == "DENY", what
        assert resp.headers.get("Referrer-Policy") == "same-origin", what
    assert responses["page"].headers["Cache-Control"] == "no-store"
    assert responses["api"].headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script_or_handlers(world: World, admin: tuple[FlaskClient, str]) -> None:
    client, _ = admin
    for path in ("/devices", "/devices/r1", "/devices/evil", "/links", "/login", "/devices/nope"):
        html = client.get(path).get_data(as_text=True)
        page = parse_html(html)
        assert active_content(page) == [], path
        assert any(tag == "script" for tag, _ in page.tags) or path in ("/login", "/devices/nope")
        assert "http://" not in html and "https://" not in html, path  # no CDN, nothing remote
