"""Scale-out benchmark: real `ossagent worker` processes (Celery on RabbitMQ) polling a
simulated lab into a scratch PostgreSQL database, against the single-process agent's own job
function in the same run; then a worker SIGKILLed mid-cycle and the time until the jobs it held
are done by the others, each applied once.

Setup: N simulated devices of 50 interfaces (bench/sim_responder.write_topology), imported and
discovered in-process, then one in-process poll cycle (not measured) so that every measured
cycle computes rates against a previous sample, as in steady state.

Throughput (devices polled per second, all N devices once):
  - reference, no broker: ``agent.jobs.snmp.run_poll`` for every device in this process,
    all fired together as the agent's scheduler does when they fall due (fast poller, pool
    overflow) and one at a time (the shape of one worker process: one job at a time);
  - 1, 2 and 4 ``ossagent worker --concurrency 1`` processes (prefork: the worker and one
    child that runs the jobs) on one queue; the jobs are enqueued as the scheduler does with a
    broker (``BrokerDispatcher.enqueue_device_job``: a job-ledger row, then the message), and
    the cycle ends when the ledger has every job done; it also checks that each job ran once
    (attempts 1) and wrote one sample per interface.
  - the empty task: deliveries of jobs the ledger already has done (the redelivery of an
    applied job), which the worker acknowledges after one ledger read and runs nothing: the
    floor of the engine's per-task cost (broker round trip + one claim transaction).

Takeover: 2 workers serving a set of devices on a schedule (every device every ``--interval``
seconds, enqueues spread evenly over the interval through ``send_device_job``, the scheduler's
path with the once-per-interval guard), as many devices as half of what the two can do; their
replies are delayed ``--delay-ms`` (100 ms, the sim's slow fault), so that a poll is in flight
for a while. In the middle of the second cycle the worker that has just claimed a poll (the
ledger shows it running, started under 50 ms ago: nothing written yet) is SIGKILLed, process
group and all. The jobs it held (delivered, unacknowledged) are the ones redelivered (ledger
attempts 2); we print the time from the kill until the last of them was done by the survivor,
the poll lag per cycle, the broker's redelivery settings that bound it, and the once-only
counts: every job done once, samples = done jobs x interfaces (none twice, none missing).

The machine's core count is printed: the workers, the simulator, PostgreSQL and RabbitMQ share
them, so more worker processes than cores shows the ceiling, not scaling.

    .venv/bin/python bench/workers.py                   # 200 devices; 1, 2, 4 workers; takeover
    .venv/bin/python bench/workers.py --quick           # 20 devices; 1 and 2 workers; short takeover
    .venv/bin/python bench/workers.py --devices 300 --workers 1 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchlib import Lab, drop_pg, pct, pg_database, sim_lab  # noqa: E402
from kombu.connection import Connection  # noqa: E402
from sim_responder import write_topology  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402

from agent.config import load_settings, with_overrides  # noqa: E402
from agent.context import Context, open_context  # noqa: E402
from agent.importers import credentials_from_mapping  # noqa: E402
from agent.jobs.snmp import close_fast_poller, run_discovery, run_poll  # noqa: E402
from agent.runtime import Runtime  # noqa: E402
from agent.worker.dispatch import BrokerDispatcher  # noqa: E402
from agent.worker.tasks import DEVICE_TASK  # noqa: E402
from inventory.models import Device, Interface, InterfaceSample  # noqa: E402
from inventory.scale_models import JobLedger, JobState  # noqa: E402
from inventory.store import import_hosts  # noqa: E402
from inventory.types import utcnow  # noqa: E402
from lab import engine as lab_engine  # noqa: E402
from lab.procs import kill_group  # noqa: E402

AMQP_URL = os.environ.get("OSSAGENT_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
OSSAGENT = str(Path(sys.executable).with_name("ossagent"))
PORTS = 48  # + management + loopback = 50 interfaces
SETTLED = (JobState.DONE.value, JobState.PARKED.value)
PR_SET_PDEATHSIG = 1
CLK_TCK = os.sysconf("SC_CLK_TCK")
R = TypeVar("R")


# ----------------------------------------------------------------------------- helpers
def amqp(timeout: float = 5) -> Any:
    """A kombu connection to the broker (kombu has no type hints)."""
    return Connection(AMQP_URL, connect_timeout=timeout)  # type: ignore[no-untyped-call]


def cores() -> int:
    return len(os.sched_getaffinity(0))


def busy_cpu_s() -> float:
    """CPU seconds the whole machine spent busy (every process, ours or not), from /proc/stat."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    ticks = [int(x) for x in fields]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks[:8]) - idle) / CLK_TCK


def _procs() -> dict[int, tuple[int, int, str, float]]:
    """pid -> (parent, process group, command, CPU seconds) of every process."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            raw = Path(f"/proc/{d}/stat").read_bytes()
        except OSError:
            continue
        comm = raw[raw.find(b"(") + 1 : raw.rfind(b")")].decode(errors="replace")
        f = raw[raw.rfind(b")") + 2 :].split()
        out[int(d)] = (int(f[1]), int(f[2]), comm, (int(f[11]) + int(f[12])) / CLK_TCK)
    return out


@dataclass
class Meter:
    """CPU of the stack under test, apart from whatever else runs on the machine: this process
    and its children (the in-process poller pool), the workers' process groups, the simulator,
    the PostgreSQL backends of the scratch database and RabbitMQ (beam.smp)."""

    bed: Bed
    groups: list[int] = field(default_factory=list)
    start: dict[int, float] = field(default_factory=dict)
    machine: float = 0.0

    def _ours(self) -> dict[int, float]:
        with self.bed.ctx.begin() as s:
            backends = set(
                s.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"))
            )
        me = os.getpid()
        sim = {self.bed.lab.state.pid, *self.bed.lab.state.worker_pids}
        return {
            pid: cpu
            for pid, (ppid, pgrp, comm, cpu) in _procs().items()
            if pid == me
            or ppid in (me, *sim)
            or pgrp in self.groups
            or pid in sim
            or pid in backends
            or comm == "beam.smp"
        }

    def begin(self) -> Meter:
        self.start, self.machine = self._ours(), busy_cpu_s()
        return self

    def read(self) -> tuple[float, float]:
        """(our CPU seconds, everything else's) since the start."""
        ours = sum(cpu - self.start.get(pid, 0.0) for pid, cpu in self._ours().items())
        return ours, max(0.0, busy_cpu_s() - self.machine - ours)


def secs(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds()


def _die_with_parent() -> None:
    """In the worker, before exec: SIGKILL it if this benchmark dies without cleaning up."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def rabbitmq_consumer_timeout() -> str:
    """RabbitMQ's consumer_timeout as the broker reports it (needs rabbitmqctl and its cookie)."""
    if not shutil.which("rabbitmqctl"):
        return "unknown (no rabbitmqctl here; RabbitMQ's default is 30 min)"
    try:
        r = subprocess.run(
            ["rabbitmqctl", "eval", "application:get_env(rabbit, consumer_timeout)."],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown (rabbitmqctl did not answer; RabbitMQ's default is 30 min)"
    out = r.stdout.strip()
    if out.startswith("{ok,") and out.endswith("}"):
        ms = int(out[4:-1])
        return f"{ms / 60000:g} min"
    if out == "undefined":
        return "none (disabled)"
    return "unknown (RabbitMQ's default is 30 min)"


@dataclass
class Bed:
    """What every phase shares: the lab, the database, the broker queue, the devices."""

    ctx: Context
    lab: Lab
    home: Path
    db_url: str
    queue: str
    ids: list[int]
    interfaces: dict[int, int]  # device id -> interfaces present

    @property
    def expected_samples(self) -> int:
        return sum(self.interfaces.values())

    def samples(self) -> int:
        with self.ctx.begin() as s:
            return int(s.scalar(select(func.count()).select_from(InterfaceSample)) or 0)

    def jobs(self, job_ids: list[str]) -> list[JobLedger]:
        rows: list[JobLedger] = []
        with self.ctx.begin() as s:
            for i in range(0, len(job_ids), 500):
                rows += s.scalars(select(JobLedger).where(JobLedger.job_id.in_(job_ids[i : i + 500])))
            s.expunge_all()
        return rows

    def settled(self, job_ids: list[str]) -> int:
        n = 0
        with self.ctx.begin() as s:
            for i in range(0, len(job_ids), 500):
                n += int(
                    s.scalar(
                        select(func.count())
                        .select_from(JobLedger)
                        .where(JobLedger.job_id.in_(job_ids[i : i + 500]), JobLedger.state.in_(SETTLED))
                    )
                    or 0
                )
        return n

    def dispatcher(self) -> BrokerDispatcher:
        settings = with_overrides(self.ctx.settings, broker_url=AMQP_URL, worker_queue=self.queue)
        return BrokerDispatcher(Runtime(Context(settings, self.ctx.engine, self.ctx.sessions)))


def wait_until(pred: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# ----------------------------------------------------------------------------- workers
@dataclass
class Workers:
    """`ossagent worker` processes, each in its own session (process group: the worker and its
    pool child), stopped (or killed) group and all."""

    bed: Bed
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)
    ready_s: float = 0.0

    def start(self, n: int, **env: str) -> None:
        base = {k: v for k, v in os.environ.items() if not k.startswith("OSSAGENT_")}
        base.update(
            OSSAGENT_HOME=str(self.bed.home),
            OSSAGENT_DATABASE_URL=self.bed.db_url,
            OSSAGENT_BROKER_URL=AMQP_URL,
            OSSAGENT_WORKER_QUEUE=self.bed.queue,
            OSSAGENT_TRAPS="false",
            **env,
        )
        first = len(self.procs)
        t0 = time.monotonic()
        for i in range(first, first + n):
            log = self.bed.home / f"worker-{i}.out"
            with log.open("wb") as out:
                p = subprocess.Popen(
                    [OSSAGENT, "worker", "--queues", self.bed.queue, "--concurrency", "1"],
                    env=base,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=_die_with_parent,  # a prctl only: safe before exec
                )
            self.procs.append(p)
            self.logs.append(log)

        def ready() -> bool:
            for p, log in zip(self.procs[first:], self.logs[first:], strict=True):
                if p.poll() is not None:
                    raise RuntimeError(f"worker exited {p.returncode}:\n{log.read_text()[-3000:]}")
            return all(" ready." in log.read_text(errors="replace") for log in self.logs[first:])

        wait_until(
            ready,
            90,
            "the workers to be ready",
            0.2,
        )
        self.ready_s = time.monotonic() - t0

    def group_of(self, pid: int) -> subprocess.Popen[bytes] | None:
        """The worker whose process group holds ``pid`` (a pool child)."""
        try:
            pgid = os.getpgid(pid)
        except ProcessLookupError:
            return None
        return next((p for p in self.procs if p.pid == pgid), None)

    def kill(self, p: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        kill_group(p, sig, wait_s=20)

    def stop_all(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGTERM)  # warm shutdown: the running job finishes
        for p in self.procs:
            self.kill(p, signal.SIGTERM)
        self.procs.clear()
        self.logs.clear()


@contextlib.contextmanager
def workers(bed: Bed, n: int) -> Iterator[Workers]:
    w = Workers(bed)
    try:
        w.start(n)
        yield w
    finally:
        w.stop_all()


# ----------------------------------------------------------------------------- setup
@contextlib.contextmanager
def testbed(n: int, tmp: Path, db_url: str) -> Iterator[Bed]:
    topo = tmp / "workers.clab.yml"
    write_topology(topo, n, ports=PORTS)
    home = tmp / "home"
    os.environ["OSSAGENT_HOME"] = str(home)
    os.environ["OSSAGENT_DATABASE_URL"] = db_url
    for var in ("OSSAGENT_CONFIG", "OSSAGENT_BROKER_URL", "OSSAGENT_KEY_FILE"):
        os.environ.pop(var, None)
    queue = f"ossagent-bench-{uuid.uuid4().hex[:8]}"
    with sim_lab(topo, tmp / "labstate") as lab:
        ctx = open_context(load_settings())
        try:
            hosts, profiles = lab_engine.hosts(lab.state)
            # No site (the default queue: ours), no config access (no SSH host keys to learn).
            hosts = [dataclasses.replace(h, site="", config_access=None, mgmt_via=()) for h in hosts]
            with ctx.begin() as s:
                import_hosts(s, hosts, {k: credentials_from_mapping(p, k) for k, p in profiles.items()})
                ids = list(s.scalars(select(Device.id).order_by(Device.id)))
            t0 = time.monotonic()
            # Discovery is setup, not measured: a longer timeout, as the simulator is busy.
            slow = Context(with_overrides(ctx.settings, snmp_timeout_s=3.0), ctx.engine, ctx.sessions)
            bad = [r.error for r in asyncio.run(_each(slow, ids, run_discovery)) if not r.ok]
            if bad:
                raise RuntimeError(f"discovery failed on {len(bad)} devices: {bad[:3]}")
            with ctx.begin() as s:
                interfaces = {
                    int(d): int(c)
                    for d, c in s.execute(
                        select(Interface.device_id, func.count())
                        .where(Interface.present.is_(True))
                        .group_by(Interface.device_id)
                    )
                }
            bed = Bed(ctx, lab, home, db_url, queue, ids, interfaces)
            inproc(bed, concurrent=True)  # the first poll has no previous sample: not steady state
            print(
                f"setup: {n} devices x {PORTS + 2} interfaces, imported and discovered in "
                f"{time.monotonic() - t0:.0f} s, one unmeasured poll cycle",
                flush=True,
            )
            yield bed
        finally:
            ctx.close()
            _delete_queue(queue)


def _delete_queue(queue: str) -> None:
    with contextlib.suppress(Exception), amqp() as conn:
        ch = conn.default_channel
        with contextlib.suppress(Exception):
            ch.queue_purge(queue)
        with contextlib.suppress(Exception):
            ch.queue_delete(queue)


async def _each(ctx: Context, ids: list[int], job: Callable[[Runtime, int], Awaitable[R]]) -> list[R]:
    """``job`` for every device at once in one runtime, as the scheduler fires due jobs."""
    rt = Runtime(ctx)
    try:
        return list(await asyncio.gather(*(job(rt, i) for i in ids)))
    finally:
        await close_fast_poller(rt)
        rt.close()


# ----------------------------------------------------------------------------- throughput
@dataclass
class Round:
    label: str
    devices: int
    elapsed: float
    cpu: float  # CPU seconds of the stack under test (Meter) over the round
    others: float  # CPU seconds of everything else on the machine meanwhile
    errors: int = 0
    note: str = ""
    start_s: float = 0.0  # the workers' start, until all were ready

    @property
    def rate(self) -> float:
        return self.devices / self.elapsed if self.elapsed > 0 else 0.0


def inproc(bed: Bed, concurrent: bool) -> Round:
    """The single-process agent's job function, no broker and no ledger."""

    async def go() -> tuple[float, float, float, int, int]:
        rt = Runtime(bed.ctx)
        try:
            meter = Meter(bed).begin()
            t0 = time.monotonic()
            if concurrent:
                results = list(await asyncio.gather(*(run_poll(rt, i) for i in bed.ids)))
            else:
                results = [await run_poll(rt, i) for i in bed.ids]
            elapsed = time.monotonic() - t0
            cpu, others = meter.read()  # before the poller pool's processes go
            return elapsed, cpu, others, sum(1 for r in results if not r.ok), sum(r.samples for r in results)
        finally:
            await close_fast_poller(rt)
            rt.close()

    elapsed, cpu, others, errors, samples = asyncio.run(go())
    label = "in-process, all due at once" if concurrent else "in-process, one at a time"
    note = "" if samples == bed.expected_samples else f"samples {samples}/{bed.expected_samples}"
    return Round(label, len(bed.ids), elapsed, cpu, others, errors, note)


def enqueue_all(d: BrokerDispatcher, ids: list[int]) -> list[str]:
    out = []
    for i in ids:
        job = d.enqueue_device_job("poll", i)
        if job is None:
            raise RuntimeError(f"could not send the poll of device {i} to the broker")
        out.append(job)
    return out


@dataclass
class Empty:
    tasks: int
    rate: float  # tasks/s until the queue drained
    publish_rate: float
    publish_bound: bool  # the queue never filled: the figure is the publisher's


def empty_tasks(bed: Bed, d: BrokerDispatcher, m: int) -> Empty:
    """Deliveries of jobs the ledger has done: the worker claims (one transaction: the row read
    for update, found done), logs and acknowledges; nothing runs."""
    now = utcnow()
    ids = [f"bench-noop:{uuid.uuid4().hex}" for _ in range(m)]
    with bed.ctx.begin() as s:
        s.execute(
            insert(JobLedger),
            [
                {
                    "job_id": j,
                    "kind": "poll",
                    "queue": bed.queue,
                    "args": {},
                    "state": JobState.DONE.value,
                    "attempts": 1,
                    "enqueued_by": "bench",
                    "enqueued_at": now,
                    "finished_at": now,
                }
                for j in ids
            ],
        )
    with amqp() as conn:
        ch = conn.channel()

        def depth() -> int:
            return int(ch.queue_declare(bed.queue, passive=True).message_count)

        t0 = time.monotonic()
        for j in ids:
            d.app.send_task(DEVICE_TASK, args=[j, "poll", bed.ids[0]], queue=bed.queue)
        published = time.monotonic() - t0
        left = depth()
        wait_until(lambda: depth() == 0, 60 + m / 20, "the empty tasks to drain", 0.005)
        drained = time.monotonic() - t0
    return Empty(m, m / drained, m / published, left < m // 10)


def worker_round(bed: Bed, k: int, empty: int) -> tuple[Round, Empty, float]:
    with workers(bed, k) as w:
        d = bed.dispatcher()
        try:
            # Each pool child opens its database engine, SNMP socket and event loop on its first job.
            warm = enqueue_all(d, bed.ids[: 2 * k])
            wait_until(lambda: bed.settled(warm) == len(warm), 60, "the warm-up polls")
            meter = Meter(bed, [p.pid for p in w.procs]).begin()
            s0, t0, m0 = bed.samples(), utcnow(), time.monotonic()
            jobs = enqueue_all(d, bed.ids)
            enqueue_rate = len(jobs) / (time.monotonic() - m0)
            wait_until(
                lambda: bed.settled(jobs) == len(jobs),
                120 + len(jobs),
                f"{len(jobs)} polls on {k} workers",
                0.05,
            )
            cpu, others = meter.read()
            rows = bed.jobs(jobs)
            end = max(r.finished_at or t0 for r in rows)
            notes = []
            not_done = sum(1 for r in rows if r.state != JobState.DONE.value)
            twice = sum(1 for r in rows if r.attempts != 1)
            written = bed.samples() - s0
            if not_done or twice:
                notes.append(f"{not_done} not done, {twice} with attempts != 1")
            if written != bed.expected_samples:
                notes.append(f"samples {written}/{bed.expected_samples}")
            label = f"{k} worker{'s' if k > 1 else ''} (RabbitMQ)"
            r = Round(label, len(jobs), secs(t0, end), cpu, others, not_done, "; ".join(notes), w.ready_s)
            e = empty_tasks(bed, d, empty)
            return r, e, enqueue_rate
        finally:
            d.close()
            d.rt.close()


# ----------------------------------------------------------------------------- takeover
@dataclass
class Kill:
    at: datetime
    victim: int  # the worker's pid (its process group)
    running: str  # the job the ledger showed running in it at the kill ("" if none)


@dataclass
class Takeover:
    devices: int
    interval: float
    cycles: int
    delay_ms: int  # every reply of these devices is delayed this much (the sim's slow fault)
    kill: Kill
    sent: list[tuple[int, str]]  # (cycle, job id)
    skipped: int  # refused by the once-per-interval guard
    rows: list[JobLedger]
    samples: dict[int, int]  # device id -> samples written during the run


def _kill_running_worker(bed: Bed, w: Workers, since: datetime, fresh_s: float) -> Kill:
    """SIGKILL the worker (process group) that the ledger shows starting a poll right now:
    claimed less than ``fresh_s`` ago, so it is still waiting for the (delayed) device reply
    and has written nothing yet."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with bed.ctx.begin() as s:
            running = list(
                s.execute(
                    select(JobLedger.job_id, JobLedger.worker, JobLedger.started_at).where(
                        JobLedger.state == JobState.RUNNING.value, JobLedger.enqueued_at >= since
                    )
                )
            )
        now = utcnow()
        for job_id, worker, started in running:
            p = w.group_of(int(worker.rsplit(":", 1)[1]))
            if p is not None and started is not None and secs(started, now) < fresh_s:
                at = utcnow()
                os.killpg(p.pid, signal.SIGKILL)
                return Kill(at, p.pid, job_id)
        time.sleep(0.002)
    p = w.procs[0]  # idle workers all the while: kill one anyway (it holds nothing)
    at = utcnow()
    os.killpg(p.pid, signal.SIGKILL)
    return Kill(at, p.pid, "")


def _slow(bed: Bed, devices: list[int], delay_ms: int) -> None:
    with bed.ctx.begin() as s:
        names = list(s.scalars(select(Device.name).where(Device.id.in_(devices))))
    for name in names:
        lab_engine.fault(bed.lab.root, {"op": "slow", "node": name, "delay_ms": delay_ms}, bed.lab.state.name)


def takeover(bed: Bed, k: int, n_workers: int, interval: float, delay_ms: int, cycles: int = 3) -> Takeover:
    devs = bed.ids[:k]
    _slow(bed, devs, delay_ms)
    with workers(bed, n_workers) as w:
        d = bed.dispatcher()
        try:
            since = utcnow()
            sent: list[tuple[int, str]] = []
            skipped = 0
            kills: list[Kill] = []
            start = time.monotonic() + 0.2
            killer = threading.Timer(
                start + 1.5 * interval - time.monotonic(),
                lambda: kills.append(_kill_running_worker(bed, w, since, delay_ms / 2000)),
            )
            killer.start()
            try:
                for c in range(cycles):
                    for j, dev in enumerate(devs):
                        due = start + c * interval + j * interval / len(devs)
                        time.sleep(max(0.0, due - time.monotonic()))
                        job = d.send_device_job("poll", dev, int(interval))
                        if job is None:
                            skipped += 1
                        else:
                            sent.append((c, job))
            finally:
                killer.join()
            ids = [j for _, j in sent]
            wait_until(lambda: bed.settled(ids) == len(ids), 60 + len(ids), "the takeover run's polls", 0.05)
            with bed.ctx.begin() as s:
                samples = {
                    int(dev): int(n)
                    for dev, n in s.execute(
                        select(Interface.device_id, func.count())
                        .select_from(InterfaceSample)
                        .join(Interface)
                        .where(InterfaceSample.ts >= since)
                        .group_by(Interface.device_id)
                    )
                }
            return Takeover(k, interval, cycles, delay_ms, kills[0], sent, skipped, bed.jobs(ids), samples)
        finally:
            d.close()
            d.rt.close()


# ----------------------------------------------------------------------------- report
def report_throughput(
    n: int, rounds: list[Round], empties: dict[int, Empty], enqueue: list[float], k_max: int
) -> None:
    ncores = cores()
    print(
        f"\n== polling throughput: {n} devices x {PORTS + 2} interfaces, PostgreSQL; "
        f"this machine has {ncores} core{'s' if ncores > 1 else ''} =="
    )
    print(
        f"(workers, simulator, PostgreSQL and RabbitMQ share the {ncores} cores: "
        f"{k_max} workers on {ncores} cores show the ceiling, not scaling)"
    )
    ref = next(r for r in rounds if r.label.startswith("in-process, all"))
    seq = next(r for r in rounds if r.label.startswith("in-process, one"))
    print(
        f"{'':<30}{'devices':>8}{'wall s':>8}{'dev/s':>8}{'cpu ms/dev':>11}{'ours %':>8}{'others %':>9}"
        f"{'vs in-proc':>11}"
    )
    for r in rounds:
        ours = 100 * r.cpu / r.elapsed / ncores if r.elapsed else 0.0
        others = 100 * r.others / r.elapsed / ncores if r.elapsed else 0.0
        print(
            f"{r.label:<30}{r.devices:>8}{r.elapsed:>8.2f}{r.rate:>8.1f}{1000 * r.cpu / r.devices:>11.1f}"
            f"{ours:>7.0f}%{others:>8.0f}%{r.rate / ref.rate:>10.2f}x" + (f"  ({r.note})" if r.note else "")
        )
    print(
        "cpu ms/dev and ours %: this stack (agent or workers, simulator, its PostgreSQL backends, "
        f"RabbitMQ) over the round, % of {ncores} cores; others %: the rest of the machine meanwhile"
    )
    if enqueue:
        print(f"enqueue (ledger row + publish, one thread): {sum(enqueue) / len(enqueue):.0f} jobs/s")
    for k, e in empties.items():
        bound = " (bounded by the publisher: the queue never filled)" if e.publish_bound else ""
        print(
            f"empty task (delivery of a job already done: claim, ack) on {k} worker{'s' if k > 1 else ''}: "
            f"{e.rate:.0f} tasks/s over {e.tasks} tasks{bound}; publishing {e.publish_rate:.0f}/s"
        )
    one = next((r for r in rounds if r.label.startswith("1 worker")), None)
    if one is not None:
        print(
            f"ratio 1 worker / in-process one at a time: {one.rate / seq.rate:.2f} "
            f"(engine overhead {1000 / one.rate - 1000 / seq.rate:+.1f} ms per job)"
        )
    for r in rounds:
        if "worker" in r.label:
            print(f"ratio {r.label} / in-process all due at once: {r.rate / ref.rate:.2f}")


def report_takeover(t: Takeover, n_workers: int, interfaces: dict[int, int]) -> None:
    rows = {r.job_id: r for r in t.rows}
    kill = t.kill
    print(
        f"\n== takeover: {n_workers} workers, {t.devices} devices each every {t.interval:g} s "
        f"(enqueues spread over the interval), replies delayed {t.delay_ms} ms, {t.cycles} cycles; "
        "SIGKILL of a worker mid-poll in cycle 2 =="
    )
    held = [r for r in t.rows if r.attempts >= 2]
    print(
        f"killed worker {kill.victim} "
        + (f"while it ran {kill.running}" if kill.running else "(it was idle: held nothing)")
    )
    if held:
        redelivered = min(secs(kill.at, r.started_at or kill.at) for r in held)
        took = max(secs(kill.at, r.finished_at or kill.at) for r in held)
        by = sorted({r.worker for r in held})
        print(
            f"jobs it held (delivered, unacknowledged; redelivered): {len(held)}; "
            f"claimed again after {1000 * redelivered:.0f} ms, done by {', '.join(by)} "
            f"{1000 * took:.0f} ms after the kill (takeover time)"
        )
    else:
        print("jobs it held: none redelivered (the kill fell between two jobs)")
    by_cycle: dict[int, list[float]] = {}
    kill_cycle = 1
    for c, job in t.sent:
        r = rows[job]
        if r.finished_at is not None:
            by_cycle.setdefault(c, []).append(secs(r.enqueued_at, r.finished_at))
    lags = ", ".join(
        f"cycle {c + 1}{' (kill)' if c == kill_cycle else ''} {pct(v, 0.5):.2f}/{max(v):.2f}"
        for c, v in sorted(by_cycle.items())
    )
    print(f"poll lag enqueue -> done, p50/max s: {lags}")
    done = [r for r in t.rows if r.state == JobState.DONE.value]
    parked = sum(1 for r in t.rows if r.state == JobState.PARKED.value)
    attempts = Counter(r.attempts for r in t.rows)
    per_device = Counter(r.device_id for r in done)
    expected = {dev: n * interfaces[dev] for dev, n in per_device.items() if dev is not None}
    dup = sum(max(0, t.samples.get(dev, 0) - e) for dev, e in expected.items())
    missing = sum(max(0, e - t.samples.get(dev, 0)) for dev, e in expected.items())
    extra = sum(n for dev, n in t.samples.items() if dev not in expected)
    print(
        f"once-only: {len(t.sent)} jobs enqueued ({t.skipped} refused by the interval guard), "
        f"{len(done)} done, {parked} parked; attempts {dict(sorted(attempts.items()))}; "
        f"samples {sum(t.samples.values())} = done jobs x interfaces {sum(expected.values())}: "
        f"{dup + extra} duplicated, {missing} missing"
    )

    print(
        "what bounds it (RabbitMQ): tasks ack late and reject on worker loss, prefetch 1 per pool "
        "process, so a worker holds only the job it runs; SIGKILL closes its connection and the "
        "broker requeues that message at once. "
        f"consumer_timeout {rabbitmq_consumer_timeout()} and the AMQP heartbeat "
        f"({HEARTBEAT_S:g} s, Celery's default) bound only a consumer that hangs or a host that "
        "vanishes without closing its connection. (Redis would hold the message until "
        "OSSAGENT_BROKER_VISIBILITY_TIMEOUT, 3600 s by default, plus kombu's restore sweep.)"
    )


HEARTBEAT_S = 120.0


# ----------------------------------------------------------------------------- main
def _unreachable() -> str | None:
    try:
        with amqp(3) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:
        return f"RabbitMQ at {AMQP_URL} unreachable ({exc.__class__.__name__})"
    return None


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # run the finally blocks: workers, queue, database, lab


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="20 devices, 1 and 2 workers, a short takeover")
    ap.add_argument("--devices", type=int, default=None, help="simulated devices (default 200; quick 20)")
    ap.add_argument("--workers", type=int, action="append", help="worker counts (default 1 2 4; quick 1 2)")
    ap.add_argument(
        "--interval", type=float, default=None, help="takeover poll interval s (default 10; quick 2.5)"
    )
    ap.add_argument("--empty-tasks", type=int, default=None, help="empty tasks per worker count")
    ap.add_argument(
        "--delay-ms", type=int, default=100, help="takeover: device reply delay, so a kill lands mid-poll"
    )
    ap.add_argument("--no-takeover", action="store_true")
    args = ap.parse_args()
    n = args.devices or (20 if args.quick else 200)
    counts = args.workers or ([1, 2] if args.quick else [1, 2, 4])
    interval = args.interval or (2.5 if args.quick else 10.0)
    empty = args.empty_tasks or (150 if args.quick else 1000)
    why = _unreachable()
    if why:
        print(f"{why}; skipping the workers benchmark")
        return 0
    signal.signal(signal.SIGTERM, _terminate)
    url = pg_database("ossagent_workers")
    if url is None:
        print("skipping the workers benchmark: it needs PostgreSQL")
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="ossagent-bench-workers-"))
    began = time.monotonic()
    try:
        with testbed(n, tmp, url) as bed:
            rounds = [inproc(bed, concurrent=True), inproc(bed, concurrent=False)]
            for r in rounds:
                print(f"{r.label}: {r.rate:.1f} devices/s", flush=True)
            empties: dict[int, Empty] = {}
            enqueue: list[float] = []
            for k in counts:
                r, e, q = worker_round(bed, k, empty)
                print(
                    f"{r.label}: {r.rate:.1f} devices/s; empty task {e.rate:.0f}/s "
                    f"(workers ready {r.start_s:.1f} s after start)",
                    flush=True,
                )
                rounds.append(r)
                empties[k] = e
                enqueue.append(q)
            report_throughput(n, rounds, empties, enqueue, max(counts))
            if not args.no_takeover:
                n_workers = 2
                one = next((r for r in rounds if r.label.startswith("1 worker")), rounds[1])
                per_job = 1 / one.rate + args.delay_ms / 1000
                # Half what the two can do: the survivor alone is then just loaded.
                k = max(4, min(n, int(0.5 * n_workers * interval / per_job)))
                t = takeover(bed, k, n_workers, interval, args.delay_ms)
                report_takeover(t, n_workers, bed.interfaces)
        print(f"\n(the benchmark took {time.monotonic() - began:.0f} s)")
    finally:
        drop_pg(url)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
