"""Trap receiver benchmark: the highest sustained rate with zero loss, a 10x burst, and the
same stream sent to Net-SNMP's snmptrapd in the same run.

A separate sender process paces SNMPv2c linkDown/linkUp traps from 10 source addresses that
are known devices, so every trap goes the whole way: socket -> queue -> decode -> an Event
row and an alarm signal (dedup, clear) in the database. Each step of a rate ladder runs for a
few seconds; loss is reconciled as sent = processed + counted drops (our queue) + kernel drops
(UDP receive-buffer errors from /proc/net/snmp).

    .venv/bin/python bench/traps.py                     # SQLite and PostgreSQL (if reachable)
    .venv/bin/python bench/traps.py --backend sqlite --seconds 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchlib import drop_pg, pg_database  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from agent.config import load_settings  # noqa: E402
from agent.context import open_context  # noqa: E402
from agent.runtime import Runtime  # noqa: E402
from agent.traps import TrapService  # noqa: E402
from collectors.traps.receiver import TrapReceiver  # noqa: E402
from inventory.domain import InventoryHost, SnmpCredentials  # noqa: E402
from inventory.fault_models import Event  # noqa: E402
from inventory.store import upsert_host  # noqa: E402
from tests.agent_harness import Background  # noqa: E402
from tests.trapgen import LINK_DOWN, LINK_UP, v2c  # noqa: E402

SOURCES = [f"127.0.9.{i}" for i in range(10, 20)]
RATES = [250, 500, 1000, 2000, 4000, 8000, 16000, 32000]


def udp_rcvbuf_errors() -> int:
    lines = Path("/proc/net/snmp").read_text().splitlines()
    head, vals = [ln.split() for ln in lines if ln.startswith("Udp:")][:2]
    return int(vals[head.index("RcvbufErrors")])


def send(port: int, rate: float, seconds: float) -> tuple[int, float]:
    """Run the sender in its own process (no GIL sharing with the receiver); returns how many
    it sent and the rate it really reached."""
    out = subprocess.run(
        [sys.executable, __file__, "--send", str(port), str(rate), str(seconds)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    sent, elapsed = out.stdout.split()
    return int(sent), int(sent) / max(float(elapsed), 1e-6)


def sender_main(port: int, rate: float, seconds: float) -> None:
    socks = []
    for src in SOURCES:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((src, 0))
        socks.append(s)
    packets = [v2c(LINK_DOWN if i % 2 else LINK_UP, 1 + i % 4, rid=i) for i in range(64)]
    total = int(rate * seconds)
    start = time.perf_counter()
    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0.0005:
            time.sleep(delay)
        socks[i % len(socks)].sendto(packets[i % 64], ("127.0.0.1", port))
    print(total, time.perf_counter() - start)


def wait_settled(count: Any, expected: int, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    last, last_change = -1, time.monotonic()
    while time.monotonic() < deadline:
        n = count()
        if n >= expected:
            return int(n)
        if n != last:
            last, last_change = n, time.monotonic()
        elif time.monotonic() - last_change > 3:
            return int(n)
        time.sleep(0.2)
    return int(count())


def bench_ossagent(db_url: str, seconds: float) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="trapb-"))
    os.environ["OSSAGENT_HOME"] = str(home)
    os.environ["OSSAGENT_DATABASE_URL"] = db_url
    ctx = open_context(load_settings())
    ctx.settings = replace(ctx.settings, trap_host="127.0.0.1")
    with ctx.begin() as s:
        for i, src in enumerate(SOURCES):
            upsert_host(s, InventoryHost(name=f"dev{i}", host=src, snmp=SnmpCredentials.v2c("public")))
    receiver = TrapReceiver("127.0.0.1", 0, max_queue=200_000)

    async def main(rt: Runtime, stop: asyncio.Event) -> None:
        await receiver.start()
        try:
            await TrapService(rt, receiver).run(stop)
        finally:
            receiver.close()

    def processed() -> int:
        with ctx.begin() as s:
            return int(s.scalar(select(func.count()).select_from(Event)) or 0)

    bg = Background(ctx, main)
    try:
        while receiver.port == 0:
            time.sleep(0.05)
        steps, best = [], 0
        for rate in RATES:
            before, k0, q0 = processed(), udp_rcvbuf_errors(), receiver.counters.queue_dropped
            t0 = time.monotonic()
            sent, achieved = send(receiver.port, rate, seconds)
            got = wait_settled(processed, before + sent) - before
            steps.append({"rate": rate, "achieved": achieved, "sent": sent, "processed": got,
                          "queue_dropped": receiver.counters.queue_dropped - q0,
                          "kernel_dropped": udp_rcvbuf_errors() - k0, "seconds": time.monotonic() - t0})  # fmt: skip
            if got < sent:
                break
            best = rate
        burst_rate = max(best, RATES[0]) * 10
        before, k0, q0 = processed(), udp_rcvbuf_errors(), receiver.counters.queue_dropped
        sent, achieved = send(receiver.port, burst_rate, 1.0)
        got = wait_settled(processed, before + sent) - before
        burst = {"rate": burst_rate, "achieved": achieved, "sent": sent, "processed": got, "queue_dropped": receiver.counters.queue_dropped - q0,
                 "kernel_dropped": udp_rcvbuf_errors() - k0}  # fmt: skip
        return {"steps": steps, "best": best, "burst": burst}
    finally:
        bg.close()
        ctx.close()
        shutil.rmtree(home, ignore_errors=True)


def bench_snmptrapd(seconds: float) -> dict[str, Any]:
    d = Path(tempfile.mkdtemp(prefix="trapd-"))
    port = 20000 + os.getpid() % 20000
    (d / "snmptrapd.conf").write_text("disableAuthorization yes\n")
    out = d / "traps.log"
    proc = subprocess.Popen(
        ["snmptrapd", "-f", "-n", "-C", "-c", str(d / "snmptrapd.conf"), "-On", "-Lf", str(out), f"udp:127.0.0.1:{port}"],
        env={**os.environ, "MIBS": "", "SNMP_PERSISTENT_DIR": str(d)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1.0)

    def processed() -> int:
        try:
            return out.read_bytes().count(b"1.3.6.1.6.3.1.1.4.1.0")
        except OSError:
            return 0

    try:
        steps, best = [], 0
        for rate in RATES:
            before, k0 = processed(), udp_rcvbuf_errors()
            sent, achieved = send(port, rate, seconds)
            got = wait_settled(processed, before + sent) - before
            steps.append(
                {
                    "rate": rate,
                    "achieved": achieved,
                    "sent": sent,
                    "processed": got,
                    "queue_dropped": 0,
                    "kernel_dropped": udp_rcvbuf_errors() - k0,
                }
            )
            if got < sent:
                break
            best = rate
        return {"steps": steps, "best": best}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        shutil.rmtree(d, ignore_errors=True)


def show(label: str, r: dict[str, Any]) -> None:
    print(f"\n{label}")
    print(
        f"{'rate/s':>8}{'achieved':>10}{'sent':>9}{'processed':>11}{'queue drop':>12}{'kernel drop':>13}{'reconciled':>12}"
    )
    for s in r["steps"] + ([{**r["burst"], "rate": f"{r['burst']['rate']}*"}] if "burst" in r else []):
        recon = s["processed"] + s["queue_dropped"] + s["kernel_dropped"]
        ok = "yes" if recon >= s["sent"] else f"no ({s['sent'] - recon} unaccounted)"
        print(
            f"{s['rate']!s:>8}{s['achieved']:>10,.0f}{s['sent']:>9}{s['processed']:>11}{s['queue_dropped']:>12}{s['kernel_dropped']:>13}{ok:>12}"
        )
    print(
        f"highest sustained rate with zero loss: {r['best']}/s"
        + ("   (* = 1 s burst at 10x)" if "burst" in r else "")
    )


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--send":
        sender_main(int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--seconds", type=float, default=4.0)
    args = ap.parse_args()
    results: dict[str, Any] = {}
    if args.backend in ("sqlite", "both"):
        tmp = Path(tempfile.mkdtemp())
        results["ossagent on SQLite"] = bench_ossagent(f"sqlite:///{tmp / 'b.db'}", args.seconds)
        shutil.rmtree(tmp, ignore_errors=True)
    if args.backend in ("postgresql", "both"):
        url = pg_database("ossagent_bench")
        if url:
            try:
                results["ossagent on PostgreSQL"] = bench_ossagent(url, args.seconds)
            finally:
                drop_pg(url)
    if shutil.which("snmptrapd"):
        results["Net-SNMP snmptrapd (logging to a file)"] = bench_snmptrapd(args.seconds)
    for label, r in results.items():
        show(label, r)
    ref = results.get("Net-SNMP snmptrapd (logging to a file)", {}).get("best")
    if ref:
        for label, r in results.items():
            if label.startswith("ossagent"):
                print(f"ratio {label} / snmptrapd: {r['best'] / ref:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
