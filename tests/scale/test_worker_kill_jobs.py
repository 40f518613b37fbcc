"""A Celery worker SIGKILLed in the middle of a provisioning sweep and of a notice delivery,
against real RabbitMQ, PostgreSQL, the simulated lab and a real SMTP server: the broker
redelivers the unacknowledged sweep to a normal worker, which ends every job once.

What is counted:

* provisioning: the device holds the service lines exactly once or not at all (here: not at
  all, the kill is before the commit point, so recovery rolls back), the transaction ends in a
  terminal state, it is recovered once (one journal entry), and the sweep ran twice (the killed
  delivery and the redelivery) and is done;
* notices: the CustomerMessage and its outbox row are recorded sent exactly once; the e-mail
  itself is delivered *at least* once (see the second test's docstring for why that is the
  honest guarantee) and every copy carries the same X-OSSAgent-Message-Id, so the receiver can
  drop the duplicate.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from collections.abc import Callable
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from agent.context import Context
from agent.jobs.snmp import run_discovery
from agent.runtime import Runtime
from agent.worker.dispatch import BrokerDispatcher
from bss_bridge.notices import notify
from bss_bridge.provisioning import submit
from bss_bridge.seed import load_seed
from inventory.bss_models import CustomerMessage, ServiceProblem
from inventory.choices import MessageState, OutboxState, ProblemState, TxDeviceState, TxState
from inventory.fault_models import OutboxMessage, Service
from inventory.provisioning_models import Transaction, TransactionDevice, TransactionLog
from inventory.scale_models import JobLedger, JobState
from inventory.store import import_hosts
from inventory.types import utcnow
from tests.e2e.conftest import SimLab, lab_inventory
from tests.e2e.test_sim_discovery import run_all
from tests.helpers import wait_for
from tests.scale.conftest import Broker, Procs

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.broker]

NODE, PORT, VLAN, IPV4 = "acc2", "Ethernet8", 720, "198.51.100.1/30"
RECIPIENT = "noc@kill-test.example"


def _dispatcher(ctx: Context, broker: Broker, queue: str) -> BrokerDispatcher:
    from agent.config import with_overrides

    settings = with_overrides(ctx.settings, broker_url=broker.url, worker_queue=queue)
    return BrokerDispatcher(Runtime(Context(settings, ctx.engine, ctx.sessions)))


def _job(ctx: Context, job_id: str) -> JobLedger:
    with ctx.begin() as s:
        row = s.get(JobLedger, job_id)
        assert row is not None, f"no ledger row {job_id}"
        s.expunge(row)
        return row


def _settled(ctx: Context, job_id: str) -> bool:
    return _job(ctx, job_id).state in (JobState.DONE.value, JobState.PARKED.value)


def _sweeps(ctx: Context, kind: str) -> int:
    with ctx.begin() as s:
        return int(s.scalar(select(func.count()).select_from(JobLedger).where(JobLedger.kind == kind)) or 0)


def _died(p: Procs, proc: subprocess.Popen[bytes], log: str, timeout: float) -> int:
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"worker {log} still alive after {timeout}s\n{p.log(log)[-4000:]}") from None


# ----------------------------------------------------------------------------- provisioning
def _running(lab: SimLab) -> str:
    return str(lab.fault(op="config-show", node=NODE)["running"])


def _service_lines(config: str) -> int:
    """How many times the device holds the service: its subinterface and its address."""
    lines = [ln.strip() for ln in config.splitlines()]
    sub = lines.count(f"interface {PORT}.{VLAN}")
    addr = sum(1 for ln in lines if IPV4 in ln)
    assert sub == addr, f"half a service on {NODE}: {sub} subinterface(s), {addr} address line(s)\n{config}"
    return sub


def _tx(ctx: Context, tx_id: str) -> tuple[TxState, str, list[TxDeviceState], int, int]:
    """State, error, device states, how many journal entries say 'recovering', and how many
    transactions exist at all."""
    with ctx.begin() as s:
        tx = s.get(Transaction, tx_id)
        assert tx is not None
        devices = list(
            s.scalars(select(TransactionDevice.state).where(TransactionDevice.transaction_id == tx_id))
        )
        recovered = int(
            s.scalar(
                select(func.count())
                .select_from(TransactionLog)
                .where(
                    TransactionLog.transaction_id == tx_id, TransactionLog.message.like("recovering from%")
                )
            )
            or 0
        )
        total = int(s.scalar(select(func.count()).select_from(Transaction)) or 0)
        return tx.state, tx.error or "", devices, recovered, total


def test_worker_killed_inside_a_transaction_recovered_once_by_the_next_worker(
    pg_ctx: Context, sim_lab: SimLab, rabbitmq: Broker, procs: Callable[[str, str], Procs]
) -> None:
    """The sweep `provision:transactions` runs on a worker (solo pool: the task runs in the
    worker process itself) started with OSSAGENT_TX_FAULT=kill:commit:1, which SIGKILLs itself
    right after the device committed (before the commit point). RabbitMQ redelivers the
    unacknowledged sweep to a normal worker, whose provisioning sweep recovers the dead
    worker's transaction first: rolled back, the device as before, recovered once."""
    hosts, profiles = lab_inventory(sim_lab)
    with pg_ctx.begin() as s:
        import_hosts(s, hosts, profiles)
    results = run_all(pg_ctx, run_discovery, [NODE])
    assert all(r.ok for r in results), [r.error for r in results]
    before = _running(sim_lab)
    assert _service_lines(before) == 0
    request = {
        "service": "internet-access",
        "action": "create",
        "params": {
            "service_id": "INET-WK",
            "customer_id": "CUST-77",
            "device": NODE,
            "port": PORT,
            "vlan": VLAN,
            "ipv4": IPV4,
            "bandwidth_mbps": 100,
        },
        # Long enough that the device does not revert by itself before recovery: what undoes
        # the change is the next worker, not the device's timer.
        "confirm_timeout": 600,
    }
    with pg_ctx.begin() as s:
        tx_id = submit(s, request, user="test", origin="test").id

    queue = rabbitmq.queue()
    p = procs(rabbitmq.url, queue)
    d = _dispatcher(pg_ctx, rabbitmq, queue)
    try:
        faulty = p.start("worker", "--pool", "solo", log="worker-fault", OSSAGENT_TX_FAULT="kill:commit:1")
        job_id = d.send_sweep("provision:transactions")
        assert job_id is not None
        assert _died(p, faulty, "worker-fault", 90) == -signal.SIGKILL, p.log("worker-fault")[-4000:]
        p.kill(faulty)  # the group, to be sure nothing of it is left
        # Killed inside the transaction: the device committed, unconfirmed; the sweep is
        # unfinished (one attempt) and its message unacknowledged.
        state, _, devices, recovered, _ = _tx(pg_ctx, tx_id)
        assert (state, devices, recovered) == (TxState.COMMITTING, [TxDeviceState.COMMITTED], 0)
        assert _service_lines(_running(sim_lab)) == 1, "the kill came before the device committed"
        row = _job(pg_ctx, job_id)
        assert (row.state, row.attempts) == (JobState.RUNNING.value, 1)

        normal = p.start("worker", "--concurrency", "1", log="worker-normal")
        wait_for(
            lambda: _settled(pg_ctx, job_id),
            timeout=90,
            interval=0.5,
            what=lambda: (
                f"the redelivered sweep to finish: {_job(pg_ctx, job_id).state}, "
                f"tx {_tx(pg_ctx, tx_id)[:2]}\n{p.log('worker-normal')[-4000:]}"
            ),
        )
        row = _job(pg_ctx, job_id)
        # The same job, delivered twice (the killed one and the redelivery), done once.
        assert (row.state, row.attempts) == (JobState.DONE.value, 2), row.last_error
        assert _sweeps(pg_ctx, "provision:transactions") == 1

        state, error, devices, recovered, total = _tx(pg_ctx, tx_id)
        assert state is TxState.ROLLED_BACK, error
        assert "interrupted in committing" in error
        assert devices == [TxDeviceState.ROLLED_BACK]
        assert recovered == 1, "the transaction was recovered more (or less) than once"
        assert total == 1, "a second transaction was planned"
        after = _running(sim_lab)
        assert _service_lines(after) == 0
        assert after == before
        assert sim_lab.fault(op="config-show", node=NODE)["pending_confirm"] is None
        p.kill(normal, signal.SIGTERM)
    finally:
        d.close()


# ----------------------------------------------------------------------------- notices
class KillingSmtp:
    """aiosmtpd on loopback that keeps every message; on the first one it SIGKILLs the
    process group ``victim`` (set by the test) before answering, so the sending worker dies
    after the server has the message and before the worker can record it as sent."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.victim: int | None = None
        self.killed = False
        outer = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                outer.messages.append(bytes(envelope.content))
                if outer.victim is not None and not outer.killed:
                    outer.killed = True
                    os.killpg(outer.victim, signal.SIGKILL)
                return "250 OK"

        # aiosmtpd's start() connects to its own port to check it, so port 0 will not do.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def header(self, name: str) -> list[str]:
        return [str(message_from_bytes(m)[name]) for m in self.messages]

    def close(self) -> None:
        self.controller.stop()


def _notice(ctx: Context) -> tuple[CustomerMessage, OutboxMessage]:
    with ctx.begin() as s:
        [msg] = s.scalars(select(CustomerMessage)).all()
        [out] = s.scalars(select(OutboxMessage).where(OutboxMessage.event_id == msg.id)).all()
        s.expunge_all()
        return msg, out


def test_worker_killed_while_sending_a_notice(
    pg_ctx: Context, rabbitmq: Broker, procs: Callable[[str, str], Procs]
) -> None:
    """The guarantee, as the code gives it: the outbox dispatch sends an e-mail inside the
    database transaction that records it (CustomerMessage completed, tryTimes, outbox row
    delivered). A worker killed after the SMTP server took the message and before that commit
    leaves nothing recorded, and the redelivered sweep sends it again. SMTP has no idempotency,
    so no sender can promise exactly-once e-mail here; what we promise is:

    * recorded exactly once: one CustomerMessage (completed, tryTimes 1), one outbox row
      (delivered, 1 attempt) - the killed attempt left no trace in the database;
    * delivered at least once (here exactly twice: once before the kill, once on redelivery),
      every copy with the same X-OSSAgent-Message-Id (the CustomerMessage id), so the receiver
      can drop the duplicate, and the same Message-ID (``<message id@ossagent>``), so a mail
      system that deduplicates on Message-ID shows one;
    * the sweep job: one job, two deliveries, done.

    No credit is involved: credits are booked from the problem's resolution by the active
    agent, not by the outbox dispatch a worker runs."""
    smtp = KillingSmtp()
    try:
        with pg_ctx.begin() as s:
            load_seed(
                s,
                {
                    "customers": [
                        {
                            "id": "CUST-WK",
                            "name": "Kill Test Ltd",
                            "contacts": [{"kind": "email", "address": RECIPIENT, "name": "NOC"}],
                        }
                    ]
                },
            )
            service = Service(external_id="INET-WK-N", name="INET-WK-N", service_type="internet-access")
            s.add(service)
            s.flush()
            problem = ServiceProblem(
                id="SP-WK-1",
                service_id=service.id,
                customer_id="CUST-WK",
                state=ProblemState.IN_PROGRESS,
                opened_at=utcnow(),
                reason="worker-kill test",
            )
            s.add(problem)
            s.flush()
            assert notify(s, problem, "interrupted", utcnow()) == 1
        msg, out = _notice(pg_ctx)
        assert (msg.state, msg.try_times, out.state) == (MessageState.INITIAL, 0, OutboxState.PENDING)

        queue = rabbitmq.queue()
        p = procs(rabbitmq.url, queue)
        env = {
            "OSSAGENT_SMTP_HOST": "127.0.0.1",
            "OSSAGENT_SMTP_PORT": str(smtp.port),
            "OSSAGENT_SMTP_STARTTLS": "false",
        }
        d = _dispatcher(pg_ctx, rabbitmq, queue)
        try:
            first = p.start("worker", "--concurrency", "1", log="worker-1", **env)
            smtp.victim = first.pid  # its own session: the group is the worker and its pool
            job_id = d.send_sweep("outbox:dispatch")
            assert job_id is not None
            assert _died(p, first, "worker-1", 90) == -signal.SIGKILL, p.log("worker-1")[-4000:]
            p.kill(first)
            assert smtp.killed and len(smtp.messages) == 1
            # Nothing recorded: the transaction around the send never committed.
            msg, out = _notice(pg_ctx)
            assert msg.state is not MessageState.COMPLETED and msg.try_times == 0 and msg.sent_at is None
            assert (out.state, out.attempts) == (OutboxState.PENDING, 0)
            row = _job(pg_ctx, job_id)
            assert (row.state, row.attempts) == (JobState.RUNNING.value, 1)

            second = p.start("worker", "--concurrency", "1", log="worker-2", **env)
            wait_for(
                lambda: _settled(pg_ctx, job_id),
                timeout=90,
                interval=0.5,
                what=lambda: (
                    f"the redelivered dispatch to finish: {_job(pg_ctx, job_id).state}\n"
                    f"{p.log('worker-2')[-4000:]}"
                ),
            )
            row = _job(pg_ctx, job_id)
            assert (row.state, row.attempts) == (JobState.DONE.value, 2), row.last_error
            assert _sweeps(pg_ctx, "outbox:dispatch") == 1

            msg, out = _notice(pg_ctx)
            assert msg.state is MessageState.COMPLETED, msg.last_error
            assert msg.try_times == 1 and msg.sent_at is not None
            assert (out.state, out.attempts) == (OutboxState.DELIVERED, 1), out.last_error
            # At least once on the wire: the copy the killed worker sent, and the redelivery's.
            assert len(smtp.messages) == 2
            assert smtp.header("To") == [RECIPIENT, RECIPIENT]
            # Both copies carry the same dedup ids: ours, and the Message-ID mail systems use.
            assert smtp.header("X-OSSAgent-Message-Id") == [msg.id, msg.id]
            assert smtp.header("Message-ID") == [f"<{msg.id}@ossagent>"] * 2
            # And a second notify of the same transition queues nothing new.
            with pg_ctx.begin() as s:
                again = s.get(ServiceProblem, "SP-WK-1")
                assert again is not None
                assert notify(s, again, "interrupted", utcnow()) == 0
            with pg_ctx.begin() as s:
                assert s.scalar(select(func.count()).select_from(CustomerMessage)) == 1
                assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 1
            p.kill(second, signal.SIGTERM)
        finally:
            d.close()
    finally:
        smtp.close()
