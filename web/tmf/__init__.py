"""TM Forum Open APIs served by the web process: TMF642 Alarm Management v4 (alarms, the
task resources, and listener registration at /hub).

They share the gate of /api/ (bearer token, or session cookie plus CSRF header for writes)
and its errors, in TMF630's Error shape.
"""

from __future__ import annotations

from flask import Flask

from web.tmf import alarm_api, hub_api
from web.tmf.blueprint import ALIAS, ALIAS_NAME, BASE, bp

__all__ = ["ALIAS", "BASE", "alarm_api", "bp", "hub_api", "register"]


def register(app: Flask) -> None:
    app.register_blueprint(bp, url_prefix=BASE)
    app.register_blueprint(bp, url_prefix=ALIAS, name=ALIAS_NAME)
