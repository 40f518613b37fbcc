"""The provisioning, order and trap benchmarks run (smallest sizes) and print their figure lines.
No timing is asserted: only that each benchmark finishes and reports what it measures."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parents[2] / "bench"


def run(*args: str) -> str:
    r = subprocess.run(
        [sys.executable, str(BENCH / args[0]), *args[1:]], capture_output=True, text=True, timeout=240
    )
    assert r.returncode == 0, (r.stdout[-3000:], r.stderr[-3000:])
    return r.stdout


def test_provision_bench_prints_its_figures() -> None:
    out = run("provision.py", "--quick", "--sizes", "1", "--rounds", "1")
    assert "dev/tx" in out and "tx/min" in out and "protocol %" in out
    assert "ratio per-device latency p50 at 1 dev/tx / raw netmiko push (sqlite):" in out
    # and on PostgreSQL, when it is reachable (the bench says when it skips it)
    assert "raw netmiko push (postgresql):" in out or "PostgreSQL unreachable" in out


def test_orders_bench_prints_its_figures() -> None:
    out = run("orders.py", "--quick", "--orders", "10", "--complete", "1")
    assert "accepted orders/s" in out and "SQLite" in out
    assert "ratio SQLite bare INSERT / place_order (sequential):" in out
    assert "placed -> completed" in out and "completed 1/1" in out


@pytest.mark.skipif(shutil.which("snmptrapd") is None, reason="Net-SNMP snmptrapd not installed")
def test_traps_bench_prints_its_figures() -> None:
    out = run("traps.py", "--backend", "sqlite", "--seconds", "0.5")
    assert "highest sustained rate with zero loss" in out and "Net-SNMP snmptrapd" in out
    assert "ratio ossagent on SQLite / snmptrapd:" in out
