"""Settings with the precedence users expect: CLI flag > environment (OSSAGENT_*) > config
file ($OSSAGENT_HOME/ossagent.yaml or $OSSAGENT_CONFIG) > default."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import yaml

from inventory.db import sqlite_url


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    key_file: Path
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    poll_interval_s: int = 60
    discovery_interval_s: int = 6 * 3600
    reconcile_interval_s: int = 15
    snmp_timeout_s: float = 1.0
    snmp_retries: int = 1
    max_concurrency: int = 64
    sample_retention_days: int = 7
    log_level: str = "INFO"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    @property
    def lab_dir(self) -> Path:
        return self.home / "lab"

    @property
    def web_secret_file(self) -> Path:
        return self.home / "web-secret.key"


_ENV = {
    "database_url": "OSSAGENT_DATABASE_URL",
    "key_file": "OSSAGENT_KEY_FILE",
    "web_host": "OSSAGENT_WEB_HOST",
    "web_port": "OSSAGENT_WEB_PORT",
    "poll_interval_s": "OSSAGENT_POLL_INTERVAL",
    "discovery_interval_s": "OSSAGENT_DISCOVERY_INTERVAL",
    "reconcile_interval_s": "OSSAGENT_RECONCILE_INTERVAL",
    "snmp_timeout_s": "OSSAGENT_SNMP_TIMEOUT",
    "snmp_retries": "OSSAGENT_SNMP_RETRIES",
    "max_concurrency": "OSSAGENT_MAX_CONCURRENCY",
    "sample_retention_days": "OSSAGENT_SAMPLE_RETENTION_DAYS",
    "log_level": "OSSAGENT_LOG_LEVEL",
}


def _coerce(name: str, value: Any) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    try:
        if kind in ("int", int):
            return int(value)
        if kind in ("float", float):
            return float(value)
        if kind in ("Path", Path):
            return Path(str(value)).expanduser()
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name}: cannot use {value!r}: {exc}") from exc


def load_settings(
    overrides: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    env = os.environ if env is None else env
    home = Path(env.get("OSSAGENT_HOME", "./var")).expanduser().resolve()
    values: dict[str, Any] = {}
    cfg_path = Path(env.get("OSSAGENT_CONFIG", str(home / "ossagent.yaml")))
    if cfg_path.exists():
        doc = yaml.safe_load(cfg_path.read_text()) or {}
        if not isinstance(doc, dict):
            raise ConfigError(f"{cfg_path}: expected a mapping of settings")
        known = {f.name for f in fields(Settings)} - {"home"}
        unknown = set(doc) - known
        if unknown:
            raise ConfigError(f"{cfg_path}: unknown settings {sorted(unknown)}")
        values.update({k: _coerce(k, v) for k, v in doc.items()})
    for name, var in _ENV.items():
        if env.get(var):
            values[name] = _coerce(name, env[var])
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = _coerce(name, value)
    values.setdefault("database_url", sqlite_url(home / "ossagent.db"))
    values.setdefault("key_file", home / "secret.key")
    settings = Settings(home=home, **values)
    if settings.poll_interval_s < 5:
        raise ConfigError("poll_interval_s must be at least 5 seconds")
    return settings


def with_overrides(settings: Settings, **changes: Any) -> Settings:
    return replace(settings, **{k: v for k, v in changes.items() if v is not None})
