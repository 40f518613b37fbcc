"""Fixtures of the scale-out suite: brokers (RabbitMQ, Redis) with per-test queues that are
deleted afterwards, a PostgreSQL context, the sim lab, and `ossagent` processes (workers,
agents) that are always killed, process group and all."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from kombu.connection import Connection

from agent.context import Context
from lab.procs import kill_group
from tests.e2e.conftest import sim_lab  # the module-scoped simulated lab
from tests.helpers import pid_alive, wait_for

__all__ = ["sim_lab"]

BROKERS = {
    "rabbitmq": os.environ.get("OSSAGENT_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"),
    "redis": os.environ.get("OSSAGENT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
}
OSSAGENT = str(Path(sys.executable).with_name("ossagent"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "broker: needs RabbitMQ (and Redis where parametrised); skipped when unreachable"
    )


def _unreachable(url: str) -> str | None:
    try:
        with Connection(url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
        return None
    except Exception as exc:
        return f"broker at {url} unreachable ({exc.__class__.__name__}: {exc}); start RabbitMQ / Redis"


@dataclass
class Broker:
    name: str
    url: str
    queues: list[str] = field(default_factory=list)

    def queue(self, prefix: str = "ossagent-test") -> str:
        """A queue for this test only (deleted at the end)."""
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        self.queues.append(name)
        return name

    def depth(self, queue: str) -> int:
        with Connection(self.url) as conn:
            try:
                return int(conn.default_channel.queue_declare(queue, passive=True).message_count)
            except Exception:
                return 0

    def cleanup(self) -> None:
        with Connection(self.url) as conn:
            for q in self.queues:
                with contextlib.suppress(Exception):
                    conn.default_channel.queue_purge(q)
                with contextlib.suppress(Exception):
                    conn.default_channel.queue_delete(q)
        if self.name == "redis":
            # Kombu's Redis transport keeps a queue's exchange bindings in sets of their own.
            import redis

            client = redis.Redis.from_url(self.url)
            for q in self.queues:
                client.delete(f"_kombu.binding.{q}", f"_kombu.binding_permanent.{q}")
            # And the workers' remote-control bindings (db 15 is this suite's own).
            client.delete("_kombu.binding.celery.pidbox", "_kombu.binding_deadlines")
            client.close()


def _broker(name: str) -> Iterator[Broker]:
    why = _unreachable(BROKERS[name])
    if why:
        pytest.skip(why)
    b = Broker(name, BROKERS[name])
    try:
        yield b
    finally:
        b.cleanup()


@pytest.fixture
def rabbitmq() -> Iterator[Broker]:
    yield from _broker("rabbitmq")


@pytest.fixture(params=["rabbitmq", "redis"])
def broker(request: pytest.FixtureRequest) -> Iterator[Broker]:
    yield from _broker(request.param)


@pytest.fixture
def pg_ctx(home: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Context]:
    """A context on a fresh PostgreSQL schema; the key file in OSSAGENT_HOME is the one the
    worker processes read, so they can decrypt the SNMP credentials we store."""
    from agent.config import load_settings
    from agent.context import open_context

    monkeypatch.setenv("OSSAGENT_DATABASE_URL", pg_url)
    c = open_context(load_settings({"snmp_timeout_s": 1.0, "snmp_retries": 1}))
    yield c
    c.close()


@dataclass
class Procs:
    """`ossagent` subprocesses, each in its own session so that a kill takes its children."""

    home: Path
    env: dict[str, str]
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, *args: str, log: str, **env: str) -> subprocess.Popen[bytes]:
        out = (self.home / f"{log}.out").open("wb")
        p = subprocess.Popen(
            [OSSAGENT, *args],
            env={**self.env, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(p)
        return p

    def kill(self, p: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        kill_group(p, sig, wait_s=15)

    def stop_all(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                self.kill(p, signal.SIGTERM)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
        for p in self.procs:
            assert not pid_alive(p.pid)

    def log(self, name: str) -> str:
        path = self.home / f"{name}.out"
        return path.read_text(errors="replace") if path.exists() else ""


@pytest.fixture
def procs(home: Path, pg_url: str) -> Iterator[Callable[[str, str], Procs]]:
    made: list[Procs] = []

    def make(broker_url: str, queue: str) -> Procs:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("OSSAGENT_") and not k.startswith("PYTEST")
        }
        env.update(
            OSSAGENT_HOME=str(home),
            OSSAGENT_DATABASE_URL=pg_url,
            OSSAGENT_BROKER_URL=broker_url,
            OSSAGENT_WORKER_QUEUE=queue,
            OSSAGENT_TRAPS="false",
            OSSAGENT_LOG_LEVEL="INFO",
        )
        p = Procs(home, env)
        made.append(p)
        return p

    try:
        yield make
    finally:
        for p in made:
            p.stop_all()


def wait_until(pred: Callable[[], object], timeout: float, what: str) -> None:
    wait_for(lambda: bool(pred()), timeout, what=what)
