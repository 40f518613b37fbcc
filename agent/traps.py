"""The agent's trap service: the receiver's queue -> decode -> events and alarms.

Stages run as separate tasks so that reading the socket never waits on decoding or on the
database: the receiver only queues; this loop decodes in chunks (yielding between them) and
hands batches of traps to a thread that writes events and applies alarm signals in one unit
of work per batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from agent.config import Settings, fault_config
from agent.faults.engine import Signal
from agent.faults.jobs import publish_counters
from agent.faults.process import process
from agent.runtime import Runtime
from collectors.snmp.values import Exc, Value
from collectors.snmp.wire.usm import UserConfig
from collectors.specs import format_oid
from collectors.traps.classify import classify
from collectors.traps.decode import Malformed, Refused, Trap, TrapDecoder
from collectors.traps.receiver import TrapReceiver
from inventory.choices import EventSource, SnmpVersion
from inventory.fault_models import Event
from inventory.models import Device, SnmpProfile

log = logging.getLogger(__name__)
BATCH = 2000
CONFIG_REFRESH_S = 30.0
COUNTERS_EVERY_S = 5.0


def receiver_engine_id(settings: Settings) -> bytes:
    """A stable engine ID for this agent's receiver (informs address it)."""
    digest = hashlib.sha256(str(settings.home).encode()).hexdigest()[:12]
    return bytes.fromhex("80001f8804") + f"ossagent-{digest}".encode()


def _jsonable(value: Value) -> Any:
    if isinstance(value, Exc):
        return value.value
    if isinstance(value, bytes):
        try:
            text = value.decode("utf-8")
            if text.isprintable():
                return text
        except UnicodeDecodeError:
            pass
        return "0x" + value.hex()
    return value


@dataclass
class _Config:
    communities: set[str]
    users: list[UserConfig]
    devices: dict[str, int]  # source address -> device id


def _load_config(rt: Runtime) -> _Config:
    extra = {c.strip() for c in rt.ctx.settings.trap_communities.split(",") if c.strip()}
    communities = set(extra)
    users: dict[str, UserConfig] = {}
    with rt.ctx.begin() as s:
        for p in s.scalars(select(SnmpProfile)):
            if p.version is SnmpVersion.V2C and p.community:
                communities.add(p.community.reveal())
            elif (
                p.version is SnmpVersion.V3
                and p.user
                and p.auth_key
                and p.priv_key
                and p.auth_proto
                and p.priv_proto
            ):
                users[p.user] = UserConfig(
                    p.user, p.auth_proto.value, p.auth_key.reveal(), p.priv_proto.value, p.priv_key.reveal()
                )
        devices = {host: did for did, host in s.execute(select(Device.id, Device.host))}
    return _Config(communities, list(users.values()), devices)


class TrapService:
    def __init__(self, rt: Runtime, receiver: TrapReceiver) -> None:
        self.rt = rt
        self.receiver = receiver
        self.counters = receiver.counters
        self.cfg = fault_config(rt.ctx.settings)
        self.engine_id = receiver_engine_id(rt.ctx.settings)
        self._config: _Config | None = None
        self._decoder: TrapDecoder | None = None
        self._key: tuple[frozenset[str], tuple[UserConfig, ...]] | None = None
        self._loaded_at = 0.0

    async def refresh(self) -> None:
        cfg = await asyncio.to_thread(_load_config, self.rt)
        key = (frozenset(cfg.communities), tuple(sorted(cfg.users, key=lambda u: u.name)))
        if key != self._key:
            # Localised keys are cached per sender engine; rebuild only when credentials change.
            self._decoder = TrapDecoder(cfg.communities, cfg.users, self.engine_id)
            self._key = key
        self._config = cfg
        self._loaded_at = time.monotonic()

    def decode_batch(self, items: list[Any]) -> list[tuple[Trap, float]]:
        assert self._decoder is not None
        out = []
        c = self.counters
        for dg in items:
            result, reply = self._decoder.decode(dg.data, dg.source)
            if reply is not None:
                self.receiver.send(reply, dg.source)
            if isinstance(result, Trap):
                c.decoded += 1
                c.by_version[result.version] = c.by_version.get(result.version, 0) + 1
                if result.inform:
                    c.informs_answered += 1
                out.append((result, dg.received))
            elif isinstance(result, Refused):
                if result.reason != "discovery":
                    c.reject(result.reason)
            elif isinstance(result, Malformed):
                c.malformed += 1
        return out

    def store(self, traps: list[tuple[Trap, float]]) -> int:
        """Events for every trap; alarm signals for those from known devices."""
        assert self._config is not None
        devices = self._config.devices
        signals: list[Signal] = []
        events: list[Event] = []
        signal_event: list[int] = []  # index into events for each signal
        for trap, received in traps:
            device_id = devices.get(trap.source[0])
            verdict = classify(trap.trap_oid, trap.varbinds)
            at = datetime.fromtimestamp(received, UTC)
            note = "" if device_id is not None else "unknown source: kept, not turned into an alarm"
            if device_id is None:
                self.counters.unknown_source += 1
            events.append(
                Event(
                    received_at=at,
                    source=EventSource.TRAP,
                    source_address=trap.source[0],
                    device_id=device_id,
                    name=verdict.name,
                    trap_oid=format_oid(trap.trap_oid),
                    version=trap.version,
                    if_index=verdict.if_index,
                    varbinds=[[format_oid(o), _jsonable(v)] for o, v in trap.varbinds],
                    note=note,
                )
            )
            kind = verdict.raises or verdict.clears
            if device_id is not None and kind:
                signals.append(
                    Signal(
                        device_id,
                        kind,
                        verdict.raises is not None,
                        at,
                        EventSource.TRAP,
                        if_index=verdict.if_index,
                        object_id=verdict.object_id,
                        detail=f"{verdict.name} trap",
                    )
                )
                signal_event.append(len(events) - 1)
        with self.rt.ctx.begin() as s:
            s.add_all(events)
            if signals:
                done = process(s, signals, self.cfg, datetime.now(UTC))
                for idx, alarm_id in zip(signal_event, done.alarm_ids, strict=True):
                    events[idx].alarm_id = alarm_id
        return len(events)

    async def run(self, stop: asyncio.Event) -> None:
        await self.refresh()
        last_counters = 0.0
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.receiver.ready.wait(), timeout=1.0)
            now = time.monotonic()
            if now - self._loaded_at > CONFIG_REFRESH_S:
                await self.refresh()
            while self.receiver.queue:
                traps = self.decode_batch(self.receiver.take(BATCH))
                if traps:
                    try:
                        await asyncio.to_thread(self.store, traps)
                    except Exception:
                        log.exception("storing %d traps failed", len(traps))
                await asyncio.sleep(0)  # let the socket reader run between chunks
            if now - last_counters > COUNTERS_EVERY_S:
                last_counters = now
                await asyncio.to_thread(publish_counters, self.rt, self.counters.as_metrics())
        await asyncio.to_thread(publish_counters, self.rt, self.counters.as_metrics())
