"""run, web, db, discover, poll."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
from sqlalchemy import select

from agent.config import Settings, load_settings
from agent.context import Context, open_context, setup_logging
from agent.jobs.snmp import JobResult, close_fast_poller, run_discovery, run_poll
from agent.output import emit, format_option
from agent.runtime import Runtime
from agent.scheduler import run_agent
from inventory.db import current_revision, head_revision, make_engine, upgrade
from inventory.models import Device

T = TypeVar("T")
log = logging.getLogger("ossagent")


class CommandError(click.ClickException):
    pass


def settings(**overrides: Any) -> Settings:
    return load_settings(overrides)


def context(**overrides: Any) -> Context:
    return open_context(settings(**overrides))


def run_until_signal(make: Callable[[asyncio.Event], Awaitable[T]]) -> T:
    """Run a coroutine until SIGINT/SIGTERM sets the stop event it is given."""

    async def main() -> T:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            return await make(stop)
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    return asyncio.run(main())


@click.command()
def run() -> None:
    """Run the agent: scheduler and collectors (Ctrl-C stops it)."""
    ctx = context()
    setup_logging(ctx.settings, "agent")

    async def go(stop: asyncio.Event) -> None:
        rt = Runtime(ctx)
        try:
            await run_agent(rt, stop)
        finally:
            rt.close()

    run_until_signal(go)


def web_config(s: Settings) -> dict[str, Any]:
    from inventory.crypto import ensure_key_file

    secret = ensure_key_file(s.web_secret_file).read_bytes().strip()
    return {
        "DATABASE_URL": s.database_url,
        "KEY_FILE": str(s.key_file),
        "SECRET_KEY": secret,
        "MIGRATE": True,
    }


@click.command()
@click.option("--host", default=None, help="Address to listen on [default: 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port [default: 8080].")
@click.option("--threads", type=int, default=8, show_default=True)
def web(host: str | None, port: int | None, threads: int) -> None:
    """Serve the dashboard and the REST API."""
    from waitress import serve

    from web import create_app

    s = settings(web_host=host, web_port=port)
    setup_logging(s, "web")
    app = create_app(web_config(s))
    log.info("dashboard on http://%s:%d", s.web_host, s.web_port)
    serve(app, host=s.web_host, port=s.web_port, threads=threads, ident="ossagent")


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Upgrade the database schema to the newest version."""
    s = settings()
    s.home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(s.database_url)
    before = current_revision(engine)
    upgrade(engine)
    click.echo(f"database at {head_revision(engine)} (was {before or 'empty'})")


def _device_ids(ctx: Context, names: tuple[str, ...], all_: bool) -> list[tuple[int, str]]:
    if not names and not all_:
        raise CommandError("name one or more devices, or use --all")
    with ctx.begin() as s:
        if all_:
            rows = s.scalars(select(Device).where(Device.enabled.is_(True)).order_by(Device.name))
            return [(d.id, d.name) for d in rows]
        found = {d.name: d.id for d in s.scalars(select(Device).where(Device.name.in_(names)))}
    missing = [n for n in names if n not in found]
    if missing:
        raise CommandError(f"unknown device(s): {', '.join(missing)}")
    return [(found[n], n) for n in names]


def _run_jobs(
    ctx: Context, ids: list[tuple[int, str]], job: Callable[[Runtime, int], Awaitable[JobResult]]
) -> list[JobResult]:
    async def go() -> list[JobResult]:
        rt = Runtime(ctx)
        try:
            return list(await asyncio.gather(*(job(rt, i) for i, _ in ids)))
        finally:
            await close_fast_poller(rt)  # the poller processes of `poll --all`, if any
            rt.close()

    return asyncio.run(go())


def _report(results: list[JobResult], fmt: str) -> None:
    rows = [{"device": r.device, "ok": r.ok, "samples": r.samples, "error": r.error} for r in results]
    emit(rows, fmt, ["device", "ok", "samples", "error"])
    if any(not r.ok for r in results):
        raise SystemExit(1)


@click.command()
@click.argument("names", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Every enabled device.")
@format_option
def discover(names: tuple[str, ...], all_: bool, fmt: str) -> None:
    """Discover devices now over SNMP (system, hardware, interfaces, LLDP)."""
    ctx = context()
    _report(_run_jobs(ctx, _device_ids(ctx, names, all_), run_discovery), fmt)


@click.command()
@click.argument("names", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Every enabled device.")
@click.option("--once", is_flag=True, required=True, help="Poll once and exit (for scripts and tests).")
@format_option
def poll(names: tuple[str, ...], all_: bool, once: bool, fmt: str) -> None:
    """Poll interface counters now."""
    ctx = context()
    ids = _device_ids(ctx, names, all_)
    # Devices never discovered get discovered first, as the scheduler would do.
    with ctx.begin() as s:
        undiscovered = [(i, n) for i, n in ids if (d := s.get(Device, i)) and d.last_discovered is None]
    if undiscovered:
        _run_jobs(ctx, undiscovered, run_discovery)
    _report(_run_jobs(ctx, ids, run_poll), fmt)


COMMANDS = [run, web, db, discover, poll]
