"""``ossagent bss``: loading the catalog and customers, listing orders, the credits of a
month (table, JSON, CSV) and a customer's statement, on a temporary OSSAGENT_HOME."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from agent.cli import cli
from agent.cli.core import context
from bss_bridge.credits import credit_for_problem
from bss_bridge.seed import DEMO_SEED
from bss_bridge.sla import month_bounds
from inventory.bss_models import ProductOrder, ProductOrderItem, ServiceProblem, Subscription
from inventory.choices import OrderState, ProblemState, ServiceState
from inventory.fault_models import Service

MONTH = "2026-03"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def loaded(home: Path) -> Path:
    code, out = run("bss", "load", str(DEMO_SEED))
    assert code == 0, out
    assert out.strip().startswith("loaded 2 SLAs, 3 offerings, 2 customers")
    start = month_bounds(MONTH)[0] + timedelta(days=9, hours=10)
    with context().begin() as s:
        svc = Service(
            external_id="SVC-CLI-1", name="cli", service_type="internet-access", state=ServiceState.ACTIVE
        )
        s.add(svc)
        s.flush()
        s.add(Subscription(service_id=svc.id, customer_id="CUST-42", billing_account_id="BA-42",
                           offering_id="OFF-INET-100M", monthly_price=199, currency="EUR",
                           started_at=start - timedelta(days=40)))  # fmt: skip
        problem = ServiceProblem(id="SP-CLI-1", service_id=svc.id, customer_id="CUST-42", state=ProblemState.RESOLVED,
                                 opened_at=start, resolved_at=start + timedelta(minutes=150), state_changed=start,
                                 alarm_ids=[], reason="cli test")  # fmt: skip
        s.add(problem)
        s.flush()
        credit_for_problem(s, problem, start + timedelta(hours=3))
        for oid, state, at in (
            ("PO-CLI-1", OrderState.COMPLETED, start),
            ("PO-CLI-2", OrderState.FAILED, start + timedelta(days=1)),
        ):
            order = ProductOrder(id=oid, request_digest="x", customer_id="CUST-42", state=state, order_date=at,
                                 state_changed=at, body={}, created_by="bss", external_id=f"CRM-{oid}")  # fmt: skip
            order.items.append(
                ProductOrderItem(item_id="1", action="add", product_id="SVC-CLI-1", state=state)
            )
            s.add(order)
    return home


def test_load_is_idempotent_and_errors_are_clear(loaded: Path, tmp_path: Path) -> None:
    code, out = run("bss", "load", str(DEMO_SEED))
    assert code == 0 and "3 offerings" in out
    code, out = run("bss", "load", str(tmp_path / "missing.yaml"))
    assert code == 1 and "missing.yaml" in out and "Traceback" not in out
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "offerings:\n  - {id: X, name: x, service_model: teleportation, price: 1, currency: EUR}\n"
    )
    code, out = run("bss", "load", str(bad))
    assert code == 1 and "offerings[0]: unknown service_model 'teleportation'" in out


def test_orders(loaded: Path) -> None:
    code, out = run("bss", "orders", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert [r["id"] for r in rows] == ["PO-CLI-2", "PO-CLI-1"]  # newest first
    assert rows[1]["items"] == [
        {
            "id": "1",
            "action": "add",
            "state": "completed",
            "product": "SVC-CLI-1",
            "transaction": None,
            "error": "",
        }
    ]
    code, out = run("bss", "orders", "--state", "failed", "--format", "json")
    assert [r["id"] for r in json.loads(out)] == ["PO-CLI-2"]
    code, out = run("bss", "orders")
    assert code == 0 and out.splitlines()[0].split()[:3] == ["ID", "STATE", "CUSTOMER"] and "1:failed" in out
    code, out = run("bss", "orders", "--state", "finished")
    assert code == 2


def test_credits(loaded: Path) -> None:
    code, out = run("bss", "credits", "--month", MONTH, "--format", "csv")
    assert code == 0
    table = list(csv.reader(io.StringIO(out)))
    assert table[0][:3] == ["id", "customer", "billing_account"]
    (row,) = [dict(zip(table[0], r, strict=True)) for r in table[1:]]
    assert row["customer"] == "CUST-42" and row["product"] == "SVC-CLI-1" and row["problem"] == "SP-CLI-1"
    assert (row["amount"], row["currency"], row["outage_minutes"], row["credit_pct"]) == (
        "19.90",
        "EUR",
        "150.00",
        "10",
    )
    code, out = run("bss", "credits", "--month", MONTH, "--format", "json")
    doc = json.loads(out)
    assert doc["totals"] == [{"currency": "EUR", "amount": "19.90", "count": 1}] and len(doc["credits"]) == 1
    code, out = run("bss", "credits", "--month", MONTH)
    assert code == 0 and "SP-CLI-1" in out and "total 19.90 EUR (1 credit)" in out
    code, out = run("bss", "credits", "--month", MONTH, "--customer", "CUST-77", "--format", "json")
    assert json.loads(out)["credits"] == []
    assert run("bss", "credits", "--month", "2026-13")[0] == 2
    code, out = run("bss", "credits", "--month", MONTH, "--customer", "CUST-NOPE")
    assert code == 1 and "no customer CUST-NOPE" in out


def test_statement(loaded: Path) -> None:
    code, out = run("bss", "statement", "CUST-42", "--month", MONTH)
    assert code == 0
    doc = json.loads(out)
    assert (doc["total_fees"], doc["total_credits"], doc["net"]) == ("199.00", "19.90", "179.10")
    assert doc["credits"][0]["product"] == "SVC-CLI-1" and doc["name"] == "Acme Ltd"
    code, out = run("bss", "statement", "CUST-42", "--month", MONTH, "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][0] == "kind" and [r[0] for r in rows[1:]] == [
        "fee",
        "credit",
        "total_fees",
        "total_credits",
        "net",
    ]
    assert rows[-1][-2:] == ["179.10", "EUR"]
    code, out = run("bss", "statement", "CUST-NOPE", "--month", MONTH)
    assert code == 1 and "no customer CUST-NOPE" in out
    with context().begin() as s:
        assert s.scalar(select(Subscription.customer_id)) == "CUST-42"
