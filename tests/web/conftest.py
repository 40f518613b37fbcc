"""Fixtures for the web tests: one SQLite inventory built with the models (devices and
their traffic, fault management: alarms, events, windows, counters, hub listeners,
provisioning: configuration access, services, transactions, configuration versions, drift,
and the BSS side: catalog, customers, subscriptions, orders, outages, notices, credits),
users of every role, API tokens, and a Flask app on top.

The inventory is built once per session (scrypt hashing and Alembic cost time) and tests
treat it as read-mostly: tests that write (job requests) count rows before and after.
Placing product orders writes services and transactions, so those tests use an inventory
of their own (``order_world``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from inventory import crypto
from inventory.accounts import create_token, create_user
from inventory.choices import Role
from inventory.db import make_engine, session_factory, sqlite_url, upgrade
from tests.web.bsstesting import build_bss, build_order_inventory
from tests.web.faulttesting import build_faults
from tests.web.provtesting import build_provisioning
from tests.web.webtesting import PASSWORD, SECRET_KEY, World, build_inventory, client_as
from web import create_app


@pytest.fixture(scope="session")
def web_key() -> bytes:
    """One encryption key for every inventory of the web tests."""
    return Fernet.generate_key()


def _users(s: Session, w: World) -> None:
    for role in Role:
        user = create_user(s, role.value, PASSWORD, role)
        w.tokens[role] = create_token(s, user)


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory, web_key: bytes) -> Iterator[World]:
    key = web_key
    crypto.use_key(key)
    url = sqlite_url(tmp_path_factory.mktemp("web") / "inventory.db")
    engine = make_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "TESTING": True})
    w = World(app=app, engine=engine, sessions=sessions, key=key, tokens={})
    with sessions.begin() as s:
        _users(s, w)
        build_inventory(s, w)
        build_faults(s, w)
        build_provisioning(s, w)
        build_bss(s, w)
    yield w
    engine.dispose()


@pytest.fixture(scope="session")
def order_world(tmp_path_factory: pytest.TempPathFactory, web_key: bytes) -> Iterator[World]:
    """An inventory for placing product orders: the demo seed, devices pe1 and acc1."""
    crypto.use_key(web_key)
    url = sqlite_url(tmp_path_factory.mktemp("orders") / "inventory.db")
    engine = make_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "TESTING": True, "MIGRATE": False})
    w = World(app=app, engine=engine, sessions=sessions, key=web_key, tokens={})
    with sessions.begin() as s:
        _users(s, w)
        build_order_inventory(s)
    yield w
    engine.dispose()


@pytest.fixture(autouse=True)
def _encryption_key(request: pytest.FixtureRequest) -> None:
    # Overrides tests/conftest.py's fixture of the same name, which installs a fresh key per
    # test: the session-wide inventory holds secrets encrypted with the world's key.
    if "world" in request.fixturenames or "order_world" in request.fixturenames:
        crypto.use_key(request.getfixturevalue("web_key"))


@pytest.fixture
def app(world: World) -> Flask:
    return world.app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def viewer(app: Flask) -> tuple[FlaskClient, str]:
    return client_as(app, Role.VIEWER)


@pytest.fixture
def engineer(app: Flask) -> tuple[FlaskClient, str]:
    return client_as(app, Role.ENGINEER)


@pytest.fixture
def admin(app: Flask) -> tuple[FlaskClient, str]:
    return client_as(app, Role.ADMIN)
