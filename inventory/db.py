"""Engines, sessions and schema upgrades.

SQLite runs in WAL mode with foreign keys on and a busy timeout, so that the agent, the web
process and the CLI can share one file. PostgreSQL is used through its URL unchanged.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

MIGRATIONS = Path(__file__).with_name("migrations")
_upgrade_lock = threading.Lock()


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # One connection per checkout keeps SQLite's file locking simple across threads.
        kwargs.setdefault("poolclass", NullPool)
        connect_args = kwargs.setdefault("connect_args", {})
        connect_args.setdefault("timeout", 30)
        connect_args.setdefault("check_same_thread", False)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def _ensure_sqlite_dir(engine: Engine) -> None:
    if parsed_is_sqlite(engine):
        db_path = engine.url.database
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``; a no-op on an up-to-date database."""
    _ensure_sqlite_dir(engine)
    with _upgrade_lock:
        command.upgrade(alembic_config(engine), revision)


def ensure_schema(engine: Engine) -> None:
    """Upgrade a new or old database by itself, as `run` and `web` do on start."""
    _ensure_sqlite_dir(engine)
    if current_revision(engine) != head_revision(engine):
        upgrade(engine)


def parsed_is_sqlite(engine: Engine) -> bool:
    return engine.url.get_backend_name() == "sqlite"
