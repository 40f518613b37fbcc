"""Fault management pages: the alarm list and its filters, one alarm with its timeline and
forms, the header badge, the maintenance and events pages, and alarm counts on the device
pages."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from inventory.choices import AckState, AlarmState, Severity
from inventory.fault_models import MaintenanceWindow
from inventory.types import utcnow
from tests.web.faulttesting import (
    SUPPRESSION_REASON,
    UNKNOWN_SOURCE,
    expected_summary,
    history,
    load_alarm,
    make_alarm,
)
from tests.web.webtesting import World, active_content, parse_html


def page(client: FlaskClient, path: str) -> Any:
    resp = client.get(path)
    assert resp.status_code == 200, (path, resp.status_code)
    return parse_html(resp.get_data(as_text=True))


def text_of(parsed: Any) -> str:
    return " ".join(parsed.text.split())


def alarm_rows(parsed: Any) -> list[int]:
    return [int(a["data-alarm-id"]) for t, a in parsed.tags if t == "tr" and a.get("data-alarm-id")]


def badge(parsed: Any) -> dict[str, Any]:
    (found,) = [a for t, a in parsed.tags if t == "a" and a.get("data-badge") == "alarms"]
    return dict(found)


_BADGE_COUNT = re.compile(r'data-badge="alarms"[^>]*>Alarms <strong class="badge-count">(\d+)</strong>')


def badge_count(html: str) -> int:
    (count,) = _BADGE_COUNT.findall(html)
    return int(count)


def test_alarm_list_defaults(world: World, viewer: tuple[FlaskClient, str]) -> None:
    client, _ = viewer
    parsed = page(client, "/alarms")
    rows = alarm_rows(parsed)
    w = world.ids
    # Active and unsuppressed by default: the child and the cleared one are hidden.
    assert {w["a_root"], w["a_planned"], w["a_threshold"], w["a_hostile"]} <= set(rows)
    assert w["a_child"] not in rows and w["a_cleared"] not in rows
    # Worst first.
    assert rows.index(w["a_root"]) < rows.index(w["a_threshold"]) < rows.index(w["a_hostile"])
    text = text_of(parsed)
    assert "root cause (suppresses 1)" in text and "planned" in text
    assert "device unreachable: timeout" in text
    assert ("a", {"href": "/alarms", "class": "active", "aria-current": "page"}) in parsed.tags
    sev = [a["class"] for t, a in parsed.tags if t == "span" and (a.get("class") or "").startswith("sev ")]
    assert "sev sev-critical" in sev and "sev sev-minor" in sev


def test_alarm_list_filters(world: World, viewer: tuple[FlaskClient, str]) -> None:
    client, _ = viewer
    w = world.ids
    with_suppressed = page(client, "/alarms?suppressed=1")
    assert w["a_child"] in alarm_rows(with_suppressed)
    text = text_of(with_suppressed)
    assert f"suppressed by #{w['a_root']}: {SUPPRESSION_REASON}" in text
    assert ("a", {"href": f"/alarms/{w['a_root']}"}) in with_suppressed.tags
    assert w["a_cleared"] in alarm_rows(page(client, "/alarms?cleared=1"))
    assert alarm_rows(page(client, "/alarms?severity=critical&device=r2&suppressed=1")) == [w["a_root"]]
    assert alarm_rows(page(client, "/alarms?device=r2&suppressed=1")) == [w["a_root"], w["a_child"]]
    r2_e1 = page(client, f"/alarms?device=r2&interface={world.ids['r2_e1']}&suppressed=1")
    assert alarm_rows(r2_e1) == [w["a_child"]]
    # The form shows what was asked.
    checked = [a.get("value") for t, a in with_suppressed.tags if t == "input" and "checked" in a]
    assert checked == ["1"]
    assert client.get("/alarms?severity=huge").status_code == 400
    assert client.get("/alarms?interface=x").status_code == 400


def test_alarm_page(world: World, viewer: tuple[FlaskClient, str]) -> None:
    client, _ = viewer
    w = world.ids
    root = page(client, f"/alarms/{w['a_root']}")
    text = text_of(root)
    assert f"Alarm #{w['a_root']} critical" in text and "root cause" in text
    suppressed = [a for t, a in root.tags if t == "table" and a.get("id") == "suppressed-table"]
    assert suppressed and f"{SUPPRESSION_REASON}" in text
    child = page(client, f"/alarms/{w['a_child']}")
    text = text_of(child)
    assert f"suppressed by #{w['a_root']}: {SUPPRESSION_REASON}" in text
    timeline = [a["class"] for t, a in child.tags if t == "li" and (a.get("class") or "").startswith("tl ")]
    assert timeline == ["tl tl-raised", "tl tl-updated", "tl tl-suppressed"]
    assert "linkDown" in text and "ifIndex=1; ifOperStatus=2" in text  # the event that fed it
    threshold = text_of(page(client, f"/alarms/{w['a_threshold']}"))
    assert "indicatorName util-in" in text_of(page(client, f"/alarms/{w['a_threshold']}"))
    assert 'threshold {"high": 90.0, "low": 80.0}' in threshold and "SVC-77" in threshold
    planned = text_of(page(client, f"/alarms/{w['a_planned']}"))
    assert "old32 upgrade" in planned
    assert client.get("/alarms/999999").status_code == 404


def test_viewer_sees_no_forms_and_may_not_post(world: World, viewer: tuple[FlaskClient, str]) -> None:
    client, token = viewer
    alarm_id = make_alarm(world)
    parsed = page(client, f"/alarms/{alarm_id}")
    assert not [a for t, a in parsed.tags if t == "form" and "/alarms/" in (a.get("action") or "")]
    for action in ("ack", "unack", "clear", "comment"):
        resp = client.post(f"/alarms/{alarm_id}/{action}", data={"csrf_token": token, "comment": "x"})
        assert resp.status_code == 403, action
    assert [h.action for h in history(world, alarm_id)] == ["raised"]


def test_engineer_acts_through_the_forms(world: World, engineer: tuple[FlaskClient, str]) -> None:
    client, token = engineer
    alarm_id = make_alarm(world)
    parsed = page(client, f"/alarms/{alarm_id}")
    actions = {a["action"] for t, a in parsed.tags if t == "form" and "/alarms/" in (a.get("action") or "")}
    assert actions == {f"/alarms/{alarm_id}/{x}" for x in ("ack", "clear", "comment")}
    assert active_content(parsed) == []

    assert client.post(f"/alarms/{alarm_id}/ack").status_code == 400  # no CSRF token
    resp = client.post(f"/alarms/{alarm_id}/ack", data={"csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == f"/alarms/{alarm_id}"
    after = text_of(page(client, f"/alarms/{alarm_id}"))
    assert "Alarm acknowledged." in after and "acknowledged by engineer" in after
    assert load_alarm(world, alarm_id).ack_state is AckState.ACKNOWLEDGED

    client.post(f"/alarms/{alarm_id}/comment", data={"csrf_token": token, "comment": "  "})
    assert "Not saved: the comment must be a non-empty string." in text_of(
        page(client, f"/alarms/{alarm_id}")
    )
    client.post(f"/alarms/{alarm_id}/comment", data={"csrf_token": token, "comment": "spare on the way"})
    client.post(f"/alarms/{alarm_id}/clear", data={"csrf_token": token, "reason": "replaced optic"})
    rows = history(world, alarm_id)
    assert [(h.action, h.user, h.text) for h in rows[1:]] == [
        ("acknowledged", "engineer", ""),
        ("comment", "engineer", "spare on the way"),
        ("cleared", "engineer", "replaced optic"),
    ]
    assert all(not h.published for h in rows[1:])
    done = page(client, f"/alarms/{alarm_id}")
    assert "tl tl-cleared" in [a.get("class") for t, a in done.tags if t == "li"]
    # A cleared alarm offers no clear form any more; unacknowledging still works.
    forms = {a["action"] for t, a in done.tags if t == "form" and "/alarms/" in (a.get("action") or "")}
    assert forms == {f"/alarms/{alarm_id}/unack", f"/alarms/{alarm_id}/comment"}
    assert load_alarm(world, alarm_id).state is AlarmState.CLEARED
    client.post(f"/alarms/{alarm_id}/unack", data={"csrf_token": token})
    assert load_alarm(world, alarm_id).ack_state is AckState.UNACKNOWLEDGED


def test_header_badge_counts_root_alarms(world: World, viewer: tuple[FlaskClient, str]) -> None:
    client, _ = viewer
    for path in ("/devices", "/links", "/alarms", "/events", "/maintenance", "/devices/nope"):
        html = client.get(path).get_data(as_text=True)
        found = badge(parse_html(html))
        want = expected_summary(world)
        assert found["data-poll-url"] == "/api/v1/alarms/summary" and found["href"] == "/alarms"
        assert found["class"] == f"badge badge-{want['worst']}", path  # a_root: critical
        assert badge_count(html) == want["root"], path
    before = expected_summary(world)["root"]
    make_alarm(world, perceived_severity=Severity.WARNING)
    assert badge_count(client.get("/devices").get_data(as_text=True)) == before + 1


def test_maintenance_page(
    world: World, engineer: tuple[FlaskClient, str], viewer: tuple[FlaskClient, str]
) -> None:
    v_client, v_token = viewer
    listing = page(v_client, "/maintenance")
    text = text_of(listing)
    assert (
        "old32 upgrade" in text and "open" in text and "weekly site work" in text and "site lab-site" in text
    )
    assert not [a for t, a in listing.tags if t == "form" and a.get("action", "").startswith("/maintenance")]
    assert v_client.post("/maintenance", data={"csrf_token": v_token, "name": "x"}).status_code == 403

    client, token = engineer
    start = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0, tzinfo=None)
    form = {
        "csrf_token": token,
        "name": "page-made window",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "recurrence": "none",
        "devices": ["r1", "r2"],
    }
    resp = client.post("/maintenance", data=form)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    with world.sessions() as s:
        made = s.scalars(select(MaintenanceWindow).where(MaintenanceWindow.name == "page-made window")).one()
        assert made.starts_at.replace(tzinfo=None) == start and made.created_by == "engineer"
        assert sorted(t.device.name for t in made.targets if t.device) == ["r1", "r2"]
        made_id = made.id
    assert "page-made window" in text_of(page(client, "/maintenance"))

    bad = client.post("/maintenance", data={**form, "name": "broken", "ends_at": form["starts_at"]})
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "Not created: ends_at: a window must end after it starts" in html
    assert 'value="broken"' in html  # the form keeps what was typed
    unknown = client.post("/maintenance", data={**form, "devices": ["ghost"]})
    assert unknown.status_code == 400 and "targets.devices: unknown: &#39;ghost&#39;" in unknown.get_data(
        as_text=True
    )

    resp = client.post(f"/maintenance/{made_id}/delete", data={"csrf_token": token})
    assert resp.status_code == 302
    with world.sessions() as s:
        assert s.get(MaintenanceWindow, made_id) is None
    assert client.post(f"/maintenance/{made_id}/delete", data={"csrf_token": token}).status_code == 404


def test_events_page(world: World, viewer: tuple[FlaskClient, str]) -> None:
    client, _ = viewer
    parsed = page(client, "/events")
    text = text_of(parsed)
    assert UNKNOWN_SOURCE in text and "unknown source" in text
    assert "linkDown" in text and "ifIndex=1; ifOperStatus=2" in text and "v2c" in text
    rows = [a for t, a in parsed.tags if t == "tr" and a.get("class") == "unknown-source"]
    assert len(rows) == 1
    only_r2 = text_of(page(client, "/events?device=r2"))
    assert "linkDown" in only_r2 and UNKNOWN_SOURCE not in only_r2


def test_device_pages_show_alarm_counts(world: World, viewer: tuple[FlaskClient, str]) -> None:
    client, _ = viewer
    devices = page(client, "/devices")
    counts = {
        a["href"]: a for t, a in devices.tags if t == "a" and a.get("class", "").startswith("alarmcount")
    }
    r2 = counts["/alarms?device=r2&suppressed=1"]
    assert r2["class"] == "alarmcount sev-critical" and r2["title"] == "2 active alarms, worst critical"
    r1 = counts["/alarms?device=r1&suppressed=1"]
    assert r1["class"] == "alarmcount sev-minor"  # the threshold alarm; the cleared one does not count
    assert "/alarms?device=down1&suppressed=1" not in counts

    device = page(client, "/devices/r2")
    links = {a["href"]: a for t, a in device.tags if t == "a" and a.get("class", "").startswith("alarmcount")}
    own = links["/alarms?device=r2&suppressed=1"]
    assert own["class"] == "alarmcount sev-critical" and own["title"].startswith("1 active alarm,")
    iface = links[f"/alarms?device=r2&interface={world.ids['r2_e1']}&suppressed=1"]
    assert iface["class"] == "alarmcount sev-major"
    r1 = page(client, "/devices/r1")
    r1_links = [a["href"] for t, a in r1.tags if t == "a" and a.get("class", "").startswith("alarmcount")]
    assert r1_links == [f"/alarms?device=r1&interface={world.ids['r1_e1']}&suppressed=1"]


def test_new_pages_have_no_inline_script(world: World, admin: tuple[FlaskClient, str]) -> None:
    client, _ = admin
    for path in (
        "/alarms",
        f"/alarms/{world.ids['a_hostile']}",
        "/events",
        "/maintenance",
        "/alarms?cleared=1",
    ):
        parsed = page(client, path)
        assert active_content(parsed) == [], path
        scripts = [a["src"] for t, a in parsed.tags if t == "script"]
        assert "/static/js/badges.js" in scripts, path
