"""The fast poller: many devices in flight on one event loop, one UDP socket per address family.

Flow control. Requests go out through a window (``window`` requests awaiting a reply) sized so
that the replies fit the socket's receive buffer: an overflowing buffer drops replies silently,
which is how plain pysnmp lost 702 of 1,000 devices at 256 in flight. A request that has not
been answered within half its timeout gives its window slot back (its reply, if it ever comes,
is still accepted), and devices whose last poll failed use a lane of their own: dead and slow
devices therefore never hold the window that the healthy ones need.

Per device the poller keeps what is worth keeping between polls: the resolved address, the
request templates, the row count of the last walk (to size max-repetitions), and for SNMPv3 the
agent's engine ID, boots and time with the keys localised to it once.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from collectors.snmp.fastpoll import codec
from collectors.snmp.fastpoll.codec import RawVarbind, ReplyError, Template
from collectors.snmp.values import Exc, Row, Value
from collectors.snmp.wire import ber, usm
from collectors.snmp.wire.ber import BERError
from collectors.specs import Oid, PollSpec, load_spec
from inventory.choices import IfStatus, SnmpVersion
from inventory.domain import CounterReading, Observation, PerfData, SnmpTarget

PERF = "snmp-perf"  # the collector name collect.poll_interfaces reports, so storage is unchanged

# One GETBULK may carry this many varbinds: a 50-port table of 10 columns (51 x 10) in a single
# round trip. The reply (~15 kB) fragments on a 1500-byte path, which loopback, LANs and
# management VLANs carry without loss in practice; agents that cannot send that much truncate
# the reply (RFC 3416 4.2.3) and the walk simply continues.
DEFAULT_MAX_VARBINDS = 512
DEFAULT_WINDOW = 128
# Asked for; Linux caps it at net.core.rmem_max (and doubles it for bookkeeping).
DEFAULT_RCVBUF = 8 << 20
END_OF_MIB_VIEW = ber.END_OF_MIB_VIEW
_DRAIN_MAX = 256
_RECV_SIZE = 65535
_DEFAULT_ROWS = 25  # first walk of a device whose table size nobody told us


async def poll_all(
    poll: Callable[[PollRequest], Awaitable[Observation]],
    requests: Iterable[PollRequest],
    on_result: Callable[[Observation], Awaitable[None] | None] | None = None,
) -> list[Observation]:
    """Every request at once through ``poll`` (the poller's window bounds what is in flight),
    in input order; ``on_result`` sees each observation as soon as it is complete."""

    async def one(r: PollRequest) -> Observation:
        obs = await poll(r)
        if on_result is not None:
            maybe = on_result(obs)
            if maybe is not None:
                await maybe
        return obs

    return list(await asyncio.gather(*(one(r) for r in requests)))


class PollTimeout(Exception):
    pass


@dataclass(frozen=True)
class PollRequest:
    """One performance poll: what collect.poll_interfaces takes, as a picklable value."""

    target: SnmpTarget
    hc: bool = True
    expected_rows: int | None = None


@dataclass(frozen=True)
class _SpecPlan:
    spec: PollSpec
    names: tuple[str, ...]
    columns: tuple[bytes, ...]  # OID content bytes of each column
    uptime: bytes  # sysUpTime.0 content bytes
    uptime_next: bytes  # sysUpTime (GETNEXT of it gives sysUpTime.0)


@dataclass
class _Pending:
    future: asyncio.Future[bytes]
    addr: tuple[str, int]


@dataclass
class _Device:
    target: SnmpTarget
    addr: tuple[str, int]
    family: int
    community: bytes = b""
    peer: codec.V3Peer | None = None
    templates: dict[tuple[str, int], Template] = field(default_factory=dict)
    rows: int | None = None
    failures: int = 0


@dataclass
class PollerStats:
    sent: int = 0
    received: int = 0
    unmatched: int = 0  # late replies (after a retry or timeout), strays, spoofs
    rcvbuf: int = 0


def _user_config(target: SnmpTarget) -> usm.UserConfig:
    c = target.credentials
    assert c.user and c.auth_proto and c.auth_key and c.priv_proto and c.priv_key
    # SnmpAuthProto/SnmpPrivProto values are the wire codec's protocol names.
    return usm.UserConfig(
        c.user, str(c.auth_proto), c.auth_key.reveal(), str(c.priv_proto), c.priv_key.reveal()
    )


def readings(uptime: Value, rows: dict[Oid, Row], spec: PollSpec) -> PerfData:
    """Rows -> PerfData, exactly as collectors.snmp.parse.parse_counters builds it."""
    if not isinstance(uptime, int) or isinstance(uptime, bool):
        raise ReplyError("no sysUpTime in reply")
    bits = spec.counter_bits

    def counter(row: Row, name: str) -> int | None:
        # type() is int: a plain non-negative int, as parse_counters accepts (no bools).
        value = row.get(name)
        return value if type(value) is int and value >= 0 else None

    single = {idx[0]: row for idx, row in rows.items() if len(idx) == 1}
    return PerfData(
        uptime_ticks=uptime,
        readings=tuple(
            CounterReading(
                if_index=idx,
                admin_status=IfStatus.parse(row.get("admin_status")),
                oper_status=IfStatus.parse(row.get("oper_status")),
                in_octets=counter(row, "in_octets"),
                out_octets=counter(row, "out_octets"),
                in_ucast_pkts=counter(row, "in_ucast_pkts"),
                out_ucast_pkts=counter(row, "out_ucast_pkts"),
                in_errors=counter(row, "in_errors"),
                out_errors=counter(row, "out_errors"),
                in_discards=counter(row, "in_discards"),
                out_discards=counter(row, "out_discards"),
                counter_bits=bits,
            )
            for idx, row in sorted(single.items())
        ),
    )


class FastPoller:
    """Performance polls of many devices over one socket per address family.

    Use from one event loop: ``await start()``, then ``poll()`` / ``poll_many()`` as often as
    needed (state per device carries over), then ``close()``.
    """

    def __init__(
        self,
        *,
        window: int = DEFAULT_WINDOW,
        max_varbinds: int = DEFAULT_MAX_VARBINDS,
        rcvbuf: int = DEFAULT_RCVBUF,
    ) -> None:
        self.window = window
        self.max_varbinds = max_varbinds
        self.rcvbuf = rcvbuf
        self.stats = PollerStats()
        self._sockets: dict[int, socket.socket] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: dict[int, _Pending] = {}
        self._devices: dict[str, _Device] = {}
        self._plans: dict[str, _SpecPlan] = {}
        self._next_id = REQUEST_ID_START
        self._healthy = asyncio.Semaphore(window)
        # Devices that failed last time: enough in parallel that 200 dead ones time out
        # together, few enough that their (rare) late replies cannot flood the buffer.
        self._suspect = asyncio.Semaphore(max(8, window // 2))

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Nothing to do up front (sockets open on first use); kept for symmetry with the pool."""

    def _socket(self, family: int) -> socket.socket:
        sock = self._sockets.get(family)
        if sock is None:
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
            self.stats.rcvbuf = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
            sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 0))
            sock.setblocking(False)
            # Our own reader rather than a DatagramTransport, which reads one datagram per turn
            # of the loop: replies would wait in the kernel behind the decoding of earlier ones,
            # and time out there although they had arrived.
            self._loop = asyncio.get_running_loop()
            self._loop.add_reader(sock.fileno(), self._drain, sock)
            self._sockets[family] = sock
        return sock

    def _drain(self, sock: socket.socket) -> None:
        """Read every datagram waiting (up to a bound, to stay fair to the rest of the loop) and
        resolve the requests they answer; decoding happens later, in each request's task."""
        for _ in range(_DRAIN_MAX):
            try:
                data, addr = sock.recvfrom(_RECV_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                # ICMP errors surface here on some systems; they name no request: the
                # request's own timeout deals with it.
                continue
            self._on_datagram(data, addr)

    def close(self) -> None:
        for sock in self._sockets.values():
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(sock.fileno())
            sock.close()
        self._sockets.clear()
        for p in self._pending.values():
            if not p.future.done():
                p.future.cancel()
        self._pending.clear()

    async def __aenter__(self) -> FastPoller:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    # -- polling -----------------------------------------------------------------------------
    async def poll(self, req: PollRequest) -> Observation:
        """One performance poll, never raising: a failure is ``Observation(ok=False)``."""
        target = req.target
        started = datetime.now(UTC)
        t0 = time.perf_counter()
        counts = [0, 0]  # requests, varbinds
        dev: _Device | None = None
        try:
            dev = await self._device(target)
            perf = await self._walk(dev, "perf_hc" if req.hc else "perf_32", req.expected_rows, counts)
        except (ReplyError, BERError, PollTimeout, OSError, usm.UsmError) as exc:
            return self._failed(dev, target, started, t0, counts, self._message(exc))
        except Exception as exc:  # one device's surprise must not take the fleet down
            return self._failed(dev, target, started, t0, counts, f"{type(exc).__name__}: {exc}")
        dev.failures = 0
        return Observation(
            device=target.device,
            collector=PERF,
            ok=True,
            started=started,
            duration_s=time.perf_counter() - t0,
            perf=perf,
            requests=counts[0],
            varbinds=counts[1],
        )

    async def poll_many(
        self,
        requests: Iterable[PollRequest],
        on_result: Callable[[Observation], Awaitable[None] | None] | None = None,
    ) -> list[Observation]:
        """Poll every device at once (the window bounds what is in flight), in input order;
        ``on_result`` sees each observation as soon as it is complete."""

        return await poll_all(self.poll, requests, on_result)

    @staticmethod
    def _message(exc: BaseException) -> str:
        if isinstance(exc, PollTimeout):
            return f"timeout: {exc}"
        if isinstance(exc, BERError):
            return f"malformed reply: {exc}"
        if isinstance(exc, usm.UsmError):
            return f"SNMPv3 configuration: {exc}"
        return str(exc)

    def _failed(
        self,
        dev: _Device | None,
        target: SnmpTarget,
        started: datetime,
        t0: float,
        counts: list[int],
        error: str,
    ) -> Observation:
        if dev is not None:
            dev.failures += 1
            if dev.peer is not None:
                # Learn the engine again next time: a replaced device has a new engine ID
                # (its agent answers unknownEngineID, which only a fresh discovery cures).
                dev.peer = None
                dev.templates.clear()
        return Observation(
            device=target.device,
            collector=PERF,
            ok=False,
            started=started,
            duration_s=time.perf_counter() - t0,
            error=error,
            requests=counts[0],
            varbinds=counts[1],
        )

    def forget(self, device: str) -> None:
        """Drop a device's state (deleted or reconfigured)."""
        self._devices.pop(device, None)

    # -- per-device state ----------------------------------------------------------------------
    async def _device(self, target: SnmpTarget) -> _Device:
        dev = self._devices.get(target.device)
        if dev is not None and dev.target == target:
            return dev
        try:
            ip = ipaddress.ip_address(target.host)
            family = int(socket.AF_INET6 if ip.version == 6 else socket.AF_INET)
            addr = (str(ip), target.port)
        except ValueError:
            infos = await asyncio.get_running_loop().getaddrinfo(
                target.host, target.port, type=socket.SOCK_DGRAM
            )
            if not infos:
                raise OSError(f"cannot resolve {target.host}") from None
            fam, _t, _p, _c, sockaddr = infos[0]
            family, addr = int(fam), (str(sockaddr[0]), int(sockaddr[1]))
        creds = target.credentials
        old = self._devices.get(target.device)
        dev = _Device(target, addr, family, failures=old.failures if old is not None else 0)
        if creds.version is SnmpVersion.V2C:
            assert creds.community is not None
            dev.community = creds.community.reveal().encode()
        self._devices[target.device] = dev
        return dev

    async def _discover_engine(self, dev: _Device) -> codec.V3Peer:
        """RFC 3414 4: learn the agent's engine ID, boots and time; localise the keys once."""
        data, _rid = await self._exchange(dev, lambda rid: codec.discovery_message(rid))
        h = usm.parse_message_header(data)
        if not 5 <= len(h.engine_id) <= 32:
            raise ReplyError("engine ID discovery: the agent sent no usable engine ID")
        user = usm.LocalizedUser.create(_user_config(dev.target), h.engine_id)
        return codec.V3Peer(user, h.engine_id, h.boots, time.monotonic(), h.time)

    def _plan(self, name: str) -> _SpecPlan:
        plan = self._plans.get(name)
        if plan is None:
            spec = load_spec(name)
            assert spec.uptime is not None
            cols = spec.tables["counters"].columns
            plan = self._plans[name] = _SpecPlan(
                spec=spec,
                names=tuple(cols),
                columns=tuple(codec.oid_content(o) for o in cols.values()),
                uptime=codec.oid_content(spec.uptime),
                uptime_next=codec.oid_content(spec.uptime[:-1]),
            )
        return plan

    # -- the walk --------------------------------------------------------------------------------
    async def _walk(
        self, dev: _Device, spec_name: str, expected_rows: int | None, counts: list[int]
    ) -> PerfData:
        """GETBULK the counter columns side by side, as SnmpSession.walk_columns does (same
        stopping rules, so the same rows), with sysUpTime riding along as a non-repeater."""
        plan = self._plan(spec_name)
        if dev.target.credentials.version is SnmpVersion.V3 and dev.peer is None:
            dev.peer = await self._discover_engine(dev)
        ncols = len(plan.columns)
        cursor: dict[int, Oid] = dict.fromkeys(range(ncols), ())
        raw: dict[int, bytes] = dict(enumerate(plan.columns))
        rows: dict[Oid, Row] = {}
        uptime: Value = None
        known_rows = expected_rows or dev.rows
        first = True
        while cursor:
            cols = list(cursor)
            width = len(cols)
            want = (known_rows + 1) if known_rows else _DEFAULT_ROWS
            max_rep = max(1, min(want, self.max_varbinds // width))
            template = self._template(dev, spec_name, plan, cols, raw, max_rep, first)
            buf, vbs = await self._request(dev, template)
            counts[0] += 1
            counts[1] += len(vbs)
            if first:
                if vbs:
                    os_, oe, tag, xs, xe = vbs[0]
                    if buf[os_:oe] == plan.uptime:
                        uptime = codec.plain_value(buf, tag, xs, xe)
                vbs = vbs[1:]
                first = False
            progressed = False
            done: set[int] = set()
            columns, names = plan.columns, plan.names
            subids, plain_value = codec.subids, codec.plain_value
            last: dict[int, tuple[int, int]] = {}
            for i, (os_, oe, tag, xs, xe) in enumerate(vbs):
                c = cols[i % width]
                if c in done:
                    continue
                prefix = columns[c]
                start = os_ + len(prefix)
                if tag == END_OF_MIB_VIEW or start > oe or not buf.startswith(prefix, os_):
                    done.add(c)
                    continue
                idx = subids(buf, start, oe) if start < oe else ()
                if idx <= cursor[c]:
                    # A non-increasing OID would loop forever; stop this column here.
                    done.add(c)
                    continue
                value = plain_value(buf, tag, xs, xe)
                if idx and not isinstance(value, Exc):
                    row = rows.get(idx)
                    if row is None:
                        row = rows[idx] = {}
                    row[names[c]] = value
                cursor[c] = idx
                last[c] = (os_, oe)
                progressed = True
            for c, (os_, oe) in last.items():
                raw[c] = buf[os_:oe]  # where a continuation request resumes this column
            for c in done:
                cursor.pop(c, None)
            if not progressed:
                break
        dev.rows = len(rows) or None
        return readings(uptime, rows, plan.spec)

    def _template(
        self, dev: _Device, spec_name: str, plan: _SpecPlan, cols: list[int], raw: dict[int, bytes],
        max_rep: int, first: bool,
    ) -> Template:  # fmt: skip
        """The request for this step. The first request of a walk is the same every cycle,
        so it is built once per device and reused; continuations are built as needed."""
        key = (spec_name, max_rep)
        if first:
            cached = dev.templates.get(key)
            if cached is not None:
                return cached
        oids = [raw[c] for c in cols]
        if first:
            pdu = codec.pdu_template(ber.GET_BULK_REQUEST, 1, max_rep, [plan.uptime_next, *oids])
        else:
            pdu = codec.pdu_template(ber.GET_BULK_REQUEST, 0, max_rep, oids)
        if dev.peer is not None:
            template = codec.scoped_template(dev.peer.engine_id, pdu)
        else:
            template = codec.v2c_message(dev.community, pdu)
        if first:
            dev.templates[key] = template
        return template

    async def _request(self, dev: _Device, template: Template) -> tuple[bytes, list[RawVarbind]]:
        """Send one request (v2c or v3), with retries; the reply's buffer and varbinds."""
        peer = dev.peer
        if peer is None:
            data, rid = await self._exchange(dev, template.build)
            ps, pe = codec.v2c_pdu_bounds(data, dev.community)
            return data, codec.response_varbinds(data, ps, pe, rid)
        for attempt in (0, 1):
            data, rid = await self._exchange(dev, lambda i: peer.wrap(i, template.build(i), time.monotonic()))
            h = usm.parse_message_header(data)
            try:
                plain, ps, pe = peer.unwrap(data, h, time.monotonic())
            except codec.OutOfTime:
                if attempt:
                    raise
                continue  # the clock was resynchronised from the authenticated Report
            return plain, codec.response_varbinds(plain, ps, pe, rid)
        raise AssertionError("unreachable")

    # -- the socket ------------------------------------------------------------------------------
    def _new_id(self) -> int:
        rid = self._next_id
        while rid in self._pending:
            rid += 1
        self._next_id = rid + 1 if rid < codec.REQUEST_ID_MAX else codec.REQUEST_ID_MIN
        return rid

    async def _exchange(self, dev: _Device, build: Callable[[int], bytes]) -> tuple[bytes, int]:
        """Send, wait, resend: the reply datagram and the id it answered."""
        sock = self._socket(dev.family)
        loop = asyncio.get_running_loop()
        timeout = max(dev.target.timeout, 0.01)
        lane = self._suspect if dev.failures else self._healthy
        tries = max(dev.target.retries, 0) + 1
        for _ in range(tries):
            rid = self._new_id()
            fut: asyncio.Future[bytes] = loop.create_future()
            self._pending[rid] = _Pending(fut, dev.addr)
            await lane.acquire()
            held = True

            def give_back() -> None:
                nonlocal held
                if held:
                    held = False
                    lane.release()

            soft = loop.call_later(timeout / 2, give_back)
            hard = loop.call_later(timeout, _expire, fut)
            try:
                try:
                    sock.sendto(build(rid), dev.addr)
                    self.stats.sent += 1
                except (BlockingIOError, InterruptedError):
                    pass  # send buffer full: as good as lost, the timeout and retry cover it
                return await fut, rid
            except PollTimeout:
                continue
            finally:
                soft.cancel()
                hard.cancel()
                give_back()
                self._pending.pop(rid, None)
        raise PollTimeout(f"no reply from {dev.addr[0]}:{dev.addr[1]} after {tries} tries of {timeout:g}s")

    def _on_datagram(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        rid = codec.request_id_of(data)
        p = self._pending.get(rid)
        # The reply must come from the address we asked (as pysnmp checks), or it is a stray.
        if p is None or p.future.done() or (addr[0], addr[1]) != p.addr:
            self.stats.unmatched += 1
            return
        self.stats.received += 1
        p.future.set_result(data)


def _expire(fut: asyncio.Future[bytes]) -> None:
    if not fut.done():
        fut.set_exception(PollTimeout())


REQUEST_ID_START = codec.REQUEST_ID_MIN
