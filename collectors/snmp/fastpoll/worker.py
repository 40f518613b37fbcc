"""One process of the poller pool (``python -m collectors.snmp.fastpoll.worker``).

Reads batches of ``(ticket, PollRequest)`` frames on stdin, polls them with one
:class:`FastPoller`, and writes ``(ticket, Observation)`` batches to stdout as polls complete.
Exits at end-of-file on stdin (the parent closed it or died).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import sys
from collections.abc import Sequence

from collectors.snmp.fastpoll.poller import DEFAULT_MAX_VARBINDS, DEFAULT_WINDOW, FastPoller, PollRequest
from collectors.snmp.fastpoll.pool import encode_frame, read_frame
from inventory.domain import Observation


async def serve(window: int, max_varbinds: int, in_fd: int, out_fd: int) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 20)
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(in_fd, "rb", buffering=0)
    )
    transport, protocol = await loop.connect_write_pipe(
        asyncio.streams.FlowControlMixin, os.fdopen(out_fd, "wb", buffering=0)
    )
    writer = asyncio.StreamWriter(transport, protocol, None, loop)
    results: list[tuple[int, Observation]] = []
    flush_scheduled = False

    def flush() -> None:
        nonlocal flush_scheduled, results
        flush_scheduled = False
        if results:
            batch, results = results, []
            writer.write(encode_frame(batch))

    def done(ticket: int, task: asyncio.Task[Observation]) -> None:
        nonlocal flush_scheduled
        results.append((ticket, task.result()))
        if not flush_scheduled:
            # Results completed in the same turn of the loop go back as one frame.
            flush_scheduled = True
            loop.call_soon(flush)

    tasks: set[asyncio.Task[Observation]] = set()
    async with FastPoller(window=window, max_varbinds=max_varbinds) as poller:
        while True:
            try:
                batch = await read_frame(reader)
            except asyncio.IncompleteReadError:
                break
            assert isinstance(batch, list)
            for ticket, req in batch:
                assert isinstance(req, PollRequest)
                task = asyncio.create_task(poller.poll(req))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                task.add_done_callback(functools.partial(done, ticket))
        if tasks:
            await asyncio.gather(*tasks)
        flush()
        await writer.drain()
    writer.close()


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--window", type=int, default=DEFAULT_WINDOW)
    ap.add_argument("--max-varbinds", type=int, default=DEFAULT_MAX_VARBINDS)
    args = ap.parse_args(argv)
    # Frames own the original stdout; anything printed by accident goes to stderr instead.
    out_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        asyncio.run(serve(args.window, args.max_varbinds, 0, out_fd))
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
