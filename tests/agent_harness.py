"""Running pieces of the agent (trap service, scheduler) in a background thread for tests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from agent.context import Context
from agent.runtime import Runtime


class Background:
    """An event loop in a thread running ``main(rt, stop)`` until ``close()``."""

    def __init__(self, ctx: Context, main: Callable[[Runtime, asyncio.Event], Awaitable[Any]]) -> None:
        self.ctx = ctx
        self._main = main
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.rt: Runtime | None = None
        self.stop_event: asyncio.Event | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        if not self.ready.wait(15):
            raise RuntimeError("background agent did not start")
        if self.error:
            raise self.error

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def go() -> None:
            self.rt = Runtime(self.ctx)
            self.stop_event = asyncio.Event()
            self.loop.call_soon(self.ready.set)
            try:
                await self._main(self.rt, self.stop_event)
            except BaseException as exc:
                self.error = exc
                self.ready.set()
                raise
            finally:
                self.rt.close()

        try:
            self.loop.run_until_complete(go())
        except BaseException:
            pass
        finally:
            self.loop.close()

    def call(self, fn: Callable[[], Any]) -> None:
        self.loop.call_soon_threadsafe(fn)

    def close(self, timeout: float = 20) -> None:
        if self.stop_event is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(timeout)
        if self.error and not isinstance(self.error, asyncio.CancelledError):
            raise self.error
