"""The header's alarm badge: active alarms that need a person (neither suppressed by
another alarm nor planned), coloured by the worst of their severities. Rendered with every
page and polled by the page's script through /api/v1/alarms/summary."""

from __future__ import annotations

import logging
from typing import Any

from flask import url_for
from sqlalchemy.exc import SQLAlchemyError

from inventory.choices import Severity
from inventory.queries_alarms import AlarmSummary, alarm_summary
from web.db import db
from web.nav import Badge, BadgeLevel

log = logging.getLogger(__name__)

LEVELS: dict[Severity | None, BadgeLevel] = {
    Severity.CRITICAL: "critical",
    Severity.MAJOR: "major",
    Severity.MINOR: "minor",
    Severity.WARNING: "warning",
    Severity.INDETERMINATE: "info",
    None: "ok",
}


def badge_for(summary: AlarmSummary) -> Badge:
    worst = summary.worst
    n = summary.root_total
    title = f"{n} active alarm{'s' if n != 1 else ''} needing attention" + (
        f", worst {worst.value}" if worst else ""
    )
    return Badge(
        label="Alarms",
        count=n,
        level=LEVELS[worst],
        href=url_for("dashboard.alarms"),
        poll_url=url_for("api.alarm_summary"),
        key="alarms",
        title=title,
    )


def header_badge() -> Badge | None:
    """The badge, or none when the database does not answer: the page being rendered may
    be the error page that says so, and it must still render."""
    session = db()
    try:
        return badge_for(alarm_summary(session))
    except SQLAlchemyError:
        log.exception("alarm badge: the database did not answer")
        session.rollback()
        return None


def badge_doc(badge: Badge) -> dict[str, Any]:
    return {
        "label": badge.label,
        "count": badge.count,
        "level": badge.level,
        "href": badge.href,
        "title": badge.title,
    }
