"""A pool of poller processes (one per core by default), each owning a share of the devices.

One Python process decodes replies on one core; a pool spreads that over the machine. A device
always goes to the same process (a stable hash of its name), so its state (request templates,
row count, SNMPv3 engine time and localised keys) stays warm in one place.

The parent talks to each process over its stdin/stdout with length-prefixed pickle frames
(requests in, ``Observation`` values out), batched per event-loop turn. The processes only
poll: they never touch the database. The parent receives every observation and does the
writing, because SQLite has one writer at a time (N processes writing would queue on its lock
and add busy-retries), and because the fault engine must see one consistent stream of results
per device. A process that dies fails its in-flight polls with a clear error and is restarted
on the next poll; a process whose parent dies sees end-of-file on stdin and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import struct
import sys
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from collectors.snmp.fastpoll.poller import DEFAULT_MAX_VARBINDS, DEFAULT_WINDOW, PERF, PollRequest, poll_all
from inventory.domain import Observation

_HEADER = struct.Struct("!I")
_MAX_FRAME = 1 << 30


def default_processes() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def encode_frame(obj: object) -> bytes:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


async def read_frame(reader: asyncio.StreamReader) -> object:
    (n,) = _HEADER.unpack(await reader.readexactly(_HEADER.size))
    if n > _MAX_FRAME:
        raise ValueError(f"frame of {n} bytes")
    # Frames come only from our own child or parent process over a private pipe.
    return pickle.loads(await reader.readexactly(n))  # noqa: S301


@dataclass
class _Worker:
    index: int
    proc: asyncio.subprocess.Process
    pending: dict[int, asyncio.Future[Observation]] = field(default_factory=dict)
    outbox: list[tuple[int, PollRequest]] = field(default_factory=list)
    reader_task: asyncio.Task[None] | None = None
    alive: bool = True


class PollerPool:
    """``poll()`` / ``poll_many()`` like :class:`FastPoller`, spread over processes."""

    def __init__(
        self,
        processes: int | None = None,
        *,
        window: int = DEFAULT_WINDOW,
        max_varbinds: int = DEFAULT_MAX_VARBINDS,
    ) -> None:
        self.processes = processes or default_processes()
        self.window = window
        self.max_varbinds = max_varbinds
        self._workers: list[_Worker | None] = [None] * self.processes
        self._tickets = 0
        self._flush_scheduled = False
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        for i in range(self.processes):
            await self._worker(i)

    async def _spawn(self, index: int) -> _Worker:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "collectors.snmp.fastpoll.worker",
            "--window",
            str(self.window),
            "--max-varbinds",
            str(self.max_varbinds),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=1 << 20,
        )
        w = _Worker(index, proc)
        w.reader_task = asyncio.create_task(self._read(w))
        return w

    async def _worker(self, index: int) -> _Worker:
        w = self._workers[index]
        if w is not None and w.alive:
            return w
        async with self._lock:
            w = self._workers[index]
            if w is None or not w.alive:
                w = self._workers[index] = await self._spawn(index)
        return w

    def owner(self, device: str) -> int:
        """The process that polls ``device``: stable across polls and agent restarts."""
        return zlib.crc32(device.encode()) % self.processes

    async def poll(self, req: PollRequest) -> Observation:
        w = await self._worker(self.owner(req.target.device))
        loop = asyncio.get_running_loop()
        self._tickets += 1
        ticket = self._tickets
        fut: asyncio.Future[Observation] = loop.create_future()
        w.pending[ticket] = fut
        w.outbox.append((ticket, req))
        if not self._flush_scheduled:
            # Everything asked for in this turn of the loop goes out as one frame per process.
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        try:
            return await fut
        except _WorkerDied as exc:
            return Observation(
                device=req.target.device,
                collector=PERF,
                ok=False,
                started=datetime.now(UTC),
                duration_s=0.0,
                error=str(exc),
            )

    async def poll_many(
        self,
        requests: Iterable[PollRequest],
        on_result: Callable[[Observation], Awaitable[None] | None] | None = None,
    ) -> list[Observation]:
        return await poll_all(self.poll, requests, on_result)

    def _flush(self) -> None:
        self._flush_scheduled = False
        for w in self._workers:
            if w is None or not w.outbox:
                continue
            batch, w.outbox = w.outbox, []
            stdin = w.proc.stdin
            if not w.alive or stdin is None or stdin.is_closing():
                self._fail(w, "poller process is gone")
                continue
            # StreamWriter.write buffers without blocking: the loop never waits on a child.
            stdin.write(encode_frame(batch))

    async def _read(self, w: _Worker) -> None:
        assert w.proc.stdout is not None
        try:
            while True:
                batch = await read_frame(w.proc.stdout)
                assert isinstance(batch, list)
                for ticket, obs in batch:
                    fut = w.pending.pop(ticket, None)
                    if fut is not None and not fut.done():
                        fut.set_result(obs)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, pickle.UnpicklingError):
            pass
        finally:
            w.alive = False
            code = w.proc.returncode
            self._fail(w, f"poller process {w.index} exited" + (f" with status {code}" if code else ""))

    @staticmethod
    def _fail(w: _Worker, why: str) -> None:
        w.alive = False
        for fut in w.pending.values():
            if not fut.done():
                fut.set_exception(_WorkerDied(why))
        w.pending.clear()

    @property
    def pids(self) -> list[int]:
        return [w.proc.pid for w in self._workers if w is not None and w.alive]

    async def close(self, grace_s: float = 5.0) -> None:
        for w in self._workers:
            if w is None:
                continue
            if w.proc.stdin is not None:
                w.proc.stdin.close()  # end-of-file: the process finishes and exits
            try:
                await asyncio.wait_for(w.proc.wait(), grace_s)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    w.proc.kill()
                await w.proc.wait()
            if w.reader_task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await w.reader_task
        self._workers = [None] * self.processes

    def terminate(self) -> None:
        """Synchronous last resort (garbage collection, interpreter exit): kill the processes."""
        for w in self._workers:
            if w is not None and w.proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    w.proc.kill()

    async def __aenter__(self) -> PollerPool:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class _WorkerDied(Exception):
    pass
