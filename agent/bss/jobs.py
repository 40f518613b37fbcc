"""The agent's periodic BSS work."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from agent.bss.fulfilment import advance
from agent.bss.outages import track
from agent.runtime import Runtime
from bss_bridge.credits import month_end
from bss_bridge.sla import month_of
from bss_bridge.tmf.common import event_envelope
from bss_bridge.tmf.problem import credit_to_tmf
from inventory.hub import enqueue_event, new_event_id
from inventory.types import utcnow

VERIFY_TIMEOUT_S = 90.0


async def fulfilment_job(rt: Runtime) -> int:
    def work() -> int:
        with rt.ctx.begin() as s:
            return advance(s, utcnow(), VERIFY_TIMEOUT_S)

    return await asyncio.to_thread(work)


async def outages_job(rt: Runtime) -> int:
    def work() -> int:
        with rt.ctx.begin() as s:
            changes = track(s, utcnow())
            return len(changes.opened) + len(changes.resolved)

    return await asyncio.to_thread(work)


async def month_end_job(rt: Runtime) -> int:
    """Make last month's credits exact (idempotent: records are keyed; run it hourly)."""

    def work() -> int:
        now = utcnow()
        month = month_of(now.replace(day=1) - timedelta(days=1))
        with rt.ctx.begin() as s:
            changes = month_end(s, month, now)
            for change in changes:
                if change.changed:
                    event = (
                        "AppliedCustomerBillingRateCreateEvent"
                        if change.created
                        else "AppliedCustomerBillingRateAttributeValueChangeEvent"
                    )
                    event_id = new_event_id()
                    doc = event_envelope(
                        event, "appliedCustomerBillingRate", credit_to_tmf(change.record), event_id, now
                    )
                    enqueue_event(s, "customerBillManagement", event, doc, event_id, now=now)
            return len(changes)

    return await asyncio.to_thread(work)
