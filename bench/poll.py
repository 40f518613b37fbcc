"""Polling benchmark: ossagent's SNMP performance pollers against Net-SNMP's C tools on the same
simulated devices, in the same run.

For N generated devices of 50 interfaces (48 front ports, management, loopback) it polls the
columns the performance poller needs (perf_hc: admin/oper status, 64-bit octets and unicast
packets, errors, discards, plus sysUpTime) once for every device and prints devices/s,
varbinds/s, client CPU per device and the simulator's CPU share (the simulator must not be the
limit) for:
  - the fast poller, one process (collectors.snmp.fastpoll.FastPoller),
  - the fast poller pool, one process per core (collectors.snmp.fastpoll.PollerPool),
  - the pysnmp poller (collectors.snmp.collect.poll_interfaces, the agent's concurrency of 16;
    at 1,000 devices on its first 100 devices only, to keep `make bench` short),
  - ``snmpbulkwalk`` walking the same 10 columns of the same devices (one process per column,
    16 in parallel: the issue's reference, process start-up included), and
  - ``snmpbulkget`` asking for the same 10 columns with max-repetitions sized to the table
    (one process per device: the request shape the fast poller sends; at 100 devices only),
and the ratio of each of ours to snmpbulkwalk. Then a degraded run: 20% of the devices dead and
10% slow (each reply delayed), two poll cycles with the fast poller (the first learns which
devices fail, the second is the steady state), reporting when the healthy devices finished
against a cycle with every device healthy.

    .venv/bin/python bench/poll.py                  # N = 100 and 1000, then the degraded run
    .venv/bin/python bench/poll.py --devices 100 --no-degraded --profile
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sim_responder import cpu_seconds, write_topology  # noqa: E402

from collectors.snmp.client import close_engine, new_engine  # noqa: E402
from collectors.snmp.collect import poll_interfaces  # noqa: E402
from collectors.snmp.fastpoll import FastPoller, PollerPool, PollRequest, default_processes  # noqa: E402
from collectors.specs import format_oid, load_spec  # noqa: E402
from inventory.domain import Observation, SnmpCredentials, SnmpTarget  # noqa: E402
from lab.sim import LabState, start, stop  # noqa: E402
from lab.sim.runner import send  # noqa: E402
from lab.topology import load_topology  # noqa: E402

PORTS = 48  # + management + loopback = 50 interfaces
ROWS = PORTS + 2
PYSNMP_MAX_DEVICES = 100
SLOW_MS = 300  # a slow device answers after this; the timeout (1 s) is well above it
TIMEOUT_S = 1.0
RETRIES = 1


def _columns() -> list[str]:
    spec = load_spec("perf_hc")
    return ["." + format_oid(c) for c in spec.tables["counters"].columns.values()]


def _requests(state: LabState, limit: int | None = None) -> list[PollRequest]:
    creds = SnmpCredentials.v2c("public")
    nodes = state.nodes[:limit] if limit else state.nodes
    return [
        PollRequest(
            SnmpTarget(n.name, n.address, n.snmp_port, creds, timeout=TIMEOUT_S, retries=RETRIES), True, ROWS
        )
        for n in nodes
    ]


def _summary(results: list[Observation], elapsed: float, cpu: float) -> dict[str, Any]:
    return {
        "devices": len(results),
        "elapsed": elapsed,
        "cpu": cpu,
        "varbinds": sum(r.varbinds for r in results),
        "requests": sum(r.requests for r in results),
        "errors": sum(1 for r in results if not r.ok),
        "readings": sum(len(r.perf.readings) for r in results if r.perf),
    }


async def fast(state: LabState, profile: cProfile.Profile | None = None) -> dict[str, Any]:
    reqs = _requests(state)
    async with FastPoller() as poller:
        t0, c0 = time.monotonic(), time.process_time()
        if profile is not None:
            profile.enable()
        results = await poller.poll_many(reqs)
        if profile is not None:
            profile.disable()
        out = _summary(results, time.monotonic() - t0, time.process_time() - c0)
        out["rcvbuf"] = poller.stats.rcvbuf
        return out


async def pool(state: LabState, processes: int) -> dict[str, Any]:
    reqs = _requests(state)
    async with PollerPool(processes) as p:
        pids = p.pids
        await p.poll_many(reqs[: processes * 2])  # processes up and imported, not a cold cycle
        t0, c0, w0 = time.monotonic(), time.process_time(), cpu_seconds(pids)
        results = await p.poll_many(reqs)
        elapsed = time.monotonic() - t0
        # Client CPU: the parent (sending, receiving and unpickling) plus the pollers.
        cpu = (time.process_time() - c0) + (cpu_seconds(pids) - w0)
    out = _summary(results, elapsed, cpu)
    out["processes"] = processes
    return out


async def pysnmp(state: LabState, limit: int, concurrency: int = 16) -> dict[str, Any]:
    engine = new_engine()
    gate = asyncio.Semaphore(concurrency)

    async def one(r: PollRequest) -> Observation:
        async with gate:
            return await poll_interfaces(engine, r.target, hc=True, expected_rows=ROWS)

    try:
        t0, c0 = time.monotonic(), time.process_time()
        results = await asyncio.gather(*(one(r) for r in _requests(state, limit)))
        return _summary(list(results), time.monotonic() - t0, time.process_time() - c0)
    finally:
        close_engine(engine)


def _netsnmp(args: list[str]) -> int:
    proc = subprocess.run(args, capture_output=True, text=True, env={**os.environ, "MIBS": ""}, check=False)
    if proc.returncode:
        return -1
    return proc.stdout.count("\n")


def reference(state: LabState, mode: str, parallel: int = 16) -> dict[str, Any]:
    cols = _columns()
    base = ["-v2c", "-c", "public", "-On", "-t", str(TIMEOUT_S), "-r", str(RETRIES)]
    if mode == "walk":
        jobs = [
            ["snmpbulkwalk", *base, "-Cr50", f"{n.address}:{n.snmp_port}", c]
            for n in state.nodes
            for c in cols
        ]
    else:
        jobs = [
            ["snmpbulkget", *base, "-Cn0", f"-Cr{ROWS + 1}", f"{n.address}:{n.snmp_port}", *cols]
            for n in state.nodes
        ]
    c0 = os.times()
    t0 = time.monotonic()
    with ThreadPoolExecutor(parallel) as ex:
        counts = list(ex.map(_netsnmp, jobs))
    elapsed = time.monotonic() - t0
    c1 = os.times()
    return {
        "devices": len(state.nodes),
        "elapsed": elapsed,
        "cpu": (c1.children_user + c1.children_system) - (c0.children_user + c0.children_system),
        "varbinds": sum(c for c in counts if c > 0),
        "errors": sum(1 for c in counts if c < 0),
    }


def _start_lab(n: int, tmp: Path) -> LabState:
    topo_path = tmp / "bench.clab.yml"
    write_topology(topo_path, n, ports=PORTS)
    return start(
        load_topology(topo_path), tmp / "state",
        address_base=f"127.{random.randint(100, 200)}.{random.randint(0, 200)}",
        snmp_port=random.randint(20000, 40000),
    )  # fmt: skip


def run(n: int, processes: int, tmp_root: Path, profile: bool, degrade: bool) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="pollb", dir=tmp_root))
    try:
        state = _start_lab(n, tmp)
        try:
            pids = [state.pid, *state.worker_pids]
            out: dict[str, Any] = {"devices": n, "profile": None}
            limit = min(n, PYSNMP_MAX_DEVICES)
            clients: list[tuple[str, Callable[[], dict[str, Any]]]] = [
                ("fast", lambda: asyncio.run(fast(state))),
                ("pool", lambda: asyncio.run(pool(state, processes))),
                ("pysnmp", lambda: asyncio.run(pysnmp(state, limit))),
                ("bulkwalk", lambda: reference(state, "walk")),
            ]
            if n <= 100:
                clients.append(("bulkget", lambda: reference(state, "get")))
            for name, fn in clients:
                sim0 = cpu_seconds(pids)
                r = fn()
                r["sim_cpu"] = cpu_seconds(pids) - sim0
                out[name] = r
            if profile:
                # A separate cycle: the profiler's own overhead must not touch the figures above.
                prof = cProfile.Profile()
                asyncio.run(fast(state, prof))
                out["profile"] = prof
            report(out)
            if degrade:
                degraded(state, tmp / "state")
            return out
        finally:
            stop(tmp / "state")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


LABELS = (
    ("fast", "fast, 1 process"),
    ("pool", "fast, pool"),
    ("pysnmp", "pysnmp"),
    ("bulkwalk", "snmpbulkwalk (C)"),
    ("bulkget", "snmpbulkget (C)"),
)


def _rate(x: dict[str, Any]) -> float:
    return float(x["varbinds"]) / x["elapsed"] if x["elapsed"] else 0.0


def report(r: dict[str, Any]) -> None:
    n = r["devices"]
    print(f"\n== {n} devices x {ROWS} interfaces, columns: {len(_columns())} + sysUpTime ==")
    print(
        f"{'client':<20}{'devices':>8}{'wall s':>8}{'dev/s':>9}{'varbinds/s':>12}{'cpu/dev':>11}"
        f"{'sim cpu %':>10}{'errors':>8}{'vs walk':>9}"
    )
    walk = _rate(r["bulkwalk"])
    for key, label in LABELS:
        x = r.get(key)
        if x is None:
            continue
        if key == "pool":
            label = f"{label} ({x['processes']})"
        d = x["devices"]
        print(
            f"{label:<20}{d:>8}{x['elapsed']:>8.2f}{d / x['elapsed']:>9.1f}{_rate(x):>12,.0f}"
            f"{x['cpu'] / d * 1000:>9.2f}ms{100 * x['sim_cpu'] / x['elapsed']:>9.0f}%{x['errors']:>8}"
            f"{_rate(x) / walk:>8.2f}x"
        )
    f = r["fast"]
    print(
        f"fast poller: {f['requests']} requests ({f['requests'] / n:.1f} per device), {f['readings']} readings, "
        f"socket receive buffer {f['rcvbuf'] // 1024} KiB"
    )
    if r["profile"] is not None:
        s = io.StringIO()
        pstats.Stats(r["profile"], stream=s).sort_stats("tottime").print_stats(8)
        print("profile of the fast poller (cProfile, by own time):")
        print("\n".join(line for line in s.getvalue().splitlines()[6:] if line.strip()))


async def _timed_cycle(
    poller: FastPoller, reqs: list[PollRequest]
) -> tuple[float, dict[str, tuple[float, bool]]]:
    done: dict[str, tuple[float, bool]] = {}
    t0 = time.monotonic()

    def seen(obs: Observation) -> None:
        done[obs.device] = (time.monotonic() - t0, obs.ok)

    await poller.poll_many(reqs, on_result=seen)
    return time.monotonic() - t0, done


def degraded(state: LabState, state_dir: Path) -> None:
    """Run last on a lab: it takes devices down and slows others."""
    n = len(state.nodes)
    names = [nd.name for nd in state.nodes]
    rng = random.Random(7)
    shuffled = rng.sample(names, len(names))
    dead = set(shuffled[: n // 5])
    slow = set(shuffled[n // 5 : n // 5 + n // 10])
    healthy = [x for x in names if x not in dead and x not in slow]
    reqs = _requests(state)

    async def go() -> list[tuple[str, float, dict[str, tuple[float, bool]]]]:
        out = []
        async with FastPoller() as poller:
            total, done = await _timed_cycle(poller, reqs)
            out.append(("all healthy", total, done))
            for name in dead:
                send(state_dir, {"op": "node", "node": name, "state": "down"})
            for name in slow:
                send(state_dir, {"op": "slow", "node": name, "delay_ms": SLOW_MS})
            for label in ("degraded, cycle 1", "degraded, cycle 2"):
                total, done = await _timed_cycle(poller, reqs)
                out.append((label, total, done))
        return out

    cycles = asyncio.run(go())
    print(
        f"\n== degraded: {n} devices, {len(dead)} dead, {len(slow)} slow (+{SLOW_MS} ms), "
        f"timeout {TIMEOUT_S:g} s x {RETRIES + 1} tries, fast poller, 1 process =="
    )
    print(f"{'cycle':<20}{'healthy ok':>11}{'healthy done by':>16}{'p50':>7}{'slow ok':>9}{'slow done by':>13}"
          f"{'dead failed':>12}{'cycle s':>9}")  # fmt: skip
    for label, total, done in cycles:
        h = sorted(done[x][0] for x in healthy)
        h_ok = sum(1 for x in healthy if done[x][1])
        s_t = [done[x][0] for x in slow]
        s_ok = sum(1 for x in slow if done[x][1])
        d_fail = sum(1 for x in dead if not done[x][1])
        print(
            f"{label:<20}{h_ok:>5}/{len(healthy):<5}{h[-1]:>15.2f}s{h[len(h) // 2]:>6.2f}s"
            f"{s_ok:>5}/{len(slow):<3}{max(s_t):>12.2f}s{d_fail:>7}/{len(dead):<4}{total:>8.2f}"
        )
    base = max(cycles[0][2][x][0] for x in healthy)
    worst = max(max(c[2][x][0] for x in healthy) for c in cycles[1:])
    print(
        f"healthy devices kept their schedule: all done within {worst:.2f} s of the cycle start "
        f"(all-healthy cycle: {base:.2f} s; the dead take {TIMEOUT_S * (RETRIES + 1):g} s to give up)"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devices", type=int, action="append", help="N (repeatable); default 100 and 1000")
    ap.add_argument("--processes", type=int, default=default_processes(), help="pool size (default: cores)")
    ap.add_argument("--profile", action="store_true", help="cProfile the fast poller and print the top")
    ap.add_argument("--no-degraded", action="store_true", help="skip the dead/slow run (on the last N)")
    args = ap.parse_args()
    if not shutil.which("snmpbulkwalk"):
        print("Net-SNMP's command-line tools are missing (apt-get install snmp)")
        return 1
    tmp_root = Path(tempfile.mkdtemp(prefix="ossagent-bench-"))
    try:
        sizes = args.devices or [100, 1000]
        for n in sizes:
            run(n, args.processes, tmp_root, args.profile, degrade=not args.no_degraded and n == sizes[-1])
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
