"""Rendering command output as JSON or a plain table (every read command takes --format)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import click


def _default(obj: Any) -> Any:
    if isinstance(obj, datetime):
        return obj.isoformat().replace("+00:00", "Z")
    if hasattr(obj, "value"):
        return obj.value
    return str(obj)


def to_json(obj: Any) -> str:
    return json.dumps(obj, indent=2, default=_default)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    text = str(getattr(value, "value", value))
    # Strings from devices may carry control characters; keep the terminal sane.
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    for row in cells:
        lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def emit(obj: Any, fmt: str, columns: Sequence[str] | None = None) -> None:
    if fmt == "json":
        click.echo(to_json(obj))
        return
    if isinstance(obj, list):
        click.echo(table(obj, columns or (list(obj[0]) if obj else [])))
        return
    for key, value in obj.items():
        click.echo(f"{key:18} {_cell(value)}")


format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
