"""The scheduler lease and the job ledger on SQLite and PostgreSQL, without a broker: exactly
one holder under contention, takeover after expiry, attempts counted and poison parked, and a
job's writes committed once however often it is delivered."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from agent.config import with_overrides
from agent.context import Context
from agent.runtime import Runtime
from agent.scheduler import Agent
from agent.worker import lease_required, ledger
from agent.worker.dispatch import dedup_window
from agent.worker.lease import Lease, hold_lease
from inventory.models import Site
from inventory.scale_models import JobLedger, JobState, SchedulerLease
from inventory.types import utcnow


def test_one_holder_until_expiry_then_takeover(ctx: Context) -> None:
    a, b = Lease(ctx, ttl_s=10), Lease(ctx, ttl_s=10)
    now = utcnow()
    assert a.try_acquire(now)
    assert not b.try_acquire(now)
    assert a.try_acquire(now + timedelta(seconds=5))  # renewal
    assert not b.try_acquire(now + timedelta(seconds=14))  # renewed at +5: held until +15
    assert b.try_acquire(now + timedelta(seconds=16))  # a stopped renewing
    assert not a.try_acquire(now + timedelta(seconds=17))  # and cannot take it back
    assert b.holder() is not None and b.holder()[0] == b.owner  # type: ignore[index]
    b.release()
    assert a.try_acquire()  # a released lease is free at once


def test_contention_has_exactly_one_winner(ctx: Context) -> None:
    """Eight agents start at once on an empty lease table (INSERT race), then contend for an
    expired lease (UPDATE race): one winner each time."""
    for _round in range(2):
        leases = [Lease(ctx, ttl_s=30) for _ in range(8)]
        barrier = threading.Barrier(len(leases))
        won: list[bool] = [False] * len(leases)

        def go(i: int, lease: Lease, barrier: threading.Barrier, won: list[bool]) -> None:
            barrier.wait()
            won[i] = lease.try_acquire()

        threads = [threading.Thread(target=go, args=(i, le, barrier, won)) for i, le in enumerate(leases)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sum(won) == 1
        with ctx.begin() as s:
            row = s.get(SchedulerLease, "scheduler")
            assert row is not None
            assert row.owner == leases[won.index(True)].owner
            row.expires_at = utcnow() - timedelta(seconds=1)  # the winner dies


def test_standby_agent_takes_over_when_the_active_one_stops_renewing(ctx: Context) -> None:
    """Two hold_lease loops: one is active; killing it (no release, like SIGKILL) makes the
    standby active once the lease runs out."""
    settings = with_overrides(ctx.settings, lease_ttl_s=1.0, lease_renew_s=0.2)
    fast = Context(settings, ctx.engine, ctx.sessions)
    active: dict[str, int] = {}

    def runner(name: str):
        async def run_active(rt: Runtime, stop: asyncio.Event) -> None:
            active[name] = active.get(name, 0) + 1
            try:
                await stop.wait()
            finally:
                active[name] -= 1

        return run_active

    async def main() -> float:
        rt = Runtime(fast)
        stop_a, stop_b = asyncio.Event(), asyncio.Event()
        task_a = asyncio.create_task(hold_lease(rt, stop_a, runner("a")))
        while active.get("a", 0) + active.get("b", 0) == 0:
            await asyncio.sleep(0.02)
        task_b = asyncio.create_task(hold_lease(rt, stop_b, runner("b")))
        await asyncio.sleep(0.5)  # b tries (and fails) a couple of times
        assert active == {"a": 1}, active
        task_a.cancel()  # a dies: no more renewals, no release
        await asyncio.gather(task_a, return_exceptions=True)
        died = time.monotonic()
        while active.get("b", 0) == 0:
            await asyncio.sleep(0.02)
        took = time.monotonic() - died
        stop_b.set()
        await task_b
        rt.close()
        return took

    took = asyncio.run(main())
    print(f"takeover after {took:.2f}s with a {settings.lease_ttl_s}s lease")
    assert active == {"a": 0, "b": 0}


def test_attempts_are_counted_and_poison_is_parked(ctx: Context) -> None:
    ledger.enqueue(ctx, "poll:1:x", "poll", device_id=1)
    for attempt in (1, 2, 3):
        c = ledger.claim(ctx, "poll:1:x", "poll", "w", max_attempts=3)
        assert (c.claim, c.attempts) == (ledger.Claim.RUN, attempt)
        parked = ledger.failed(ctx, "poll:1:x", f"boom {attempt}", max_attempts=3)
        assert parked is (attempt == 3)
    assert ledger.claim(ctx, "poll:1:x", "poll", "w", 3).claim is ledger.Claim.PARKED
    [row] = ledger.parked(ctx)
    assert (row.job_id, row.attempts, row.last_error) == ("poll:1:x", 3, "boom 3")


def test_a_task_that_kills_its_worker_is_parked_too(ctx: Context) -> None:
    """Claims without a recorded failure are deliveries whose worker died."""
    for _ in range(2):
        assert ledger.claim(ctx, "sweep:y", "outbox:dispatch", "w", 2).claim is ledger.Claim.RUN
    c = ledger.claim(ctx, "sweep:y", "outbox:dispatch", "w", 2)
    assert c.claim is ledger.Claim.PARKED
    assert "worker lost 2 times" in ledger.parked(ctx)[0].last_error


def _sites(ctx: Context) -> int:
    with ctx.begin() as s:
        return int(s.scalar(select(func.count()).select_from(Site)) or 0)


def test_the_guard_commits_a_job_once(ctx: Context) -> None:
    """A job's first write transaction marks it done atomically; a second delivery of the same
    job (the first one's ack was lost) is refused and its writes roll back."""
    ledger.install(ctx.sessions)
    ledger.enqueue(ctx, "poll:7:a", "poll", device_id=7)

    def deliver() -> None:
        assert ledger.claim(ctx, "poll:7:a", "poll", "w", 5).claim is ledger.Claim.RUN
        with ledger.guarded("poll:7:a"):
            with ctx.begin() as s:  # a read-only transaction does not mark the job
                s.scalar(select(func.count()).select_from(Site))
            with ctx.begin() as s:
                s.add(Site(name=f"site-{time.monotonic_ns()}"))
            with ctx.begin() as s:  # later writes of the same delivery are fine
                s.add(Site(name=f"site-{time.monotonic_ns()}"))

    deliver()
    assert _sites(ctx) == 2
    with ctx.begin() as s:
        row = s.get(JobLedger, "poll:7:a")
        assert row is not None and row.state == JobState.DONE.value
    # The broker delivers it again: the claim sees it done.
    assert ledger.claim(ctx, "poll:7:a", "poll", "w", 5).claim is ledger.Claim.DONE
    # Two deliveries that both claimed before either committed: the second commit is refused.
    with ctx.begin() as s:
        row = s.get(JobLedger, "poll:7:a")
        assert row is not None
        row.state = JobState.RUNNING.value
    with ledger.guarded("poll:7:a"), ctx.begin() as s:
        s.add(Site(name="first"))
    with pytest.raises(ledger.AlreadyApplied), ledger.guarded("poll:7:a"), ctx.begin() as s:
        s.add(Site(name="second"))
    assert _sites(ctx) == 3


def test_sweeps_run_one_at_a_time(ctx: Context) -> None:
    assert not ledger.in_flight(ctx, "outbox:dispatch", 600)
    ledger.enqueue(ctx, "outbox:dispatch:1", "outbox:dispatch")
    assert ledger.in_flight(ctx, "outbox:dispatch", 600)
    ledger.finish(ctx, "outbox:dispatch:1")
    assert not ledger.in_flight(ctx, "outbox:dispatch", 600)


def test_device_jobs_are_not_enqueued_twice_in_one_interval(ctx: Context) -> None:
    ledger.enqueue(ctx, "poll:3:a", "poll", device_id=3)
    assert ledger.recently_enqueued(ctx, "poll", 3, dedup_window(60))
    assert not ledger.recently_enqueued(ctx, "discover", 3, dedup_window(60))
    assert not ledger.recently_enqueued(ctx, "poll", 4, dedup_window(60))
    # Consecutive fires of an interval job (jitter included) are further apart than the window.
    for interval in (5, 10, 60, 300, 3600):
        jitter = min(5, max(1, interval // 20))
        assert dedup_window(interval) < interval - 2 * jitter


def test_single_process_mode_is_unchanged(ctx: Context) -> None:
    """No broker: no dispatcher, no lease, jobs run in the agent as before."""
    assert not ctx.settings.broker_url
    assert not lease_required(ctx.settings)
    rt = Runtime(ctx)
    try:
        assert Agent(rt).dispatcher is None
    finally:
        rt.close()
