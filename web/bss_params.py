"""Query parameters of the BSS pages and /api/v1 resources: the month (YYYY-MM, this month
by default) and the statement's format."""

from __future__ import annotations

import re

from flask import request

from bss_bridge.sla import month_of
from inventory.types import utcnow
from web.validation import FieldError

MONTH_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def this_month() -> str:
    return month_of(utcnow())


def month(name: str = "month") -> str:
    raw = request.args.get(name, "").strip()
    if not raw:
        return this_month()
    if not MONTH_RE.fullmatch(raw) or not 1970 <= int(raw[:4]) <= 9999:
        raise FieldError(name, f"{raw[:20]!r} is not a month such as 2026-03")
    return raw


def choice(name: str, choices: tuple[str, ...]) -> str:
    raw = request.args.get(name, choices[0]).strip()
    if raw not in choices:
        raise FieldError(name, f"must be one of {', '.join(choices)}")
    return raw
