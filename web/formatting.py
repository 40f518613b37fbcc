"""Pure formatting helpers shared by the JSON serialisers and the templates."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from inventory.choices import IfStatus, PhysicalClass

_SI = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
NONE = "\N{EN DASH}"  # what a table cell shows for "no value"


def iso_utc(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``; whole seconds unless the value has a fraction."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    spec = "seconds" if value.microsecond == 0 else "milliseconds"
    return value.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def uptime_seconds(ticks: int | None) -> float | None:
    """sysUpTime is in TimeTicks, hundredths of a second."""
    return None if ticks is None else ticks / 100.0


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return NONE
    total = int(seconds)
    if total < 60:
        return f"{total}s"
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"


def _si(value: float, unit: str) -> str:
    for scale, prefix in _SI:
        if abs(value) >= scale:
            return f"{value / scale:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


def human_bps(bps: float | None) -> str:
    return NONE if bps is None else _si(bps, "b/s")


def human_speed(speed_bps: int | None) -> str:
    if not speed_bps:
        return NONE
    return _si(float(speed_bps), "b/s")


def percent(value: float | None) -> str:
    if value is None:
        return NONE
    return f"{value:.1f} %" if value < 10 else f"{value:.0f} %"


def ago(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return "never"
    seconds = ((now or datetime.now(UTC)) - value).total_seconds()
    if seconds < 0:
        return "just now"
    return human_duration(seconds) + " ago"


def truncate(text: str, length: int = 80) -> str:
    text = " ".join(text.split())  # sysDescr often spans lines; a table cell should not
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _camel(name: str) -> str:
    head, *rest = name.lower().split("_")
    return head + "".join(part.title() for part in rest)


def phys_class_label(value: PhysicalClass) -> str:
    """ENTITY-MIB's own spelling: chassis, powerSupply, ..."""
    return _camel(value.name)


def if_status_label(value: int) -> str:
    """IF-MIB's own spelling: up, down, lowerLayerDown, ..."""
    return IfStatus.parse(value).label


def plain(value: object) -> str:
    """A JSON value as one line of text (strings as they are, the rest as compact JSON)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)


def varbinds_summary(varbinds: object, length: int = 120) -> str:
    """``name=value; ...`` of an event's varbinds, whichever of the shapes the agent stores
    ({oid|name, value} objects or [oid, value] pairs), cut to ``length``."""
    if not isinstance(varbinds, list) or not varbinds:
        return NONE
    parts = []
    for vb in varbinds:
        if isinstance(vb, dict):
            parts.append(f"{plain(vb.get('name') or vb.get('oid') or '?')}={plain(vb.get('value'))}")
        elif isinstance(vb, list | tuple) and len(vb) == 2:
            parts.append(f"{plain(vb[0])}={plain(vb[1])}")
        else:
            parts.append(plain(vb))
    return truncate("; ".join(parts), length)
