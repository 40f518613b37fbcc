"""SNMP discovery and interface polling jobs."""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from agent.config import fault_config
from agent.faults.poll_rules import InterfaceObservation, device_signal, interface_signals
from agent.faults.process import process
from agent.provisioning.access import access_for
from agent.provisioning.hostkeys import verify_at_discovery
from agent.runtime import Runtime
from collectors.rates import CounterPoint, compute_rates
from collectors.snmp.collect import discover, poll_interfaces
from collectors.snmp.fastpoll import FastPoller, PollerPool, PollRequest, PollRouter, default_processes
from inventory.choices import DeviceStatus
from inventory.domain import Observation, SnmpTarget
from inventory.models import Device, InterfaceSample
from inventory.provisioning_models import ConfigAccess
from inventory.store import apply_discovery, mark_status, previous_points, record_failure, record_sample
from inventory.types import utcnow

log = logging.getLogger(__name__)


class JobError(RuntimeError):
    pass


@dataclass(frozen=True)
class PollPlan:
    target: SnmpTarget
    hc: bool
    expected_rows: int
    discovered: bool


@dataclass
class JobResult:
    device: str
    ok: bool
    error: str | None = None
    status_changed: bool = False
    needs_discovery: bool = False
    samples: int = 0
    oper_changes: list[tuple[str, int, int]] = field(default_factory=list)  # (ifname, before, after)


def snmp_target(rt: Runtime, device: Device) -> SnmpTarget:
    if device.snmp_profile is None:
        raise JobError(f"device {device.name} has no SNMP credentials profile")
    s = rt.ctx.settings
    return SnmpTarget(
        device=device.name,
        host=device.host,
        port=device.snmp_port,
        credentials=device.snmp_profile.credentials(),
        timeout=s.snmp_timeout_s,
        retries=s.snmp_retries,
    )


def _plan(rt: Runtime, device_id: int) -> PollPlan:
    with rt.ctx.begin() as s:
        device = s.get(Device, device_id)
        if device is None:
            raise JobError(f"no device with id {device_id}")
        present = [i for i in device.interfaces if i.present]
        return PollPlan(
            target=snmp_target(rt, device),
            hc=not present or any(i.counter_bits == 64 for i in present),
            expected_rows=len(present),
            discovered=device.last_discovered is not None,
        )


async def run_discovery(rt: Runtime, device_id: int) -> JobResult:
    plan = await asyncio.to_thread(_plan, rt, device_id)
    async with rt.limit:
        obs = await discover(rt.engine, plan.target)
    result = await asyncio.to_thread(_store_discovery, rt, device_id, obs)
    if result.ok:
        await asyncio.to_thread(_check_host_key, rt, device_id)
    return result


def _check_host_key(rt: Runtime, device_id: int) -> None:
    """Fill the known-hosts store on first discovery; alarm when a device's key changes."""
    with rt.ctx.begin() as s:
        device = s.get(Device, device_id)
        if device is None or s.get(ConfigAccess, device_id) is None:
            return
        access = access_for(s, device)
    problem = verify_at_discovery(rt.ctx, device_id, access)
    if problem:
        log.warning("%s: %s", access.device, problem)


def _store_discovery(rt: Runtime, device_id: int, obs: Observation) -> JobResult:
    now = utcnow()
    with rt.ctx.begin() as s:
        device = s.get(Device, device_id)
        if device is None:
            return JobResult(obs.device, False, "device deleted during discovery")
        if not obs.ok or obs.discovery is None:
            changed = record_failure(device, obs.error or "no data", now)
            log.warning("discovery of %s failed: %s", device.name, obs.error)
            process(
                s, [device_signal(device.id, False, now, obs.error or "")], fault_config(rt.ctx.settings), now
            )
            return JobResult(device.name, False, obs.error, status_changed=changed)
        before = device.status
        before_oper = {i.if_index: i.oper_status for i in device.interfaces}
        apply_discovery(s, device, obs.discovery, now)
        observations = [
            InterfaceObservation(
                i.if_index,
                i.name,
                i.admin_status,
                i.oper_status,
                before_oper.get(i.if_index),
                i.speed_bps,
                None,
                None,
                None,
                None,
            )
            for i in device.interfaces
            if i.present
        ]
        cfg = fault_config(rt.ctx.settings)
        process(
            s,
            [device_signal(device.id, True, now), *interface_signals(device.id, observations, cfg, now)],
            cfg,
            now,
        )
        log.info(
            "discovered %s: %d interfaces, %d components, %d neighbours in %.2fs",
            device.name,
            len(obs.discovery.interfaces),
            len(obs.discovery.components),
            len(obs.discovery.neighbors),
            obs.duration_s,
        )
        return JobResult(device.name, True, status_changed=before is not device.status)


# The fast poller of each Runtime (and event loop): per-device state (request templates, row
# counts, SNMPv3 engine times) lives there between polls. Keyed by id() with a weak reference,
# as Runtime is not hashable; a pool's processes are killed if a Runtime is dropped unclosed
# (they also exit on their own when this process goes: end-of-file on their stdin).
_POLLERS: dict[int, tuple[weakref.ref[Runtime], asyncio.AbstractEventLoop, PollRouter]] = {}


def fast_poller(rt: Runtime) -> PollRouter | None:
    """The runtime's fast poller, or None when the settings select the pysnmp path."""
    kind = rt.ctx.settings.poller
    if kind == "pysnmp":
        return None
    loop = asyncio.get_running_loop()
    key = id(rt)
    entry = _POLLERS.get(key)
    if entry is not None and entry[0]() is rt and entry[1] is loop:
        return entry[2]
    if entry is not None:
        entry[2].terminate()  # made on another (finished) event loop, or a dead Runtime's id
    if kind == "fast":
        router = PollRouter(FastPoller(), None)
    elif kind.startswith("pool"):
        n = int(kind.partition(":")[2] or default_processes())
        router = PollRouter(FastPoller(), PollerPool(n), threshold=0)  # everything to the pool
    else:  # auto: in-process, with a pool for bursts on a machine with cores to spare
        cores = default_processes()
        router = PollRouter(FastPoller(), PollerPool(cores) if cores > 1 else None)
    _POLLERS[key] = (weakref.ref(rt), loop, router)
    weakref.finalize(rt, _drop_poller, key)
    return router


def _drop_poller(key: int) -> None:
    entry = _POLLERS.pop(key, None)
    if entry is not None:
        entry[2].terminate()


async def close_fast_poller(rt: Runtime) -> None:
    """Close the runtime's fast poller (its socket, its pool processes). Idempotent."""
    entry = _POLLERS.pop(id(rt), None)
    if entry is not None:
        await entry[2].close()


async def run_poll(rt: Runtime, device_id: int) -> JobResult:
    plan = await asyncio.to_thread(_plan, rt, device_id)
    if not plan.discovered:
        return JobResult(plan.target.device, False, "not discovered yet", needs_discovery=True)
    poller = fast_poller(rt)
    if poller is None:
        async with rt.limit:
            obs = await poll_interfaces(rt.engine, plan.target, hc=plan.hc, expected_rows=plan.expected_rows)
    else:
        # No rt.limit here: the fast poller bounds what is in flight itself, with a window
        # sized to its socket buffer (rt.limit exists because pysnmp decoding is CPU-bound).
        obs = await poller.poll(PollRequest(plan.target, plan.hc, plan.expected_rows))
    return await asyncio.to_thread(_store_poll, rt, device_id, obs)


def _point(sample: InterfaceSample) -> CounterPoint:
    return CounterPoint(
        wall=sample.ts,
        uptime_ticks=sample.uptime_ticks,
        counter_bits=sample.counter_bits,
        in_octets=sample.in_octets,
        out_octets=sample.out_octets,
        in_ucast_pkts=sample.in_ucast_pkts,
        out_ucast_pkts=sample.out_ucast_pkts,
        in_errors=sample.in_errors,
        out_errors=sample.out_errors,
        in_discards=sample.in_discards,
        out_discards=sample.out_discards,
    )


def _store_poll(rt: Runtime, device_id: int, obs: Observation) -> JobResult:
    now = utcnow()
    with rt.ctx.begin() as s:
        device = s.get(Device, device_id)
        if device is None:
            return JobResult(obs.device, False, "device deleted during poll")
        cfg = fault_config(rt.ctx.settings)
        if not obs.ok or obs.perf is None:
            changed = record_failure(device, obs.error or "no data", now)
            if changed:
                log.warning("%s is unreachable: %s", device.name, obs.error)
            process(s, [device_signal(device.id, False, now, obs.error or "")], cfg, now)
            return JobResult(device.name, False, obs.error, status_changed=changed)
        result, observations = apply_perf(s, device, obs, now)
        process(
            s,
            [device_signal(device.id, True, now), *interface_signals(device.id, observations, cfg, now)],
            cfg,
            now,
        )
        return result


def apply_perf(
    s: Session, device: Device, obs: Observation, now: datetime
) -> tuple[JobResult, list[InterfaceObservation]]:
    """Counters -> samples and rates; interface status; device back up."""
    assert obs.perf is not None
    perf = obs.perf
    changed = mark_status(device, DeviceStatus.UP, now)
    if changed:
        log.info("%s is reachable again", device.name)
    device.uptime_ticks = perf.uptime_ticks
    device.last_seen = now
    device.last_polled = now
    device.consecutive_failures = 0
    device.last_error = ""
    by_index = {i.if_index: i for i in device.interfaces}
    prev = previous_points(s, list(by_index.values()))
    result = JobResult(device.name, True, status_changed=changed)
    written = []
    observations = []
    for reading in perf.readings:
        iface = by_index.get(reading.if_index)
        if iface is None:
            result.needs_discovery = True
            continue
        before = prev.get(iface.id)
        cur = CounterPoint(
            wall=now,
            uptime_ticks=perf.uptime_ticks,
            counter_bits=reading.counter_bits,
            in_octets=reading.in_octets,
            out_octets=reading.out_octets,
            in_ucast_pkts=reading.in_ucast_pkts,
            out_ucast_pkts=reading.out_ucast_pkts,
            in_errors=reading.in_errors,
            out_errors=reading.out_errors,
            in_discards=reading.in_discards,
            out_discards=reading.out_discards,
        )
        rates = compute_rates(_point(before) if before else None, cur, iface.speed_bps)
        written.append((iface, record_sample(s, iface, reading, rates, perf.uptime_ticks, now)))
        observations.append(
            InterfaceObservation(
                iface.if_index,
                iface.name,
                reading.admin_status,
                reading.oper_status,
                iface.oper_status,
                iface.speed_bps,
                rates.in_bps,
                rates.out_bps,
                rates.in_errors_ps,
                rates.out_errors_ps,
                rates.in_pps,
                rates.out_pps,
            )
        )
        if iface.oper_status != reading.oper_status:
            result.oper_changes.append((iface.name, int(iface.oper_status), int(reading.oper_status)))
            iface.last_change = now
        iface.oper_status = reading.oper_status
        iface.admin_status = reading.admin_status
        iface.in_bps = rates.in_bps
        iface.out_bps = rates.out_bps
        iface.updated_at = now
        if not iface.present:
            iface.present = True
    s.flush()
    for iface, sample in written:
        iface.last_sample_id = sample.id
    result.samples = len(written)
    return result, observations
