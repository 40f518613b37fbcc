"""Latency and loss on a node's egress, for kernels without ``sch_netem``.

``tc qdisc ... netem`` is the normal tool, and the netns engine uses it where the kernel has it.
Kernels built without ``CONFIG_NET_SCH_NETEM`` and without loadable modules (the machine this
was written on) still have NFQUEUE: an iptables rule in the node's namespace hands every
packet leaving a non-loopback interface to this process, which gives the verdict ACCEPT after
``delay_ms`` or DROP with probability ``loss_pct``. The packets really cross the kernel late
(or not at all), exactly as with netem's ``delay``/``loss`` on every interface.

Fail-open both ways: the rule has ``--queue-bypass`` (no listener: packets pass) and the queue
has ``F_FAIL_OPEN`` (queue full: packets pass), so a crashed helper never blackholes a node.

Run inside the namespace: ``python -m lab.netns.netem --queue N --delay-ms D --loss-pct P``.
Pure netlink (no libnetfilter_queue), so it needs nothing beyond the standard library.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import select
import signal
import socket
import struct
import time
from types import FrameType

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET = 0
NFQNL_MSG_VERDICT = 1
NFQNL_MSG_CONFIG = 2
NFQA_PACKET_HDR = 1
NFQA_VERDICT_HDR = 2
NFQA_CFG_CMD = 1
NFQA_CFG_PARAMS = 2
NFQA_CFG_QUEUE_MAXLEN = 3
NFQA_CFG_MASK = 4
NFQA_CFG_FLAGS = 5
NFQA_CFG_F_FAIL_OPEN = 1
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NLM_F_REQUEST = 1
NLM_F_ACK = 4
NLMSG_ERROR = 2
NF_DROP = 0
NF_ACCEPT = 1

CHAIN = "OSSAGENT_NETEM"


def _attr(kind: int, payload: bytes) -> bytes:
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * ((4 - length % 4) % 4)


def _msg(msg_type: int, queue: int, attrs: bytes, flags: int = NLM_F_REQUEST, seq: int = 0) -> bytes:
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(queue)) + attrs
    return struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | msg_type, flags, seq, 0) + body


def config_messages(queue: int, maxlen: int = 4096) -> list[bytes]:
    """BIND the queue, copy metadata only (we never read payloads), fail open when full."""
    bind = _attr(NFQA_CFG_CMD, struct.pack("!BxH", NFQNL_CFG_CMD_BIND, 0))
    params = _attr(NFQA_CFG_PARAMS, struct.pack("!IB", 0, NFQNL_COPY_META))
    extra = _attr(NFQA_CFG_QUEUE_MAXLEN, struct.pack("!I", maxlen))
    extra += _attr(NFQA_CFG_MASK, struct.pack("!I", NFQA_CFG_F_FAIL_OPEN))
    extra += _attr(NFQA_CFG_FLAGS, struct.pack("!I", NFQA_CFG_F_FAIL_OPEN))
    flags = NLM_F_REQUEST | NLM_F_ACK
    return [
        _msg(NFQNL_MSG_CONFIG, queue, bind, flags, 1),
        _msg(NFQNL_MSG_CONFIG, queue, params + extra, flags, 2),
    ]


def verdict_message(queue: int, packet_id: int, verdict: int) -> bytes:
    return _msg(NFQNL_MSG_VERDICT, queue, _attr(NFQA_VERDICT_HDR, struct.pack("!II", verdict, packet_id)))


def packet_ids(data: bytes) -> list[int]:
    """The packet ids of the NFQNL_MSG_PACKET messages in one netlink read."""
    ids = []
    off = 0
    while off + 16 <= len(data):
        length, mtype = struct.unpack_from("=IH", data, off)
        if length < 16:
            break
        if mtype == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
            a = off + 20  # nlmsghdr (16) + nfgenmsg (4)
            while a + 4 <= off + length:
                alen, akind = struct.unpack_from("=HH", data, a)
                if alen < 4:
                    break
                if akind & 0x7FFF == NFQA_PACKET_HDR:
                    ids.append(struct.unpack_from("!I", data, a + 4)[0])
                a += (alen + 3) & ~3
        off += (length + 3) & ~3
    return ids


def _check_acks(sock: socket.socket, expected: int) -> None:
    got = 0
    while got < expected:
        data = sock.recv(65536)
        off = 0
        while off + 16 <= len(data):
            length, mtype = struct.unpack_from("=IH", data, off)
            if mtype == NLMSG_ERROR:
                (err,) = struct.unpack_from("=i", data, off + 16)
                if err:
                    raise OSError(-err, f"nfqueue config: {os.strerror(-err)}")
                got += 1
            off += (length + 3) & ~3 if length else len(data)


def iptables_add(queue: int) -> list[list[str]]:
    """iptables commands (run in the node's namespace) that queue all non-loopback egress."""
    nfq = ["-j", "NFQUEUE", "--queue-num", str(queue), "--queue-bypass"]
    return [
        ["iptables", "-w", "-t", "mangle", "-N", CHAIN],
        ["iptables", "-w", "-t", "mangle", "-A", CHAIN, "!", "-o", "lo", *nfq],
        ["iptables", "-w", "-t", "mangle", "-A", "POSTROUTING", "-j", CHAIN],
    ]


def iptables_remove() -> list[list[str]]:
    return [
        ["iptables", "-w", "-t", "mangle", "-D", "POSTROUTING", "-j", CHAIN],
        ["iptables", "-w", "-t", "mangle", "-F", CHAIN],
        ["iptables", "-w", "-t", "mangle", "-X", CHAIN],
    ]


def serve(queue: int, delay_ms: float, loss_pct: float, ready_file: str | None = None) -> None:
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((0, 0))
    msgs = config_messages(queue)
    for m in msgs:
        sock.send(m)
    _check_acks(sock, len(msgs))
    if ready_file:
        with open(ready_file, "w") as fh:
            fh.write(f"{os.getpid()}\n")
    stop = False

    def on_term(_sig: int, _frame: FrameType | None) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    delay = delay_ms / 1000.0
    loss = loss_pct / 100.0
    pending: collections.deque[tuple[float, int]] = collections.deque()  # constant delay: FIFO
    while not stop:
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            sock.send(verdict_message(queue, pending.popleft()[1], NF_ACCEPT))
        timeout = max(0.0, pending[0][0] - now) if pending else 0.5
        try:
            readable, _, _ = select.select([sock], [], [], timeout)
        except InterruptedError:
            continue
        if not readable:
            continue
        try:
            data = sock.recv(65536)
        except InterruptedError:
            continue
        arrived = time.monotonic()
        for pid in packet_ids(data):
            if loss and random.random() < loss:
                sock.send(verdict_message(queue, pid, NF_DROP))
            elif delay <= 0:
                sock.send(verdict_message(queue, pid, NF_ACCEPT))
            else:
                pending.append((arrived + delay, pid))
    # Let what we hold go on exit rather than dropping it.
    for _, pid in pending:
        sock.send(verdict_message(queue, pid, NF_ACCEPT))
    sock.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m lab.netns.netem")
    ap.add_argument("--queue", type=int, default=0)
    ap.add_argument("--delay-ms", type=float, default=0.0)
    ap.add_argument("--loss-pct", type=float, default=0.0)
    ap.add_argument("--ready-file", default=None)
    a = ap.parse_args(argv)
    serve(a.queue, a.delay_ms, a.loss_pct, a.ready_file)


if __name__ == "__main__":
    main()
