"""Jinja filters and globals the templates use, registered for the whole app."""

from __future__ import annotations

import json
from datetime import datetime

from inventory.choices import PhysicalClass, Role
from inventory.models import User
from inventory.provisioning_models import TransactionDevice
from web import formatting
from web.auth import current_user, may
from web.dashboard.blueprint import bp
from web.diffs import DiffLine, classify, unified_diff


@bp.app_template_filter("duration")
def duration(seconds: float | None) -> str:
    return formatting.human_duration(seconds)


@bp.app_template_filter("uptime")
def uptime(ticks: int | None) -> str:
    return formatting.human_duration(formatting.uptime_seconds(ticks))


@bp.app_template_filter("bps")
def bps(value: float | None) -> str:
    return formatting.human_bps(value)


@bp.app_template_filter("speed")
def speed(value: int | None) -> str:
    return formatting.human_speed(value)


@bp.app_template_filter("percent")
def percent(value: float | None) -> str:
    return formatting.percent(value)


@bp.app_template_filter("ago")
def ago(value: datetime | None) -> str:
    return formatting.ago(value)


@bp.app_template_filter("iso")
def iso(value: datetime | None) -> str:
    return formatting.iso_utc(value) or ""


@bp.app_template_filter("shorten")
def shorten(text: str, length: int = 80) -> str:
    return formatting.truncate(text, length)


@bp.app_template_filter("if_status")
def if_status(value: int) -> str:
    return formatting.if_status_label(value)


@bp.app_template_filter("phys_class")
def phys_class(value: PhysicalClass) -> str:
    return formatting.phys_class_label(value)


@bp.app_template_filter("plain")
def plain(value: object) -> str:
    return formatting.plain(value)


@bp.app_template_filter("varbinds")
def varbinds(value: object, length: int = 120) -> str:
    return formatting.varbinds_summary(value, length)


@bp.app_context_processor
def roles() -> dict[str, object]:
    def user_may(role: Role) -> bool:
        return may(current_user(), role)

    user: User | None = current_user()
    return {"Role": Role, "may": user_may, "user": user}


@bp.app_template_filter("diff_lines")
def diff_lines(text: str | None) -> list[DiffLine]:
    return classify(text or "")


@bp.app_template_filter("intended_diff")
def intended_diff(td: TransactionDevice) -> str:
    """The service's configuration on the device before and after, as a unified diff (what
    a planned transaction is about to do, before the device shows its own diff)."""
    return unified_diff(td.fragment_before, td.fragment_after, "service config before", "after")


@bp.app_template_filter("pretty_json")
def pretty_json(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)
