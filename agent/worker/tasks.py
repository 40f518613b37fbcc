"""The Celery application and its two tasks, which run the single-process agent's own job
functions: ``ossagent.device`` (poll, discover) and ``ossagent.sweep`` (outbox dispatch,
provisioning transactions, configuration backups).

Delivery: acks late and rejects on worker loss, so a task whose worker died is delivered again;
a prefetch of one, so a dying worker holds at most the task it was running. What makes the
second delivery safe is the job ledger (agent/worker/ledger.py).

Each worker process (Celery's prefork children) opens its own database engine, SNMP engine
and event loop on its first task: none of them survives a fork.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from celery import Celery, Task
from sqlalchemy.exc import IntegrityError

from agent.config import Settings, load_settings
from agent.context import open_context
from agent.faults.jobs import dispatch_job
from agent.jobs.snmp import run_discovery, run_poll
from agent.provisioning.jobs import backup_job, recover_job, transactions_job
from agent.runtime import Runtime
from agent.worker import ledger

log = logging.getLogger(__name__)

DEVICE_TASK = "ossagent.device"
SWEEP_TASK = "ossagent.sweep"


async def _provision(rt: Runtime) -> int:
    # Only one provisioning sweep is in flight at a time (the scheduler checks the ledger), so a
    # transaction left in the middle now was left by a worker that died: finish or undo it first.
    await recover_job(rt)
    return await transactions_job(rt)


# Sweeps a broker runs; the scheduler keeps the others (fault announce, BSS) in the active agent.
SWEEPS: dict[str, Callable[[Runtime], Awaitable[int]]] = {
    "outbox:dispatch": dispatch_job,
    "provision:transactions": _provision,
    "config:check": backup_job,
}


def make_app(settings: Settings) -> Celery:
    app = Celery("ossagent", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=settings.worker_queue,
        task_create_missing_queues=True,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,  # results live in the database; no result backend to run
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": settings.broker_visibility_timeout_s},
        worker_hijack_root_logger=False,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        enable_utc=True,
    )
    register(app)
    return app


@dataclass
class _Process:
    settings: Settings
    rt: Runtime
    loop: asyncio.AbstractEventLoop
    worker: str
    app: Celery


# Per process and thread: the prefork pool's children each make their own after the fork, and
# the threads pool's threads must not share one event loop.
_state: dict[tuple[int, int], _Process] = {}
_state_lock = threading.Lock()


def _process(app: Celery) -> _Process:
    """This process's (and thread's) runtime, made on first use."""
    pid = os.getpid()
    key = (pid, threading.get_ident())
    st = _state.get(key)
    if st is None:
        settings = load_settings()
        ctx = open_context(settings, migrate=False)
        ledger.install(ctx.sessions)
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        rt = Runtime(ctx)
        st = _Process(settings, rt, loop, f"{socket.gethostname()}:{pid}", app)
        with _state_lock:
            for other in [k for k in _state if k[0] != pid]:
                del _state[other]  # a forked child drops its parent's entries
            _state[key] = st
    return st


def _backoff(settings: Settings, attempts: int) -> float:
    return float(min(300.0, settings.task_retry_delay_s * 2 ** max(0, attempts - 1)))


def follow_up(app: Celery, st: _Process, kind: str, device_id: int, queue: str, after: str) -> None:
    """What the in-process scheduler does with run_soon: a first poll after a discovery, a
    discovery when a poll finds it is needed."""
    job_id = f"{kind}:{device_id}:{after}"
    try:
        ledger.enqueue(
            st.rt.ctx,
            job_id,
            kind,
            device_id=device_id,
            queue=queue,
            args={"device_id": device_id},
            by=st.worker,
        )
    except IntegrityError:
        return  # already enqueued by an earlier delivery of this task
    app.send_task(DEVICE_TASK, args=[job_id, kind, device_id], queue=queue or None)


def run_device(task: Task[Any, Any], job_id: str, kind: str, device_id: int) -> str:
    st = _process(task.app)
    s = st.settings
    claimed = ledger.claim(st.rt.ctx, job_id, kind, st.worker, s.task_max_attempts, {"device_id": device_id})
    if claimed.claim is not ledger.Claim.RUN:
        log.info("%s: %s, not run again", job_id, claimed.claim.value)
        return str(claimed.claim.value)
    queue = str((task.request.delivery_info or {}).get("routing_key") or "")
    try:
        with ledger.guarded(job_id):
            if kind == "discover":
                result = st.loop.run_until_complete(run_discovery(st.rt, device_id))
                if result.ok:
                    follow_up(task.app, st, "poll", device_id, queue, after=job_id)
            elif kind == "poll":
                result = st.loop.run_until_complete(run_poll(st.rt, device_id))
                if result.needs_discovery:
                    follow_up(task.app, st, "discover", device_id, queue, after=job_id)
            else:
                raise ValueError(f"unknown device job kind {kind!r}")
    except ledger.AlreadyApplied:
        log.info("%s: applied by another delivery", job_id)
        return "done"
    except Exception as exc:
        return _failed(task, st, job_id, claimed.attempts, exc)
    ledger.finish(st.rt.ctx, job_id)  # a job that wrote nothing (not discovered yet) is done too
    return "ok" if result.ok else "failed"


def run_sweep(task: Task[Any, Any], job_id: str, name: str) -> str:
    st = _process(task.app)
    claimed = ledger.claim(st.rt.ctx, job_id, name, st.worker, st.settings.task_max_attempts)
    if claimed.claim is not ledger.Claim.RUN:
        return str(claimed.claim.value)
    job = SWEEPS.get(name)
    try:
        if job is None:
            raise ValueError(f"unknown sweep {name!r}")
        st.loop.run_until_complete(job(st.rt))
    except Exception as exc:
        return _failed(task, st, job_id, claimed.attempts, exc)
    ledger.finish(st.rt.ctx, job_id)
    return "ok"


def _failed(task: Task[Any, Any], st: _Process, job_id: str, attempts: int, exc: Exception) -> str:
    error = f"{exc.__class__.__name__}: {exc}"
    if ledger.failed(st.rt.ctx, job_id, error, st.settings.task_max_attempts):
        log.error("%s parked after %d attempts: %s", job_id, attempts, error)
        return "parked"
    delay = _backoff(st.settings, attempts)
    log.warning("%s failed (attempt %d), retrying in %.1fs: %s", job_id, attempts, delay, error)
    # The ledger counts attempts and parks; Celery's own retry limit must not stop us first.
    raise task.retry(exc=exc, countdown=delay, max_retries=None)


def register(app: Celery) -> None:
    @app.task(name=DEVICE_TASK, bind=True, acks_late=True, reject_on_worker_lost=True)  # type: ignore[untyped-decorator]
    def device(self: Task[Any, Any], job_id: str, kind: str, device_id: int) -> str:
        return run_device(self, job_id, kind, device_id)

    @app.task(name=SWEEP_TASK, bind=True, acks_late=True, reject_on_worker_lost=True)  # type: ignore[untyped-decorator]
    def sweep(self: Task[Any, Any], job_id: str, name: str) -> str:
        return run_sweep(self, job_id, name)


def new_job_id(kind: str, key: object = "") -> str:
    return f"{kind}:{key}:{uuid.uuid4().hex}" if key != "" else f"{kind}:{uuid.uuid4().hex}"
