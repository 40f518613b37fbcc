"""Filters of the transaction and service lists from a query string (the API's and the
dashboard's). Repeated or comma-separated values are an OR; an empty value is no filter; a
value that is not a state is a 400 naming the parameter."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import TypeVar

from werkzeug.datastructures import MultiDict

from inventory.choices import ServiceState, TxState
from inventory.queries_provisioning import ServiceFilter, TransactionFilter
from web.validation import FieldError

E = TypeVar("E", bound=enum.StrEnum)
PAGING = ("offset", "limit", "fields")
TX_FILTERS = ("state", "service", "origin", "device")
SERVICE_FILTERS = ("state", "type", "customer")
MAX_TEXT = 128


def values(raw: Iterable[str]) -> list[str]:
    return [v.strip() for r in raw for v in r.split(",") if v.strip()]


def _enums(kind: type[E], field: str, raw: Iterable[str]) -> frozenset[E]:
    out = set()
    for value in values(raw):
        try:
            out.add(kind(value))
        except ValueError:
            raise FieldError(field, f"{value!r} is not one of {', '.join(kind)}") from None
    return frozenset(out)


def _text(args: MultiDict[str, str], field: str) -> str | None:
    value = (args.get(field) or "").strip()
    if len(value) > MAX_TEXT:
        raise FieldError(field, f"at most {MAX_TEXT} characters")
    return value or None


def _known(args: MultiDict[str, str], allowed: tuple[str, ...]) -> None:
    for key in args:
        if key not in allowed:
            raise FieldError(key, "not a filter of this list")


def tx_filter(args: MultiDict[str, str], *, extra: tuple[str, ...] = PAGING) -> TransactionFilter:
    """?state= (repeatable), service= (external id), origin=, device= (name)."""
    _known(args, (*TX_FILTERS, *extra))
    return TransactionFilter(
        states=_enums(TxState, "state", args.getlist("state")),
        service=_text(args, "service"),
        origin=_text(args, "origin"),
        device=_text(args, "device"),
    )


def service_filter(args: MultiDict[str, str], *, extra: tuple[str, ...] = PAGING) -> ServiceFilter:
    """?state= (repeatable), type= (repeatable: the model), customer= (customer ref)."""
    _known(args, (*SERVICE_FILTERS, *extra))
    return ServiceFilter(
        states=_enums(ServiceState, "state", args.getlist("state")),
        types=frozenset(values(args.getlist("type"))),
        customer=_text(args, "customer"),
    )
