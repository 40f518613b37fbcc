"""The web process of ossagent: the dashboard (HTML), the REST API (JSON under /api/v1),
TMF642 Alarm Management (under /tmf-api/), /health and /metrics.

It reads the inventory and writes request rows (JobRequest) for the agent; it never talks to
devices and never runs the scheduler. Only the CLI imports this package: it calls
``create_app`` and serves the result with waitress.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from inventory import crypto
from web import api, dashboard, login, ops, tmf
from web.alarm_badge import header_badge
from web.auth import init_auth
from web.csrf import token as csrf_token
from web.db import init_store
from web.errors import init_errors
from web.nav import add_badge, add_nav_item, init_nav
from web.security import init_security
from web.settings import ConfigError, parse_settings

__all__ = ["ConfigError", "create_app"]


def create_app(config: Mapping[str, Any]) -> Flask:
    """Build the app.

    Config keys: ``DATABASE_URL`` (required), ``SECRET_KEY`` (required, signs the session
    cookie), ``KEY_FILE`` (the secrets' encryption key; omit when the caller installed a key
    already), ``MIGRATE`` (default True: upgrade the schema on start), ``TESTING``,
    ``SESSION_COOKIE_SECURE`` (set it behind HTTPS), ``HUB_ALLOW_NETWORKS`` (CIDRs, comma-
    separated, whose private addresses TMF630 hub listeners may use). Other upper-case keys
    go to Flask's config unchanged.
    """
    settings = parse_settings(config)
    if settings.key_file is not None:
        crypto.use_key_file(settings.key_file)

    app = Flask(__name__)
    app.config.update(settings.flask_config())
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep documents in their written order
    app.jinja_env.globals["csrf_token"] = csrf_token

    init_store(app, settings.database_url, migrate=settings.migrate)
    init_auth(app)
    init_security(app)
    init_errors(app)
    init_nav(app)

    app.register_blueprint(login.bp)
    app.register_blueprint(ops.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(dashboard.bp)
    tmf.register(app)
    for item in dashboard.NAV:
        add_nav_item(app, item)
    add_badge(app, header_badge)
    return app
