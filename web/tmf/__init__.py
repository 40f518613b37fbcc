"""TM Forum Open APIs served by the web process: TMF642 Alarm Management v4 (alarms, the
task resources, and listener registration at /hub), and the BSS-facing ones, each at its v4
base path with its own /hub: TMF622 Product Ordering, TMF641 Service Ordering, TMF620
Product Catalog, TMF629 Customer, TMF638 Service Inventory, TMF639 Resource Inventory,
TMF656 Service Problem, TMF681 Communication and TMF678 Customer Bill.

They share the gate of /api/ (bearer token, or session cookie plus CSRF header for writes)
and its errors, in TMF630's Error shape.
"""

from __future__ import annotations

from flask import Flask

from web.tmf import (
    alarm_api,
    billing_api,
    catalog_api,
    hub_api,
    order_api,
    problem_api,
    service_api,
)
from web.tmf.blueprint import ALIAS, ALIAS_NAME, BASE, bp
from web.tmf.bss_blueprints import APIS
from web.tmf.hubs import add_hub_routes

__all__ = [
    "ALIAS",
    "APIS",
    "BASE",
    "alarm_api",
    "billing_api",
    "bp",
    "catalog_api",
    "hub_api",
    "order_api",
    "problem_api",
    "register",
    "service_api",
]

for _api in APIS:
    add_hub_routes(_api)


def register(app: Flask) -> None:
    app.register_blueprint(bp, url_prefix=BASE)
    app.register_blueprint(bp, url_prefix=ALIAS, name=ALIAS_NAME)
    for api in APIS:
        app.register_blueprint(api.bp, url_prefix=api.base)
