"""The BSS pages (customers, one customer, orders, one order with its timeline, outages, one
outage with its timeline, credits of a month) and the engineer API's customers, orders and
monthly statements (JSON and CSV)."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask.testing import FlaskClient

from bss_bridge.sla import month_of
from bss_bridge.tmf.billing import statement_csv
from inventory.choices import Role
from tests.web.bsstesting import (
    CREDIT_MONTH_END,
    ORDER_DONE,
    ORDER_EVIL,
    ORDER_FAILED,
    SP_EVIL,
    SP_OPEN,
    SP_RESOLVED,
    credits_of,
    make_resolved_problem,
    previous_month,
)
from tests.web.provtesting import SVC_IA, TX_DONE
from tests.web.webtesting import NOW, WEBHOOK_SECRET, World, bearer, parse_html


def page(client: FlaskClient, path: str) -> str:
    resp = client.get(path)
    assert resp.status_code == 200, (path, resp.status_code)
    assert resp.mimetype == "text/html"
    return resp.get_data(as_text=True)


def rows(html: str, attr: str) -> list[str]:
    return [a[attr] or "" for t, a in parse_html(html).tags if t == "tr" and a.get(attr)]


def kinds(html: str, list_id: str) -> list[str]:
    """The timeline's entries (data-kind), in page order."""
    tags = parse_html(html).tags
    start = next(i for i, (t, a) in enumerate(tags) if t == "ol" and a.get("id") == list_id)
    out = []
    for t, a in tags[start + 1 :]:
        if t == "ol":
            break
        if t == "li" and a.get("data-kind"):
            out.append(a["data-kind"] or "")
    return out


def test_nav_has_the_bss_pages(viewer: tuple[FlaskClient, str]) -> None:
    client, _ = viewer
    links = {a.get("href") for t, a in parse_html(page(client, "/customers")).tags if t == "a"}
    assert {"/customers", "/orders", "/outages", "/credits"} <= links


def test_customers_page(world: World, viewer: tuple[FlaskClient, str]) -> None:
    client, _ = viewer
    html = page(client, "/customers")
    listed = rows(html, "data-customer")
    assert {"CUST-1", "CUST-2", "CUST-EVIL", "CUST-42", "CUST-77"} <= set(listed)
    text = parse_html(html).text
    assert SVC_IA in text and "Customer One" in text
    (credit,) = credits_of(world, SP_RESOLVED)
    this_month = month_of(NOW)
    one = html.split('data-customer="CUST-1"')[1].split("</tr>")[0]
    assert ("19.90 EUR" if credit.month == this_month else "0.00 EUR") in one
    two = html.split('data-customer="CUST-2"')[1].split("</tr>")[0]
    assert ">1</a>" in two  # one open outage


def test_customer_page(world: World, viewer: tuple[FlaskClient, str]) -> None:
    client, _ = viewer
    html = page(client, "/customers/CUST-1")
    assert rows(html, "data-service") == [SVC_IA]
    assert rows(html, "data-order") == [ORDER_DONE]
    assert rows(html, "data-problem") == [SP_RESOLVED]
    assert set(rows(html, "data-message")) == {"CM-WEB-1", "CM-WEB-2", "CM-WEB-3"}
    assert rows(html, "data-credit") == [world.refs["credit"]]
    text = parse_html(html).text
    assert "noc@one.example" in text and "https://hooks.one.example/oss" in text
    assert WEBHOOK_SECRET not in html
    month = month_of(NOW)
    assert f"/api/v1/customers/CUST-1/statement?month={month}&amp;format=csv" in html
    assert client.get("/customers/CUST-NOPE").status_code == 404


def test_orders_pages(viewer: tuple[FlaskClient, str]) -> None:
    client, _ = viewer
    assert set(rows(page(client, "/orders?state=failed"), "data-order")) == {ORDER_FAILED, ORDER_EVIL}
    assert rows(page(client, "/orders?customer=CUST-1"), "data-order") == [ORDER_DONE]
    html = page(client, f"/orders/{ORDER_DONE}")
    tags = parse_html(html).tags
    items = [a for t, a in tags if t == "tr" and a.get("data-item")]
    assert [(a["data-item"], a["data-state"]) for a in items] == [("1", "completed")]
    assert ("a", f"/transactions/{TX_DONE}") in {(t, a.get("href")) for t, a in tags}
    assert kinds(html, "order-timeline") == [
        "order-received",
        "tx-planned",
        "tx-started",
        "tx-done",
        "subscribed",
        "order-completed",
    ]
    failed = page(client, f"/orders/{ORDER_FAILED}")
    assert "commit failed" in parse_html(failed).text
    assert kinds(failed, "order-timeline")[-2:] == ["tx-rolled-back", "order-failed"]
    assert client.get("/orders/PO-NOPE").status_code == 404


def test_outage_pages(world: World, viewer: tuple[FlaskClient, str]) -> None:
    client, _ = viewer
    assert rows(page(client, "/outages"), "data-problem") == [SP_EVIL, SP_OPEN]
    # Newest first; outages other tests make (last month) come after the fixture's.
    assert rows(page(client, "/outages?state=resolved"), "data-problem")[0] == SP_RESOLVED
    assert rows(page(client, "/outages?state=all"), "data-problem")[:3] == [SP_EVIL, SP_OPEN, SP_RESOLVED]
    html = page(client, f"/outages/{SP_RESOLVED}")
    story = kinds(html, "outage-timeline")
    order = ["alarm-raised", "problem-opened", "notice-queued", "alarm-cleared", "problem-resolved", "credit"]
    assert [story.index(k) for k in order] == sorted(story.index(k) for k in order), story
    assert {"notice-completed", "notice-failed"} <= set(story) and story[-1] == "credit"
    text = parse_html(html).text
    assert "failed after 3 tries: HTTP 500 from the listener" in text
    assert "19.90 EUR" in text and "availability 99." in text
    assert rows(html, "data-credit") == [world.refs["credit"]]
    assert ("a", f"/alarms/{world.ids['a_cleared']}") in {
        (t, a.get("href")) for t, a in parse_html(html).tags
    }
    assert client.get("/outages/SP-NOPE").status_code == 404


def test_credits_page(world: World, viewer: tuple[FlaskClient, str]) -> None:
    client, _ = viewer
    last = previous_month(NOW)
    html = page(client, f"/credits?month={last}")
    assert CREDIT_MONTH_END in rows(html, "data-credit")
    assert f'value="{last}"' in html
    (credit,) = credits_of(world, SP_RESOLVED)
    current = page(client, f"/credits?month={credit.month}")
    assert world.refs["credit"] in rows(current, "data-credit")
    only_two = page(client, f"/credits?month={last}&customer=CUST-2")
    assert rows(only_two, "data-credit") == [CREDIT_MONTH_END]
    assert "34.90 EUR" in parse_html(only_two).text.split("Total:")[1]
    assert page(client, "/credits?month=1999-01").count("data-credit=") == 0
    assert client.get("/credits?month=2026-13").status_code == 400


# -- /api/v1 ---------------------------------------------------------------------------------------


def test_api_customers_and_orders(world: World) -> None:
    client = world.app.test_client()
    resp = client.get("/api/v1/customers", headers=bearer(world))
    body = resp.get_json()
    one = next(c for c in body if c["id"] == "CUST-1")
    assert resp.headers["X-Total-Count"] == str(len(body))
    assert one["accounts"] == [{"id": "BA-1", "name": "One main", "currency": "EUR"}]
    assert {"kind": "webhook", "name": "One ticketing", "address": "https://hooks.one.example/oss"} in one[
        "contacts"
    ]
    assert one["statement_href"] == "/api/v1/customers/CUST-1/statement"
    assert WEBHOOK_SECRET not in resp.get_data(as_text=True)
    orders = client.get("/api/v1/orders", query_string={"state": "failed"}, headers=bearer(world)).get_json()
    assert {o["id"] for o in orders} == {ORDER_FAILED, ORDER_EVIL}
    done = client.get("/api/v1/orders", query_string={"customer": "CUST-1"}, headers=bearer(world)).get_json()
    assert done[0]["items"][0]["transaction_href"] == f"/api/v1/transactions/{TX_DONE}"
    assert client.get("/api/v1/orders?state=nope", headers=bearer(world)).status_code == 400


def _statement(world: World, customer: str, **query: Any) -> Any:
    return world.app.test_client().get(
        f"/api/v1/customers/{customer}/statement", query_string=query, headers=bearer(world, Role.VIEWER)
    )


def test_statement_json_and_csv(world: World) -> None:
    customer, problem_id, month = make_resolved_problem(world, minutes=150)
    resp = _statement(world, customer, month=month)
    assert resp.status_code == 200
    doc = resp.get_json()
    assert doc["customer"] == customer and doc["month"] == month and doc["currency"] == "EUR"
    assert [(f["offering"], f["amount"]) for f in doc["fees"]] == [("Business Internet 100M", "199.00")]
    (credit,) = doc["credits"]
    assert (
        credit["problem"] == problem_id
        and credit["amount"] == "19.90"
        and credit["outage_minutes"] == "150.00"
    )
    assert credit["credit_pct"] == "10" and credit["product"].startswith("SVC-R")
    assert (doc["total_fees"], doc["total_credits"], doc["net"]) == ("199.00", "19.90", "179.10")

    resp = _statement(world, customer, month=month, format="csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.headers["Content-Disposition"] == f'attachment; filename="statement-{customer}-{month}.csv"'
    table = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
    assert table[0][0] == "kind" and table[0][-2:] == ["amount", "currency"]
    assert [(r[0], r[-2]) for r in table[1:]] == [
        ("fee", "199.00"),
        ("credit", "19.90"),
        ("total_fees", "199.00"),
        ("total_credits", "19.90"),
        ("net", "179.10"),
    ]
    # Another month: no credit, the fee only.
    other = _statement(world, customer, month=month_of(NOW)).get_json()
    assert other["credits"] == [] and other["total_credits"] == "0.00"
    assert _statement(world, customer, month="2026-13").status_code == 400
    assert _statement(world, customer, format="xml").status_code == 400
    assert _statement(world, "CUST-NOPE").status_code == 404


def test_statement_csv_defuses_formulas() -> None:
    doc = {
        "currency": "EUR",
        "fees": [{"product": "=HYPERLINK(1)", "offering": "+cmd", "amount": "1.00", "currency": "EUR"}],
        "credits": [],
        "total_fees": "1.00",
        "total_credits": "0.00",
        "net": "1.00",
    }
    fee = list(csv.reader(io.StringIO(statement_csv(doc))))[1]
    assert fee[2] == "'=HYPERLINK(1)" and fee[3] == "'+cmd" and fee[7] == "1.00"
