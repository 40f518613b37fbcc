"""One SQLAlchemy session per request: opened on first use, closed when the request ends.

Views that write call ``db().commit()`` themselves; anything left uncommitted at teardown is
rolled back by ``close()``, so a view that fails half-way never leaves a partial write.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from inventory.db import ensure_schema, make_engine, session_factory

_EXT = "ossagent_store"


@dataclass(frozen=True)
class Store:
    engine: Engine
    sessions: sessionmaker[Session]


def init_store(app: Flask, database_url: str, *, migrate: bool) -> Store:
    engine = make_engine(database_url)
    if migrate:
        ensure_schema(engine)
    store = Store(engine, session_factory(engine))
    app.extensions[_EXT] = store
    app.teardown_appcontext(_close_session)
    return store


def store(app: Flask | None = None) -> Store:
    found: Store = (app or current_app).extensions[_EXT]
    return found


def db() -> Session:
    """The request's session, opened lazily so that static files never touch the database."""
    session: Session | None = g.get("_db_session")
    if session is None:
        session = store().sessions()
        g._db_session = session
    return session


def _close_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("_db_session", None)
    if session is not None:
        session.close()
