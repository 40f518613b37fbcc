"""Scale-out on Celery: workers that run the agent's job functions (``ossagent worker``), the
scheduler lease that keeps one agent scheduling, and the job ledger that makes redelivered
tasks apply once. None of it is used without ``broker_url`` (single-process mode)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.config import Settings

if TYPE_CHECKING:
    from agent.runtime import Runtime
    from agent.worker.dispatch import BrokerDispatcher


def lease_required(settings: Settings) -> bool:
    """With workers several agents may run (one active, the others standing by)."""
    return bool(settings.broker_url) or settings.scheduler_lease


def dispatcher_for(rt: Runtime) -> BrokerDispatcher | None:
    """The broker dispatcher when a broker is configured; None in single-process mode, which
    then does not even import Celery."""
    if not rt.ctx.settings.broker_url:
        return None
    from agent.worker.dispatch import BrokerDispatcher

    return BrokerDispatcher(rt)
