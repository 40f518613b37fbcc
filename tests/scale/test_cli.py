"""`ossagent worker` and `ossagent jobs` from the command line (no broker needed)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from agent.cli import cli
from agent.config import load_settings
from agent.context import open_context
from agent.worker import ledger
from agent.worker.lease import Lease


def test_worker_without_a_broker_says_how_to_set_one(home: Path) -> None:
    result = CliRunner().invoke(cli, ["worker"])
    assert result.exit_code == 1
    assert "OSSAGENT_BROKER_URL" in result.output


def test_jobs_parked_and_lease(home: Path) -> None:
    ctx = open_context(load_settings())
    try:
        ledger.enqueue(ctx, "poll:9:x", "poll", device_id=9)
        assert ledger.claim(ctx, "poll:9:x", "poll", "w", 1).claim is ledger.Claim.RUN
        assert ledger.failed(ctx, "poll:9:x", "JobError: no device with id 9", 1)
        lease = Lease(ctx, 15)
        assert lease.try_acquire()
    finally:
        ctx.close()
    runner = CliRunner()
    parked = runner.invoke(cli, ["jobs", "parked", "--format", "json"])
    assert parked.exit_code == 0, parked.output
    [row] = json.loads(parked.output)
    assert (row["job"], row["attempts"], row["error"]) == ("poll:9:x", 1, "JobError: no device with id 9")
    held = runner.invoke(cli, ["jobs", "lease", "--format", "json"])
    assert held.exit_code == 0, held.output
    assert json.loads(held.output)[0]["owner"] == lease.owner
