"""The agent's one APScheduler 3 scheduler, reconciled from the database.

Job ids are stable (``poll:<device>:snmp``, ``discover:<device>:snmp``); every job has coalesce
on and max_instances 1, so a slow device skips a beat instead of piling up runs, and each
device has its own job, so a dead one never delays the others.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from agent.bss.jobs import fulfilment_job, month_end_job, outages_job
from agent.faults.jobs import announce_job, dispatch_job, prune_events, sweep_job
from agent.jobs.snmp import JobResult, close_fast_poller, run_discovery, run_poll
from agent.provisioning.jobs import backup_job, recover_job, transactions_job
from agent.runtime import Runtime
from agent.traps import TrapService
from agent.worker import dispatcher_for, lease_required
from agent.worker.lease import hold_lease
from agent.worker.rollups import storage_retention
from collectors.traps.receiver import TrapReceiver
from inventory.models import Device, JobRequest
from inventory.store import prune_samples
from inventory.types import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    id: str
    kind: str  # poll | discover
    device_id: int
    interval_s: int
    run_now: bool = False


def poll_job_id(device: str) -> str:
    return f"poll:{device}:snmp"


def discover_job_id(device: str) -> str:
    return f"discover:{device}:snmp"


def plan_jobs(devices: list[Device], poll_interval_s: int, discovery_interval_s: int) -> dict[str, JobSpec]:
    """What should be scheduled for these devices. Pure: the reconciler applies it."""
    desired: dict[str, JobSpec] = {}
    for d in devices:
        if not d.enabled:
            continue
        desired[discover_job_id(d.name)] = JobSpec(
            discover_job_id(d.name), "discover", d.id, discovery_interval_s, run_now=d.last_discovered is None
        )
        desired[poll_job_id(d.name)] = JobSpec(
            poll_job_id(d.name), "poll", d.id, d.poll_interval_s or poll_interval_s
        )
    return desired


def _offset(job_id: str, interval_s: int) -> float:
    # A stable spread of first runs over the interval, so 1,000 devices do not fire at once.
    return (zlib.crc32(job_id.encode()) % max(1, interval_s * 1000)) / 1000.0


class Agent:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.settings = rt.ctx.settings
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
        )
        self._specs: dict[str, JobSpec] = {}
        self._active = 0
        self._running: set[str] = set()
        self.on_result: Callable[[str, JobResult], Awaitable[None]] | None = None
        # Scale-out seam: with a broker configured, jobs are sent to workers instead of run here.
        self.dispatcher = dispatcher_for(rt)

    # -- reconciling -------------------------------------------------------------------
    def _load_devices(self) -> list[Device]:
        with self.rt.ctx.begin() as s:
            return list(s.scalars(select(Device)))

    async def reconcile(self) -> None:
        try:
            devices = await asyncio.to_thread(self._load_devices)
        except asyncio.CancelledError:
            return
        desired = plan_jobs(devices, self.settings.poll_interval_s, self.settings.discovery_interval_s)
        self.apply(desired)

    def apply(self, desired: dict[str, JobSpec]) -> None:
        for job_id in list(self._specs):
            if job_id not in desired:
                self._remove(job_id)
        now = datetime.now(UTC)
        for job_id, spec in desired.items():
            old = self._specs.get(job_id)
            if old is not None and old.interval_s == spec.interval_s and old.device_id == spec.device_id:
                continue
            if old is not None:
                self._remove(job_id)
            first = now if spec.run_now else now + timedelta(seconds=_offset(job_id, spec.interval_s))
            self.scheduler.add_job(
                self._run,
                IntervalTrigger(seconds=spec.interval_s, jitter=min(5, max(1, spec.interval_s // 20))),
                id=job_id,
                args=[spec.kind, spec.device_id],
                next_run_time=first,
                replace_existing=True,
            )
            self._specs[job_id] = spec
            log.debug("scheduled %s every %ss", job_id, spec.interval_s)

    def _remove(self, job_id: str) -> None:
        self._specs.pop(job_id, None)
        if self.scheduler.get_job(job_id) is not None:
            self.scheduler.remove_job(job_id)

    def run_soon(self, job_id: str) -> bool:
        job = self.scheduler.get_job(job_id)
        if job is None:
            return False
        if job_id in self._running:
            return True  # it is running now; asking again would only log a skipped run
        job.modify(next_run_time=datetime.now(UTC))
        return True

    # -- running -----------------------------------------------------------------------
    async def _run(self, kind: str, device_id: int) -> None:
        if self.dispatcher is not None:
            spec = next(
                (s for s in self._specs.values() if s.kind == kind and s.device_id == device_id), None
            )
            await self.dispatcher.device_job(kind, device_id, spec.interval_s if spec else 0)
            return
        self._active += 1
        job_id = next(
            (j for j, spec in self._specs.items() if spec.kind == kind and spec.device_id == device_id), ""
        )
        self._running.add(job_id)
        try:
            if kind == "discover":
                result = await run_discovery(self.rt, device_id)
                if result.ok:
                    # A first baseline of counters right away, so rates exist one interval later.
                    self.run_soon(poll_job_id(result.device))
            else:
                result = await run_poll(self.rt, device_id)
                if result.needs_discovery:
                    self.run_soon(discover_job_id(result.device))
            if self.on_result is not None:
                await self.on_result(kind, result)
        except asyncio.CancelledError:
            # Only a shutdown cancels a job; the next start simply runs it again.
            log.debug("%s job for device %s abandoned at shutdown", kind, device_id)
        except Exception:
            log.exception("%s job for device %s failed", kind, device_id)
        finally:
            self._active -= 1
            self._running.discard(job_id)

    async def take_requests(self) -> None:
        """Carry out what the web process or the CLI asked for (JobRequest rows)."""

        def take() -> list[tuple[str, str]]:
            with self.rt.ctx.begin() as s:
                rows = list(s.scalars(select(JobRequest).where(JobRequest.taken_at.is_(None)).limit(100)))
                out = []
                for r in rows:
                    r.taken_at = utcnow()
                    device = s.get(Device, r.device_id) if r.device_id else None
                    if device is not None:
                        out.append((r.kind, device.name))
                return out

        try:
            requests = await asyncio.to_thread(take)
        except asyncio.CancelledError:
            return
        for kind, name in requests:
            job_id = discover_job_id(name) if kind == "discover" else poll_job_id(name)
            if not self.run_soon(job_id):
                await self.reconcile()
                self.run_soon(job_id)

    async def retention(self) -> None:
        cutoff = utcnow() - timedelta(days=self.settings.sample_retention_days)

        def prune() -> int:
            with self.rt.ctx.begin() as s:
                return prune_samples(s, cutoff)

        removed = await asyncio.to_thread(prune)
        if removed:
            log.info("retention: removed %d samples older than %s", removed, cutoff.isoformat())
        events = await asyncio.to_thread(prune_events, self.rt)
        if events:
            log.info("retention: removed %d events", events)
        # Sample rollups (5-minute, hourly) and their retention; finished broker jobs.
        await asyncio.to_thread(storage_retention, self.rt.ctx)

    async def _housekeeping(self, name: str, job: Callable[[Runtime], Awaitable[object]]) -> None:
        if self.dispatcher is not None and self.dispatcher.takes(name):
            await self.dispatcher.sweep(name)
            return
        try:
            await job(self.rt)
        except asyncio.CancelledError:
            return
        except Exception:
            log.exception("%s failed", name)

    def start(self) -> None:
        now = datetime.now(UTC)
        add: Any = self.scheduler.add_job
        add(
            self.reconcile,
            IntervalTrigger(seconds=self.settings.reconcile_interval_s),
            id="reconcile",
            next_run_time=now,
        )
        add(self.take_requests, IntervalTrigger(seconds=2), id="requests", next_run_time=now)
        add(
            self.retention, IntervalTrigger(hours=1), id="retention", next_run_time=now + timedelta(minutes=1)
        )
        # Fault management: announce settled alarms often (the settle delay is ~1 s), deliver
        # the outbox, and clear flapping alarms once their interface is stable.
        for job_id, fn, every in (
            ("faults:announce", announce_job, 0.5),
            ("outbox:dispatch", dispatch_job, 1.0),
            ("faults:sweep", sweep_job, 5.0),
            # Provisioning: transactions planned by the web process or the BSS bridge, and
            # configuration backups with the drift check.
            ("provision:transactions", transactions_job, 2.0),
            ("config:check", backup_job, float(self.settings.drift_interval_s)),
            # BSS: order items follow their transactions; outages follow fault impact.
            ("bss:fulfilment", fulfilment_job, 2.0),
            ("bss:outages", outages_job, 1.0),
            ("bss:month-end", month_end_job, 3600.0),
        ):
            add(
                self._housekeeping,
                IntervalTrigger(seconds=every),
                id=job_id,
                args=[job_id, fn],
                next_run_time=now,
            )
        self.scheduler.start()

    async def stop(self, grace_s: float = 10.0) -> None:
        """Stop scheduling, let running jobs finish for up to ``grace_s``, then cancel them."""
        if not self.scheduler.running:
            return
        self.scheduler.pause()
        deadline = asyncio.get_running_loop().time() + grace_s
        while self._active and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        self.scheduler.shutdown(wait=False)


async def start_traps(rt: Runtime, stop: asyncio.Event) -> tuple[TrapReceiver, asyncio.Task[None]] | None:
    s = rt.ctx.settings
    if not s.traps:
        return None
    receiver = TrapReceiver(s.trap_host, s.trap_port, s.trap_queue)
    try:
        await receiver.start()
    except OSError as exc:
        log.error(
            "trap receiver cannot listen on %s:%s (%s); running without traps", s.trap_host, s.trap_port, exc
        )
        return None
    log.info("trap receiver on udp %s:%d", s.trap_host, receiver.port)
    task = asyncio.create_task(TrapService(rt, receiver).run(stop), name="traps")
    return receiver, task


async def run_agent(rt: Runtime, stop: asyncio.Event) -> None:
    if lease_required(rt.ctx.settings):
        # Several agents may run: only the holder of the lease schedules, the others stand by.
        await hold_lease(rt, stop, _run_active)
    else:
        await _run_active(rt, stop)


async def _run_active(rt: Runtime, stop: asyncio.Event) -> None:
    agent = Agent(rt)
    # A transaction an earlier agent left half done is finished (or undone) before anything new.
    # With workers, one of them may be running it now: the provisioning task recovers instead.
    try:
        if agent.dispatcher is None:
            await recover_job(rt)
    except Exception:
        log.exception("recovering interrupted transactions failed")
    traps = await start_traps(rt, stop)
    agent.start()
    log.info("agent running: polling every %ss by default", rt.ctx.settings.poll_interval_s)
    try:
        await stop.wait()
    finally:
        await agent.stop()
        await close_fast_poller(rt)  # its socket and pool processes
        if agent.dispatcher is not None:
            agent.dispatcher.close()
        if traps is not None:
            receiver, task = traps
            await asyncio.wait_for(task, timeout=10)
            receiver.close()
        log.info("agent stopped")
