"""The HTML dashboard: device list, device page with traffic graphs, LLDP links, alarms,
events, maintenance windows, provisioning (transactions, services) and configuration
(versions, diffs, drift) and the BSS side (customers, orders, outages, credits).

A new page is a view module here importing ``bp`` (listed below), a template extending
``base.html``, and a ``NavItem`` in ``NAV`` if it belongs in the header.
"""

from __future__ import annotations

from web.dashboard import (
    alarms,
    bss,
    bss_orders,
    bss_outages,
    config,
    events,
    filters,
    maintenance,
    provisioning,
    views,
)
from web.dashboard.blueprint import bp
from web.nav import NavItem

NAV = [
    NavItem("Devices", "dashboard.devices", frozenset({"dashboard.device"})),
    NavItem("Links", "dashboard.links"),
    NavItem("Alarms", "dashboard.alarms", frozenset({"dashboard.alarm"})),
    NavItem("Events", "dashboard.events"),
    NavItem("Maintenance", "dashboard.maintenance"),
    NavItem("Transactions", "dashboard.transactions", frozenset({"dashboard.transaction"})),
    NavItem("Services", "dashboard.services", frozenset({"dashboard.service"})),
    NavItem("Config", "dashboard.config", frozenset({"dashboard.config_device", "dashboard.drift"})),
    NavItem("Customers", "dashboard.customers", frozenset({"dashboard.customer"})),
    NavItem("Orders", "dashboard.orders", frozenset({"dashboard.order"})),
    NavItem("Outages", "dashboard.outages", frozenset({"dashboard.outage"})),
    NavItem("Credits", "dashboard.credits"),
]

__all__ = [
    "NAV",
    "alarms",
    "bp",
    "bss",
    "bss_orders",
    "bss_outages",
    "config",
    "events",
    "filters",
    "maintenance",
    "provisioning",
    "views",
]
