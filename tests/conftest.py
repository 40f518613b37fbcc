"""Fixtures shared by every suite: encryption key, databases (SQLite and PostgreSQL), a
real Net-SNMP snmpd, and settings/contexts pointing at a temporary OSSAGENT_HOME."""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from inventory import crypto
from inventory.choices import SnmpAuthProto, SnmpPrivProto
from inventory.domain import SnmpCredentials
from tests.helpers import free_udp_port, have, netsnmp, pid_alive, random_loopback_base, wait_for

PG_URL = os.environ.get("OSSAGENT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(autouse=True)
def _encryption_key() -> None:
    crypto.use_key(Fernet.generate_key())


# ------------------------------------------------------------------ PostgreSQL
def _pg_reachable() -> str | None:
    try:
        eng = create_engine(PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with eng.connect() as c:
            c.execute(text("select 1"))
        eng.dispose()
        return None
    except Exception as exc:
        return f"PostgreSQL at {PG_URL} unreachable: {exc.__class__.__name__}: {str(exc).splitlines()[0]}"


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test session; dropped at the end."""
    why = _pg_reachable()
    if why:
        pytest.skip(why)
    name = f"ossagent_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as c:
            c.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def pg_url(pg_server_url: str) -> Iterator[str]:
    """The session database, emptied before each test (schema dropped)."""
    eng = create_engine(pg_server_url)
    with eng.begin() as c:
        c.execute(text("DROP SCHEMA public CASCADE"))
        c.execute(text("CREATE SCHEMA public"))
    eng.dispose()
    yield pg_server_url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Run the test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ossagent.db'}"
    return str(request.getfixturevalue("pg_url"))


# ------------------------------------------------------------------ settings / context
@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    h = tmp_path / "home"
    monkeypatch.setenv("OSSAGENT_HOME", str(h))
    for var in ("OSSAGENT_DATABASE_URL", "OSSAGENT_CONFIG", "OSSAGENT_KEY_FILE"):
        monkeypatch.delenv(var, raising=False)
    return h


@pytest.fixture
def ctx(home: Path, db_url: str, monkeypatch: pytest.MonkeyPatch):
    """An agent Context on a fresh schema, for each database backend."""
    from agent.config import load_settings
    from agent.context import open_context

    monkeypatch.setenv("OSSAGENT_DATABASE_URL", db_url)
    c = open_context(load_settings({"snmp_timeout_s": 0.5, "snmp_retries": 1}))
    yield c
    c.close()


@pytest.fixture
def sqlite_ctx(home: Path):
    from agent.config import load_settings
    from agent.context import open_context

    c = open_context(load_settings({"snmp_timeout_s": 0.5, "snmp_retries": 1}))
    yield c
    c.close()


# ------------------------------------------------------------------ Net-SNMP snmpd
@dataclass(frozen=True)
class Snmpd:
    host: str
    port: int
    community: str
    v3: SnmpCredentials
    v3_sha256: SnmpCredentials
    conf: Path
    pid: int

    @property
    def address(self) -> str:
        return f"udp:{self.host}:{self.port}"

    def walk(self, *oids: str, v3: bool = False, bulk: bool = True) -> dict[str, str]:
        from tests.helpers import parse_netsnmp_walk

        tool = "snmpbulkwalk" if bulk else "snmpwalk"
        if v3:
            assert self.v3.auth_key and self.v3.priv_key
            auth = [
                "-v3",
                "-l",
                "authPriv",
                "-u",
                str(self.v3.user),
                "-a",
                "SHA",
                "-A",
                self.v3.auth_key.reveal(),
                "-x",
                "AES",
                "-X",
                self.v3.priv_key.reveal(),
            ]
        else:
            auth = ["-v2c", "-c", self.community]
        out: dict[str, str] = {}
        for oid in oids:
            res = netsnmp(
                [tool, *auth, "-On", "-Oe", "-Ot", "-OQ", "-Ox", "-t", "2", "-r", "1", self.address, oid]
            )
            assert res.returncode == 0, res.stderr
            out.update(parse_netsnmp_walk(res.stdout))
        return out


SNMPD_CONF = """\
agentAddress  udp:{host}:{port}
sysName       {sys_name}
sysLocation   {sys_location}
sysContact    lab@example.org
sysServices   72
dontLogTCPWrappersConnects yes
rocommunity   {community} 127.0.0.0/8
createUser    {v3user} SHA "{auth}" AES "{priv}"
createUser    {v3user256} SHA-256 "{auth}" AES-256 "{priv}"
rouser        {v3user} authpriv
rouser        {v3user256} authpriv
override .1.3.6.1.2.1.47.1.1.1.1.2.1  octet_str "Lab virtual chassis"
override .1.3.6.1.2.1.47.1.1.1.1.5.1  integer   3
override .1.3.6.1.2.1.47.1.1.1.1.7.1  octet_str "chassis-1"
override .1.3.6.1.2.1.47.1.1.1.1.11.1 octet_str "LAB0001"
override .1.3.6.1.2.1.47.1.1.1.1.13.1 octet_str "LABBOX-3000"
"""


@pytest.fixture(scope="session")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snmpd]:
    """A real Net-SNMP snmpd (v2c and v3 authPriv) on a private loopback address."""
    if not have("snmpd", "snmpwalk", "snmpbulkwalk") and not Path("/usr/sbin/snmpd").exists():
        pytest.skip("Net-SNMP (snmpd, snmp) not installed; `make test` installs it as root")
    d = tmp_path_factory.mktemp("snmpd")
    host = random_loopback_base() + ".1"
    port = free_udp_port(host)
    conf = d / "snmpd.conf"
    conf.write_text(
        SNMPD_CONF.format(
            host=host,
            port=port,
            sys_name="real-snmpd",
            sys_location="rack <b>7</b>",
            community="t3st-community",
            v3user="ossv3",
            v3user256="ossv3s256",
            auth="auth-key-123",
            priv="priv-key-123",
        )
    )
    (d / "persist").mkdir()
    env = {**os.environ, "MIBS": "", "SNMP_PERSISTENT_DIR": str(d / "persist")}
    snmpd_bin = "/usr/sbin/snmpd"
    proc = subprocess.Popen(
        [snmpd_bin, "-f", "-C", "-c", str(conf), "-Lf", str(d / "snmpd.log"), "-p", str(d / "snmpd.pid")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def answers() -> bool:
            r = netsnmp(
                [
                    "snmpget",
                    "-v2c",
                    "-c",
                    "t3st-community",
                    "-t",
                    "0.3",
                    "-r",
                    "0",
                    f"udp:{host}:{port}",
                    ".1.3.6.1.2.1.1.5.0",
                ]
            )
            return r.returncode == 0

        wait_for(answers, 10, what="snmpd to answer")
        yield Snmpd(
            host=host,
            port=port,
            community="t3st-community",
            v3=SnmpCredentials.v3("ossv3", "auth-key-123", "priv-key-123"),
            v3_sha256=SnmpCredentials.v3(
                "ossv3s256", "auth-key-123", "priv-key-123", SnmpAuthProto.SHA256, SnmpPrivProto.AES256
            ),
            conf=conf,
            pid=proc.pid,
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        assert not pid_alive(proc.pid)
