"""The job ledger: what makes broker tasks idempotent and parks poison ones.

Every task has a job id and a ledger row. A worker *claims* the row before running (one more
attempt; past the limit the job is parked instead of run), and a device job marks the row done
**inside the database transaction that writes its results**: a session hook adds
``UPDATE job_ledger SET state='done' WHERE job_id=:id AND state<>'done'`` to the commit and
refuses to commit when no row changed. So a worker killed before its commit leaves nothing and
the redelivered task runs again; one killed after its commit (before the broker ack) leaves the
row done and the redelivered task is skipped; two deliveries racing each other commit once.

Sweep jobs (outbox dispatch, provisioning transactions, backups) commit many times; they are
idempotent by their own state machines (outbox rows, transaction states), so the ledger only
counts their attempts and marks them done at the end.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Any

from sqlalchemy import delete, event, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from agent.context import Context
from inventory.scale_models import ACTIVE_JOB_STATES, JobLedger, JobState
from inventory.types import utcnow


class AlreadyApplied(RuntimeError):
    """Another delivery of this job committed its writes first; this one rolled back."""


@dataclass
class _Guard:
    job_id: str
    marked: bool = False  # the write transaction that marked the job done has committed


_guard: contextvars.ContextVar[_Guard | None] = contextvars.ContextVar("ossagent_job_guard", default=None)
_WROTE = "ossagent_wrote"


@contextmanager
def guarded(job_id: str) -> Iterator[None]:
    """Within this block (and the threads and tasks it starts, which copy the context), the
    first committed transaction that writes marks ``job_id`` done, atomically."""
    token = _guard.set(_Guard(job_id))
    try:
        yield
    finally:
        _guard.reset(token)


def install(sessions: sessionmaker[Session]) -> None:
    """Hook the guard into a worker's sessions (idempotent)."""
    if event.contains(sessions, "before_commit", _before_commit):
        return
    event.listen(sessions, "after_flush", _after_flush)
    event.listen(sessions, "do_orm_execute", _on_execute)
    event.listen(sessions, "before_commit", _before_commit)
    event.listen(sessions, "after_rollback", _after_rollback)


def _after_flush(session: Session, _ctx: Any) -> None:
    session.info[_WROTE] = True  # a flush runs only when something was new, dirty or deleted


def _on_execute(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:  # bulk DML bypasses flush
        state.session.info[_WROTE] = True


def _after_rollback(session: Session) -> None:
    session.info.pop(_WROTE, None)


def _before_commit(session: Session) -> None:
    guard = _guard.get()
    if guard is None or guard.marked:
        return
    session.flush()
    if not session.info.pop(_WROTE, False):
        return  # a read-only transaction is not the job's result
    # Through the connection, not the session: the ORM events above must not see our own write.
    result = session.connection().execute(
        update(JobLedger)
        .where(JobLedger.job_id == guard.job_id, JobLedger.state != JobState.DONE.value)
        .values(state=JobState.DONE.value, finished_at=utcnow(), last_error="")
    )
    if getattr(result, "rowcount", 0) != 1:
        raise AlreadyApplied(guard.job_id)
    # Set before the commit finishes: if it then fails, the task fails and is retried, and the
    # retry's own first write transaction carries the mark again (a new guard per delivery).
    guard.marked = True


# ----------------------------------------------------------------------------- the ledger
def enqueue(
    ctx: Context,
    job_id: str,
    kind: str,
    *,
    device_id: int | None = None,
    queue: str = "",
    args: dict[str, Any] | None = None,
    by: str = "",
) -> None:
    with ctx.begin() as s:
        s.add(
            JobLedger(
                job_id=job_id,
                kind=kind,
                device_id=device_id,
                queue=queue,
                args=args or {},
                state=JobState.QUEUED.value,
                attempts=0,
                enqueued_by=by,
                enqueued_at=utcnow(),
            )
        )


def _any_job(ctx: Context, *where: Any) -> bool:
    with ctx.begin() as s:
        return bool(s.scalar(select(exists().where(*where))))


def recently_enqueued(ctx: Context, kind: str, device_id: int, within_s: float) -> bool:
    """Natural-key guard of the scheduler side: this device's job of this kind was enqueued
    within this window (by us, or by the agent that held the lease before us)."""
    return _any_job(
        ctx,
        JobLedger.kind == kind,
        JobLedger.device_id == device_id,
        JobLedger.enqueued_at >= utcnow() - timedelta(seconds=within_s),
        JobLedger.state != JobState.PARKED.value,
    )


def in_flight(ctx: Context, kind: str, stale_s: float) -> bool:
    """A sweep of this kind is queued or running (and not so old that its message was lost)."""
    return _any_job(
        ctx,
        JobLedger.kind == kind,
        JobLedger.device_id.is_(None),
        JobLedger.state.in_([st.value for st in ACTIVE_JOB_STATES]),
        JobLedger.enqueued_at >= utcnow() - timedelta(seconds=stale_s),
    )


class Claim(Enum):
    RUN = "run"
    DONE = "done"  # a duplicate delivery of an applied job
    PARKED = "parked"


@dataclass(frozen=True)
class Claimed:
    claim: Claim
    attempts: int


def claim(
    ctx: Context, job_id: str, kind: str, worker: str, max_attempts: int, args: dict[str, Any] | None = None
) -> Claimed:
    """Count one more attempt; park the job once it had ``max_attempts`` of them. Counting at the
    start (not on failure) also counts deliveries that killed their worker."""
    now = utcnow()
    for _ in range(2):
        try:
            with ctx.begin() as s:
                row = s.get(JobLedger, job_id, with_for_update=True)
                if row is None:
                    # Sent by something other than our scheduler (a script, `celery call`).
                    row = JobLedger(job_id=job_id, kind=kind, args=args or {}, attempts=0, enqueued_at=now)
                    s.add(row)
                if row.state == JobState.DONE.value:
                    return Claimed(Claim.DONE, row.attempts)
                if row.state == JobState.PARKED.value:
                    return Claimed(Claim.PARKED, row.attempts)
                if row.attempts >= max_attempts:
                    row.state = JobState.PARKED.value
                    row.finished_at = now
                    row.last_error = row.last_error or f"worker lost {row.attempts} times"
                    return Claimed(Claim.PARKED, row.attempts)
                row.attempts += 1
                row.state = JobState.RUNNING.value
                row.worker = worker
                row.started_at = now
                return Claimed(Claim.RUN, row.attempts)
        except IntegrityError:
            continue  # another delivery inserted the row first: read it
    raise RuntimeError(f"cannot claim job {job_id}")


def finish(ctx: Context, job_id: str) -> None:
    with ctx.begin() as s:
        s.execute(
            update(JobLedger)
            .where(JobLedger.job_id == job_id, JobLedger.state != JobState.DONE.value)
            .values(state=JobState.DONE.value, finished_at=utcnow())
            .execution_options(synchronize_session=False)
        )


def failed(ctx: Context, job_id: str, error: str, max_attempts: int) -> bool:
    """Record a failed attempt. True if the job is parked now (no retry)."""
    with ctx.begin() as s:
        row = s.get(JobLedger, job_id, with_for_update=True)
        if row is None:
            return True
        row.last_error = error[:4000]
        if row.attempts >= max_attempts:
            row.state = JobState.PARKED.value
            row.finished_at = utcnow()
            return True
        row.state = JobState.RETRY.value
        return False


def prune(ctx: Context, older_than_days: int) -> int:
    """Forget finished jobs (parked ones stay until an operator looks at them)."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    with ctx.begin() as s:
        result = s.execute(
            delete(JobLedger).where(JobLedger.state == JobState.DONE.value, JobLedger.finished_at < cutoff)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def parked(ctx: Context, limit: int = 100) -> list[JobLedger]:
    with ctx.begin() as s:
        return list(
            s.scalars(
                select(JobLedger)
                .where(JobLedger.state == JobState.PARKED.value)
                .order_by(JobLedger.finished_at.desc())
                .limit(limit)
            )
        )
