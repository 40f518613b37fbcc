"""End to end in a real browser: Debian's Chromium, driven by Playwright, against the app
served by waitress as in production. Checks what only a browser can: the CSP lets our own
scripts run (and nothing else), the graphs fetch their data and draw, the forms work, the
header's alarm badge follows the database without a reload, a transaction's diff shows, its
Rollback button plans the inverse and the new transaction's page follows the agent."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from inventory.choices import Severity, TxState
from inventory.provisioning_models import Transaction, TransactionLog
from inventory.types import utcnow
from tests.web.bsstesting import ORDER_DONE, SP_RESOLVED
from tests.web.faulttesting import expected_summary, history, make_alarm
from tests.web.provtesting import SVC_IA, TX_DONE, load_tx, make_done_service
from tests.web.webtesting import HOSTILE_TEXT, PASSWORD, World, samples_in_last

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def base_url(world: World) -> Iterator[str]:
    from waitress.server import create_server

    app: Flask = world.app
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.task_dispatcher.shutdown()
    for channel in list(server._map.values()):
        channel.close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def _watch(page: Any, problems: list[str]) -> None:
    # Console errors include CSP violations ("Refused to execute inline script ...").
    page.on(
        "console",
        lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("dialog", lambda d: problems.append(f"dialog opened: {d.message}"))
    page.on(
        "response", lambda r: problems.append(f"HTTP {r.status} for {r.url}") if r.status >= 400 else None
    )


def _login(page: Any, base_url: str, next_path: str, shot: Path | None = None) -> None:
    page.goto(f"{base_url}{next_path}")
    assert "/login?next=" in page.url
    if shot is not None:
        page.screenshot(path=str(shot))
    page.fill("#username", "engineer")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}{next_path}")


def _drawn_pixels(page: Any, selector: str) -> int:
    """Non-transparent pixels on the figure's uPlot canvas: 0 means nothing was drawn."""
    return int(
        page.eval_on_selector(
            selector,
            """fig => {
                const canvas = fig.querySelector('.uplot canvas');
                if (!canvas) return 0;
                const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
                let n = 0;
                for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
                return n;
            }""",
        )
    )


def test_login_device_page_and_graphs(browser: Any, base_url: str, world: World, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    problems: list[str] = []
    _watch(page, problems)

    _login(page, base_url, "/devices/r1", shot=tmp_path / "login.png")
    assert page.locator("#interfaces-table tbody tr").count() == 4
    assert "ethernet-1/1" in page.inner_text("#interfaces-table")

    first = f"figure.graph[data-interface-id='{world.ids['r1_e1']}']"
    page.wait_for_selector(f"{first}[data-state=loaded]", timeout=15_000)
    # An hour at one sample a minute (fewer as the seeded data ages during a long run).
    assert int(page.get_attribute(first, "data-points") or 0) >= samples_in_last(timedelta(hours=1)) - 3
    assert _drawn_pixels(page, first) > 2000
    page.screenshot(path=str(tmp_path / "device-1h.png"), full_page=True)

    page.click(".toggle button[data-range='1d']")
    page.wait_for_selector(f"{first}[data-range='1d'][data-state=loaded]", timeout=15_000)
    assert (
        int(page.get_attribute(first, "data-points") or 0) >= samples_in_last(timedelta(days=1)) - 40
    )  # a day at one a minute, downsampled at most a little
    assert page.get_attribute(".toggle button[data-range='1d']", "aria-pressed") == "true"
    page.screenshot(path=str(tmp_path / "device-1d.png"), full_page=True)

    # The discover button posts the form with its CSRF token and comes back with a message.
    page.click("#discover-now")
    page.wait_for_selector(".flash")
    assert "Discovery of r1 requested" in page.inner_text(".flashes")

    assert problems == [], problems
    context.close()


def test_hostile_strings_stay_inert_and_tables_filter(browser: Any, base_url: str, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    _watch(page, problems)
    _login(page, base_url, "/devices")

    page.fill("input.filter", "r1")
    visible = page.locator("#devices-table tbody tr:visible")
    assert visible.count() == 1 and "r1" in visible.inner_text()
    page.fill("input.filter", "")

    for path in ("/devices", "/devices/evil", "/links"):
        page.goto(f"{base_url}{path}")
        # The payloads show as text, and none became an element.
        assert page.locator("img[src=x]").count() == 0
        assert page.evaluate("() => document.querySelectorAll('script:not([src])').length") == 0
    page.screenshot(path=str(tmp_path / "links.png"), full_page=True)  # the last of the loop
    page.goto(f"{base_url}/devices/evil")
    assert "<script>alert(1)</script>" in page.inner_text("dl.facts")
    assert HOSTILE_TEXT.split("\n")[0] in page.inner_text("dl.facts")
    page.wait_for_selector("figure.graph[data-state=loaded]", timeout=15_000)
    page.screenshot(path=str(tmp_path / "evil.png"), full_page=True)

    page.goto(f"{base_url}/devices")
    page.click("#devices-table th:has-text('Status')")
    assert page.get_attribute("#devices-table th:has-text('Status')", "aria-sort") == "ascending"
    page.screenshot(path=str(tmp_path / "devices.png"), full_page=True)

    assert problems == [], problems
    context.close()


def test_alarms_acknowledge_and_live_badge(browser: Any, base_url: str, world: World, tmp_path: Path) -> None:
    alarm_id = make_alarm(
        world, perceived_severity=Severity.MAJOR, specific_problem="browser test: port down"
    )
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    problems: list[str] = []
    _watch(page, problems)
    _login(page, base_url, "/alarms")

    badge = "a.badge[data-badge=alarms]"
    assert page.is_visible(badge)
    assert int(page.inner_text(f"{badge} .badge-count")) == expected_summary(world)["root"]
    assert "badge-critical" in (page.get_attribute(badge, "class") or "")

    row = f"#alarms-table tr[data-alarm-id='{alarm_id}']"
    assert "browser test: port down" in page.inner_text(row)
    page.click("#alarms-table th:has-text('Severity')")  # sortable, by script
    assert page.get_attribute("#alarms-table th:has-text('Severity')", "aria-sort") == "ascending"
    page.screenshot(path=str(tmp_path / "alarms.png"), full_page=True)

    page.click(f"{row} a:has-text('browser test: port down')")
    page.wait_for_url(f"{base_url}/alarms/{alarm_id}")
    page.click("#ack-button")
    page.wait_for_selector(".flash")
    assert "Alarm acknowledged." in page.inner_text(".flashes")
    assert "acknowledged by engineer" in page.inner_text("#ack-state")
    entry = page.locator("#timeline li.tl-acknowledged")
    assert entry.count() == 1 and "engineer" in entry.inner_text()
    assert [(h.action, h.user) for h in history(world, alarm_id)][-1] == ("acknowledged", "engineer")
    assert page.is_visible("#unack-button")

    # A new alarm written to the database (as the agent would) reaches the badge by polling.
    page.evaluate("() => { window.__noReload = true; }")
    before = int(page.inner_text(f"{badge} .badge-count"))
    make_alarm(world, perceived_severity=Severity.CRITICAL, specific_problem="browser test: new root")
    want = expected_summary(world)["root"]
    assert want == before + 1
    page.wait_for_function(
        "n => document.querySelector('a.badge[data-badge=alarms] .badge-count').textContent === String(n)",
        arg=want,
        timeout=25_000,
    )
    assert page.evaluate("() => window.__noReload === true")  # the same page, not reloaded
    page.screenshot(path=str(tmp_path / "alarm.png"), full_page=True)

    assert problems == [], problems
    context.close()


def test_rollback_a_done_transaction(browser: Any, base_url: str, world: World, tmp_path: Path) -> None:
    _, done_id, vlan = make_done_service(world)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    problems: list[str] = []
    _watch(page, problems)
    _login(page, base_url, f"/transactions/{done_id}")

    # The device's diff, coloured line by line.
    added = page.locator("pre.diff .dl-add")
    assert added.count() >= 5
    assert f"+interface Ethernet7.{vlan}" in added.all_inner_texts()
    assert page.locator("pre.diff .dl-hunk").count() == 1
    assert "done" in page.inner_text("h1")
    page.screenshot(path=str(tmp_path / "transaction-done.png"), full_page=True)

    page.click("#rollback-button")
    page.wait_for_url(lambda url: "/transactions/TX-" in url and done_id not in url)
    new_id = page.url.rsplit("/", 1)[1]
    assert "planned" in page.inner_text("h1") and new_id in page.inner_text("h1")
    assert f"Rollback of {done_id} planned as {new_id}" in page.inner_text(".flashes")
    assert f"-interface Ethernet7.{vlan}" in page.locator("pre.diff .dl-del").all_inner_texts()
    stored = load_tx(world, new_id)
    assert stored.state is TxState.PLANNED and stored.rollback_of == done_id
    page.screenshot(path=str(tmp_path / "transaction-planned.png"), full_page=True)

    # The page polls the transaction (CSP allows our script) and reloads when the agent moves it on.
    page.wait_for_selector("#tx-head[data-polled]", timeout=10_000)
    with world.sessions.begin() as s:
        s.execute(update(Transaction).where(Transaction.id == new_id).values(state=TxState.PREPARING))
        s.add(
            TransactionLog(
                transaction_id=new_id, at=utcnow(), device="new1", message="preparing the candidate"
            )
        )
    page.wait_for_selector("h1 .txstate-preparing", timeout=15_000)
    assert "preparing the candidate" in page.inner_text("#tx-log")
    assert page.locator("#rollback-button").count() == 0  # only a done transaction rolls back

    assert problems == [], problems
    context.close()


def test_customer_outage_timeline_and_order(
    browser: Any, base_url: str, world: World, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    problems: list[str] = []
    _watch(page, problems)
    _login(page, base_url, "/customers")

    assert page.is_visible("nav.mainnav a:has-text('Customers').active")
    page.fill("input.filter", "Customer One")
    assert page.locator("#customers-table tbody tr:visible").count() == 1
    page.click("#customers-table a:has-text('CUST-1')")
    page.wait_for_url(f"{base_url}/customers/CUST-1")
    assert SVC_IA in page.inner_text("#subscriptions-table")
    page.screenshot(path=str(tmp_path / "customer.png"), full_page=True)

    # Its outage: the story from the alarm to the credit, in order.
    page.click(f"#customer-outages-table a:has-text('{SP_RESOLVED}')")
    page.wait_for_url(f"{base_url}/outages/{SP_RESOLVED}")
    entries = page.locator("#outage-timeline li")
    story = [entries.nth(i).get_attribute("data-kind") for i in range(entries.count())]
    assert story[0] == "alarm-raised" and story[1] == "problem-opened" and story[-1] == "credit"
    assert story.index("alarm-cleared") < story.index("problem-resolved")
    assert "HTTP 500 from the listener" in page.inner_text("#outage-timeline")
    assert "19.90 EUR" in page.inner_text("#outage-credits-table")
    page.screenshot(path=str(tmp_path / "outage.png"), full_page=True)

    # Back to the customer, then its order with the items' states and transactions.
    page.click("#outage-facts a:has-text('CUST-1')")
    page.wait_for_url(f"{base_url}/customers/CUST-1")
    page.click(f"#customer-orders-table a:has-text('{ORDER_DONE}')")
    page.wait_for_url(f"{base_url}/orders/{ORDER_DONE}")
    row = page.locator("#items-table tr[data-item='1']")
    assert row.get_attribute("data-state") == "completed" and "completed" in row.inner_text()
    assert page.locator("#order-timeline li").count() == 6
    page.click(f"#items-table a:has-text('{TX_DONE}')")
    page.wait_for_url(f"{base_url}/transactions/{TX_DONE}")
    assert page.locator("pre.diff .dl-add").count() >= 1
    page.screenshot(path=str(tmp_path / "order-tx.png"), full_page=True)

    assert problems == [], problems
    context.close()
