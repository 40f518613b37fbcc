"""The agent's periodic fault work: announce settled alarms, deliver the outbox, clear
flapping alarms once stable, and publish receiver counters for /metrics."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import delete, select

from agent.bss.delivery import deliver_notice, mark_failed
from agent.config import fault_config
from agent.faults.announce import announce
from agent.faults.engine import sweep
from agent.faults.topology import recorrelate
from agent.outbox import Attempt, Delivery, hub_sender, record, signing_key, take_due
from agent.runtime import Runtime
from inventory.choices import OutboxState
from inventory.domain import Secret
from inventory.fault_models import AgentCounter, Event
from inventory.hub import parse_networks
from inventory.types import utcnow

log = logging.getLogger(__name__)
DELIVERY_CONCURRENCY = 8


async def announce_job(rt: Runtime) -> int:
    def work() -> int:
        now = utcnow()
        with rt.ctx.begin() as s:
            return announce(s, now)

    return await asyncio.to_thread(work)


async def sweep_job(rt: Runtime) -> int:
    cfg = fault_config(rt.ctx.settings)

    def work() -> int:
        now = utcnow()
        with rt.ctx.begin() as s:
            n = sweep(s, cfg, now)
            # Operators clear alarms from the web too; correlation follows on the next sweep.
            recorrelate(s, now, cfg.settle_s)
            return n

    return await asyncio.to_thread(work)


async def dispatch_job(rt: Runtime, limit: int = 200) -> int:
    """Deliver what is due in the outbox: hub events, and customer notices (email, webhook).
    Returns how many were delivered."""
    allow = parse_networks(rt.ctx.settings.hub_allow_networks)

    def due() -> tuple[list[Delivery], Secret]:
        with rt.ctx.begin() as s:
            return take_due(s, utcnow(), limit), signing_key(s)

    deliveries, key = await asyncio.to_thread(due)
    if not deliveries:
        return 0
    send = hub_sender(key, allow)
    gate = asyncio.Semaphore(DELIVERY_CONCURRENCY)

    def notice(d: Delivery) -> Attempt:
        # A notice updates its message row (state, tryTimes) in the same unit of work as the
        # outbox bookkeeping.
        with rt.ctx.begin() as s:
            attempt = deliver_notice(s, rt.ctx.settings, d, key, allow)
            if record(s, d, attempt, utcnow()) is OutboxState.PARKED:
                mark_failed(s, d)
            return attempt

    def hub(d: Delivery) -> Attempt:
        attempt = send(d)
        with rt.ctx.begin() as s:
            record(s, d, attempt, utcnow())
        return attempt

    async def one(d: Delivery) -> Attempt:
        async with gate:
            return await asyncio.to_thread(hub if d.channel == "hub" else notice, d)

    results = await asyncio.gather(*(one(d) for d in deliveries))
    return sum(1 for a in results if a.ok)


def publish_counters(rt: Runtime, counters: Mapping[tuple[str, str], float]) -> None:
    """Write the receiver's counters (name, labels) -> value for the web's /metrics."""
    now = utcnow()
    with rt.ctx.begin() as s:
        existing = {(c.name, c.labels): c for c in s.scalars(select(AgentCounter))}
        for (name, labels), value in counters.items():
            row = existing.get((name, labels))
            if row is None:
                s.add(AgentCounter(name=name, labels=labels, value=value, updated_at=now))
            else:
                row.value = value
                row.updated_at = now


def prune_events(rt: Runtime) -> int:
    cutoff = utcnow() - timedelta(days=rt.ctx.settings.event_retention_days)
    with rt.ctx.begin() as s:
        result = s.execute(delete(Event).where(Event.received_at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)
