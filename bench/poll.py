"""Polling benchmark: ossagent's SNMP interface poller (pysnmp) against Net-SNMP's C tools on
the same simulated devices, in the same run.

For N generated devices of ~50 interfaces (48 front ports, management, loopback) it polls the
columns the performance poller needs (admin/oper status, 64-bit octets and unicast packets,
errors, discards, plus sysUpTime) once for every device, with the agent's default concurrency,
and prints devices/s, varbinds/s and CPU seconds per device, the simulator's CPU share (the
simulator must not be the limit), and the ratio to:
  - ``snmpbulkwalk`` walking the same 10 columns of the same devices (one process per column,
    16 in parallel: the issue's reference, process start-up included), and
  - ``snmpbulkget`` asking for the same 10 columns with max-repetitions sized to the table
    (one process per device: the same request shape our poller sends).

    .venv/bin/python bench/poll.py                  # N = 100 and 1000
    .venv/bin/python bench/poll.py --devices 100 --concurrency 128
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sim_responder import cpu_seconds, write_topology  # noqa: E402

from collectors.snmp.client import close_engine, new_engine  # noqa: E402
from collectors.snmp.collect import poll_interfaces  # noqa: E402
from collectors.specs import format_oid, load_spec  # noqa: E402
from inventory.domain import SnmpCredentials, SnmpTarget  # noqa: E402
from lab.sim import LabState, start, stop  # noqa: E402
from lab.topology import load_topology  # noqa: E402

PORTS = 48  # + management + loopback = 50 interfaces
ROWS = PORTS + 2


def _columns() -> list[str]:
    spec = load_spec("perf_hc")
    return ["." + format_oid(c) for c in spec.tables["counters"].columns.values()]


async def ours(state: LabState, concurrency: int) -> dict[str, Any]:
    engine = new_engine()
    gate = asyncio.Semaphore(concurrency)
    creds = SnmpCredentials.v2c("public")

    async def one(addr: str, port: int) -> Any:
        async with gate:
            return await poll_interfaces(engine, SnmpTarget("d", addr, port, creds, timeout=2, retries=1),
                                         hc=True, expected_rows=ROWS)  # fmt: skip

    try:
        t0, c0 = time.monotonic(), time.process_time()
        results = await asyncio.gather(*(one(n.address, n.snmp_port) for n in state.nodes))
        return {
            "elapsed": time.monotonic() - t0,
            "cpu": time.process_time() - c0,
            "varbinds": sum(r.varbinds for r in results),
            "requests": sum(r.requests for r in results),
            "errors": sum(1 for r in results if not r.ok),
            "readings": sum(len(r.perf.readings) for r in results if r.perf),
        }
    finally:
        close_engine(engine)


def _netsnmp(args: list[str]) -> int:
    proc = subprocess.run(args, capture_output=True, text=True, env={**os.environ, "MIBS": ""}, check=False)
    if proc.returncode:
        return -1
    return proc.stdout.count("\n")


def reference(state: LabState, mode: str, parallel: int = 16) -> dict[str, Any]:
    cols = _columns()
    base = ["-v2c", "-c", "public", "-On", "-t", "2", "-r", "1"]
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
    with ThreadPoolExecutor(parallel) as pool:
        counts = list(pool.map(_netsnmp, jobs))
    elapsed = time.monotonic() - t0
    c1 = os.times()
    return {
        "elapsed": elapsed,
        "cpu": (c1.children_user + c1.children_system) - (c0.children_user + c0.children_system),
        "varbinds": sum(c for c in counts if c > 0),
        "errors": sum(1 for c in counts if c < 0),
    }


def run(n: int, concurrency: int, tmp_root: Path) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="pollb", dir=tmp_root))
    try:
        topo_path = tmp / "bench.clab.yml"
        write_topology(topo_path, n, ports=PORTS)
        state = start(
            load_topology(topo_path), tmp / "state",
            address_base=f"127.{random.randint(100, 200)}.{random.randint(0, 200)}",
            snmp_port=random.randint(20000, 40000),
        )  # fmt: skip
        try:
            pids = [state.pid, *state.worker_pids]
            out: dict[str, Any] = {"devices": n}
            for name, fn in (
                ("ours", lambda: asyncio.run(ours(state, concurrency))),
                ("bulkwalk", lambda: reference(state, "walk")),
                ("bulkget", lambda: reference(state, "get")),
            ):
                sim0 = cpu_seconds(pids)
                r = fn()
                r["sim_cpu"] = cpu_seconds(pids) - sim0
                out[name] = r
            return out
        finally:
            stop(tmp / "state")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report(r: dict[str, Any]) -> None:
    n = r["devices"]
    print(f"\n== {n} devices x {ROWS} interfaces, columns: {len(_columns())} + sysUpTime ==")
    print(
        f"{'client':<22}{'wall s':>8}{'dev/s':>9}{'varbinds/s':>12}{'cpu s/dev':>11}{'sim cpu %':>10}{'errors':>8}"
    )
    for key, label in (
        ("ours", "ossagent (pysnmp)"),
        ("bulkwalk", "snmpbulkwalk (C)"),
        ("bulkget", "snmpbulkget (C)"),
    ):
        x = r[key]
        print(
            f"{label:<22}{x['elapsed']:>8.2f}{n / x['elapsed']:>9.1f}{x['varbinds'] / x['elapsed']:>12,.0f}"
            f"{x['cpu'] / n * 1000:>9.2f}ms{100 * x['sim_cpu'] / x['elapsed']:>9.0f}%{x['errors']:>8}"
        )
    o = r["ours"]
    print(
        f"ossagent requests: {o['requests']} ({o['requests'] / n:.1f} per device), readings: {o['readings']}"
    )
    for key in ("bulkwalk", "bulkget"):
        x = r[key]
        ratio = (o["varbinds"] / o["elapsed"]) / (x["varbinds"] / x["elapsed"])
        print(f"ratio ossagent / {key}: {ratio:.2f} (varbinds/s)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devices", type=int, action="append", help="N (repeatable); default 100 and 1000")
    ap.add_argument("--concurrency", type=int, default=16, help="requests in flight (the agent default)")
    args = ap.parse_args()
    if not shutil.which("snmpbulkwalk"):
        print("Net-SNMP's command-line tools are missing (apt-get install snmp)")
        return 1
    tmp_root = Path(tempfile.mkdtemp(prefix="ossagent-bench-"))
    try:
        for n in args.devices or [100, 1000]:
            report(run(n, args.concurrency, tmp_root))
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
