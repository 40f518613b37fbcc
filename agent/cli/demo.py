"""``ossagent demo``: a simulated lab, the agent and the dashboard in one command."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import click
from sqlalchemy import select

from agent.cli.core import CommandError, run_until_signal, settings
from agent.context import open_context, setup_logging
from agent.jobs.snmp import run_discovery
from agent.runtime import Runtime
from agent.scheduler import run_agent
from bss_bridge.seed import DEMO_SEED, load_seed_file
from inventory.accounts import create_user, set_password
from inventory.choices import Role
from inventory.models import Device, User
from inventory.store import import_hosts
from lab import engine as lab_engine


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _wait_http(host: str, port: int, proc: subprocess.Popen[bytes], log: Path, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
            raise CommandError(f"the web server exited during start-up: {' '.join(tail)} (see {log})")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise CommandError(f"the web server did not listen on {host}:{port} within {seconds:.0f}s")


@click.command()
@click.option("-t", "--topo", "topology", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8080, show_default=True)
@click.option("--poll-interval", type=int, default=20, show_default=True, help="Seconds between polls.")
def demo(topology: Path | None, host: str, port: int, poll_interval: int) -> None:
    """Start a simulated lab, discover and poll it, and serve the dashboard (Ctrl-C stops all)."""
    s = settings(poll_interval_s=poll_interval, web_host=host, web_port=port)
    if not _port_free(host, port):
        raise CommandError(f"{host}:{port} is in use; pass --port")
    ctx = open_context(s)
    setup_logging(s, "demo")
    path = (topology or lab_engine.DEFAULT_TOPOLOGY).resolve()
    name = lab_engine.load_topology(path).name
    # A demo killed hard earlier may have left its lab running: replace it.
    if any(st.name == name for st in lab_engine.running(s.lab_dir)):
        lab_engine.down(s.lab_dir, name)
    # The lab's devices send their traps to this agent's receiver.
    state = lab_engine.up(path, s.lab_dir, trap_receivers=[("127.0.0.1", s.trap_port)])
    web_proc: subprocess.Popen[bytes] | None = None
    try:
        hosts, profiles = lab_engine.hosts(state)
        from agent.importers import credentials_from_mapping

        password = secrets.token_urlsafe(12)
        with ctx.begin() as session:
            import_hosts(
                session,
                hosts,
                {n: credentials_from_mapping(p, f"lab profile {n}") for n, p in profiles.items()},
            )
            # The demo BSS (SLAs, offerings, customers), so orders can be placed at once.
            load_seed_file(session, DEMO_SEED)
            admin = session.scalar(select(User).where(User.name == "admin"))
            if admin is None:
                create_user(session, "admin", password, Role.ADMIN)
            else:
                set_password(session, admin, password)
            ids = [d.id for d in session.scalars(select(Device).where(Device.enabled.is_(True)))]

        env = {**os.environ, "OSSAGENT_HOME": str(s.home)}
        s.log_dir.mkdir(parents=True, exist_ok=True)
        with (s.log_dir / "web.stderr").open("wb") as err:
            # -P: do not put the current directory first on sys.path, where a folder named
            # like one of our packages would shadow it.
            web_proc = subprocess.Popen(
                [sys.executable, "-P", "-m", "agent", "web", "--host", host, "--port", str(port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        _wait_http(host, port, web_proc, s.log_dir / "web.stderr")

        async def go(stop: asyncio.Event) -> None:
            rt = Runtime(ctx)
            try:
                results = await asyncio.gather(*(run_discovery(rt, i) for i in ids))
                ok = sum(1 for r in results if r.ok)
                click.echo(
                    f"lab {state.name}: {len(state.nodes)} simulated devices, {ok} discovered over SNMP"
                )
                click.echo(f"\n  dashboard  http://{host}:{port}/")
                click.echo("  login      admin")
                click.echo(f"  password   {password}")
                click.echo(f"  polling    every {poll_interval}s; data in {s.home}")
                click.echo(
                    f"  orders     POST http://{host}:{port}/tmf-api/productOrderingManagement/v4/productOrder"
                    " (API token: ossagent token create --user admin; customers CUST-42, CUST-77)"
                )
                click.echo("\nCtrl-C stops the agent, the dashboard and the lab.\n")
                await run_agent(rt, stop)
            finally:
                rt.close()

        run_until_signal(go)
    finally:
        if web_proc is not None and web_proc.poll() is None:
            web_proc.terminate()
            try:
                web_proc.wait(10)
            except subprocess.TimeoutExpired:
                web_proc.kill()
                web_proc.wait()
        lab_engine.down(s.lab_dir, state.name)
        click.echo("stopped")


COMMANDS = [demo]
