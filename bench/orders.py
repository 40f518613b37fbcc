"""Order benchmark: accepted TMF622 orders per second on SQLite and on PostgreSQL, and
order-to-completed latency percentiles with the whole agent running on the sim lab.

Accepted orders: ``place_order`` calls committed per second, each in its own database
transaction: validation, qualification against the discovered inventory (devices up, ports
free, VLAN free), decomposition into a planned provisioning transaction; no device contact.
Business Internet orders (OFF-INET-100M of the demo seed) for one customer, spread over the
customer ports of a small sim lab (imported and discovered first), each on a free VLAN. Run
sequentially and with 4 threads; the sequential run also reports the first and last 50
orders, as qualification reads every existing service. The reference, in the same database:
a bare INSERT of the same number of rows per commit (the rows one accepted order writes,
counted), so the ratio is our cost over the database's.

Order-to-completed latency: the agent (``run_agent``: scheduler, executor, fulfilment) runs on
the same lab (SQLite); orders on distinct cabled ports are placed together and each is timed
from its order date to COMPLETED (the transaction done, and a rediscovery showing the new
subinterface up). The agent runs up to 4 transactions on disjoint devices together, so
the figure includes queueing. The reference: the executor's own time per transaction in the same run.

    .venv/bin/python bench/orders.py                  # 150 orders per backend, 20 to complete
    .venv/bin/python bench/orders.py --quick          # 40 orders on SQLite, 4 to complete
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchlib import Lab, drop_pg, pct, pg_database, sim_lab  # noqa: E402
from sqlalchemy import (  # noqa: E402
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
)

from agent.config import load_settings  # noqa: E402
from agent.context import Context, open_context  # noqa: E402
from agent.importers import credentials_from_mapping  # noqa: E402
from agent.jobs.snmp import run_discovery  # noqa: E402
from agent.runtime import Runtime  # noqa: E402
from agent.scheduler import run_agent  # noqa: E402
from bss_bridge.orders import place_order  # noqa: E402
from bss_bridge.seed import DEMO_SEED, load_seed_file  # noqa: E402
from inventory.bss_models import ProductOrder  # noqa: E402
from inventory.choices import DeviceStatus, OrderState  # noqa: E402
from inventory.models import Base, Device  # noqa: E402
from inventory.provisioning_models import Transaction  # noqa: E402
from inventory.store import import_hosts  # noqa: E402
from lab import engine as lab_engine  # noqa: E402
from tests.agent_harness import Background  # noqa: E402
from tests.helpers import free_udp_port  # noqa: E402

SWITCHES, CABLED = 5, range(3, 7)  # acc0..acc4, customer ports Ethernet3..Ethernet6 cabled
PORTS = [(f"acc{d}", f"Ethernet{p}") for d in range(SWITCHES) for p in CABLED]


# ---------------------------------------------------------------------------- lab
def write_topology(path: Path) -> None:
    lines = [
        "name: orderbench",
        "topology:",
        "  defaults:",
        "    labels: {ossagent-ports: '8', role: access, site: bench}",
        "  nodes:",
        *(f"    acc{i}: {{kind: arista_ceos}}" for i in range(SWITCHES)),
        "  links:",
        *(f'    - endpoints: ["{d}:{p}", "host:cpe-{d}-{p}"]' for d, p in PORTS),
    ]
    path.write_text("\n".join(lines) + "\n")


@contextlib.contextmanager
def orders_lab(tmp: Path) -> Iterator[Lab]:
    topo = tmp / "orders.clab.yml"
    write_topology(topo)
    with sim_lab(topo, tmp / "labstate") as lab:
        yield lab


@contextlib.contextmanager
def context(db_url: str, tmp: Path, lab: Lab) -> Iterator[Context]:
    """A fresh store on ``db_url`` with the lab imported and discovered and the demo seed."""
    home = Path(tempfile.mkdtemp(prefix="home-", dir=tmp))
    os.environ["OSSAGENT_HOME"] = str(home)
    os.environ["OSSAGENT_DATABASE_URL"] = db_url
    os.environ.pop("OSSAGENT_CONFIG", None)
    # The seed's webhook contact: somewhere local and closed, never the example host.
    os.environ["ACME_WEBHOOK_URL"] = "http://127.0.0.1:9/acme"
    ctx = open_context(load_settings({"snmp_timeout_s": 1.0, "snmp_retries": 1}))
    try:
        hosts, profiles = lab_engine.hosts(lab.state)
        with ctx.begin() as s:
            import_hosts(s, hosts, {n: credentials_from_mapping(p, n) for n, p in profiles.items()})
            load_seed_file(s, DEMO_SEED)
            ids = list(s.scalars(select(Device.id)))

        async def go() -> list[Any]:
            rt = Runtime(ctx)
            try:
                return await asyncio.gather(*(run_discovery(rt, i) for i in ids))
            finally:
                rt.close()

        bad = [r.error for r in asyncio.run(go()) if not r.ok]
        if bad:
            raise RuntimeError(f"discovery failed: {bad[:3]}")
        yield ctx
    finally:
        ctx.close()


def order_body(i: int, vlan_base: int = 100) -> dict[str, Any]:
    device, port = PORTS[i % len(PORTS)]
    vlan = vlan_base + i // len(PORTS)
    return {
        "externalId": f"BENCH-{i}-{vlan_base}",
        "relatedParty": [{"id": "CUST-42", "role": "customer", "@referredType": "Customer"}],
        "billingAccount": {"id": "BA-42"},
        "productOrderItem": [
            {
                "id": "1",
                "action": "add",
                "productOffering": {"id": "OFF-INET-100M"},
                "product": {"productCharacteristic": [
                    {"name": "accessNode", "value": device}, {"name": "accessPort", "value": port},
                    {"name": "vlan", "value": vlan},
                    {"name": "ipv4Address", "value": f"10.{i // 64 % 256}.{vlan_base % 256}.{(i % 64) * 4 + 1}/30"},
                ]},
            }
        ],
    }  # fmt: skip


# ---------------------------------------------------------------------------- accepted orders/s
def row_count(ctx: Context) -> int:
    with ctx.engine.connect() as c:
        return sum(
            int(c.execute(select(func.count()).select_from(t)).scalar() or 0)
            for t in Base.metadata.sorted_tables
        )


def place(ctx: Context, indices: list[int], vlan_base: int, times: list[float], errors: list[str]) -> None:
    for i in indices:
        try:
            with ctx.begin() as s:
                place_order(
                    s, order_body(i, vlan_base), idempotency_key=f"bench-{vlan_base}-{i}", user="bench"
                )
            times.append(time.perf_counter())
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")


@dataclass
class Accepted:
    backend: str
    n: int
    seq_rate: float
    window: int  # orders in the first/last window
    first_rate: float
    last_rate: float
    threads_rate: float
    errors: int
    first_error: str
    rows_per_order: float
    ref_rate: float


def rate_of(times: list[float], start: float) -> float:
    return len(times) / (times[-1] - start) if times else 0.0


def bare_inserts(ctx: Context, orders: int, rows_per_order: int) -> float:
    """Orders/s if an order were just its rows: one commit per order, one INSERT per row."""
    meta = MetaData()
    t = Table("bench_ref", meta, Column("id", Integer, primary_key=True, autoincrement=True),
              Column("kind", String(32)), Column("body", Text))  # fmt: skip
    meta.create_all(ctx.engine)
    body = "x" * 400
    try:
        t0 = time.perf_counter()
        for i in range(orders):
            with ctx.engine.begin() as c:
                for r in range(rows_per_order):
                    c.execute(insert(t).values(kind=f"k{r}", body=f"{i}{body}"))
        return orders / (time.perf_counter() - t0)
    finally:
        meta.drop_all(ctx.engine)


def bench_accepted(backend: str, db_url: str, tmp: Path, lab: Lab, n: int) -> Accepted:
    with context(db_url, tmp, lab) as ctx:
        rows0 = row_count(ctx)
        times: list[float] = []
        errors: list[str] = []
        start = time.perf_counter()
        place(ctx, list(range(n)), 100, times, errors)
        rows_per = (row_count(ctx) - rows0) / max(1, len(times))
        seq = rate_of(times, start)
        k = min(50, len(times) // 2)
        first = k / (times[k - 1] - start) if k else 0.0
        last = k / (times[-1] - times[-k - 1]) if k else 0.0
        # 4 threads, each its own sessions, on fresh VLANs.
        times4: list[float] = []
        start4 = time.perf_counter()
        chunks = [list(range(j, n, 4)) for j in range(4)]
        threads = [threading.Thread(target=place, args=(ctx, c, 1000, times4, errors)) for c in chunks]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        thr = len(times4) / (max(times4) - start4) if times4 else 0.0
        ref = bare_inserts(ctx, n, max(1, round(rows_per)))
        return Accepted(
            backend, n, seq, k, first, last, thr, len(errors), errors[0] if errors else "", rows_per, ref
        )


# ---------------------------------------------------------------------------- order to completed
@dataclass
class Completion:
    total_s: list[float]
    queue_s: list[float]  # placed -> its transaction started
    tx_s: list[float]  # transaction started -> done
    verify_s: list[float]  # transaction done -> order completed
    failed: list[str]
    wall_s: float


def _all_up(ctx: Context) -> bool:
    with ctx.begin() as s:
        devices = list(s.scalars(select(Device)))
        return bool(devices) and all(
            d.last_polled is not None and d.status is DeviceStatus.UP for d in devices
        )


def bench_completion(tmp: Path, lab: Lab, count: int) -> Completion:
    with context(f"sqlite:///{tmp / 'agent.db'}", tmp, lab) as ctx:
        # The cadence the end-to-end test uses (tests/e2e/test_sim_bss.py).
        ctx.settings = replace(
            ctx.settings, poll_interval_s=2, reconcile_interval_s=1, snmp_timeout_s=1.0, snmp_retries=1,
            trap_host="127.0.0.1", trap_port=free_udp_port(), fault_settle_s=1.0,
        )  # fmt: skip
        bg = Background(ctx, run_agent)
        try:
            deadline = time.monotonic() + 60
            while not _all_up(ctx):
                if time.monotonic() > deadline:
                    raise RuntimeError("the agent did not poll every device within 60 s")
                time.sleep(0.2)
            ids = []
            t0 = time.perf_counter()
            for i in range(count):
                with ctx.begin() as s:
                    ids.append(place_order(s, order_body(i, 300), idempotency_key=None, user="bench").id)
            deadline = time.monotonic() + 120 + 10 * count
            while time.monotonic() < deadline:
                with ctx.begin() as s:
                    states = list(s.scalars(select(ProductOrder.state).where(ProductOrder.id.in_(ids))))
                if all(st in (OrderState.COMPLETED, OrderState.FAILED) for st in states):
                    break
                time.sleep(0.1)
            wall = time.perf_counter() - t0
            out = Completion([], [], [], [], [], wall)
            with ctx.begin() as s:
                for oid in ids:
                    o = s.get(ProductOrder, oid)
                    assert o is not None
                    if o.state is not OrderState.COMPLETED:
                        out.failed.append(
                            f"{oid} {o.state.value}: {'; '.join(i.error or '' for i in o.items)}"
                        )
                        continue
                    tx = s.get(Transaction, o.items[0].transaction_id)
                    assert tx is not None and tx.started_at is not None and tx.finished_at is not None
                    out.total_s.append((o.state_changed - o.order_date).total_seconds())
                    out.queue_s.append((tx.started_at - o.order_date).total_seconds())
                    out.tx_s.append((tx.finished_at - tx.started_at).total_seconds())
                    out.verify_s.append((o.state_changed - tx.finished_at).total_seconds())
            return out
        finally:
            bg.close()


# ---------------------------------------------------------------------------- PostgreSQL
# ---------------------------------------------------------------------------- report
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="40 orders on SQLite only, 4 to complete")
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default=None)
    ap.add_argument("--orders", type=int, help="orders placed per backend (default 150)")
    ap.add_argument("--complete", type=int, help=f"orders to complete on the lab (default {len(PORTS)})")
    args = ap.parse_args()
    n = args.orders or (40 if args.quick else 150)
    count = min(len(PORTS), args.complete or (4 if args.quick else len(PORTS)))
    backend = args.backend or ("sqlite" if args.quick else "both")
    logging.basicConfig(level=logging.ERROR)
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="orderbench-"))
    accepted: list[Accepted] = []
    completion: Completion | None = None
    try:
        with orders_lab(tmp) as lab:
            if backend in ("sqlite", "both"):
                accepted.append(bench_accepted("SQLite", f"sqlite:///{tmp / 'orders.db'}", tmp, lab, n))
            if backend in ("postgresql", "both"):
                url = pg_database("ossagent_orders")
                if url:
                    try:
                        accepted.append(bench_accepted("PostgreSQL", url, tmp, lab, n))
                    finally:
                        drop_pg(url)
            if count:
                completion = bench_completion(tmp, lab, count)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(
        f"\naccepted orders/s (place_order committed; {n} Business Internet orders on {len(PORTS)} customer ports)"
    )
    k = accepted[0].window if accepted else 0
    print(
        f"{'backend':<11} {'seq/s':>7} {f'first {k}/s':>11} {f'last {k}/s':>10} {'4 thr/s':>8} {'errors':>6} "
        f"{'rows/order':>10} {'bare INSERT orders/s':>20} {'ratio':>6}"
    )
    for a in accepted:
        print(
            f"{a.backend:<11} {a.seq_rate:>7.1f} {a.first_rate:>11.1f} {a.last_rate:>10.1f} {a.threads_rate:>8.1f} "
            f"{a.errors:>6} {a.rows_per_order:>10.1f} {a.ref_rate:>20.1f} {a.ref_rate / a.seq_rate:>6.1f}"
        )
        if a.first_error:
            print(f"            first error: {a.first_error}")
    print(
        f"(seq: orders 1..{n} one after another; 4 thr: {n} more on top, so against {n}..{2 * n} existing "
        "services; bare INSERT: the same rows per order, one commit per order)"
    )
    for a in accepted:
        print(f"ratio {a.backend} bare INSERT / place_order (sequential): {a.ref_rate / a.seq_rate:.1f}")
    if completion is not None:
        c = completion
        print(
            f"\norder-to-completed on the sim lab (agent running on SQLite; {count} orders placed together on distinct "
            "cabled ports;\npoll_interval_s=2, reconcile_interval_s=1 as in tests/e2e/test_sim_bss.py; "
            "up to 4 transactions at once)"
        )
        print(f"{'':<22} {'p50 s':>7} {'p95 s':>7} {'max s':>7}")
        for label, xs in (
            ("placed -> completed", c.total_s),
            ("  queued (tx waits)", c.queue_s),
            ("  transaction", c.tx_s),
            ("  tx done -> verified", c.verify_s),
        ):
            print(
                f"{label:<22} {pct(xs, 0.5):>7.2f} {pct(xs, 0.95):>7.2f} {max(xs, default=float('nan')):>7.2f}"
            )
        print(f"completed {len(c.total_s)}/{count} in {c.wall_s:.1f} s")
        for f in c.failed[:5]:
            print(f"  not completed: {f}")
        if c.tx_s:
            print(
                f"ratio order-to-completed p50 / transaction p50: {pct(c.total_s, 0.5) / pct(c.tx_s, 0.5):.1f}"
            )
    print(f"orders bench total {time.perf_counter() - started:.0f} s")
    return 1 if completion is not None and completion.failed else 0


if __name__ == "__main__":
    sys.exit(main())
