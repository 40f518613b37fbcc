"""The JSON API: shapes, TMF630 paging and field selection, the samples window, errors."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from inventory.choices import Role
from tests.web.webtesting import NOW, SAMPLE_SPAN, World, bearer, samples_in_last
from web.tmf.bss_blueprints import APIS

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")


@pytest.fixture
def api(app: Flask, world: World) -> Any:
    client: FlaskClient = app.test_client()

    def get(path: str, **query: Any) -> Any:
        return client.get(f"/api/v1{path}", query_string=query, headers=bearer(world))

    return get


def _datetimes(doc: Any) -> list[str]:
    found: list[str] = []
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key in {"ts", "last_seen", "last_polled", "last_change", "created_at"} and value is not None:
                found.append(value)
            found.extend(_datetimes(value))
    elif isinstance(doc, list):
        for item in doc:
            found.extend(_datetimes(item))
    return found


def test_devices_list(api: Any) -> None:
    resp = api("/devices")
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    body = resp.get_json()
    assert [d["name"] for d in body] == ["down1", "evil", "new1", "old32", "r1", "r2"]
    assert resp.headers["X-Total-Count"] == "6" and resp.headers["X-Result-Count"] == "6"
    r1 = next(d for d in body if d["name"] == "r1")
    assert r1["href"] == "/api/v1/devices/r1"
    assert r1["status"] == "up" and r1["site"] == "lab-site" and r1["snmp_profile"] == "lab-v3"
    assert r1["interfaces_up"] == 2 and r1["interfaces_total"] == 3  # the absent one is not counted
    assert r1["uptime_ticks"] == 27_000_000 and r1["uptime_seconds"] == 270_000.0
    assert "hardware" not in r1  # lists stay light
    down = next(d for d in body if d["name"] == "down1")
    assert down["status"] == "unreachable" and down["consecutive_failures"] == 5
    new = next(d for d in body if d["name"] == "new1")
    assert new["last_polled"] is None and new["uptime_seconds"] is None
    assert all(ISO_Z.match(v) for v in _datetimes(body))


def test_paging(api: Any) -> None:
    resp = api("/devices", offset=2, limit=2)
    assert [d["name"] for d in resp.get_json()] == ["new1", "old32"]
    assert resp.headers["X-Total-Count"] == "6" and resp.headers["X-Result-Count"] == "2"
    resp = api("/devices", offset=10)
    assert resp.get_json() == [] and resp.headers["X-Total-Count"] == "6"
    assert resp.headers["X-Result-Count"] == "0"
    for bad in ({"limit": 0}, {"limit": "ten"}, {"limit": 1001}, {"offset": -1}, {"offset": "1.5"}):
        resp = api("/devices", **bad)
        assert resp.status_code == 400, bad
        assert resp.get_json()["code"] == "400" and resp.get_json()["reason"] == "Bad Request"
        assert resp.get_json()["message"]


def test_fields_selection(api: Any, world: World) -> None:
    body = api("/devices", fields="name,status").get_json()
    assert all(set(d) == {"id", "href", "name", "status"} for d in body)
    one = api("/devices/r1", fields="sys_name, hardware,no_such_field").get_json()
    assert set(one) == {"id", "href", "sys_name", "hardware"}
    samples = api(f"/interfaces/{world.ids['r1_e1']}/samples", fields="ts,in_bps").get_json()
    assert samples and all(set(s) == {"ts", "in_bps"} for s in samples)


def test_device_detail_with_hardware(api: Any) -> None:
    resp = api("/devices/r1")
    assert resp.status_code == 200
    doc = resp.get_json()
    assert doc["sys_object_id"] == "1.3.6.1.4.1.6527.1.20.1"
    assert doc["interfaces_href"] == "/api/v1/devices/r1/interfaces"
    hardware = doc["hardware"]
    assert [h["class"] for h in hardware] == ["chassis", "powerSupply", "fan"]
    assert hardware[0]["serial"] == "NS2110T0001" and hardware[0]["software_rev"] == "v24.10.1"
    assert hardware[1]["contained_in"] == 1


def test_device_interfaces(api: Any, world: World) -> None:
    resp = api("/devices/r1/interfaces")
    body = resp.get_json()
    assert [i["if_index"] for i in body] == [1, 2, 3, 99]
    assert resp.headers["X-Total-Count"] == "4"
    e1 = body[0]
    assert e1["id"] == world.ids["r1_e1"] and e1["device"] == "r1"
    assert e1["admin_status"] == "up" and e1["oper_status"] == "up" and e1["present"] is True
    assert e1["speed_bps"] == 10_000_000_000 and e1["counter_bits"] == 64
    assert e1["utilisation_in"] == pytest.approx(100 * e1["in_bps"] / e1["speed_bps"])
    assert body[1]["oper_status"] == "down"
    assert body[2]["present"] is False and body[2]["oper_status"] == "notPresent"
    assert body[1]["in_bps"] is None and body[1]["utilisation_in"] is None
    paged = api("/devices/r1/interfaces", offset=1, limit=2)
    assert [i["if_index"] for i in paged.get_json()] == [2, 3]


def test_single_interface(api: Any, world: World) -> None:
    doc = api(f"/interfaces/{world.ids['old_if']}").get_json()
    assert doc["device"] == "old32" and doc["counter_bits"] == 32
    assert doc["samples_href"] == f"/api/v1/interfaces/{world.ids['old_if']}/samples"
    assert doc["href"] == f"/api/v1/interfaces/{world.ids['old_if']}"


def _ts(sample: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(sample["ts"].replace("Z", "+00:00"))


def test_samples_window(api: Any, world: World) -> None:
    path = f"/interfaces/{world.ids['r1_e1']}/samples"
    now = datetime.now(UTC)

    hour = api(path)
    assert hour.status_code == 200
    body = hour.get_json()
    # One sample a minute: an hour holds about 60, fewer as the seeded data ages in a long run.
    expected = samples_in_last(timedelta(hours=1))
    assert expected - 2 <= len(body) <= expected + 1
    assert hour.headers["X-Total-Count"] == str(len(body))
    assert all(now - timedelta(hours=1, seconds=5) <= _ts(s) <= now for s in body)
    assert [_ts(s) for s in body] == sorted(_ts(s) for s in body)
    first = body[0]
    assert set(first) >= {"ts", "in_bps", "out_bps", "in_pps", "out_pps", "oper_status"}
    assert set(first) >= {"in_errors_ps", "out_errors_ps", "in_discards_ps", "out_discards_ps"}
    assert first["oper_status"] == "up" and first["out_bps"] == pytest.approx(first["in_bps"] / 2)

    day = api(path, range="1d").get_json()
    expected_day = samples_in_last(timedelta(days=1))
    assert expected_day - 2 <= len(day) <= expected_day + 1

    since, until = NOW - timedelta(minutes=10), NOW - timedelta(minutes=5)
    z = api(
        path, since=since.isoformat().replace("+00:00", "Z"), until=until.isoformat().replace("+00:00", "Z")
    )
    assert [_ts(s) for s in z.get_json()] == [since + timedelta(minutes=m) for m in range(6)]
    # The same window written with an offset, and with a "+" that arrived as a space.
    local = timedelta(hours=2)
    offset = api(
        path, since=(since + local).replace(tzinfo=None).isoformat() + "+02:00", until=until.isoformat()
    )
    assert offset.get_json() == z.get_json()
    spaced = api(path, since=since.isoformat().replace("+", " "), until=until.isoformat().replace("+", " "))
    assert spaced.get_json() == z.get_json()

    # A range counts back from until.
    back = api(path, until=until.isoformat(), range="1h").get_json()
    assert _ts(back[-1]) == until and _ts(back[0]) == until - timedelta(hours=1)

    page = api(path, range="1d", limit=100, offset=100)
    assert len(page.get_json()) == 100 and int(page.headers["X-Total-Count"]) >= expected_day - 2

    old = api(
        path, since=(NOW - SAMPLE_SPAN - timedelta(days=1)).isoformat(), until=(NOW - SAMPLE_SPAN).isoformat()
    )
    assert old.get_json() == [] and old.headers["X-Total-Count"] == "0"


@pytest.mark.parametrize(
    "query",
    [
        {"range": "2h"},
        {"since": "yesterday"},
        {"until": "2024-13-01T00:00:00Z"},
        {"since": "2024-05-02T00:00:00Z", "until": "2024-05-01T00:00:00Z"},
        {"since": "2024-01-01T00:00:00Z", "until": "2024-05-01T00:00:00Z"},
        {"limit": 50_001},
    ],
)
def test_samples_bad_queries(api: Any, world: World, query: dict[str, Any]) -> None:
    resp = api(f"/interfaces/{world.ids['r1_e1']}/samples", **query)
    assert resp.status_code == 400
    assert resp.get_json()["code"] == "400"


def test_links(api: Any, world: World) -> None:
    resp = api("/links")
    body = resp.get_json()
    assert resp.headers["X-Total-Count"] == "4"
    resolved = next(x for x in body if x["local"]["device"] == "r1" and x["resolved"])
    assert resolved["local"]["interface"] == "ethernet-1/1"
    assert resolved["remote"]["device"] == "r2" and resolved["remote"]["interface"] == "ethernet-1/1"
    assert resolved["remote"]["interface_href"] == f"/api/v1/interfaces/{world.ids['r2_e1']}"
    peer = next(x for x in body if x["remote"]["sys_name"] == "isp-peer")
    assert peer["resolved"] is False and peer["remote"]["device"] is None
    assert peer["remote"]["port_id"] == "Gi0/1" and peer["local"]["interface"] == "ethernet-1/2"
    assert peer["source"] == "lldp" and ISO_Z.match(peer["last_seen"])
    # Ordered by local device, then ifIndex.
    assert [x["local"]["device"] for x in body] == ["evil", "r1", "r1", "r2"]


def test_not_found_and_method_errors(api: Any, app: Flask, world: World) -> None:
    for path in (
        "/devices/nope",
        "/devices/nope/interfaces",
        "/interfaces/999999",
        "/interfaces/999999/samples",
    ):
        resp = api(path)
        assert resp.status_code == 404, path
        assert resp.get_json()["code"] == "404" and resp.get_json()["reason"] == "Not Found"
    assert api("/no-such-thing").status_code == 404
    assert api("/no-such-thing").is_json
    client = app.test_client()
    resp = client.get("/api/v1/devices/r1/discover", headers=bearer(world))
    assert resp.status_code == 405 and resp.get_json()["code"] == "405" and "POST" in resp.headers["Allow"]
    resp = client.post("/api/v1/devices/nope/poll", headers=bearer(world, Role.ADMIN))
    assert resp.status_code == 404


def test_actions_answer_202_with_the_request(app: Flask, world: World) -> None:
    client = app.test_client()
    resp = client.post("/api/v1/devices/old32/poll", headers=bearer(world, Role.ENGINEER))
    assert resp.status_code == 202
    doc = resp.get_json()
    assert doc["kind"] == "poll" and doc["device"] == "old32" and doc["requested_by"] == "engineer"
    assert doc["taken_at"] is None and ISO_Z.match(doc["created_at"])
    again = client.post("/api/v1/devices/old32/poll", headers=bearer(world, Role.ADMIN)).get_json()
    assert again["id"] == doc["id"]  # the open request is reused, not duplicated


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.removeprefix("/api/v1"))


def test_openapi_document_matches_the_routes(app: Flask, api: Any) -> None:
    doc = api("/openapi.json").get_json()
    assert doc["openapi"].startswith("3.0")
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": doc["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    routes: dict[str, set[str]] = {}
    tmf_routes: dict[str, set[str]] = {}
    bss_routes: dict[str, set[str]] = {}
    tmf_base = "/tmf-api/alarmManagement/v4"
    bss_bases = {api.base for api in APIS}
    for rule in app.url_map.iter_rules():
        # /api/v1, TMF642 at its primary base path (the alias serves the same views), and the
        # BSS-facing TM Forum APIs below /tmf-api (each has its own /hub).
        methods = {m.lower() for m in (rule.methods or set())} - {"head", "options"}
        if rule.rule.startswith("/api/v1/"):
            routes.setdefault(_openapi_path(rule.rule), set()).update(methods)
        elif rule.rule.startswith(f"{tmf_base}/"):
            tmf_routes.setdefault(_openapi_path(rule.rule.removeprefix(tmf_base)), set()).update(methods)
        elif any(rule.rule.startswith(f"{base}/") for base in bss_bases):
            path = _openapi_path(rule.rule.removeprefix("/tmf-api")).replace(
                "<path:resource_id>", "{resource_id}"
            )
            bss_routes.setdefault(path, set()).update(methods)
    assert not routes.keys() & tmf_routes.keys()  # one document holds all
    assert not bss_routes.keys() & (routes.keys() | tmf_routes.keys())
    assert len(bss_routes) > 20
    routes.update(tmf_routes)
    routes.update(bss_routes)
    documented = {path: set(ops) - {"servers"} for path, ops in doc["paths"].items()}
    assert documented == routes
    # The TMF paths carry their own server: TMF642's its base path (keys relative to it), the
    # BSS-facing APIs' /tmf-api (keys start with their base path, so every /hub is distinct).
    tmf = {p for p, item in doc["paths"].items() if "servers" in item}
    alarm = {p for p in tmf if doc["paths"][p]["servers"][0]["url"] == tmf_base}
    assert alarm == {
        "/alarm",
        "/alarm/{alarm_id}",
        "/ackAlarms",
        "/unAckAlarms",
        "/clearAlarms",
        "/commentAlarms",
        "/hub",
        "/hub/{hub_id}",
    }
    assert tmf - alarm == set(bss_routes)
    assert all(doc["paths"][p]["servers"][0]["url"] == "/tmf-api" for p in tmf - alarm)
    for api in APIS:
        assert api.base.removeprefix("/tmf-api") + "/hub" in doc["paths"], api.name
    assert {
        r.rule.removeprefix("/tmf-api/alarm/v4")
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/tmf-api/alarm/v4/")
    } == {
        r.rule.removeprefix(tmf_base) for r in app.url_map.iter_rules() if r.rule.startswith(f"{tmf_base}/")
    }
    # Every $ref points at something that exists.
    refs = list(_refs(doc))
    assert len(refs) > 10
    for ref in refs:
        _, components, section, name = ref.split("/")
        assert components == "components" and name in doc["components"][section], ref


def _refs(node: Any) -> Any:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)
