"""`ossagent worker` processes on RabbitMQ and Redis against a simulated device, writing to
PostgreSQL: jobs run and land, a SIGKILLed worker's task is redelivered and applied once, a
poison task is parked, devices pinned to a site are served by that site's workers, and two
agents share one scheduler lease."""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from agent.context import Context
from agent.runtime import Runtime
from agent.worker.dispatch import BrokerDispatcher, dedup_window
from agent.worker.lease import Lease
from inventory.models import Device, Interface, InterfaceSample
from inventory.scale_models import JobLedger, JobState
from inventory.store import import_hosts
from tests.e2e.conftest import SimLab, lab_inventory
from tests.scale.conftest import Broker, Procs, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.broker]


def _add_device(ctx: Context, lab: SimLab, site: str, node: str | None = None) -> int:
    hosts, profiles = lab_inventory(lab)
    host = next(h for h in hosts if node is None or h.name == node)
    # No config access: discovery then does not learn SSH host keys, which this suite is not about.
    host = dataclasses.replace(host, site=site, config_access=None, mgmt_via=())
    with ctx.begin() as s:
        import_hosts(s, [host], profiles)
        return int(s.scalar(select(Device.id).where(Device.name == host.name)) or 0)


def _jobs(ctx: Context, kind: str | None = None) -> list[JobLedger]:
    with ctx.begin() as s:
        q = select(JobLedger).order_by(JobLedger.enqueued_at)
        if kind:
            q = q.where(JobLedger.kind == kind)
        return list(s.scalars(q))


def _job(ctx: Context, job_id: str) -> JobLedger:
    with ctx.begin() as s:
        row = s.get(JobLedger, job_id)
        assert row is not None
        return row


def _samples(ctx: Context, device_id: int) -> int:
    with ctx.begin() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(InterfaceSample)
                .join(Interface)
                .where(Interface.device_id == device_id)
            )
            or 0
        )


def _interfaces(ctx: Context, device_id: int) -> int:
    with ctx.begin() as s:
        return int(
            s.scalar(select(func.count()).select_from(Interface).where(Interface.device_id == device_id)) or 0
        )


def _dispatcher(ctx: Context, broker: Broker, queue: str) -> BrokerDispatcher:
    from agent.config import with_overrides

    settings = with_overrides(ctx.settings, broker_url=broker.url, worker_queue=queue)
    return BrokerDispatcher(Runtime(Context(settings, ctx.engine, ctx.sessions)))


def _done(ctx: Context, job_id: str) -> bool:
    return _job(ctx, job_id).state in (JobState.DONE.value, JobState.PARKED.value)


def test_worker_discovers_and_polls_into_postgresql(
    pg_ctx: Context, sim_lab: SimLab, broker: Broker, procs: Callable[[str, str], Procs]
) -> None:
    """A device of a site goes to the site's queue; the worker consuming it discovers, then
    polls (the follow-up the in-process scheduler does with run_soon), into PostgreSQL."""
    site = broker.queue("site")
    default = broker.queue()
    device_id = _add_device(pg_ctx, sim_lab, site)
    p = procs(broker.url, default)
    worker = p.start("worker", "--queues", site, "--concurrency", "1", log="worker")
    d = _dispatcher(pg_ctx, broker, default)
    try:
        job_id = d.send_device_job("discover", device_id, 3600)
        assert job_id is not None
        assert _job(pg_ctx, job_id).queue == site
        # The same device again within its interval (a second agent, a double fire): not sent.
        assert d.send_device_job("discover", device_id, 3600) is None
        wait_until(lambda: _done(pg_ctx, job_id), 60, f"discovery job done\n{p.log('worker')}")
        assert _job(pg_ctx, job_id).state == JobState.DONE.value, _job(pg_ctx, job_id).last_error
        wait_until(
            lambda: _jobs(pg_ctx, "poll") and _done(pg_ctx, _jobs(pg_ctx, "poll")[0].job_id), 60, "poll"
        )
        [poll] = _jobs(pg_ctx, "poll")
        assert poll.state == JobState.DONE.value and poll.attempts == 1 and poll.queue == site
        assert _interfaces(pg_ctx, device_id) > 0
        assert _samples(pg_ctx, device_id) == _interfaces(pg_ctx, device_id)
    finally:
        d.close()
        p.kill(worker)


@pytest.mark.slow
def test_killed_worker_task_is_redelivered_and_applied_once(
    pg_ctx: Context, sim_lab: SimLab, rabbitmq: Broker, procs: Callable[[str, str], Procs]
) -> None:
    queue = rabbitmq.queue()
    node = sim_lab.state.nodes[1].name
    device_id = _add_device(pg_ctx, sim_lab, "", node)
    p = procs(rabbitmq.url, queue)
    env = {"OSSAGENT_SNMP_TIMEOUT": "20", "OSSAGENT_SNMP_RETRIES": "0"}
    d = _dispatcher(pg_ctx, rabbitmq, queue)
    try:
        first = p.start("worker", "--concurrency", "1", log="worker1", **env)
        discover = d.send_device_job("discover", device_id, 3600)
        assert discover is not None
        wait_until(
            lambda: _jobs(pg_ctx, "poll") and _done(pg_ctx, _jobs(pg_ctx, "poll")[0].job_id), 60, "first poll"
        )
        baseline = _samples(pg_ctx, device_id)
        assert baseline > 0
        # Every reply of the device now takes 1.5 s: the next poll is in flight for seconds.
        sim_lab.fault(op="slow", node=node, delay_ms=1500)
        poll = d.enqueue_device_job("poll", device_id)
        assert poll is not None
        wait_until(lambda: _job(pg_ctx, poll).state == JobState.RUNNING.value, 30, "the poll to start")
        p.kill(first)  # SIGKILL to the worker and its pool, mid-poll
        assert _samples(pg_ctx, device_id) == baseline, "the poll finished before the kill"
        assert _job(pg_ctx, poll).state == JobState.RUNNING.value
        sim_lab.fault(op="slow", node=node, delay_ms=0)
        second = p.start("worker", "--concurrency", "1", log="worker2", **env)
        wait_until(lambda: _done(pg_ctx, poll), 60, f"redelivered poll\n{p.log('worker2')}")
        row = _job(pg_ctx, poll)
        assert (row.state, row.attempts) == (JobState.DONE.value, 2)
        # Applied once: one more sample per interface, not two.
        assert _samples(pg_ctx, device_id) == baseline + _interfaces(pg_ctx, device_id)
        p.kill(second)
    finally:
        sim_lab.fault(op="slow", node=node, delay_ms=0)
        d.close()


def test_poison_task_is_parked_after_max_attempts(
    pg_ctx: Context, rabbitmq: Broker, procs: Callable[[str, str], Procs]
) -> None:
    queue = rabbitmq.queue()
    p = procs(rabbitmq.url, queue)
    worker = p.start(
        "worker",
        "--concurrency",
        "1",
        log="worker",
        OSSAGENT_TASK_MAX_ATTEMPTS="3",
        OSSAGENT_TASK_RETRY_DELAY="0.1",
    )
    d = _dispatcher(pg_ctx, rabbitmq, queue)
    try:
        job_id = d.send_device_job("poll", 999_999, 60)  # no such device: fails every time
        assert job_id is not None
        wait_until(lambda: _job(pg_ctx, job_id).state == JobState.PARKED.value, 60, p.log("worker"))
        row = _job(pg_ctx, job_id)
        assert row.attempts == 3
        assert "no device with id 999999" in row.last_error
        # Parked means no more deliveries: the queue drains and the row stays as it is.
        wait_until(lambda: rabbitmq.depth(queue) == 0, 10, "queue drained")
        assert _job(pg_ctx, job_id).attempts == 3
    finally:
        d.close()
        p.kill(worker)


@pytest.mark.slow
def test_two_agents_one_scheduler_and_takeover(
    pg_ctx: Context, sim_lab: SimLab, rabbitmq: Broker, procs: Callable[[str, str], Procs]
) -> None:
    """Two `ossagent run` agents with a broker: exactly one holds the lease and enqueues; after
    SIGKILL of that one the standby enqueues within one lease period, and no device is enqueued
    twice in one interval across the handover. (No worker runs: we count what is sent.)"""
    queue = rabbitmq.queue()
    device_id = _add_device(pg_ctx, sim_lab, "")
    with pg_ctx.begin() as s:
        dev = s.get(Device, device_id)
        assert dev is not None
        dev.poll_interval_s = 5
    p = procs(rabbitmq.url, queue)
    env = {"OSSAGENT_LEASE_TTL": "3", "OSSAGENT_LEASE_RENEW": "0.5", "OSSAGENT_RECONCILE_INTERVAL": "1"}
    a = p.start("run", log="agent-a", **env)
    b = p.start("run", log="agent-b", **env)
    lease = Lease(pg_ctx, 3)
    wait_until(lambda: lease.holder() is not None, 30, "a lease holder")
    wait_until(lambda: len(_jobs(pg_ctx, "poll")) >= 2, 40, f"two polls enqueued\n{p.log('agent-a')}")
    holder = lease.holder()
    assert holder is not None
    owners = {j.enqueued_by.split(":")[1] for j in _jobs(pg_ctx)}
    active_pid = int(holder[0].split(":")[1])
    assert owners == {str(active_pid)}, owners  # exactly one agent schedules: the lease holder
    active, standby = (a, b) if active_pid == a.pid else (b, a)
    assert active_pid == active.pid
    before = len(_jobs(pg_ctx, "poll"))
    p.kill(active)
    killed = time.monotonic()
    wait_until(
        lambda: (h := lease.holder()) is not None and h[0].split(":")[1] == str(standby.pid), 30, "takeover"
    )
    took = time.monotonic() - killed
    wait_until(lambda: len(_jobs(pg_ctx, "poll")) >= before + 2, 40, "polls from the standby")
    assert {j.enqueued_by.split(":")[1] for j in _jobs(pg_ctx, "poll")[before:]} == {str(standby.pid)}
    polls = [j.enqueued_at for j in _jobs(pg_ctx, "poll")]
    gaps = [(b2 - b1).total_seconds() for b1, b2 in itertools.pairwise(polls)]
    assert min(gaps) >= dedup_window(5), gaps  # never twice in one interval, handover included
    print(f"takeover {took:.1f}s after SIGKILL (lease 3 s, renewal 0.5 s); poll gaps {gaps}")
    p.kill(standby, sig=15)
    assert rabbitmq.depth(queue) >= len(polls) - 1  # what was sent sits in the test queue
