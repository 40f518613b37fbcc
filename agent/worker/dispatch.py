"""The scheduler's side of scale-out: instead of running a job, record it in the job ledger and
send it to the broker, on the device's site queue (or the default queue)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from celery import Celery
from sqlalchemy import delete

from agent.runtime import Runtime
from agent.worker import ledger
from agent.worker.lease import new_owner
from agent.worker.tasks import DEVICE_TASK, SWEEP_TASK, SWEEPS, make_app, new_job_id
from inventory.models import Device
from inventory.scale_models import JobLedger

log = logging.getLogger(__name__)

# A sweep still "queued" or "running" after this long lost its message (a broker restart
# without persistence): send another one rather than wait forever.
SWEEP_STALE_S = 600.0


def dedup_window(interval_s: int) -> float:
    """Two fires of one interval job are at least interval - 2 x jitter apart (the scheduler's
    jitter is min(5, max(1, interval // 20))); a fire closer than that to the last enqueue of
    the device is a second agent's (just after a lease takeover) or a manual request."""
    jitter = min(5, max(1, interval_s // 20))
    return max(1.0, interval_s - 2 * jitter - 0.5)


@dataclass
class BrokerDispatcher:
    rt: Runtime
    app: Celery = field(init=False)
    owner: str = field(default_factory=new_owner)

    def __post_init__(self) -> None:
        self.app = make_app(self.rt.ctx.settings)

    def takes(self, name: str) -> bool:
        return name in SWEEPS

    def queue_for(self, device_id: int) -> str:
        """A device of a site goes to that site's queue: `ossagent worker --queues <site>`."""
        with self.rt.ctx.begin() as s:
            device = s.get(Device, device_id)
            site = device.site.name if device is not None and device.site is not None else ""
        return site or self.rt.ctx.settings.worker_queue

    def _send(self, job_id: str, task: str, args: list[object], queue: str) -> bool:
        try:
            self.app.send_task(task, args=args, queue=queue)
            return True
        except Exception as exc:
            # Not sent: forget the ledger row so the next fire sends it again.
            log.error("cannot send %s to the broker: %s", job_id, exc)
            with self.rt.ctx.begin() as s:
                s.execute(delete(JobLedger).where(JobLedger.job_id == job_id))
            return False

    def send_device_job(self, kind: str, device_id: int, interval_s: int) -> str | None:
        ctx = self.rt.ctx
        if ledger.recently_enqueued(ctx, kind, device_id, dedup_window(interval_s)):
            log.debug("%s of device %s already enqueued this interval", kind, device_id)
            return None
        return self.enqueue_device_job(kind, device_id)

    def enqueue_device_job(self, kind: str, device_id: int) -> str | None:
        """Send one job of a device now, whatever was sent before (the scheduler's path above
        adds the once-per-interval guard)."""
        ctx = self.rt.ctx
        queue = self.queue_for(device_id)
        job_id = new_job_id(kind, device_id)
        args = {"device_id": device_id}
        ledger.enqueue(ctx, job_id, kind, device_id=device_id, queue=queue, args=args, by=self.owner)
        return job_id if self._send(job_id, DEVICE_TASK, [job_id, kind, device_id], queue) else None

    def send_sweep(self, name: str) -> str | None:
        ctx = self.rt.ctx
        # One sweep of a kind at a time across all workers, like max_instances=1 in-process: two
        # provisioning sweeps would race for the same transactions.
        if ledger.in_flight(ctx, name, SWEEP_STALE_S):
            return None
        queue = ctx.settings.worker_queue
        job_id = new_job_id(name)
        ledger.enqueue(ctx, job_id, name, queue=queue, by=self.owner)
        return job_id if self._send(job_id, SWEEP_TASK, [job_id, name], queue) else None

    async def device_job(self, kind: str, device_id: int, interval_s: int) -> None:
        try:
            await asyncio.to_thread(self.send_device_job, kind, device_id, interval_s)
        except asyncio.CancelledError:
            return
        except Exception:
            log.exception("enqueueing %s of device %s failed", kind, device_id)

    async def sweep(self, name: str) -> None:
        try:
            await asyncio.to_thread(self.send_sweep, name)
        except asyncio.CancelledError:
            return
        except Exception:
            log.exception("enqueueing %s failed", name)

    def close(self) -> None:
        self.app.close()
