"""TMF642 Alarm Management: list filters, paging, fields, both base paths, retrieve, PATCH,
the task resources and listener registration (/hub)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from inventory.choices import AckState, AlarmState, Role, Severity
from inventory.fault_models import Alarm, HubSubscription
from inventory.types import utcnow
from tests.web.faulttesting import (
    PUBLIC_CALLBACK,
    SUPPRESSION_REASON,
    THRESHOLD,
    history,
    load_alarm,
    make_alarm,
)
from tests.web.webtesting import NOW, SECRET_KEY, World, bearer
from web import ConfigError, create_app
from web.tmf import alarm_api

BASE = "/tmf-api/alarmManagement/v4"
ALIAS = "/tmf-api/alarm/v4"
MERGE = "application/merge-patch+json"


def iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


@pytest.fixture
def tmf(app: Flask, world: World) -> Callable[..., Any]:
    """GET under the primary base path as a viewer (reads are for every role)."""
    client = app.test_client()

    def get(path: str, query: Any = None, base: str = BASE) -> Any:
        return client.get(f"{base}{path}", query_string=query, headers=bearer(world, Role.VIEWER))

    return get


def ids(resp: Any) -> list[int]:
    return [int(a["id"]) for a in resp.get_json()]


def all_alarm_ids(world: World) -> set[int]:
    with world.sessions() as s:
        return set(s.scalars(select(Alarm.id)))


def assert_error(resp: Any, status: int, field: str | None = None) -> None:
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["code"] == str(status) and body["status"] == str(status) and body["reason"]
    if field is not None:
        assert body["message"].startswith(f"{field}:"), body["message"]


# -- list ----------------------------------------------------------------------------------------


def test_list_newest_first_with_count_headers(tmf: Any, world: World) -> None:
    resp = tmf("/alarm", {"limit": 1000})
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    body = resp.get_json()
    everything = all_alarm_ids(world)
    assert resp.headers["X-Total-Count"] == str(len(everything))
    assert resp.headers["X-Result-Count"] == str(len(body)) == str(len(everything))
    assert set(ids(resp)) == everything
    raised = [(a["alarmRaisedTime"], int(a["id"])) for a in body]
    assert raised == sorted(raised, reverse=True)
    assert {a["@type"] for a in body} == {"Alarm"}
    root = next(a for a in body if a["id"] == str(world.ids["a_root"]))
    assert root["href"] == f"{BASE}/alarm/{world.ids['a_root']}"
    assert root["perceivedSeverity"] == "critical" and root["isRootCause"] is True
    assert root["correlatedAlarm"] == [
        {"id": str(world.ids["a_child"]), "href": f"{BASE}/alarm/{world.ids['a_child']}"}
    ]


def test_alias_base_path_serves_the_same(tmf: Any, world: World) -> None:
    query = {"alarmedObject.id": "r2", "fields": "state"}
    primary, alias = tmf("/alarm", query), tmf("/alarm", query, base=ALIAS)
    assert alias.status_code == 200 and alias.get_json() == primary.get_json()
    one = tmf(f"/alarm/{world.ids['a_child']}", base=ALIAS)
    assert one.get_json() == tmf(f"/alarm/{world.ids['a_child']}").get_json()


def _ago(minutes: int) -> str:
    return iso(NOW - timedelta(minutes=minutes))


@pytest.mark.parametrize(
    ("query", "check", "included", "excluded"),
    [
        ({"state": "cleared"}, lambda a: a["state"] == "cleared", ["a_cleared"], ["a_root"]),
        ({"state": ["raised", "updated"]}, lambda a: a["state"] != "cleared", ["a_root"], ["a_cleared"]),
        ({"state": "raised,updated"}, lambda a: a["state"] != "cleared", ["a_child"], ["a_cleared"]),
        (
            {"perceivedSeverity": "critical"},
            lambda a: a["perceivedSeverity"] == "critical",
            ["a_root"],
            ["a_child"],
        ),
        (
            {"perceivedSeverity": ["minor", "warning"]},
            lambda a: a["perceivedSeverity"] in ("minor", "warning"),
            ["a_threshold", "a_hostile", "a_planned"],
            ["a_root"],
        ),
        (
            {"ackState": "acknowledged"},
            lambda a: a["ackState"] == "acknowledged",
            ["a_threshold"],
            ["a_root"],
        ),
        (
            {"alarmType": "qualityOfServiceAlarm"},
            lambda a: a["alarmType"] == "qualityOfServiceAlarm",
            ["a_threshold"],
            ["a_child"],
        ),
        (
            {"probableCause": "thresholdCrossed"},
            lambda a: a["probableCause"] == "thresholdCrossed",
            ["a_threshold"],
            ["a_root"],
        ),
        (
            {"alarmedObjectType": "Interface"},
            lambda a: a["alarmedObjectType"] == "Interface",
            ["a_child", "a_threshold"],
            ["a_root"],
        ),
        ({"isRootCause": "false"}, lambda a: a["isRootCause"] is False, ["a_child"], ["a_root"]),
        ({"isRootCause": "true"}, lambda a: a["isRootCause"] is True, ["a_root"], ["a_child"]),
        ({"isRootCause": ["true", "false"]}, lambda a: True, ["a_root", "a_child"], []),
    ],
)
def test_list_filters(
    tmf: Any, world: World, query: dict[str, Any], check: Any, included: list[str], excluded: list[str]
) -> None:
    resp = tmf("/alarm", query)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body and all(check(a) for a in body), query
    got = set(ids(resp))
    assert {world.ids[k] for k in included} <= got
    assert not {world.ids[k] for k in excluded} & got
    assert resp.headers["X-Total-Count"] == str(len(body))


def test_exact_filters(tmf: Any, world: World) -> None:
    w = world.ids
    assert ids(tmf("/alarm", {"alarmedObject.id": "r2:ethernet-1/1"})) == [w["a_child"]]
    # Repeated = OR; newest first.
    assert ids(tmf("/alarm", {"alarmedObject.id": ["r2", "r2:ethernet-1/1"]})) == [w["a_child"], w["a_root"]]
    assert ids(tmf("/alarm", {"externalAlarmId": "r2/device/device"})) == [w["a_root"]]
    assert ids(tmf("/alarm", {"id": f"{w['a_root']},{w['a_planned']}"})) == [w["a_planned"], w["a_root"]]
    # Filters AND together.
    assert ids(tmf("/alarm", {"alarmedObject.id": ["r2", "r2:ethernet-1/1"], "isRootCause": "true"})) == [
        w["a_root"]
    ]
    # Raise-time comparisons: a_root 30 min ago, a_child 29, a_planned 20 (test alarms are newer).
    window = {"alarmRaisedTime.gte": _ago(30), "alarmRaisedTime.lt": _ago(20)}
    assert ids(tmf("/alarm", window)) == [w["a_child"], w["a_root"]]
    window = {"alarmRaisedTime.gt": _ago(30), "alarmRaisedTime.lte": _ago(20)}
    assert ids(tmf("/alarm", window)) == [w["a_planned"], w["a_child"]]
    # An offset written with "+" that arrived as a space (unencoded query string).
    local = (NOW - timedelta(minutes=30)).astimezone().isoformat()
    spaced = local.replace("+", " ")
    assert ids(tmf("/alarm", {"alarmRaisedTime.lte": spaced, "alarmRaisedTime.gte": local})) == [w["a_root"]]
    assert tmf("/alarm", {"externalAlarmId": "nope"}).get_json() == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"state": "open"}, "state"),
        ({"perceivedSeverity": "huge"}, "perceivedSeverity"),
        ({"isRootCause": "maybe"}, "isRootCause"),
        ({"alarmRaisedTime.gt": "yesterday"}, "alarmRaisedTime.gt"),
        ({"alarmRaisedTime.gt": [_ago(1), _ago(2)]}, "alarmRaisedTime.gt"),
        ({"id": "abc"}, "id"),
        ({"limit": 0}, None),
        ({"limit": 1001}, None),
    ],
)
def test_bad_list_queries(tmf: Any, query: dict[str, Any], field: str | None) -> None:
    assert_error(tmf("/alarm", query), 400, field)


def test_paging_and_fields(tmf: Any, world: World) -> None:
    everything = ids(tmf("/alarm", {"limit": 1000}))
    page = tmf("/alarm", {"offset": 1, "limit": 2})
    assert ids(page) == everything[1:3]
    assert page.headers["X-Total-Count"] == str(len(everything)) and page.headers["X-Result-Count"] == "2"
    past = tmf("/alarm", {"offset": 10_000})
    assert past.get_json() == [] and past.headers["X-Result-Count"] == "0"
    picked = tmf("/alarm", {"fields": "state,perceivedSeverity", "limit": 3}).get_json()
    assert all(set(a) == {"id", "href", "@type", "state", "perceivedSeverity"} for a in picked)
    one = tmf(f"/alarm/{world.ids['a_threshold']}", {"fields": "crossedThresholdInformation"}).get_json()
    assert one == {
        "id": str(world.ids["a_threshold"]),
        "href": f"{BASE}/alarm/{world.ids['a_threshold']}",
        "@type": "Alarm",
        "crossedThresholdInformation": THRESHOLD,
    }


def test_list_costs_the_same_statements_for_any_page_size(app: Flask, world: World) -> None:
    for _ in range(3):
        make_alarm(world)  # a page of several alarms with history, besides the fixtures
    client = app.test_client()
    headers = bearer(world, Role.VIEWER)
    counts = []
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    for limit in (1, 100):
        statements.clear()
        event.listen(world.engine, "before_cursor_execute", count)
        try:
            resp = client.get(f"{BASE}/alarm", query_string={"limit": limit}, headers=headers)
        finally:
            event.remove(world.engine, "before_cursor_execute", count)
        assert resp.status_code == 200 and len(resp.get_json()) == min(
            limit, int(resp.headers["X-Total-Count"])
        )
        counts.append(len(statements))
    # The token check and its commit, the count, the page, its history, its children.
    assert counts[0] == counts[1] <= 8, counts


# -- one alarm -----------------------------------------------------------------------------------


def test_retrieve(tmf: Any, world: World) -> None:
    child = tmf(f"/alarm/{world.ids['a_child']}").get_json()
    assert child["parentAlarm"] == [
        {"id": str(world.ids["a_root"]), "href": f"{BASE}/alarm/{world.ids['a_root']}"}
    ]
    assert child["isRootCause"] is False and child["alarmDetails"] == SUPPRESSION_REASON
    assert child["x_suppressedBy"] == str(world.ids["a_root"]) and child["x_occurrences"] == 3
    assert child["alarmedObject"]["id"] == "r2:ethernet-1/1" and child["alarmedObjectType"] == "Interface"
    threshold = tmf(f"/alarm/{world.ids['a_threshold']}").get_json()
    assert threshold["crossedThresholdInformation"] == THRESHOLD
    assert threshold["affectedService"][0]["id"] == "SVC-77" and threshold["serviceAffecting"] is True
    assert threshold["ackState"] == "acknowledged" and threshold["ackUserId"] == "admin"
    planned = tmf(f"/alarm/{world.ids['a_planned']}").get_json()
    assert planned["plannedOutageIndicator"] == "OutOfService"
    cleared = tmf(f"/alarm/{world.ids['a_cleared']}").get_json()
    assert cleared["state"] == "cleared" and cleared["alarmClearedTime"] is not None


def test_retrieve_unknown_is_a_tmf_404(tmf: Any) -> None:
    assert_error(tmf("/alarm/999999"), 404)
    assert "999999" in tmf("/alarm/999999").get_json()["message"]
    assert_error(tmf("/alarm/not-a-number"), 404)
    assert_error(tmf("/nothing-here"), 404)


def test_anonymous_gets_a_tmf_401(app: Flask) -> None:
    resp = app.test_client().get(f"{BASE}/alarm")
    assert_error(resp, 401)
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


# -- PATCH ---------------------------------------------------------------------------------------


def _patch(app: Flask, world: World, alarm_id: int, body: Any, role: Role = Role.ENGINEER, **kw: Any) -> Any:
    kw.setdefault("content_type", MERGE)
    data = body if isinstance(body, str) else json.dumps(body)
    return app.test_client().patch(f"{BASE}/alarm/{alarm_id}", data=data, headers=bearer(world, role), **kw)


def test_patch_acknowledge_and_unacknowledge(app: Flask, world: World) -> None:
    alarm_id = make_alarm(world)
    resp = _patch(app, world, alarm_id, {"ackState": "acknowledged", "ackUserId": "someone-else"})
    assert resp.status_code == 200, resp.get_json()
    doc = resp.get_json()
    assert doc["ackState"] == "acknowledged" and doc["ackUserId"] == "engineer"  # who really did it
    rows = history(world, alarm_id)
    assert [(h.action, h.user, h.published) for h in rows[1:]] == [("acknowledged", "engineer", False)]
    assert "someone-else" in rows[-1].text  # the claimed id is kept, as text only

    resp = _patch(
        app, world, alarm_id, {"ackState": "unacknowledged"}, role=Role.ADMIN, content_type="application/json"
    )
    assert resp.status_code == 200 and resp.get_json()["ackState"] == "unacknowledged"
    assert resp.get_json()["ackUserId"] is None
    last = history(world, alarm_id)[-1]
    assert (last.action, last.user, last.published, last.text) == ("unacknowledged", "admin", False, "")
    assert load_alarm(world, alarm_id).ack_state is AckState.UNACKNOWLEDGED


def test_patch_clear_with_time_and_user(app: Flask, world: World) -> None:
    alarm_id = make_alarm(world, perceived_severity=Severity.MAJOR, raised_at=utcnow() - timedelta(minutes=5))
    cleared_at = utcnow().replace(microsecond=0)
    body = {"state": "cleared", "clearUserId": "engineer", "alarmClearedTime": iso(cleared_at)}
    doc = _patch(app, world, alarm_id, body).get_json()
    assert doc["state"] == "cleared" and doc["perceivedSeverity"] == "cleared"
    assert doc["clearUserId"] == "engineer" and doc["alarmClearedTime"].startswith(iso(cleared_at)[:19])
    last = history(world, alarm_id)[-1]
    assert (last.action, last.user, last.published, last.text) == ("cleared", "engineer", False, "")
    stored = load_alarm(world, alarm_id)
    assert stored.state is AlarmState.CLEARED and stored.cleared_at == cleared_at

    # A clear time before the raise would make the timeline run backwards: the raise wins.
    early = make_alarm(world)
    _patch(app, world, early, {"state": "cleared", "alarmClearedTime": "2001-01-01T00:00:00Z"})
    stored = load_alarm(world, early)
    assert stored.cleared_at == stored.raised_at


def test_patch_comments_are_appended(app: Flask, world: World) -> None:
    alarm_id = make_alarm(world)
    first = _patch(app, world, alarm_id, {"comment": [{"comment": "looking at it"}]}).get_json()
    assert [(c["comment"], c["userId"]) for c in first["comment"]] == [("looking at it", "engineer")]
    # A client echoes the list back with a new entry: only the new one is added.
    again = first["comment"] + [{"comment": "fibre cut near pop 3", "userId": "noc-bot"}]
    doc = _patch(app, world, alarm_id, {"comment": again}).get_json()
    texts = [c["comment"] for c in doc["comment"]]
    assert (
        texts[0] == "looking at it" and texts[1].startswith("fibre cut near pop 3") and "noc-bot" in texts[1]
    )
    assert len(texts) == 2
    rows = [h for h in history(world, alarm_id) if h.action == "comment"]
    assert [(h.user, h.published) for h in rows] == [("engineer", False), ("engineer", False)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ackState": "acknowledged", "perceivedSeverity": "minor"}, "perceivedSeverity"),
        ({"ackState": "acknowledged", "comment": [{"comment": "  "}]}, "comment[0].comment"),
        ({"ackState": "acknowledged", "comment": [{"comment": "ok", "mood": "grim"}]}, "comment[0].mood"),
        ({"ackState": "acknowledged", "state": "raised"}, "state"),
        ({"ackState": "maybe"}, "ackState"),
        ({"ackState": None}, "ackState"),
        ({"ackUserId": "x"}, "ackUserId"),
        ({"alarmClearedTime": "2024-01-01T00:00:00Z"}, "alarmClearedTime"),
        ({"state": "cleared", "alarmClearedTime": "soon"}, "alarmClearedTime"),
        ({"state": "cleared", "alarmClearedTime": "2999-01-01T00:00:00Z"}, "alarmClearedTime"),
        ({"comment": "not a list"}, "comment"),
        ({}, "body"),
        ([], "body"),
        ({"@type": "Cat", "ackState": "acknowledged"}, "@type"),
    ],
)
def test_patch_refuses_bad_input_and_changes_nothing(app: Flask, world: World, body: Any, field: str) -> None:
    alarm_id = make_alarm(world)
    before = load_alarm(world, alarm_id)
    resp = _patch(app, world, alarm_id, body)
    assert_error(resp, 400, field)
    after = load_alarm(world, alarm_id)
    assert (after.ack_state, after.state, after.perceived_severity) == (
        before.ack_state,
        before.state,
        before.perceived_severity,
    )
    assert [h.action for h in history(world, alarm_id)] == ["raised"]


def test_patch_media_type_role_csrf_and_404(
    app: Flask, world: World, engineer: tuple[FlaskClient, str]
) -> None:
    alarm_id = make_alarm(world)
    ack = {"ackState": "acknowledged"}
    assert_error(_patch(app, world, alarm_id, ack, content_type="text/plain"), 415)
    assert_error(_patch(app, world, alarm_id, ack, content_type="application/json-patch+json"), 415)
    assert_error(_patch(app, world, alarm_id, "{not json", content_type=MERGE), 400, "body")
    assert_error(_patch(app, world, alarm_id, ack, role=Role.VIEWER), 403)
    assert_error(_patch(app, world, 999_999, ack), 404)
    assert [h.action for h in history(world, alarm_id)] == ["raised"]
    # With the session cookie, writes need the CSRF header.
    client, token = engineer
    url = f"{BASE}/alarm/{alarm_id}"
    assert_error(client.patch(url, data=json.dumps(ack), content_type=MERGE), 400)
    resp = client.patch(url, data=json.dumps(ack), content_type=MERGE, headers={"X-CSRF-Token": token})
    assert resp.status_code == 200 and resp.get_json()["ackState"] == "acknowledged"


# -- tasks ---------------------------------------------------------------------------------------


def _task(
    app: Flask, world: World, name: str, body: Any, role: Role = Role.ENGINEER, base: str = BASE, **kw: Any
) -> Any:
    kw.setdefault("content_type", "application/json")
    return app.test_client().post(f"{base}/{name}", data=json.dumps(body), headers=bearer(world, role), **kw)


def _refs(doc: dict[str, Any], key: str) -> set[int]:
    assert all(r["@referredType"] == "Alarm" and r["href"] == f"{BASE}/alarm/{r['id']}" for r in doc[key])
    return {int(r["id"]) for r in doc[key]}


def test_ack_and_unack_tasks(app: Flask, world: World) -> None:
    by_id = make_alarm(world)
    by_object = make_alarm(world, alarmed_object="new1:task-object")
    untouched = make_alarm(world)
    patterns = [{"id": str(by_id)}, {"alarmedObject": {"id": "new1:task-object"}}]
    resp = _task(
        app, world, "ackAlarms", {"alarmPattern": patterns, "ackUserId": "bss-user", "ackSystemId": "bss"}
    )
    assert resp.status_code == 201, resp.get_json()
    doc = resp.get_json()
    assert doc["state"] == "done" and doc["@type"] == "AckAlarms" and doc["id"]
    assert doc["alarmPattern"] == patterns and doc["ackUserId"] == "engineer" and doc["ackSystemId"] == "bss"
    assert _refs(doc, "ackedAlarm") == {by_id, by_object}
    for alarm_id in (by_id, by_object):
        last = history(world, alarm_id)[-1]
        assert (last.action, last.user, last.system, last.published) == (
            "acknowledged",
            "engineer",
            "bss",
            False,
        )
        assert "bss-user" in last.text
    assert load_alarm(world, untouched).ack_state is AckState.UNACKNOWLEDGED

    # Acking again changes nothing; the alias path serves the task too.
    again = _task(app, world, "ackAlarms", {"alarmPattern": [{"id": by_id}]}, base=ALIAS).get_json()
    assert again["ackedAlarm"] == []
    undo = _task(app, world, "unAckAlarms", {"alarmPattern": patterns}).get_json()
    assert undo["@type"] == "UnAckAlarms" and _refs(undo, "unAckedAlarm") == {by_id, by_object}
    assert load_alarm(world, by_id).ack_state is AckState.UNACKNOWLEDGED


def test_clear_task_by_attribute_pattern(app: Flask, world: World) -> None:
    # A combination only this test uses: indeterminate + updated.
    mine = [
        make_alarm(
            world,
            perceived_severity=Severity.INDETERMINATE,
            state=AlarmState.UPDATED,
            raised_at=utcnow() - timedelta(minutes=1),
        )
        for _ in range(2)
    ]
    other_state = make_alarm(world, perceived_severity=Severity.INDETERMINATE)  # raised, not updated
    pattern = {"perceivedSeverity": "indeterminate", "state": "updated", "sourceSystemId": "ossagent"}
    at = utcnow().replace(microsecond=0) - timedelta(seconds=5)
    doc = _task(
        app, world, "clearAlarms", {"alarmPattern": [pattern], "alarmClearedTime": iso(at)}
    ).get_json()
    assert doc["@type"] == "ClearAlarms" and _refs(doc, "clearedAlarm") == set(mine)
    assert doc["clearUserId"] == "engineer"
    for alarm_id in mine:
        stored = load_alarm(world, alarm_id)
        assert (
            stored.state is AlarmState.CLEARED and stored.cleared_at == at and stored.clear_user == "engineer"
        )
        assert history(world, alarm_id)[-1].published is False
    assert load_alarm(world, other_state).state is AlarmState.RAISED


def test_comment_task(app: Flask, world: World) -> None:
    a, b = make_alarm(world), make_alarm(world)
    keys = [load_alarm(world, x).reduction_key for x in (a, b)]
    body = {
        "alarmPattern": [{"externalAlarmId": keys[0]}, {"externalAlarmId": keys[1], "isRootCause": True}],
        "comment": {"comment": "bulk note", "userId": "noc-bot", "systemId": "ticketing"},
    }
    doc = _task(app, world, "commentAlarms", body).get_json()
    assert doc["@type"] == "CommentAlarms" and _refs(doc, "commentedAlarm") == {a, b}
    assert doc["comment"] == body["comment"]
    for alarm_id in (a, b):
        last = history(world, alarm_id)[-1]
        assert (last.action, last.user, last.system, last.published) == (
            "comment",
            "engineer",
            "ticketing",
            False,
        )
        assert last.text.startswith("bulk note") and "noc-bot" in last.text


def test_pattern_for_another_source_system_matches_nothing(app: Flask, world: World) -> None:
    alarm_id = make_alarm(world)
    body = {"alarmPattern": [{"id": alarm_id, "sourceSystemId": "somebody-else"}]}
    assert _task(app, world, "ackAlarms", body).get_json()["ackedAlarm"] == []
    assert load_alarm(world, alarm_id).ack_state is AckState.UNACKNOWLEDGED


@pytest.mark.parametrize(
    ("name", "body", "field"),
    [
        ("ackAlarms", {}, "alarmPattern"),
        ("ackAlarms", {"alarmPattern": []}, "alarmPattern"),
        ("ackAlarms", {"alarmPattern": [{}]}, "alarmPattern[0]"),
        ("ackAlarms", {"alarmPattern": [{"id": "1"}, {"colour": "red"}]}, "alarmPattern[1].colour"),
        ("ackAlarms", {"alarmPattern": [{"perceivedSeverity": "huge"}]}, "alarmPattern[0].perceivedSeverity"),
        ("ackAlarms", {"alarmPattern": [{"alarmedObject": "r1"}]}, "alarmPattern[0].alarmedObject"),
        ("ackAlarms", {"alarmPattern": [{"id": "x"}]}, "alarmPattern[0].id"),
        ("ackAlarms", {"alarmPattern": ["r1"]}, "alarmPattern[0]"),
        ("ackAlarms", {"alarmPattern": [{"id": "1"}], "clearUserId": "x"}, "clearUserId"),
        ("clearAlarms", {"alarmPattern": [{"id": "1"}], "alarmClearedTime": "soon"}, "alarmClearedTime"),
        ("commentAlarms", {"alarmPattern": [{"id": "1"}]}, "comment"),
        ("commentAlarms", {"alarmPattern": [{"id": "1"}], "comment": {"comment": ""}}, "comment.comment"),
    ],
)
def test_task_input_errors_name_the_field(app: Flask, world: World, name: str, body: Any, field: str) -> None:
    assert_error(_task(app, world, name, body), 400, field)


def test_tasks_need_engineer_and_json(app: Flask, world: World) -> None:
    alarm_id = make_alarm(world)
    body = {"alarmPattern": [{"id": alarm_id}]}
    for name in ("ackAlarms", "unAckAlarms", "clearAlarms"):
        assert_error(_task(app, world, name, body, role=Role.VIEWER), 403)
    assert_error(
        _task(app, world, "commentAlarms", {**body, "comment": {"comment": "x"}}, role=Role.VIEWER), 403
    )
    assert_error(_task(app, world, "ackAlarms", body, content_type="text/plain"), 415)
    assert [h.action for h in history(world, alarm_id)] == ["raised"]


def test_tasks_are_bounded(app: Flask, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alarm_api, "MAX_TASK_ALARMS", 1)
    a, b = make_alarm(world), make_alarm(world)
    resp = _task(app, world, "clearAlarms", {"alarmPattern": [{"id": a}, {"id": b}]})
    assert_error(resp, 400, "alarmPattern")
    assert "matches 2 alarms" in resp.get_json()["message"]
    assert load_alarm(world, a).state is AlarmState.RAISED and load_alarm(world, b).state is AlarmState.RAISED


# -- hub -----------------------------------------------------------------------------------------


def _hub(app: Flask, world: World, body: Any, role: Role = Role.ENGINEER, base: str = BASE) -> Any:
    return app.test_client().post(f"{base}/hub", json=body, headers=bearer(world, role))


def test_hub_register_get_delete(app: Flask, world: World) -> None:
    client = app.test_client()
    headers = bearer(world, Role.ENGINEER)
    resp = _hub(app, world, {"callback": PUBLIC_CALLBACK + "/a", "query": "eventType=AlarmCreateEvent"})
    assert resp.status_code == 201, resp.get_json()
    doc = resp.get_json()
    assert doc["callback"] == PUBLIC_CALLBACK + "/a" and doc["query"] == "eventType=AlarmCreateEvent"
    assert resp.headers["Location"] == f"{BASE}/hub/{doc['id']}" == doc["href"]
    with world.sessions() as s:
        row = s.get(HubSubscription, int(doc["id"]))
        assert row is not None and (row.api, row.created_by) == ("alarm", "engineer")
    assert client.get(resp.headers["Location"], headers=headers).get_json() == doc
    # The same registration through the alias.
    assert client.get(f"{ALIAS}/hub/{doc['id']}", headers=headers).get_json()["callback"] == doc["callback"]
    deleted = client.delete(resp.headers["Location"], headers=headers)
    assert deleted.status_code == 204 and deleted.get_data() == b""
    assert_error(client.get(resp.headers["Location"], headers=headers), 404)
    assert_error(client.delete(resp.headers["Location"], headers=headers), 404)
    with world.sessions() as s:
        assert s.get(HubSubscription, int(doc["id"])) is None

    via_alias = _hub(app, world, {"callback": PUBLIC_CALLBACK}, base=ALIAS)
    assert via_alias.status_code == 201 and via_alias.headers["Location"].startswith(f"{ALIAS}/hub/")
    assert via_alias.get_json()["query"] is None


def test_hub_of_another_api_is_not_found_here(app: Flask, world: World) -> None:
    client = app.test_client()
    headers = bearer(world, Role.ADMIN)
    assert_error(client.get(f"{BASE}/hub/{world.ids['hub_other_api']}", headers=headers), 404)
    assert_error(client.delete(f"{BASE}/hub/{world.ids['hub_other_api']}", headers=headers), 404)
    assert (
        client.get(f"{BASE}/hub/{world.ids['hub']}", headers=headers).get_json()["callback"]
        == PUBLIC_CALLBACK
    )


@pytest.mark.parametrize(
    ("callback", "words"),
    [
        ("http://127.0.0.1:9000/listener", "loopback"),
        ("http://[::1]/listener", "loopback"),
        ("http://10.1.2.3/listener", "private"),
        ("http://192.168.1.20/listener", "private"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("not a url", "http"),
        ("ftp://93.184.215.14/x", "http"),
        ("https://user:pw@93.184.215.14/x", "credentials"),
        ("", "required"),
    ],
)
def test_hub_refuses_unsafe_or_malformed_callbacks(
    app: Flask, world: World, callback: str, words: str
) -> None:
    with world.sessions() as s:
        before = len(list(s.scalars(select(HubSubscription.id))))
    resp = _hub(app, world, {"callback": callback})
    assert_error(resp, 400, "callback")
    assert words in resp.get_json()["message"]
    with world.sessions() as s:
        assert len(list(s.scalars(select(HubSubscription.id)))) == before


def test_hub_input_errors(app: Flask, world: World) -> None:
    assert_error(_hub(app, world, {}), 400, "callback")
    assert_error(_hub(app, world, {"callback": 42}), 400, "callback")
    assert_error(_hub(app, world, {"callback": PUBLIC_CALLBACK, "query": ["x"]}), 400, "query")
    assert_error(_hub(app, world, {"callback": PUBLIC_CALLBACK, "colour": "red"}), 400, "colour")
    assert_error(_hub(app, world, {"callback": PUBLIC_CALLBACK}, role=Role.VIEWER), 403)
    client = app.test_client()
    assert_error(client.get(f"{BASE}/hub/{world.ids['hub']}", headers=bearer(world, Role.VIEWER)), 403)
    resp = client.post(f"{BASE}/hub", data="callback=x", headers=bearer(world, Role.ENGINEER))
    assert_error(resp, 415)


def test_allow_listed_private_networks_are_accepted(world: World) -> None:
    app = create_app(
        {
            "DATABASE_URL": str(world.engine.url),
            "SECRET_KEY": SECRET_KEY,
            "MIGRATE": False,
            "HUB_ALLOW_NETWORKS": "127.0.0.0/8, 10.1.0.0/16",
        }
    )
    for callback in ("http://127.0.0.1:9000/listener", "http://10.1.2.3/listener"):
        resp = _hub(app, world, {"callback": callback})
        assert resp.status_code == 201, resp.get_json()
        app.test_client().delete(resp.headers["Location"], headers=bearer(world, Role.ENGINEER))
    # Allow-listing one private network does not open the others.
    assert_error(_hub(app, world, {"callback": "http://10.2.0.1/listener"}), 400, "callback")
    with pytest.raises(ConfigError, match="HUB_ALLOW_NETWORKS"):
        create_app(
            {"DATABASE_URL": str(world.engine.url), "SECRET_KEY": SECRET_KEY, "HUB_ALLOW_NETWORKS": "ten/8"}
        )


def test_pattern_conditions_on_the_same_attribute_all_hold(app: Flask, world: World, tmf: Any) -> None:
    alarm_id = make_alarm(world, alarmed_object="new1:pattern-object")  # a Device alarm
    ref = tmf(f"/alarm/{alarm_id}").get_json()["alarmedObject"]
    assert ref["@referredType"] == "PhysicalResource"
    nothing = [
        {
            "alarmedObjectType": "Device",
            "alarmedObject": {"id": ref["id"], "@referredType": "LogicalResource"},
        },
        {"alarmedObject": {"id": ref["id"], "href": "/somewhere/else"}},
        {"alarmedObject": {"id": ref["id"]}, "perceivedSeverity": "critical"},
    ]
    for pattern in nothing:
        doc = _task(app, world, "ackAlarms", {"alarmPattern": [pattern]}).get_json()
        assert doc["ackedAlarm"] == [], pattern
    assert load_alarm(world, alarm_id).ack_state is AckState.UNACKNOWLEDGED
    # The alarmedObject exactly as the API shows it (id, href, @referredType) matches.
    doc = _task(
        app, world, "ackAlarms", {"alarmPattern": [{"alarmedObject": ref, "alarmedObjectType": "Device"}]}
    )
    assert _refs(doc.get_json(), "ackedAlarm") == {alarm_id}
    only_system = _task(app, world, "ackAlarms", {"alarmPattern": [{"sourceSystemId": "ossagent"}]})
    assert_error(only_system, 400, "alarmPattern[0]")  # it would match every alarm
