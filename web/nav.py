"""The header's navigation and status badges, as data that features register.

A feature adds its page to the header with ``add_nav_item`` and a live count (the alarm
count of fault management, for one) with ``add_badge``, without editing the base template.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from flask import Flask, current_app, request, url_for

# ok/info/warning/critical for any feature; minor and major too, so that the alarm badge
# can take the colour of each X.733 severity.
BadgeLevel = Literal["ok", "info", "warning", "minor", "major", "critical"]
_EXT = "ossagent_nav"


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    # Endpoints that count as this item's section, so /devices/r1 highlights "Devices".
    section: frozenset[str] = frozenset()

    def active(self) -> bool:
        return request.endpoint == self.endpoint or request.endpoint in self.section

    def href(self) -> str:
        return url_for(self.endpoint)


@dataclass(frozen=True)
class Badge:
    label: str
    count: int
    level: BadgeLevel
    href: str
    # A JSON URL whose "badge" member ({count, level, title}) the page's script polls, so
    # that the badge stays current without a reload; None for a static badge.
    poll_url: str | None = None
    key: str = ""  # names the badge in the page (data-badge), for scripts and tests
    title: str = ""


BadgeSource = Callable[[], Badge | None]


@dataclass
class Nav:
    items: list[NavItem] = field(default_factory=list)
    badges: list[BadgeSource] = field(default_factory=list)


def init_nav(app: Flask) -> Nav:
    nav = Nav()
    app.extensions[_EXT] = nav
    app.context_processor(lambda: {"nav_items": nav_items, "header_badges": header_badges})
    return nav


def add_nav_item(app: Flask, item: NavItem) -> None:
    app.extensions[_EXT].items.append(item)


def add_badge(app: Flask, source: BadgeSource) -> None:
    """``source`` runs on each page render and returns a badge, or None to show nothing."""
    app.extensions[_EXT].badges.append(source)


def nav_items() -> list[NavItem]:
    nav: Nav = current_app.extensions[_EXT]
    return list(nav.items)


def header_badges() -> list[Badge]:
    nav: Nav = current_app.extensions[_EXT]
    return [badge for source in nav.badges if (badge := source()) is not None]
