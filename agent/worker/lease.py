"""The scheduler lease: one row in the database says which agent schedules.

Taking and renewing is one conditional UPDATE (``owner = me OR expires_at < now``), which is
atomic on both backends: PostgreSQL re-checks the WHERE clause on the row version a concurrent
writer committed, and SQLite serialises writers on the database lock. Only when the row does
not exist yet does an INSERT race, and the primary key decides it.

Clocks: expiry is computed from each agent's own clock, so agents sharing a lease need NTP;
a skew of s seconds shortens or lengthens the takeover by s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from agent.context import Context
from agent.runtime import Runtime
from inventory.scale_models import SchedulerLease
from inventory.types import utcnow

log = logging.getLogger(__name__)
SCHEDULER = "scheduler"


def new_owner() -> str:
    # Host and pid for the operator; the random part keeps two agents in one process distinct.
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Lease:
    ctx: Context
    ttl_s: float
    name: str = SCHEDULER
    owner: str = field(default_factory=new_owner)

    def try_acquire(self, now: datetime | None = None) -> bool:
        """Take the lease if it is free or expired, or renew it if ours. True if we hold it."""
        now = now or utcnow()
        expires = now + timedelta(seconds=self.ttl_s)
        with self.ctx.begin() as s:
            result = s.execute(
                update(SchedulerLease)
                .where(
                    SchedulerLease.name == self.name,
                    (SchedulerLease.owner == self.owner) | (SchedulerLease.expires_at < now),
                )
                .values(owner=self.owner, renewed_at=now, expires_at=expires)
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) == 1:
                return True
            if s.get(SchedulerLease, self.name) is not None:
                return False  # held by a live agent
        try:
            with self.ctx.begin() as s:
                s.add(
                    SchedulerLease(
                        name=self.name, owner=self.owner, acquired_at=now, renewed_at=now, expires_at=expires
                    )
                )
            return True
        except IntegrityError:
            return False  # another agent created the row first

    def release(self) -> None:
        """Let a standby take over at once instead of after the lease runs out."""
        with self.ctx.begin() as s:
            s.execute(
                update(SchedulerLease)
                .where(SchedulerLease.name == self.name, SchedulerLease.owner == self.owner)
                .values(expires_at=utcnow() - timedelta(seconds=1))
                .execution_options(synchronize_session=False)
            )

    def holder(self) -> tuple[str, datetime] | None:
        with self.ctx.begin() as s:
            row = s.get(SchedulerLease, self.name)
            return (row.owner, row.expires_at) if row is not None else None


async def _wait(event: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout=seconds)


ActiveRun = Callable[[Runtime, asyncio.Event], Coroutine[Any, Any, None]]


async def hold_lease(
    rt: Runtime,
    stop: asyncio.Event,
    run_active: ActiveRun,
    lease: Lease | None = None,
) -> None:
    """Stand by until the lease is ours, run ``run_active`` while we hold it, step down when a
    renewal fails (and stand by again), until ``stop`` is set."""
    s = rt.ctx.settings
    lease = lease or Lease(rt.ctx, s.lease_ttl_s)
    standby_logged = False
    while not stop.is_set():
        try:
            got = await asyncio.to_thread(lease.try_acquire)
        except Exception as exc:  # the database is away: keep standing by
            log.warning("scheduler lease: cannot reach the database: %s", exc)
            got = False
        if not got:
            if not standby_logged:
                log.info("standing by: another agent holds the scheduler lease")
                standby_logged = True
            await _wait(stop, s.lease_renew_s)
            continue
        standby_logged = False
        held_until = utcnow() + timedelta(seconds=s.lease_ttl_s)
        log.info("scheduler lease taken by %s", lease.owner)
        active_stop = asyncio.Event()
        active = asyncio.create_task(run_active(rt, active_stop), name="active-agent")
        try:
            while not stop.is_set() and not active.done():
                await _wait(stop, s.lease_renew_s)
                if stop.is_set():
                    break
                try:
                    renewed = await asyncio.to_thread(lease.try_acquire)
                except Exception as exc:
                    # Keep scheduling while the lease we last wrote still runs: nobody can have
                    # taken it before then. Step down one renewal period before it ends.
                    log.warning("scheduler lease: renewal failed: %s", exc)
                    renewed = utcnow() < held_until - timedelta(seconds=s.lease_renew_s)
                else:
                    if renewed:
                        held_until = utcnow() + timedelta(seconds=s.lease_ttl_s)
                if not renewed:
                    log.warning("scheduler lease lost: stepping down to standby")
                    break
        finally:
            active_stop.set()
            await active
        if stop.is_set():
            try:
                await asyncio.to_thread(lease.release)
            except Exception as exc:
                log.warning("scheduler lease: release failed (a standby waits for expiry): %s", exc)
