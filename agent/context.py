"""What every command needs: settings, an engine on an up-to-date schema, the secret key."""

from __future__ import annotations

import logging
import logging.handlers
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from agent.config import Settings
from inventory import crypto
from inventory.db import ensure_schema, make_engine, session_factory


@dataclass
class Context:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on error."""
        with self.sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()


def open_context(settings: Settings, *, migrate: bool = True) -> Context:
    settings.home.mkdir(parents=True, exist_ok=True)
    crypto.use_key_file(settings.key_file)
    engine = make_engine(settings.database_url)
    if migrate:
        ensure_schema(engine)
    return Context(settings, engine, session_factory(engine))


def setup_logging(settings: Settings, name: str, *, to_file: bool = True) -> None:
    root = logging.getLogger()
    if getattr(root, "_ossagent_configured", False):
        return
    root.setLevel(settings.log_level.upper())
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    console = logging.StreamHandler()
    console.setFormatter(fmt)
    root.addHandler(console)
    if to_file:
        settings.log_dir.mkdir(parents=True, exist_ok=True)
        fh = logging.handlers.RotatingFileHandler(
            settings.log_dir / f"{name}.log", maxBytes=10 * 2**20, backupCount=3
        )
        fh.setFormatter(fmt)
        root.addHandler(fh)
    # pysnmp and apscheduler are chatty at INFO about things an operator does not act on.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("pysnmp").setLevel(logging.WARNING)
    # One line per SSH session ("Connected (version 2.0, ...)") drowns the agent's own log.
    for chatty in ("paramiko", "ncclient", "netmiko"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    root._ossagent_configured = True  # type: ignore[attr-defined]
