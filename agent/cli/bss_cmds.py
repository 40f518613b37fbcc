"""bss load | orders | credits | statement: the BSS side from the command line."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from agent.cli.core import CommandError, context
from agent.output import emit
from bss_bridge.credits import statement
from bss_bridge.seed import SeedError, load_seed_file
from bss_bridge.sla import month_of
from bss_bridge.tmf.billing import credit_row, credits_csv, money, statement_csv, statement_doc
from inventory import queries_bss as qb
from inventory.choices import OrderState
from inventory.types import utcnow

MONTH_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
ORDER_COLUMNS = ["id", "state", "customer", "external_id", "items", "order_date", "completed"]
CREDIT_TABLE_COLUMNS = [
    "id",
    "customer",
    "product",
    "problem",
    "kind",
    "outage_minutes",
    "amount",
    "currency",
]


def _month(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str:
    if value is None:
        return month_of(utcnow())
    if not MONTH_RE.fullmatch(value):
        raise click.BadParameter(f"{value!r} is not a month such as 2026-03")
    return value


F = TypeVar("F", bound=Callable[..., Any])


def _fmt(*choices: str) -> Callable[[F], F]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=choices[0],
        show_default=True,
        help="Output format.",
    )


_month_option = click.option("--month", callback=_month, default=None, help="YYYY-MM [default: this month].")


@click.group()
def bss() -> None:
    """The BSS side: catalog, customers, orders, credits and statements."""


@bss.command("load")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
def bss_load(path: Path) -> None:
    """Load SLAs, product offerings and customers from a YAML seed file (idempotent)."""
    try:
        with context().begin() as s:
            result = load_seed_file(s, path)
    except SeedError as exc:
        raise CommandError(str(exc)) from None
    click.echo(
        f"loaded {result.slas} SLAs, {result.offerings} offerings, {result.customers} customers from {path}"
    )


@bss.command("orders")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice([s.value for s in OrderState]),
    help="Repeat for several.",
)
@click.option("--customer", default=None)
@click.option("--limit", type=click.IntRange(1, 10_000), default=200, show_default=True)
@_fmt("table", "json")
def bss_orders(states: tuple[str, ...], customer: str | None, limit: int, fmt: str) -> None:
    """Product orders, newest first."""
    f = qb.OrderFilter(
        states=frozenset(OrderState(s) for s in states),
        customers=frozenset({customer}) if customer else frozenset(),
    )
    with context().begin() as s:
        page = qb.list_orders(s, f, limit=limit)
        rows: list[dict[str, Any]] = [
            {
                "id": o.id,
                "state": o.state.value,
                "customer": o.customer_id,
                "external_id": o.external_id,
                "order_date": o.order_date,
                "completed": o.completion_date,
                "items": [
                    {
                        "id": i.item_id,
                        "action": i.action,
                        "state": i.state.value,
                        "product": i.product_id,
                        "transaction": i.transaction_id,
                        "error": i.error,
                    }
                    for i in o.items
                ],
            }
            for o in page.items
        ]
    if fmt == "table":
        for r in rows:
            r["items"] = ", ".join(f"{i['id']}:{i['state']}" for i in r["items"])
    emit(rows, fmt, ORDER_COLUMNS)


@bss.command("credits")
@_month_option
@click.option("--customer", default=None)
@_fmt("table", "json", "csv")
def bss_credits(month: str, customer: str | None, fmt: str) -> None:
    """SLA credits of a month (CSV goes to stdout)."""
    f = qb.CreditFilter(
        months=frozenset({month}), customers=frozenset({customer}) if customer else frozenset()
    )
    with context().begin() as s:
        if customer and not qb.customer_exists(s, customer):
            raise CommandError(f"no customer {customer}")
        page = qb.list_credits(s, f)
        refs = qb.service_refs(s, [c.service_id for c in page.items])
        rows = [credit_row(c, refs.get(c.service_id)) for c in reversed(page.items)]  # oldest first
        totals = qb.credit_totals(s, f)
    if fmt == "csv":
        click.echo(credits_csv(rows), nl=False)
    elif fmt == "json":
        emit(
            {
                "month": month,
                "customer": customer,
                "credits": rows,
                "totals": [
                    {"currency": t.currency, "amount": money(t.amount), "count": t.count} for t in totals
                ],
            },
            fmt,
        )
    else:
        emit(rows, fmt, CREDIT_TABLE_COLUMNS)
        for t in totals:
            click.echo(
                f"total {money(t.amount)} {t.currency} ({t.count} credit{'s' if t.count != 1 else ''})"
            )


@bss.command("statement")
@click.argument("customer")
@_month_option
@_fmt("json", "csv")
def bss_statement(customer: str, month: str, fmt: str) -> None:
    """A customer's monthly statement: recurring fees, SLA credits and totals."""
    with context().begin() as s:
        found = qb.customer_by_id(s, customer)
        if found is None:
            raise CommandError(f"no customer {customer}")
        stmt = statement(s, customer, month)
        credits = cast(list[dict[str, Any]], stmt["credits"])
        refs = qb.service_refs(s, [int(c["product"]) for c in credits])
        doc = statement_doc(stmt, refs, found.name)
    if fmt == "csv":
        click.echo(statement_csv(doc), nl=False)
    else:
        emit(doc, fmt)


COMMANDS = [bss]
