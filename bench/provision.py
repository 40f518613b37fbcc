"""Provisioning benchmark: transactions per minute and per-device latency for 1, 10 and 100
devices per transaction on the sim lab, and where the time goes (device protocol vs ossagent).

A sim lab of N generated EOS-like access switches (``arista_ceos``: SSH CLI, netmiko) is
imported and discovered (which records the SSH host keys), then for each size k the same
service (internet-access: a VLAN subinterface with an address and a policer) is created on k
devices in ONE transaction and deleted again in another, so the lab ends as it began. Both are
measured. Each transaction is planned (``submit_many``) and executed (``Executor.run``) the way
the CLI does it, on SQLite.

Where the time goes: every driver the executor opens is wrapped in a timing proxy (the
factories in ``provisioners.contract.DRIVERS``), so connect + get_config/prepare/commit/
confirm/rollback/close time is "protocol" (netmiko/paramiko and the simulated device answering);
the rest of each device step (journal writes, backups, diff checks) and of the transaction
(planning, bookkeeping between phases) is ossagent. Device steps of one phase run in parallel
threads (executor PARALLEL), so the share of the transaction's wall time is estimated per phase.

The reference, measured in the same run: the payload of a 1-device create and delete pushed
with netmiko directly (connect, enable, send_config_set, write memory, disconnect) to another
device of the same lab, no ossagent.

    .venv/bin/python bench/provision.py              # sizes 1, 10, 100 on a 100-device lab
    .venv/bin/python bench/provision.py --quick      # sizes 1 and 10 on a 10-device lab
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchlib import Lab, drop_pg, pct, pg_database, sim_lab  # noqa: E402
from sqlalchemy import select  # noqa: E402

import provisioners.drivers  # noqa: E402,F401  (registers the drivers)
from agent.config import load_settings  # noqa: E402
from agent.context import Context, open_context  # noqa: E402
from agent.importers import credentials_from_mapping  # noqa: E402
from agent.jobs.snmp import run_discovery  # noqa: E402
from agent.provisioning.executor import PARALLEL, Executor, Step  # noqa: E402
from agent.runtime import Runtime  # noqa: E402
from bss_bridge.provisioning import submit_many  # noqa: E402
from inventory.choices import TxState  # noqa: E402
from inventory.models import Device  # noqa: E402
from inventory.provisioning_models import Transaction  # noqa: E402
from inventory.store import import_hosts  # noqa: E402
from lab import engine as lab_engine  # noqa: E402
from lab import sim  # noqa: E402
from provisioners import contract  # noqa: E402
from provisioners.diff import cli as clidiff  # noqa: E402
from provisioners.drivers.cli import payload_lines  # noqa: E402

PORT = "Ethernet3"


# ---------------------------------------------------------------------------- lab
def write_topology(path: Path, n: int) -> None:
    lines = [
        f"name: provbench{n}",
        "topology:",
        "  defaults:",
        "    labels: {ossagent-ports: '4', role: access, site: bench}",
        "  nodes:",
        *(f"    dev{i:04d}: {{kind: arista_ceos}}" for i in range(n)),
        "  links: []",
    ]
    path.write_text("\n".join(lines) + "\n")


@contextlib.contextmanager
def bench_lab(tmp: Path, n: int) -> Iterator[Lab]:
    topo = tmp / "bench.clab.yml"
    write_topology(topo, n)
    with sim_lab(topo, tmp / "labstate") as lab:
        yield lab


def import_and_discover(ctx: Context, lab: Lab) -> float:
    hosts, profiles = lab_engine.hosts(lab.state)
    creds = {n: credentials_from_mapping(p, n) for n, p in profiles.items()}
    t0 = time.perf_counter()
    with ctx.begin() as s:
        import_hosts(s, hosts, creds)
        ids = list(s.scalars(select(Device.id)))

    async def go() -> list[Any]:
        rt = Runtime(ctx)
        try:
            sem = asyncio.Semaphore(32)

            async def one(i: int) -> Any:
                async with sem:
                    return await run_discovery(rt, i)

            return await asyncio.gather(*(one(i) for i in ids))
        finally:
            rt.close()

    results = asyncio.run(go())
    bad = [r.error for r in results if not r.ok]
    if bad:
        raise RuntimeError(f"discovery failed on {len(bad)} device(s): {bad[:3]}")
    return time.perf_counter() - t0


# ---------------------------------------------------------------------------- timing
class Clock:
    """Seconds per (device, phase, what): driver calls and executor device steps."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.local = threading.local()
        self.driver: dict[tuple[str, str], float] = defaultdict(float)  # (device, phase)
        self.step: dict[tuple[str, str], float] = defaultdict(float)  # (device, phase)
        self.phase_wall: dict[str, float] = defaultdict(float)
        self.close_wall = 0.0

    def reset(self) -> None:
        with self.lock:
            self.driver.clear()
            self.step.clear()
            self.phase_wall.clear()
            self.close_wall = 0.0

    @property
    def phase(self) -> str:
        return str(getattr(self.local, "phase", "other"))

    def add_driver(self, device: str, seconds: float) -> None:
        with self.lock:
            self.driver[(device, self.phase)] += seconds


CLOCK = Clock()


class TimedDriver:
    """A driver whose every method call is timed into CLOCK."""

    def __init__(self, inner: contract.Driver) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr
        device = self._inner.device

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                CLOCK.add_driver(device, time.perf_counter() - t0)

        return timed


def timed_factory(inner: contract.DriverFactory) -> contract.DriverFactory:
    def open_timed(access: contract.DeviceAccess) -> contract.Driver:
        t0 = time.perf_counter()
        try:
            return cast(contract.Driver, TimedDriver(inner(access)))
        finally:
            CLOCK.add_driver(access.device, time.perf_counter() - t0)  # connect

    return open_timed


def install_timers() -> None:
    for name, factory in list(contract.DRIVERS.items()):
        contract.DRIVERS[name] = timed_factory(factory)


class TimedExecutor(Executor):
    """The executor with each device step and each parallel phase timed into CLOCK."""

    def _timed(self, phase: str, st: Step, fn: Callable[[], None]) -> None:
        CLOCK.local.phase = phase
        t0 = time.perf_counter()
        try:
            fn()
        finally:
            with CLOCK.lock:
                CLOCK.step[(st.device, phase)] += time.perf_counter() - t0
            CLOCK.local.phase = "other"

    def _prepare(self, tx: Transaction, st: Step) -> None:
        self._timed("prepare", st, lambda: super(TimedExecutor, self)._prepare(tx, st))

    def _commit(self, tx: Transaction, st: Step) -> None:
        self._timed("commit", st, lambda: super(TimedExecutor, self)._commit(tx, st))

    def _verify(self, st: Step) -> None:
        self._timed("verify", st, lambda: super(TimedExecutor, self)._verify(st))

    def _confirm(self, st: Step) -> None:
        self._timed("confirm", st, lambda: super(TimedExecutor, self)._confirm(st))

    def _each(self, steps: list[Step], fn: Callable[[Step], None]) -> dict[str, str]:
        t0 = time.perf_counter()
        try:
            return super()._each(steps, fn)
        finally:
            CLOCK.phase_wall[f"phase{len(CLOCK.phase_wall)}"] += time.perf_counter() - t0

    def _close_all(self, steps: list[Step]) -> None:
        t0 = time.perf_counter()
        CLOCK.local.phase = "close"
        try:
            super()._close_all(steps)
        finally:
            CLOCK.local.phase = "other"
            CLOCK.close_wall += time.perf_counter() - t0


PHASES = ("prepare", "commit", "verify", "confirm")


# ---------------------------------------------------------------------------- one transaction
def request(device: str, vlan: int, action: str) -> dict[str, Any]:
    return {
        "service": "internet-access",
        "action": action,
        "params": {
            "service_id": f"BENCH-{device}-{vlan}",
            "customer_id": "CUST-BENCH",
            "device": device,
            "port": PORT,
            "vlan": vlan,
            "ipv4": f"198.51.{vlan % 256}.1/30",
            "bandwidth_mbps": 100,
        },
    }


@dataclass
class TxResult:
    size: int
    action: str
    plan_s: float
    run_s: float
    device_s: list[float]  # per device: prepare+commit+verify+confirm
    driver_s: float  # summed over devices and phases
    step_s: float  # summed over devices and phases
    protocol_wall_s: float  # estimated protocol time on the transaction's wall clock
    payloads: list[str] = field(default_factory=list)

    @property
    def wall_s(self) -> float:
        return self.plan_s + self.run_s


def run_tx(ctx: Context, devices: list[str], vlan: int, action: str) -> TxResult:
    CLOCK.reset()
    t0 = time.perf_counter()
    with ctx.begin() as s:
        tx_id = submit_many(s, [request(d, vlan, action) for d in devices], user="bench", origin="bench").id
    t1 = time.perf_counter()
    state = TimedExecutor(ctx, fault="").run(tx_id)
    t2 = time.perf_counter()
    with ctx.begin() as s:
        tx = s.get(Transaction, tx_id)
        assert tx is not None
        payloads = [td.payload for td in tx.devices]
        error = tx.error
    if state is not TxState.DONE:
        raise RuntimeError(f"{action} on {len(devices)} device(s) ended {state.value}: {error}")
    per_device = [sum(CLOCK.step.get((d, p), 0.0) for p in PHASES) for d in devices]
    driver = sum(v for (_, p), v in CLOCK.driver.items() if p in PHASES)
    step = sum(CLOCK.step.values())
    # Phases run device steps in parallel: the protocol share of each phase's wall clock is
    # taken as that phase's share of driver time in its device steps. close() runs serially.
    walls = list(CLOCK.phase_wall.values())
    protocol_wall = CLOCK.close_wall
    for phase, wall in zip(PHASES, walls, strict=False):
        st = sum(v for (_, p), v in CLOCK.step.items() if p == phase)
        dr = sum(v for (_, p), v in CLOCK.driver.items() if p == phase)
        protocol_wall += wall * (dr / st if st else 0.0)
    return TxResult(len(devices), action, t1 - t0, t2 - t1, per_device, driver, step, protocol_wall, payloads)


# ---------------------------------------------------------------------------- reference
def raw_netmiko(node: sim.NodeState, payload: str) -> float:
    """The same lines pushed with netmiko alone: connect, enable, config, save, disconnect."""
    from netmiko import ConnectHandler

    from provisioners.hostkeys import fetch_host_key, known_hosts_file

    lines = payload_lines(payload, clidiff.EOS)
    # Pinned like the driver's sessions (one-entry known_hosts, strict), so the reference pays
    # the same host-key check and never trusts an unknown key.
    key = fetch_host_key(node.address, node.ssh_port, timeout=10.0)
    with known_hosts_file(node.address, node.ssh_port, key) as known_hosts:
        t0 = time.perf_counter()
        conn = ConnectHandler(
            device_type="arista_eos", host=node.address, port=node.ssh_port, username=node.username,
            password=node.password, secret=node.password, allow_agent=False, use_keys=False,
            ssh_strict=True, system_host_keys=False, alt_host_keys=True, alt_key_file=str(known_hosts),
        )  # fmt: skip
        try:
            if not conn.check_enable_mode():
                conn.enable()
            out = conn.send_config_set(lines, error_pattern=r"^\s*%.*$")
            conn.save_config()
        finally:
            conn.disconnect()
        elapsed = time.perf_counter() - t0
    if "%" in out:
        raise RuntimeError(f"raw netmiko push refused: {out[-300:]}")
    return elapsed


# ---------------------------------------------------------------------------- report
def measure(
    ctx: Context, lab: Lab, sizes: list[int], rounds_arg: int | None, quick: bool
) -> dict[int, list[TxResult]]:
    results: dict[int, list[TxResult]] = {}
    for k in sizes:
        rounds = rounds_arg or (1 if quick else {1: 3, 10: 2}.get(k, 1))
        devices = [f"dev{i:04d}" for i in range(k)]
        for r in range(rounds):
            vlan = 100 + r
            for action in ("create", "delete"):
                res = run_tx(ctx, devices, vlan, action)
                results.setdefault(k, []).append(res)
                print(f"  {k:>3} device(s) {action:<6} round {r + 1}: {res.wall_s:6.2f} s", flush=True)
    return results


def report(backend: str, results: dict[int, list[TxResult]], ref: float) -> None:
    print(
        f"\nprovisioning on the sim lab ({backend} journal; create + delete of internet-access per device; "
        f"executor PARALLEL={PARALLEL})"
    )
    print(
        f"{'dev/tx':>6} {'txs':>4} {'tx wall s':>9} {'tx/min':>7} {'dev p50 s':>9} {'dev p95 s':>9} "
        f"{'plan s':>7} {'protocol % (dev steps)':>22} {'protocol % (tx wall)':>20}"
    )
    figures: dict[int, float] = {}
    for k, rs in results.items():
        wall = statistics.mean(r.wall_s for r in rs)
        devs = [d for r in rs for d in r.device_s]
        drv = sum(r.driver_s for r in rs) / max(sum(r.step_s for r in rs), 1e-9)
        share_wall = sum(r.protocol_wall_s for r in rs) / sum(r.wall_s for r in rs)
        figures[k] = pct(devs, 0.5)
        print(
            f"{k:>6} {len(rs):>4} {wall:>9.2f} {60 / wall:>7.1f} {pct(devs, 0.5):>9.2f} {pct(devs, 0.95):>9.2f} "
            f"{statistics.mean(r.plan_s for r in rs):>7.3f} {100 * drv:>21.0f}% {100 * share_wall:>19.0f}%"
        )
    for k, p50 in figures.items():
        print(f"ratio per-device latency p50 at {k} dev/tx / raw netmiko push ({backend}): {p50 / ref:.2f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="sizes 1 and 10 on a 10-device lab, one round")
    ap.add_argument("--sizes", type=int, nargs="*", help="devices per transaction (default 1 10 100)")
    ap.add_argument("--rounds", type=int, help="create+delete rounds per size (default: 3, 2, 1)")
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both",
                    help="the store holding the journal (default: both, in turn)")  # fmt: skip
    args = ap.parse_args()
    sizes: list[int] = args.sizes or ([1, 10] if args.quick else [1, 10, 100])
    n = max(sizes) + 1  # one spare device for the raw netmiko reference
    logging.basicConfig(level=logging.WARNING)
    install_timers()
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="provbench-"))
    os.environ["OSSAGENT_HOME"] = str(tmp / "home")
    os.environ.pop("OSSAGENT_CONFIG", None)
    by_backend: dict[str, dict[int, list[TxResult]]] = {}
    raw: list[float] = []
    try:
        with bench_lab(tmp, n) as lab:
            for backend in ("sqlite", "postgresql"):
                if args.backend not in (backend, "both"):
                    continue
                url = (
                    f"sqlite:///{tmp / 'bench.db'}"
                    if backend == "sqlite"
                    else pg_database("ossagent_provision")
                )
                if url is None:
                    continue
                os.environ["OSSAGENT_DATABASE_URL"] = url
                ctx = open_context(load_settings({"snmp_timeout_s": 1.0, "snmp_retries": 1}))
                try:
                    disc = import_and_discover(ctx, lab)
                    print(
                        f"sim lab: {n} EOS-like access switches (SSH CLI, netmiko); imported and discovered "
                        f"into {backend} in {disc:.1f} s"
                    )
                    by_backend[backend] = measure(ctx, lab, sizes, args.rounds, args.quick)
                finally:
                    ctx.close()
                    if backend == "postgresql":
                        drop_pg(url)
            # The reference: the 1-device payloads, by netmiko alone, on the spare device.
            one = next(iter(by_backend.values()), {}).get(min(sizes), [])
            spare = next(nd for nd in lab.state.nodes if nd.name == f"dev{n - 1:04d}")
            create = next(r for r in one if r.action == "create").payloads[0]
            delete = next(r for r in one if r.action == "delete").payloads[0]
            for _ in range(3):
                raw.append(raw_netmiko(spare, create))
                raw.append(raw_netmiko(spare, delete))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    ref = statistics.median(raw)
    print(
        f"\nreference: the same lines by netmiko alone (connect, enable, config, write memory, "
        f"disconnect), {len(raw)} pushes: p50 {ref:.2f} s, max {max(raw):.2f} s"
    )
    for backend, results in by_backend.items():
        report(backend, results, ref)
    print(f"provision bench total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
