"""What several benchmarks share: a simulated lab for the length of a run, a scratch
PostgreSQL database, and percentiles."""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from lab import engine as lab_engine
from lab import sim

PG_URL = os.environ.get("OSSAGENT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@dataclass
class Lab:
    state: sim.LabState
    root: Path


@contextlib.contextmanager
def sim_lab(topology: Path, root: Path) -> Iterator[Lab]:
    """The topology's simulated lab on a random loopback block and SNMP port (retried when one
    is taken by chance), stopped on exit."""
    state: sim.LabState | None = None
    for _ in range(5):
        try:
            state = lab_engine.up(
                topology,
                root,
                address_base=f"127.{random.randint(100, 250)}.{random.randint(1, 250)}",
                snmp_port=random.randint(20000, 60000),
            )
            break
        except sim.LabError:  # a port taken by chance: another block
            continue
    if state is None:
        raise RuntimeError("could not start the sim lab")
    try:
        yield Lab(state, root)
    finally:
        with contextlib.suppress(lab_engine.LabError):
            lab_engine.down(root, state.name)


def pg_database(prefix: str) -> str | None:
    """A new, empty database on the PostgreSQL of PG_URL (its URL), or None when unreachable."""
    try:
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        name = f"{prefix}_{os.getpid()}"
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return PG_URL.rsplit("/", 1)[0] + "/" + name
    except Exception as exc:
        print(f"PostgreSQL unreachable ({exc.__class__.__name__}); skipping it")
        return None


def drop_pg(url: str) -> None:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    xs = sorted(values)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]
