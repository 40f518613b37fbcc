"""Drift: the running configuration no longer holds what ossagent last applied.

Each service owns fragments of device configuration; a fragment line missing from the running
configuration, or a line added inside a block the service owns, is drift attributed to that
service, raised as one alarm per (device, service) and cleared when the device is back in line.
A transaction against a drifted device is refused unless forced.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from agent.context import Context
from agent.faults.engine import FaultConfig, Signal
from agent.faults.process import process
from inventory.choices import AlarmState, EventSource, ServiceState
from inventory.fault_models import Alarm, Service
from inventory.models import Device
from inventory.provisioning_models import ServiceFragment
from inventory.types import utcnow
from provisioners.diff import cli as cli_diff
from provisioners.diff.check import missing

DRIFT = "config-drift"


@dataclass(frozen=True)
class Drift:
    service: str  # the service's external id
    missing: tuple[str, ...]
    added: tuple[str, ...]


def _added(fmt: str, fragment: str, running: str) -> list[str]:
    """Lines inside the service's own blocks (or list entries) that the fragment lacks."""
    if fmt == "netconf":
        from provisioners.diff.check import _xml_leaves

        mine = _xml_leaves(fragment)
        prefixes = {path.rsplit("/", 1)[0] for path, _ in mine if "[" in path}
        return sorted(f"{p} {v}" for p, v in _xml_leaves(running) - mine if p.rsplit("/", 1)[0] in prefixes)
    frag = cli_diff.parse(fragment)
    run = cli_diff.parse(running)
    out = []
    for header, block in frag.items():
        if not block.children or header not in run:
            continue
        out += [f"{header} {c}" for c in run[header].children if c not in block.children]
    return sorted(out)


def find_drift(session_fragments: list[tuple[str, str, str]], running: str) -> list[Drift]:
    """``(service id, format, fragment)`` for one device -> the services whose config moved."""
    out = []
    for service, fmt, fragment in session_fragments:
        gone = missing(fmt, fragment, running)
        extra = _added(fmt, fragment, running)
        if gone or extra:
            out.append(Drift(service, tuple(gone), tuple(extra)))
    return out


def fragments_of(ctx: Context, device_id: int) -> list[tuple[str, str, str]]:
    with ctx.begin() as s:
        rows = s.execute(
            select(Service.external_id, ServiceFragment.format, ServiceFragment.text)
            .join(Service, Service.id == ServiceFragment.service_id)
            .where(ServiceFragment.device_id == device_id, Service.state == ServiceState.ACTIVE)
        ).all()
    return [(str(sid), fmt, text) for sid, fmt, text in rows]


def apply_drift(ctx: Context, device_id: int, running: str) -> list[Drift]:
    """Compare, then raise or clear one alarm per (device, service)."""
    frags = fragments_of(ctx, device_id)
    found = find_drift(frags, running)
    now = utcnow()
    drifted = {d.service for d in found}
    signals = []
    for d in found:
        detail = "; ".join([*(f"missing {x}" for x in d.missing[:3]), *(f"added {x}" for x in d.added[:3])])
        signals.append(
            Signal(
                device_id,
                DRIFT,
                True,
                now,
                EventSource.POLL,
                object_id=f"service={d.service}",
                detail=detail,
                count_repeat=False,
                details={"missing": list(d.missing), "added": list(d.added)},
            )
        )
    for service, _, _ in frags:
        if service not in drifted:
            signals.append(
                Signal(
                    device_id,
                    DRIFT,
                    False,
                    now,
                    EventSource.POLL,
                    object_id=f"service={service}",
                    detail="back in line with the intended configuration",
                )
            )
    if signals:
        with ctx.begin() as s:
            process(s, signals, FaultConfig(), now)
    return found


def has_drift(ctx: Context, device_id: int) -> bool:
    with ctx.begin() as s:
        device = s.get(Device, device_id)
        if device is None:
            return False
        return (
            s.scalar(
                select(Alarm.id).where(
                    Alarm.device_id == device_id,
                    Alarm.state != AlarmState.CLEARED,
                    Alarm.reduction_key.like(f"{device.name}/service=%/{DRIFT}"),
                )
            )
            is not None
        )
