"""SNMP collectors: discovery and interface performance. Fetch, then parse, then return an
Observation; never raise across the fleet."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from pysnmp.hlapi.v3arch.asyncio import SnmpEngine

from collectors.snmp.client import SnmpError, SnmpSession
from collectors.snmp.parse import (
    ParseError,
    parse_components,
    parse_counters,
    parse_interfaces,
    parse_lldp,
    parse_system,
)
from collectors.specs import load_spec
from inventory.domain import DiscoveryData, Observation, SnmpTarget

DISCOVERY = "snmp-discovery"
PERF = "snmp-perf"


async def _observe(
    collector: str,
    target: SnmpTarget,
    engine: SnmpEngine,
    body: Callable[[SnmpSession], Awaitable[dict[str, object]]],
) -> Observation:
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    session = SnmpSession(engine, target)
    try:
        fields = await body(session)
    except (SnmpError, ParseError) as exc:
        return Observation(
            device=target.device,
            collector=collector,
            ok=False,
            started=started,
            duration_s=time.perf_counter() - t0,
            error=str(exc),
            requests=session.requests,
            varbinds=session.varbinds,
        )
    except Exception as exc:  # one device's surprise must not take the fleet down
        return Observation(
            device=target.device,
            collector=collector,
            ok=False,
            started=started,
            duration_s=time.perf_counter() - t0,
            error=f"{type(exc).__name__}: {exc}",
            requests=session.requests,
            varbinds=session.varbinds,
        )
    return Observation(
        device=target.device,
        collector=collector,
        ok=True,
        started=started,
        duration_s=time.perf_counter() - t0,
        requests=session.requests,
        varbinds=session.varbinds,
        **fields,  # type: ignore[arg-type]
    )


async def discover(engine: SnmpEngine, target: SnmpTarget) -> Observation:
    system_spec = load_spec("system")
    if_spec = load_spec("interfaces")
    ent_spec = load_spec("entity")
    lldp_spec = load_spec("lldp")

    async def body(s: SnmpSession) -> dict[str, object]:
        system = parse_system(await s.get(list(system_spec.scalars.values())), system_spec)
        _, if_vbs = await s.walk_columns(list(if_spec.tables["interfaces"].columns.values()))
        interfaces = parse_interfaces(if_vbs, if_spec)
        _, ent_vbs = await s.walk_columns(list(ent_spec.tables["components"].columns.values()))
        lldp_cols = [
            *lldp_spec.tables["local_ports"].columns.values(),
            *lldp_spec.tables["remotes"].columns.values(),
        ]
        _, lldp_vbs = await s.walk_columns(lldp_cols)
        return {
            "discovery": DiscoveryData(
                system=system,
                components=parse_components(ent_vbs, ent_spec),
                interfaces=interfaces,
                neighbors=parse_lldp(lldp_vbs, lldp_spec, interfaces),
            )
        }

    return await _observe(DISCOVERY, target, engine, body)


async def poll_interfaces(
    engine: SnmpEngine, target: SnmpTarget, *, hc: bool = True, expected_rows: int | None = None
) -> Observation:
    """One performance poll: sysUpTime plus the counter columns, in as few GETBULKs as fit."""
    spec = load_spec("perf_hc" if hc else "perf_32")
    assert spec.uptime is not None
    uptime_oid = spec.uptime
    columns = list(spec.tables["counters"].columns.values())

    async def body(s: SnmpSession) -> dict[str, object]:
        # sysUpTime rides along as a non-repeater (GETNEXT of sysUpTime gives sysUpTime.0),
        # so the interval is measured by the agent's own clock in the same request.
        scalars, vbs = await s.walk_columns(columns, expected_rows, non_repeaters=[uptime_oid[:-1]])
        uptime = scalars.get(uptime_oid)
        return {"perf": parse_counters(uptime, vbs, spec)}

    return await _observe(PERF, target, engine, body)
