"""The REST API under /api/v1: JSON, TMF630 paging and field selection, bearer tokens.

A new resource is a new module here that imports ``bp`` and is listed below; add its
paths to ``openapi.py`` too (a test fails when a route is missing from the document).
"""

from __future__ import annotations

from web.api import (
    alarms,
    bss,
    config,
    devices,
    events,
    interfaces,
    links,
    maintenance,
    openapi,
    services,
    transactions,
)
from web.api.blueprint import PREFIX, bp

__all__ = [
    "PREFIX",
    "alarms",
    "bp",
    "bss",
    "config",
    "devices",
    "events",
    "interfaces",
    "links",
    "maintenance",
    "openapi",
    "services",
    "transactions",
]
