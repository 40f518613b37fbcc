"""worker, jobs: scale-out on Celery (RabbitMQ or Redis)."""

from __future__ import annotations

import os
from typing import Any

import click

from agent.cli.core import CommandError, settings
from agent.context import open_context, setup_logging
from agent.output import emit, format_option
from agent.worker import ledger
from agent.worker.lease import Lease


@click.command()
@click.option(
    "--queues",
    "-Q",
    default=None,
    help="Comma-separated queues to consume: the default queue and/or site names "
    "(devices of a site go to the queue named after it) [default: ossagent].",
)
@click.option("--concurrency", "-c", type=int, default=None, help="Worker processes [default: one per core].")
@click.option("--broker", default=None, help="Broker URL [default: $OSSAGENT_BROKER_URL].")
@click.option(
    "--pool",
    type=click.Choice(["prefork", "solo", "threads"]),
    default="prefork",
    show_default=True,
    help="prefork isolates jobs in processes (a crashing job kills one child, not the worker).",
)
def worker(queues: str | None, concurrency: int | None, broker: str | None, pool: str) -> None:
    """Run a Celery worker: polls, discoveries, provisioning and outbox jobs from the broker."""
    from agent.worker.tasks import make_app

    s = settings(broker_url=broker)
    if not s.broker_url:
        raise CommandError(
            "no broker: set OSSAGENT_BROKER_URL (amqp://guest:guest@127.0.0.1:5672// or "
            "redis://127.0.0.1:6379/0) or pass --broker"
        )
    # The pool's children read their settings from the environment, as this process did.
    os.environ["OSSAGENT_BROKER_URL"] = s.broker_url
    # Upgrade the schema once here, before the pool forks (each child opens its own engine).
    open_context(s).close()
    setup_logging(s, "worker")
    argv = [
        "worker",
        f"--queues={queues or s.worker_queue}",
        f"--pool={pool}",
        f"--loglevel={s.log_level}",
        f"--hostname=ossagent-{os.getpid()}@%h",
        # Mingle and gossip only slow the start and chat on the broker; we use neither.
        "--without-mingle",
        "--without-gossip",
    ]
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    make_app(s).worker_main(argv)


@click.group()
def jobs() -> None:
    """Scale-out state: parked jobs, the scheduler lease."""


@jobs.command("parked")
@click.option("--limit", type=int, default=100, show_default=True)
@format_option
def jobs_parked(limit: int, fmt: str) -> None:
    """Jobs that failed their last attempt and are no longer retried."""
    ctx = open_context(settings())
    try:
        rows: list[dict[str, Any]] = [
            {
                "job": j.job_id,
                "kind": j.kind,
                "device_id": j.device_id,
                "attempts": j.attempts,
                "parked_at": j.finished_at,
                "error": j.last_error,
            }
            for j in ledger.parked(ctx, limit)
        ]
    finally:
        ctx.close()
    emit(rows, fmt, ["job", "kind", "device_id", "attempts", "parked_at", "error"])


@jobs.command("lease")
@format_option
def jobs_lease(fmt: str) -> None:
    """Which agent holds the scheduler lease, and until when."""
    s = settings()
    ctx = open_context(s)
    try:
        held = Lease(ctx, s.lease_ttl_s).holder()
    finally:
        ctx.close()
    rows = [{"owner": held[0], "expires_at": held[1]}] if held else []
    emit(rows, fmt, ["owner", "expires_at"])


COMMANDS = [worker, jobs]
