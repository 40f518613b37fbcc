"""/api/v1 fault management: alarms (list, detail, actions), the summary behind the header
badge, events, and maintenance windows (create, read, delete, validation)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from inventory.choices import AckState, AlarmState, Role, Severity
from inventory.fault_models import MaintenanceWindow
from inventory.types import utcnow
from tests.web.faulttesting import (
    SUPPRESSION_REASON,
    THRESHOLD,
    UNKNOWN_SOURCE,
    expected_summary,
    history,
    load_alarm,
    make_alarm,
)
from tests.web.webtesting import NOW, World, bearer

API = "/api/v1"


@pytest.fixture
def api(app: Flask, world: World) -> Any:
    client: FlaskClient = app.test_client()

    def get(path: str, **query: Any) -> Any:
        return client.get(f"{API}{path}", query_string=query, headers=bearer(world))

    return get


def post(app: Flask, world: World, path: str, body: Any = None, role: Role = Role.ENGINEER) -> Any:
    client = app.test_client()
    if body is None:
        return client.post(f"{API}{path}", headers=bearer(world, role))
    return client.post(f"{API}{path}", json=body, headers=bearer(world, role))


def error(resp: Any, status: int, field: str | None = None) -> None:
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["code"] == str(status) and body["status"] == str(status)
    if field is not None:
        assert body["message"].startswith(f"{field}:"), body["message"]


def ids(resp: Any) -> list[int]:
    return [a["id"] for a in resp.get_json()]


# -- alarms --------------------------------------------------------------------------------------


def test_alarm_list_defaults_to_active(api: Any, world: World) -> None:
    resp = api("/alarms", limit=1000)
    body = resp.get_json()
    assert body and all(a["active"] and a["state"] != "cleared" for a in body)
    got = set(ids(resp))
    w = world.ids
    assert {w["a_root"], w["a_child"], w["a_planned"], w["a_threshold"], w["a_hostile"]} <= got
    assert w["a_cleared"] not in got
    assert resp.headers["X-Total-Count"] == str(len(body))
    raised = [a["raised_at"] for a in body]
    assert raised == sorted(raised, reverse=True)

    child = next(a for a in body if a["id"] == w["a_child"])
    assert (
        child["device"] == "r2"
        and child["interface"] == "ethernet-1/1"
        and child["object"] == "r2:ethernet-1/1"
    )
    assert child["suppressed_by"] == {"id": w["a_root"], "href": f"{API}/alarms/{w['a_root']}"}
    assert child["correlation"] == SUPPRESSION_REASON and child["root_cause"] is False
    assert child["tmf_href"] == f"/tmf-api/alarmManagement/v4/alarm/{w['a_child']}"
    root = next(a for a in body if a["id"] == w["a_root"])
    assert root["suppresses"] == [{"id": w["a_child"], "href": f"{API}/alarms/{w['a_child']}"}]
    planned = next(a for a in body if a["id"] == w["a_planned"])
    assert planned["planned"] is True and planned["maintenance_window"]["id"] == w["window"]
    threshold = next(a for a in body if a["id"] == w["a_threshold"])
    assert threshold["threshold"] == THRESHOLD and threshold["affected_services"][0]["id"] == "SVC-77"
    assert threshold["ack_state"] == "acknowledged" and threshold["ack_user"] == "admin"


def test_alarm_list_filters(api: Any, world: World) -> None:
    w = world.ids
    cleared = api("/alarms", state="cleared", limit=1000).get_json()
    assert cleared and all(a["state"] == "cleared" for a in cleared)
    assert w["a_cleared"] in [a["id"] for a in cleared]
    everything = api("/alarms", state="all", limit=1000)
    assert {w["a_cleared"], w["a_root"]} <= set(ids(everything))
    critical = api("/alarms", severity="critical", limit=1000).get_json()
    assert w["a_root"] in [a["id"] for a in critical] and all(a["severity"] == "critical" for a in critical)
    several = api("/alarms", severity="minor,warning", limit=1000).get_json()
    assert {a["severity"] for a in several} <= {"minor", "warning"}
    assert {w["a_threshold"], w["a_hostile"]} <= {a["id"] for a in several}
    assert ids(api("/alarms", device="r2")) == [w["a_child"], w["a_root"]]
    assert api("/alarms", device="no-such-device").get_json() == []
    roots = api("/alarms", root="true", limit=1000).get_json()
    assert roots and all(a["root_cause"] and a["suppressed_by"] is None for a in roots)
    assert w["a_child"] not in [a["id"] for a in roots]
    picked = api("/alarms", device="r2", fields="severity")
    assert picked.get_json() == [
        {"id": w["a_child"], "href": f"{API}/alarms/{w['a_child']}", "severity": "major"},
        {"id": w["a_root"], "href": f"{API}/alarms/{w['a_root']}", "severity": "critical"},
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"state": "open"}, "state"),
        ({"severity": "huge"}, "severity"),
        ({"root": "maybe"}, "root"),
        ({"x": "1"}, "x"),
    ],
)
def test_alarm_list_bad_queries(api: Any, query: dict[str, str], field: str) -> None:
    error(api("/alarms", **query), 400, field)


def test_alarm_detail(api: Any, world: World) -> None:
    w = world.ids
    root = api(f"/alarms/{w['a_root']}").get_json()
    assert [a["id"] for a in root["suppressed_alarms"]] == [w["a_child"]]
    assert root["suppressed_alarms"][0]["correlation"] == SUPPRESSION_REASON
    child = api(f"/alarms/{w['a_child']}").get_json()
    assert [h["action"] for h in child["history"]] == ["raised", "updated", "suppressed"]
    assert SUPPRESSION_REASON in child["history"][2]["text"]
    assert child["events_total"] == 1
    (linkdown,) = child["events"]
    assert linkdown["name"] == "linkDown" and linkdown["device"] == "r2" and linkdown["if_index"] == 1
    assert linkdown["varbinds"][0]["name"] == "ifIndex" and linkdown["alarm"]["id"] == w["a_child"]
    error(api("/alarms/999999"), 404)


def test_alarm_actions(app: Flask, world: World) -> None:
    alarm_id = make_alarm(world)
    doc = post(app, world, f"/alarms/{alarm_id}/ack").get_json()
    assert doc["ack_state"] == "acknowledged" and doc["ack_user"] == "engineer"
    assert doc["history"][-1]["action"] == "acknowledged" and doc["history"][-1]["user"] == "engineer"
    doc = post(app, world, f"/alarms/{alarm_id}/unack", role=Role.ADMIN).get_json()
    assert doc["ack_state"] == "unacknowledged" and doc["history"][-1]["user"] == "admin"
    doc = post(app, world, f"/alarms/{alarm_id}/comment", {"text": "  on site at 14:00  "}).get_json()
    assert doc["history"][-1]["action"] == "comment" and doc["history"][-1]["text"] == "on site at 14:00"
    doc = post(app, world, f"/alarms/{alarm_id}/clear", {"text": "fibre spliced"}).get_json()
    assert doc["state"] == "cleared" and doc["severity"] == "cleared" and doc["clear_user"] == "engineer"
    assert (doc["history"][-1]["action"], doc["history"][-1]["text"]) == ("cleared", "fibre spliced")
    rows = history(world, alarm_id)
    assert [h.action for h in rows] == ["raised", "acknowledged", "unacknowledged", "comment", "cleared"]
    assert all(h.published is False for h in rows[1:])  # for the agent's announcer to pick up


def test_alarm_action_errors(app: Flask, world: World, engineer: tuple[FlaskClient, str]) -> None:
    alarm_id = make_alarm(world)
    error(post(app, world, f"/alarms/{alarm_id}/comment", {"text": "   "}), 400, "text")
    error(post(app, world, f"/alarms/{alarm_id}/comment", {}), 400, "text")
    error(post(app, world, f"/alarms/{alarm_id}/comment", {"text": "x" * 4001}), 400, "text")
    error(post(app, world, f"/alarms/{alarm_id}/clear", {"reason": "x"}), 400, "reason")
    error(post(app, world, f"/alarms/{alarm_id}/ack", {"force": True}), 400, "force")
    for action in ("ack", "unack", "clear"):
        error(post(app, world, f"/alarms/{alarm_id}/{action}", role=Role.VIEWER), 403)
    error(post(app, world, "/alarms/999999/ack"), 404)
    client, token = engineer
    error(client.post(f"{API}/alarms/{alarm_id}/ack"), 400)  # session without the CSRF header
    assert [h.action for h in history(world, alarm_id)] == ["raised"]
    ok = client.post(f"{API}/alarms/{alarm_id}/ack", headers={"X-CSRF-Token": token})
    assert ok.status_code == 200 and load_alarm(world, alarm_id).ack_state is AckState.ACKNOWLEDGED


def test_summary_matches_the_alarms(app: Flask, api: Any, world: World) -> None:
    def check() -> dict[str, Any]:
        doc = api("/alarms/summary").get_json()
        want = expected_summary(world)
        assert doc["root"] == want["root"] == doc["badge"]["count"]
        assert doc["worst"] == want["worst"]
        for sev, counts in doc["by_severity"].items():
            assert counts == want["by_severity"].get(sev, {"root": 0, "suppressed": 0, "planned": 0}), sev
        assert doc["active"] == doc["root"] + doc["suppressed"] + doc["planned"]
        assert doc["badge"]["href"] == "/alarms"
        return dict(doc)

    before = check()
    assert before["worst"] == "critical" and before["badge"]["level"] == "critical"  # a_root
    assert (
        before["by_severity"]["major"]["suppressed"] >= 1 and before["by_severity"]["minor"]["planned"] >= 1
    )
    # A new root alarm counts; a suppressed or planned one does not count as root.
    make_alarm(world, perceived_severity=Severity.MAJOR)
    make_alarm(world, perceived_severity=Severity.MAJOR, planned=True)
    after = check()
    assert after["root"] == before["root"] + 1 and after["planned"] == before["planned"] + 1
    cleared = make_alarm(world, perceived_severity=Severity.MAJOR)
    post(app, world, f"/alarms/{cleared}/clear")
    assert check()["root"] == after["root"]


# -- events --------------------------------------------------------------------------------------


def test_events(api: Any, world: World) -> None:
    resp = api("/events")
    body = resp.get_json()
    assert resp.headers["X-Total-Count"] == str(len(body)) == "3"
    assert [e["received_at"] for e in body] == sorted((e["received_at"] for e in body), reverse=True)
    unknown = next(e for e in body if e["device"] is None)
    assert unknown["source_address"] == UNKNOWN_SOURCE and unknown["version"] == "v1"
    assert unknown["name"] == "unknown" and unknown["alarm"] is None and unknown["device_href"] is None
    assert [e["name"] for e in api("/events", device="r2").get_json()] == ["linkDown"]
    assert [e["source_address"] for e in api("/events", name="unknown").get_json()] == [UNKNOWN_SOURCE]
    since = (NOW - timedelta(minutes=5)).isoformat()
    assert {e["name"] for e in api("/events", since=since).get_json()} == {"unknown", "authenticationFailure"}
    paged = api("/events", limit=1, offset=1)
    assert len(paged.get_json()) == 1 and paged.headers["X-Total-Count"] == "3"
    error(api("/events", since="last tuesday"), 400, None)
    error(api("/events", colour="red"), 400, "colour")


# -- maintenance windows -------------------------------------------------------------------------


def _window(**kw: Any) -> dict[str, Any]:
    start = utcnow().replace(microsecond=0) + timedelta(hours=2)
    body: dict[str, Any] = {
        "name": "core swap",
        "description": "replace r1's line card",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
        "targets": {"devices": ["r1"], "sites": ["lab-site"]},
    }
    body.update(kw)
    return body


def test_maintenance_windows_crud(app: Flask, api: Any, world: World) -> None:
    listed = api("/maintenance-windows").get_json()
    fixture = next(w for w in listed if w["id"] == world.ids["window"])
    assert fixture["open_now"] is True and fixture["targets"] == {"devices": ["old32"], "sites": []}
    weekly = next(w for w in listed if w["id"] == world.ids["weekly"])
    assert weekly["open_now"] is False and weekly["recurrence"] == "weekly"
    assert weekly["next_occurrence"]["starts_at"] == weekly["starts_at"]

    body = _window(recurrence="daily", until=(utcnow() + timedelta(days=7)).isoformat())
    resp = post(app, world, "/maintenance-windows", body)
    assert resp.status_code == 201, resp.get_json()
    doc = resp.get_json()
    assert resp.headers["Location"] == doc["href"] == f"{API}/maintenance-windows/{doc['id']}"
    assert doc["name"] == "core swap" and doc["created_by"] == "engineer" and doc["recurrence"] == "daily"
    assert doc["targets"] == {"devices": ["r1"], "sites": ["lab-site"]}
    assert doc["open_now"] is False and doc["next_occurrence"]["starts_at"] == doc["starts_at"]
    assert api(f"/maintenance-windows/{doc['id']}").get_json() == doc
    assert doc["id"] in [w["id"] for w in api("/maintenance-windows").get_json()]

    client = app.test_client()
    error(client.delete(f"{API}/maintenance-windows/{doc['id']}", headers=bearer(world, Role.VIEWER)), 403)
    deleted = client.delete(f"{API}/maintenance-windows/{doc['id']}", headers=bearer(world, Role.ENGINEER))
    assert deleted.status_code == 204
    error(api(f"/maintenance-windows/{doc['id']}"), 404)
    with world.sessions() as s:
        assert s.get(MaintenanceWindow, doc["id"]) is None


def test_open_recurring_window_shows_its_current_occurrence(app: Flask, world: World) -> None:
    first = datetime(2020, 1, 1, tzinfo=UTC)
    now = utcnow()
    # A daily window that started years ago and covers the whole day: open now.
    body = _window(
        name="always",
        starts_at=first.isoformat(),
        ends_at=(first + timedelta(hours=24)).isoformat(),
        recurrence="daily",
        targets={"devices": ["r2"]},
    )
    doc = post(app, world, "/maintenance-windows", body).get_json()
    assert doc["open_now"] is True
    start = datetime.fromisoformat(doc["next_occurrence"]["starts_at"].replace("Z", "+00:00"))
    assert start <= now < start + timedelta(days=1)
    app.test_client().delete(doc["href"], headers=bearer(world, Role.ENGINEER))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"targets": {"devices": ["r1", "nope"]}}, "targets.devices"),
        ({"targets": {"sites": ["mars"]}}, "targets.sites"),
        ({"targets": {}}, "targets"),
        ({"targets": {"devices": "r1"}}, "targets.devices"),
        ({"targets": {"racks": ["a"]}}, "targets.racks"),
        ({"name": ""}, "name"),
        ({"name": "x" * 129}, "name"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"ends_at": None}, "ends_at"),
        ({"ends_at": "2020-01-01T00:00:00Z"}, "ends_at"),
        ({"recurrence": "monthly"}, "recurrence"),
        ({"until": "2030-01-01T00:00:00Z"}, "until"),
        ({"recurrence": "daily", "until": "2001-01-01T00:00:00Z"}, "until"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_maintenance_window_validation(app: Flask, world: World, changes: dict[str, Any], field: str) -> None:
    with world.sessions() as s:
        before = len(list(s.scalars(select(MaintenanceWindow.id))))
    resp = post(app, world, "/maintenance-windows", _window(**changes))
    error(resp, 400, field)
    for unknown in ("nope", "mars"):
        if unknown in str(changes):  # the unknown names are named, and only they
            assert resp.get_json()["message"].endswith(f"unknown: {unknown!r}")
    with world.sessions() as s:
        assert len(list(s.scalars(select(MaintenanceWindow.id)))) == before


def test_daily_window_longer_than_a_day_is_refused(app: Flask, world: World) -> None:
    start = datetime(2030, 1, 1, tzinfo=UTC)
    body = _window(
        starts_at=start.isoformat(), ends_at=(start + timedelta(hours=25)).isoformat(), recurrence="daily"
    )
    error(post(app, world, "/maintenance-windows", body), 400, "ends_at")


def test_maintenance_window_needs_engineer_and_json(app: Flask, world: World) -> None:
    error(post(app, world, "/maintenance-windows", _window(), role=Role.VIEWER), 403)
    resp = app.test_client().post(
        f"{API}/maintenance-windows", data="name=x", headers=bearer(world, Role.ENGINEER)
    )
    error(resp, 415)


def test_alarm_states_unchanged_by_reads(api: Any, world: World) -> None:
    # The fixture alarms stay as built, whatever the other tests did with their own.
    assert load_alarm(world, world.ids["a_root"]).state is AlarmState.RAISED
    assert load_alarm(world, world.ids["a_threshold"]).ack_state is AckState.ACKNOWLEDGED
