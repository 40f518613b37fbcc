"""Server-side pagination of the device list and the alarm list: a page of rows, counts over
the whole list, links to the other pages that keep the filters, bad and past-the-end pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from tests.web.webtesting import World, parse_html
from web.dashboard import alarms as alarm_views
from web.dashboard import views


def _get(client: FlaskClient, path: str) -> Any:
    resp = client.get(path)
    assert resp.status_code == 200, (path, resp.status_code)
    return parse_html(resp.get_data(as_text=True))


def _links(parsed: Any) -> dict[str, dict[str, list[str]]]:
    """rel -> query of the pager's links (the first pager on the page)."""
    out: dict[str, dict[str, list[str]]] = {}
    for tag, attrs in parsed.tags:
        if tag == "a" and attrs.get("rel") in ("first", "prev", "next", "last"):
            out.setdefault(attrs["rel"], parse_qs(urlsplit(attrs["href"]).query))
    return out


def _device_names(parsed: Any) -> list[str]:
    return [
        a["href"].rsplit("/", 1)[1]
        for t, a in parsed.tags
        if t == "a" and a.get("href", "").startswith("/devices/") and "/" not in a["href"][9:]
    ]


def _text(parsed: Any) -> str:
    return " ".join(parsed.text.split())


def test_device_list_pages(
    world: World, viewer: tuple[FlaskClient, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = viewer
    every = _device_names(_get(client, "/devices"))
    assert len(every) == 6  # one page: no pager
    monkeypatch.setattr(views, "DEVICES_PER_PAGE", 4)

    first = _get(client, "/devices")
    assert _device_names(first) == every[:4]
    text = _text(first)
    # Counts cover every device, not the page.
    assert "4 up" in text and "1 unreachable" in text and "1 unknown" in text
    assert "Devices 1\u20134 of 6 · page 1 of 2" in text
    assert _links(first) == {"next": {"page": ["2"]}, "last": {"page": ["2"]}}

    second = _get(client, "/devices?page=2")
    assert _device_names(second) == every[4:]
    assert "Devices 5\u20136 of 6 · page 2 of 2" in _text(second)
    assert _links(second) == {"first": {}, "prev": {}}  # page 1 is the list's own URL

    # Past the end: the last page.
    assert _device_names(_get(client, "/devices?page=99")) == every[4:]


@pytest.mark.parametrize("bad", ["0", "-1", "two", "1e3", "9999999999"])
def test_bad_page_is_a_400(viewer: tuple[FlaskClient, str], bad: str) -> None:
    client, _ = viewer
    for path in ("/devices", "/alarms"):
        assert client.get(f"{path}?page={bad}").status_code == 400


def test_alarm_list_pages_keep_the_filters(
    world: World, viewer: tuple[FlaskClient, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = viewer
    query = "/alarms?cleared=1&suppressed=1"
    every = [
        int(a["data-alarm-id"]) for t, a in _get(client, query).tags if t == "tr" and a.get("data-alarm-id")
    ]
    assert len(every) > 4
    monkeypatch.setattr(alarm_views, "ALARMS_PER_PAGE", 2)
    seen: list[int] = []
    page, pages = 1, -(-len(every) // 2)
    while True:
        parsed = _get(client, f"{query}&page={page}" if page > 1 else query)
        rows = [int(a["data-alarm-id"]) for t, a in parsed.tags if t == "tr" and a.get("data-alarm-id")]
        assert len(rows) == (2 if page < pages else len(every) - 2 * (pages - 1))
        seen.extend(rows)
        assert f"page {page} of {pages}" in _text(parsed)
        links = _links(parsed)
        if page == pages:
            assert "next" not in links
            break
        nxt = links["next"]
        assert nxt == {"cleared": ["1"], "suppressed": ["1"], "page": [str(page + 1)]}
        page += 1
    # The same alarms in the same (severity) order as the one-page list.
    assert seen == every
