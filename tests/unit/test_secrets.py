"""Secrets never print and are encrypted at rest with a key outside the database."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from inventory import crypto
from inventory.db import make_engine, session_factory, upgrade
from inventory.domain import Secret, SnmpCredentials
from inventory.models import SnmpProfile

CANARY = "canary-community-7f3a"


def test_secret_never_prints(caplog: pytest.LogCaptureFixture) -> None:
    s = Secret(CANARY)
    creds = SnmpCredentials.v2c(CANARY)
    logging.getLogger("t").warning("creds %s %r %s", s, creds, f"{s}")
    for rendered in (str(s), repr(s), f"{s}", f"{s:>20}", repr(creds), str([s]), caplog.text):
        assert CANARY not in rendered
    assert s.reveal() == CANARY
    assert pickle.loads(pickle.dumps(s)) == s  # noqa: S301 - our own bytes


def test_credentials_validate() -> None:
    with pytest.raises(ValueError, match="community"):
        SnmpCredentials.v2c("")
    with pytest.raises(ValueError, match="at least 8"):
        SnmpCredentials.v3("u", "short", "long-enough")


def test_encrypted_at_rest_and_key_outside_db(tmp_path: Path) -> None:
    key_file = tmp_path / "keys" / "secret.key"
    crypto.use_key_file(key_file)
    assert key_file.stat().st_mode & 0o777 == 0o600
    db = tmp_path / "o.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    with session_factory(engine).begin() as s:
        p = SnmpProfile(name="p")
        p.set_credentials(SnmpCredentials.v2c(CANARY))
        s.add(p)
    with engine.connect() as c:
        stored = c.execute(text("select community from snmp_profiles")).scalar_one()
    assert CANARY not in stored
    engine.dispose()
    for f in tmp_path.glob("o.db*"):
        assert CANARY.encode() not in f.read_bytes()
    with session_factory(make_engine(f"sqlite:///{db}"))() as s:
        got = s.query(SnmpProfile).one().community
        assert got is not None and got.reveal() == CANARY
        crypto.use_key(Fernet.generate_key())  # another key cannot read it, and says why
        s.expire_all()
        with pytest.raises(crypto.KeyError_, match="does not decrypt"):
            s.query(SnmpProfile).one()
