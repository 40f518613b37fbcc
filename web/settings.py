"""The configuration `create_app` takes, checked once so that a typo fails at start-up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from inventory.hub import HubError, parse_networks

# Keys create_app understands itself; other upper-case keys go to Flask's config unchanged
# (PERMANENT_SESSION_LIFETIME, SESSION_COOKIE_NAME, ...), so deployments can tune Flask.
KNOWN_KEYS = frozenset(
    {
        "DATABASE_URL",
        "KEY_FILE",
        "SECRET_KEY",
        "MIGRATE",
        "TESTING",
        "SESSION_COOKIE_SECURE",
        "HUB_ALLOW_NETWORKS",
    }
)
MIN_SECRET_KEY = 16


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class WebSettings:
    database_url: str
    secret_key: str | bytes
    key_file: Path | None = None
    migrate: bool = True
    testing: bool = False
    session_cookie_secure: bool = False
    # CIDRs whose loopback/private/link-local addresses TMF630 hub listeners may use
    # (comma-separated); public addresses are always allowed.
    hub_allow_networks: str = ""
    flask_extra: Mapping[str, Any] = field(default_factory=dict)

    def flask_config(self) -> dict[str, Any]:
        cfg: dict[str, Any] = {
            "SECRET_KEY": self.secret_key,
            "TESTING": self.testing,
            # A name of our own: cookies are not port-scoped, so two apps on 127.0.0.1
            # would otherwise overwrite each other's "session" cookie.
            "SESSION_COOKIE_NAME": "ossagent_session",
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.session_cookie_secure,
            "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
            "MAX_CONTENT_LENGTH": 1 * 2**20,
            "HUB_ALLOW_NETWORKS": self.hub_allow_networks,
        }
        cfg.update(self.flask_extra)
        return cfg


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _bool(name: str, value: Any) -> bool:
    # Values may come from environment variables, where "false" is a non-empty string.
    if isinstance(value, bool | int):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ConfigError(f"{name} must be a boolean, not {value!r}")


def _networks(name: str, value: Any) -> str:
    """A comma-separated list of CIDRs (or a list of them), checked now so that a typo fails
    at start-up rather than at the first hub registration."""
    if isinstance(value, list | tuple):
        value = ",".join(str(v) for v in value)
    if not isinstance(value, str):
        raise ConfigError(f"{name} must be a comma-separated list of networks, not {value!r}")
    try:
        nets = parse_networks(value)
    except HubError as exc:
        raise ConfigError(f"{name}: {exc}") from None
    return ",".join(str(n) for n in nets)


def parse_settings(config: Mapping[str, Any]) -> WebSettings:
    url = config.get("DATABASE_URL")
    if not url or not isinstance(url, str):
        raise ConfigError("DATABASE_URL is required")
    secret = config.get("SECRET_KEY")
    if not secret or not isinstance(secret, str | bytes):
        raise ConfigError("SECRET_KEY is required (it signs the session cookie)")
    if len(secret) < MIN_SECRET_KEY:
        raise ConfigError(f"SECRET_KEY must be at least {MIN_SECRET_KEY} characters")
    key_file = config.get("KEY_FILE")
    hub_allow = _networks("HUB_ALLOW_NETWORKS", config.get("HUB_ALLOW_NETWORKS", ""))
    extra = {k: v for k, v in config.items() if k not in KNOWN_KEYS and k.isupper()}
    return WebSettings(
        database_url=url,
        secret_key=secret,
        key_file=Path(key_file) if key_file else None,
        migrate=_bool("MIGRATE", config.get("MIGRATE", True)),
        testing=_bool("TESTING", config.get("TESTING", False)),
        session_cookie_secure=_bool("SESSION_COOKIE_SECURE", config.get("SESSION_COOKIE_SECURE", False)),
        hub_allow_networks=hub_allow,
        flask_extra=extra,
    )
