"""A minimal blocking SNMPv2c client: enough to check that simulated devices answer.

``start()`` uses it to return only once every device responds; tests use it for quick reads
without spawning a process. Not a general SNMP library.
"""

from __future__ import annotations

import os
import select
import socket
import time
from collections.abc import Sequence

from collectors.snmp.wire import ber
from collectors.snmp.wire.ber import BERError, Value

SYS_UPTIME_0 = (1, 3, 6, 1, 2, 1, 1, 3, 0)


def _request(
    tag: int, request_id: int, community: str, oids: Sequence[tuple[int, ...]], a: int = 0, b: int = 0
) -> bytes:
    vbs = b"".join(ber.varbind(ber.encode_oid(o), ber.NULL_TLV) for o in oids)
    return ber.encode_community_message(1, community.encode(), ber.encode_pdu(tag, request_id, a, b, vbs))


def probe(
    targets: Sequence[tuple[str, int]], community: str, timeout: float = 10.0, interval: float = 0.5
) -> set[int]:
    """GET sysUpTime.0 from every target; returns the indices of the targets that answered.

    Requests go out in bursts and are resent to the silent ones every ``interval`` seconds, so
    a thousand devices take well under a second when they are up.
    """
    answered: set[int] = set()
    base = int.from_bytes(os.urandom(3), "big") << 7
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        deadline = time.monotonic() + timeout
        while len(answered) < len(targets) and time.monotonic() < deadline:
            for i, target in enumerate(targets):
                if i not in answered:
                    try:
                        sock.sendto(_request(ber.GET_REQUEST, base + i, community, [SYS_UPTIME_0]), target)
                    except BlockingIOError:
                        break  # send buffer full: the rest go out on the next round
            round_end = min(time.monotonic() + interval, deadline)
            while len(answered) < len(targets):
                left = round_end - time.monotonic()
                if left <= 0:
                    break
                ready, _, _ = select.select([sock], [], [], left)
                if not ready:
                    break
                while True:
                    try:
                        data = sock.recv(65535)
                    except BlockingIOError:
                        break
                    try:
                        msg = ber.decode_community_message(data)
                    except BERError:
                        continue  # not ours or garbled: the target is retried
                    k = msg.pdu.request_id - base
                    if 0 <= k < len(targets) and msg.pdu.tag == ber.RESPONSE:
                        answered.add(k)
    return answered


def snmp_request(
    host: str,
    port: int,
    community: str,
    oids: Sequence[tuple[int, ...]],
    *,
    tag: int = ber.GET_REQUEST,
    non_repeaters: int = 0,
    max_repetitions: int = 0,
    timeout: float = 2.0,
    retries: int = 1,
) -> list[tuple[tuple[int, ...], Value]]:
    """One v2c request; returns the response varbinds. Raises TimeoutError without an answer
    and RuntimeError on an error-status."""
    request_id = int.from_bytes(os.urandom(3), "big")
    msg = _request(tag, request_id, community, oids, non_repeaters, max_repetitions)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        for _ in range(retries + 1):
            sock.sendto(msg, (host, port))
            deadline = time.monotonic() + timeout
            while (left := deadline - time.monotonic()) > 0:
                sock.settimeout(left)
                try:
                    data = sock.recv(65535)
                except TimeoutError:
                    break
                reply = ber.decode_community_message(data)
                if reply.pdu.request_id != request_id:
                    continue
                if reply.pdu.error_status:
                    raise RuntimeError(
                        f"SNMP error-status {reply.pdu.error_status} at index {reply.pdu.error_index}"
                    )
                return reply.pdu.varbinds
    raise TimeoutError(f"no SNMP answer from {host}:{port}")


def get(host: str, port: int, community: str, *oids: tuple[int, ...], timeout: float = 2.0) -> list[Value]:
    return [v for _, v in snmp_request(host, port, community, list(oids), timeout=timeout)]


def walk(
    host: str,
    port: int,
    community: str,
    root: tuple[int, ...],
    *,
    max_repetitions: int = 50,
    timeout: float = 2.0,
) -> list[tuple[tuple[int, ...], Value]]:
    """GETBULK walk of a subtree; raises RuntimeError when OIDs do not increase."""
    out: list[tuple[tuple[int, ...], Value]] = []
    oid = root
    while True:
        vbs = snmp_request(
            host,
            port,
            community,
            [oid],
            tag=ber.GET_BULK_REQUEST,
            max_repetitions=max_repetitions,
            timeout=timeout,
        )
        if not vbs:
            return out
        for name, value in vbs:
            if value.tag == ber.END_OF_MIB_VIEW or name[: len(root)] != root:
                return out
            if name <= oid:
                raise RuntimeError(f"OID not increasing: {ber.format_oid(name)} after {ber.format_oid(oid)}")
            out.append((name, value))
            oid = name
