"""Settings with the precedence users expect: CLI flag > environment (OSSAGENT_*) > config
file ($OSSAGENT_HOME/ossagent.yaml or $OSSAGENT_CONFIG) > default."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import yaml

from agent.faults.engine import FaultConfig
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
    max_concurrency: int = 16  # pysnmp decoding is CPU-bound: more in flight only means timeouts
    # performance polls: "auto" (the fast poller; a pool of one process per core from 100
    # devices on), "fast" (fast poller in the agent's process), "pool" or "pool:<n>"
    # (n processes), "pysnmp" (the pysnmp path, as discovery uses)
    poller: str = "auto"
    sample_retention_days: int = 2  # raw samples; graphs past it read the rollups below
    log_level: str = "INFO"
    # traps: 162 needs root; the default below is fixed up in load_settings
    traps: bool = True  # run the trap receiver
    trap_host: str = "0.0.0.0"
    trap_port: int = 0
    trap_queue: int = 100_000
    trap_communities: str = ""  # comma-separated, beside the inventory's v2c communities
    # fault management
    fault_settle_s: float = 1.0
    flap_episodes: int = 3
    flap_window_s: float = 300.0
    flap_stable_s: float = 300.0
    util_high_pct: float = 90.0
    util_low_pct: float = 80.0
    errors_high_pct: float = 1.0  # errors as a percentage of packets
    errors_low_pct: float = 0.1
    event_retention_days: int = 30
    # listener URLs on these networks are accepted although private/loopback (comma-separated CIDRs)
    hub_allow_networks: str = ""
    # provisioning: configuration backup and drift check of every device with config access
    drift_interval_s: int = 900
    # customer notices by email (empty host: email notices fail visibly instead of vanishing)
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    smtp_username: str = ""
    smtp_from: str = "noc@ossagent.invalid"
    smtp_timeout_s: float = 10.0
    # scale-out (agent/worker): empty broker URL = single-process mode, no broker, the default
    broker_url: str = ""  # amqp://guest:guest@127.0.0.1:5672// or redis://127.0.0.1:6379/0
    worker_queue: str = "ossagent"  # queue of jobs not pinned to a site
    broker_visibility_timeout_s: int = 3600  # Redis only: an unacked task is redelivered after this
    scheduler_lease: bool = False  # take the lease even without a broker (always with one)
    lease_ttl_s: float = 15.0  # a standby takes over this long after the last renewal
    lease_renew_s: float = 5.0
    task_max_attempts: int = 5  # a task that failed (or killed its worker) this often is parked
    task_retry_delay_s: float = 5.0  # first retry delay; doubles per attempt, at most 5 minutes
    job_ledger_retention_days: int = 2
    # rollups of interface samples (raw samples are kept sample_retention_days)
    rollup_5m_retention_days: int = 90
    rollup_1h_retention_days: int = 730

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
    "poller": "OSSAGENT_POLLER",
    "sample_retention_days": "OSSAGENT_SAMPLE_RETENTION_DAYS",
    "log_level": "OSSAGENT_LOG_LEVEL",
    "traps": "OSSAGENT_TRAPS",
    "trap_host": "OSSAGENT_TRAP_HOST",
    "trap_port": "OSSAGENT_TRAP_PORT",
    "trap_queue": "OSSAGENT_TRAP_QUEUE",
    "trap_communities": "OSSAGENT_TRAP_COMMUNITIES",
    "fault_settle_s": "OSSAGENT_FAULT_SETTLE",
    "flap_episodes": "OSSAGENT_FLAP_EPISODES",
    "flap_window_s": "OSSAGENT_FLAP_WINDOW",
    "flap_stable_s": "OSSAGENT_FLAP_STABLE",
    "util_high_pct": "OSSAGENT_UTIL_HIGH",
    "util_low_pct": "OSSAGENT_UTIL_LOW",
    "errors_high_pct": "OSSAGENT_ERRORS_HIGH",
    "errors_low_pct": "OSSAGENT_ERRORS_LOW",
    "event_retention_days": "OSSAGENT_EVENT_RETENTION_DAYS",
    "hub_allow_networks": "OSSAGENT_HUB_ALLOW_NETWORKS",
    "drift_interval_s": "OSSAGENT_DRIFT_INTERVAL",
    "smtp_host": "OSSAGENT_SMTP_HOST",
    "smtp_port": "OSSAGENT_SMTP_PORT",
    "smtp_starttls": "OSSAGENT_SMTP_STARTTLS",
    "smtp_ssl": "OSSAGENT_SMTP_SSL",
    "smtp_username": "OSSAGENT_SMTP_USERNAME",
    "smtp_from": "OSSAGENT_SMTP_FROM",
    "smtp_timeout_s": "OSSAGENT_SMTP_TIMEOUT",
    "broker_url": "OSSAGENT_BROKER_URL",
    "worker_queue": "OSSAGENT_WORKER_QUEUE",
    "broker_visibility_timeout_s": "OSSAGENT_BROKER_VISIBILITY_TIMEOUT",
    "scheduler_lease": "OSSAGENT_SCHEDULER_LEASE",
    "lease_ttl_s": "OSSAGENT_LEASE_TTL",
    "lease_renew_s": "OSSAGENT_LEASE_RENEW",
    "task_max_attempts": "OSSAGENT_TASK_MAX_ATTEMPTS",
    "task_retry_delay_s": "OSSAGENT_TASK_RETRY_DELAY",
    "job_ledger_retention_days": "OSSAGENT_JOB_LEDGER_RETENTION_DAYS",
    "rollup_5m_retention_days": "OSSAGENT_ROLLUP_5M_RETENTION_DAYS",
    "rollup_1h_retention_days": "OSSAGENT_ROLLUP_1H_RETENTION_DAYS",
}


def _coerce(name: str, value: Any) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    try:
        if kind in ("bool", bool):
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError("expected true or false")
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
    if not values.get("trap_port"):
        values["trap_port"] = 162 if os.geteuid() == 0 else 16162
    settings = Settings(home=home, **values)
    if settings.poll_interval_s < 5:
        raise ConfigError("poll_interval_s must be at least 5 seconds")
    if not re.fullmatch(r"auto|fast|pysnmp|pool(:[1-9][0-9]*)?", settings.poller):
        raise ConfigError(f"poller: {settings.poller!r} is not auto, fast, pool, pool:<n> or pysnmp")
    if settings.util_low_pct > settings.util_high_pct or settings.errors_low_pct > settings.errors_high_pct:
        raise ConfigError("a threshold's low mark must not be above its high mark")
    if not 0 < settings.lease_renew_s < settings.lease_ttl_s:
        # Renewing no more often than the lease lasts would let a standby take over a live agent.
        raise ConfigError("lease_renew_s must be above 0 and below lease_ttl_s")
    if settings.task_max_attempts < 1:
        raise ConfigError("task_max_attempts must be at least 1")
    return settings


def fault_config(s: Settings) -> FaultConfig:
    return FaultConfig(
        settle_s=s.fault_settle_s,
        flap_episodes=s.flap_episodes,
        flap_window_s=s.flap_window_s,
        flap_stable_s=s.flap_stable_s,
        util_high_pct=s.util_high_pct,
        util_low_pct=s.util_low_pct,
        errors_high_pct=s.errors_high_pct,
        errors_low_pct=s.errors_low_pct,
    )


def with_overrides(settings: Settings, **changes: Any) -> Settings:
    return replace(settings, **{k: v for k, v in changes.items() if v is not None})
