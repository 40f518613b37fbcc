"""The scale-out benchmark (bench/workers.py --quick: 20 devices, 1 and 2 real `ossagent worker`
processes on RabbitMQ, PostgreSQL, a short takeover) runs and prints its figure lines. No
timing is asserted; the once-only counts of the takeover are. Skipped without RabbitMQ or
PostgreSQL (the benchmark says so and measures nothing)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

BENCH = Path(__file__).resolve().parents[2] / "bench"


def run_quick() -> str:
    p = subprocess.Popen(
        [sys.executable, str(BENCH / "workers.py"), "--quick"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = p.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        # SIGTERM first: the benchmark then stops its workers and drops its queue and database.
        os.killpg(p.pid, signal.SIGTERM)
        try:
            out, err = p.communicate(timeout=60)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
        raise AssertionError(f"bench/workers.py --quick timed out\n{out[-3000:]}\n{err[-3000:]}") from None
    assert p.returncode == 0, (out[-3000:], err[-3000:])
    return out


def test_workers_bench_prints_its_figures() -> None:
    out = run_quick()
    if "skipping the workers benchmark" in out:
        pytest.skip(out.strip().splitlines()[-1])
    assert "this machine has" in out and "core" in out
    for label in ("in-process, all due at once", "in-process, one at a time", "1 worker (RabbitMQ)"):
        assert re.search(rf"^{re.escape(label)}\s+20\s", out, re.M), out
    assert "2 workers (RabbitMQ)" in out
    assert re.search(r"empty task .* on 1 worker: \d+ tasks/s", out), out
    assert "ratio 1 worker / in-process one at a time:" in out
    assert "ratio 2 workers (RabbitMQ) / in-process all due at once:" in out
    assert re.search(r"done by .* \d+ ms after the kill \(takeover time\)", out), out
    assert "consumer_timeout" in out
    # Once only: every job done, none parked, no sample written twice or missing.
    m = re.search(r"once-only: (\d+) jobs enqueued .*?, (\d+) done, 0 parked;.* 0 duplicated, 0 missing", out)
    assert m is not None and m.group(1) == m.group(2), out
    assert "samples 400/" not in out  # a worker round wrote every device's samples
