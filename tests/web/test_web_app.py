"""The app factory, its configuration, /health, the pages' content, and the formatting helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect

from inventory import crypto
from inventory.db import make_engine, sqlite_url
from tests.web.webtesting import SECRET_KEY, World, parse_html
from web import ConfigError, create_app
from web.auth import safe_next
from web.formatting import NONE, ago, human_bps, human_duration, human_speed, iso_utc, percent, truncate


def test_config_is_checked(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "x.db")
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        create_app({"SECRET_KEY": SECRET_KEY})
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"DATABASE_URL": url})
    with pytest.raises(ConfigError, match="at least"):
        create_app({"DATABASE_URL": url, "SECRET_KEY": "short"})
    with pytest.raises(ConfigError, match="MIGRATE"):
        create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "MIGRATE": "perhaps"})


def test_new_database_is_migrated_and_key_file_used(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "ossagent.db")
    key_file = tmp_path / "secret.key"
    try:
        app = create_app(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": SECRET_KEY,
                "KEY_FILE": str(key_file),
                "MIGRATE": "true",
                "SESSION_COOKIE_SECURE": True,
                "PERMANENT_SESSION_LIFETIME": timedelta(hours=1),
            }
        )
        assert key_file.exists()
        Fernet(key_file.read_bytes().strip())  # a usable key was created
        assert {"devices", "interfaces", "users", "job_requests"} <= set(
            inspect(make_engine(url)).get_table_names()
        )
        assert app.config["SESSION_COOKIE_SECURE"] is True
        assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=1)
        assert app.test_client().get("/health").get_json() == {"status": "ok", "database": "ok"}
        resp = app.test_client().get("/login")
        assert "Secure" in resp.headers["Set-Cookie"]
        # An empty inventory renders (through the public pages; the rest needs a user).
        assert app.test_client().get("/metrics").status_code == 200
    finally:
        crypto.use_key(Fernet.generate_key())  # leave no file-bound key behind


def test_health_reports_a_broken_database(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "x.db"
    app = create_app({"DATABASE_URL": sqlite_url(missing), "SECRET_KEY": SECRET_KEY, "MIGRATE": False})
    resp = app.test_client().get("/health")
    assert resp.status_code == 503
    assert resp.get_json() == {"status": "error", "database": "error"}
    assert str(missing) not in resp.get_data(as_text=True)


def test_health_ok(client: FlaskClient) -> None:
    resp = client.get("/health")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok", "database": "ok"}


def test_root_redirects_to_devices(viewer: tuple[FlaskClient, str]) -> None:
    client, _ = viewer
    assert client.get("/").headers["Location"] == "/devices"


def test_unknown_device_page_is_a_404_page(viewer: tuple[FlaskClient, str]) -> None:
    client, _ = viewer
    resp = client.get("/devices/nope")
    assert resp.status_code == 404 and resp.mimetype == "text/html"
    assert "No device named &#39;nope&#39;" in resp.get_data(as_text=True)


def test_devices_page(world: World, viewer: tuple[FlaskClient, str]) -> None:
    client, _ = viewer
    page = parse_html(client.get("/devices").get_data(as_text=True))
    rows = [a for t, a in page.tags if t == "tr"]
    assert len(rows) == 1 + 6  # header and one per device
    text = " ".join(page.text.split())
    assert "r1 192.0.2.1 nokia_srlinux spine lab-site up 3d 3h" in text
    assert "2 / 3" in text  # r1: up / present interfaces
    assert "down1 192.0.2.99 generic unreachable" in text
    assert "4 up" in text and "1 unreachable" in text and "1 unknown" in text
    statuses = {a.get("class") for t, a in page.tags if t == "span" and "status" in (a.get("class") or "")}
    assert {"status status-up", "status status-unreachable", "status status-unknown"} <= statuses
    # The nav marks where we are, and the user is shown.
    assert ("a", {"href": "/devices", "class": "active", "aria-current": "page"}) in page.tags
    assert "viewer" in text


def test_device_page(world: World, viewer: tuple[FlaskClient, str]) -> None:
    client, _ = viewer
    html = client.get("/devices/r1").get_data(as_text=True)
    page = parse_html(html)
    text = " ".join(page.text.split())
    for fact in ("r1.lab", "1.3.6.1.4.1.6527.1.20.1", "rack 1", "noc@example.net", "3d 3h", "lab-v3"):
        assert fact in text
    # Hardware rows, interface rows with rates and utilisation.
    assert "powerSupply PSU 1 AC power supply PSU-AC-1600 PS001" in text
    assert "1 ethernet-1/1 to-r2 e1-1 up up 10 Gb/s" in text
    assert "not present" in text
    # One graph per present interface, each pointing at its samples in the API.
    graphs = [a for t, a in page.tags if t == "figure"]
    assert [g["data-samples-url"] for g in graphs] == [
        f"/api/v1/interfaces/{world.ids[k]}/samples" for k in ("r1_e1", "r1_e2", "r1_mgmt")
    ]
    scripts = [a["src"] for t, a in page.tags if t == "script"]
    # badges.js (the header's live alarm count) is on every page of a logged-in user.
    assert scripts == [
        "/static/js/badges.js",
        "/static/vendor/uplot/uPlot.iife.min.js",
        "/static/js/graphs.js",
    ]


def test_links_page(viewer: tuple[FlaskClient, str]) -> None:
    client, _ = viewer
    page = parse_html(client.get("/links").get_data(as_text=True))
    text = " ".join(page.text.split())
    assert "r1 ethernet-1/1 ⟷ r2 ethernet-1/1" in text
    assert "r1 ethernet-1/2 ⟷ isp-peer Gi0/1 unresolved" in text


def test_static_assets_are_served(client: FlaskClient) -> None:
    for path in (
        "/static/vendor/uplot/uPlot.iife.min.js",
        "/static/vendor/uplot/uPlot.min.css",
        "/static/vendor/uplot/LICENSE",
        "/static/js/graphs.js",
        "/static/js/tables.js",
        "/static/css/app.css",
    ):
        resp = client.get(path)
        assert resp.status_code == 200, path
        resp.close()


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/devices/r1", "/devices/r1"),
        ("/devices?x=1#y", "/devices?x=1#y"),
        (None, None),
        ("", None),
        ("//evil.example", None),
        ("/\\evil.example", None),
        ("https://evil.example/", None),
        ("/ok\r\n", None),
        ("relative", None),
    ],
)
def test_safe_next(target: str | None, expected: str | None) -> None:
    assert safe_next(target) == expected


def test_formatting() -> None:
    assert human_duration(None) == NONE
    assert human_duration(59) == "59s"
    assert human_duration(61) == "1m"
    assert human_duration(3 * 3600 + 120) == "3h 2m"
    assert human_duration(270_000) == "3d 3h"
    assert human_bps(None) == NONE
    assert human_bps(999) == "999 b/s"
    assert human_bps(1_234_567) == "1.23 Mb/s"
    assert human_speed(10_000_000_000) == "10 Gb/s"
    assert human_speed(0) == NONE
    assert percent(5.25) == "5.2 %" or percent(5.25) == "5.3 %"
    assert percent(55.4) == "55 %"
    when = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert iso_utc(when) == "2024-05-01T12:00:00Z"
    assert iso_utc(when.replace(microsecond=250_000)) == "2024-05-01T12:00:00.250Z"
    assert iso_utc(when.astimezone(UTC).replace(tzinfo=UTC)) == "2024-05-01T12:00:00Z"
    assert ago(when - timedelta(minutes=5), now=when) == "5m ago"
    assert ago(None) == "never"
    assert truncate("a\nb   c", 80) == "a b c"
    assert truncate("x" * 100, 10) == "x" * 9 + "…"


def test_app_factory_builds_independent_apps(world: World) -> None:
    other: Flask = create_app(
        {"DATABASE_URL": str(world.engine.url), "SECRET_KEY": SECRET_KEY, "MIGRATE": False}
    )
    assert other is not world.app
    assert other.test_client().get("/health").status_code == 200
