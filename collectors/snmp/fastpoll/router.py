"""Choose between the in-process fast poller and the pool, per burst.

A pool only pays when many polls are asked for at once (``ossagent poll --all``, the scheduler
catching up after a start): one process decodes a 50-port device in about 2 ms, so polls that
trickle in (the scheduler's jittered intervals, a Celery worker running one job at a time) are
cheapest in the caller's own process, with no processes to start and no pickling. The router
polls in-process until ``threshold`` polls are in flight, then sends the overflow to the pool.
A device sent to the pool stays there (sticky), so its state stays in one place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from collectors.snmp.fastpoll.poller import FastPoller, PollRequest, poll_all
from collectors.snmp.fastpoll.pool import PollerPool
from inventory.domain import Observation

DEFAULT_THRESHOLD = 64


class PollRouter:
    def __init__(
        self, local: FastPoller, pool: PollerPool | None, threshold: int = DEFAULT_THRESHOLD
    ) -> None:
        self.local = local
        self.pool = pool
        self.threshold = threshold
        self.in_flight = 0
        self._pooled: set[str] = set()

    async def start(self) -> None:
        await self.local.start()

    async def poll(self, req: PollRequest) -> Observation:
        name = req.target.device
        use_pool = self.pool is not None and (name in self._pooled or self.in_flight >= self.threshold)
        self.in_flight += 1
        try:
            if use_pool:
                assert self.pool is not None
                self._pooled.add(name)
                return await self.pool.poll(req)
            return await self.local.poll(req)
        finally:
            self.in_flight -= 1

    async def poll_many(
        self,
        requests: Iterable[PollRequest],
        on_result: Callable[[Observation], Awaitable[None] | None] | None = None,
    ) -> list[Observation]:
        return await poll_all(self.poll, requests, on_result)

    async def close(self) -> None:
        self.local.close()
        if self.pool is not None:
            await self.pool.close()

    def terminate(self) -> None:
        self.local.close()
        if self.pool is not None:
            self.pool.terminate()
