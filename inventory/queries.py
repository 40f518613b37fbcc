"""Read-only queries for the dashboard, the REST API and the metrics endpoint.

Functions take a session and never commit (nor write). Each one answers one view in a
bounded number of statements, so a page or a scrape costs the same few queries whether the
inventory holds ten interfaces or ten thousand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session, aliased, contains_eager, joinedload, selectinload

from inventory.choices import AlarmState, DeviceStatus, IfStatus, Severity
from inventory.fault_models import AgentCounter, Alarm
from inventory.models import Device, Interface, InterfaceSample, Link, SnmpProfile
from inventory.scale_models import InterfaceRollup

T = TypeVar("T")

# Views show a device's SNMP profile by name only. Loading nothing else keeps the encrypted
# credentials out of the web process entirely: they are never decrypted there, and touching
# them on such an object raises instead of loading them.
_PROFILE_NAME = joinedload(Device.snmp_profile).load_only(SnmpProfile.id, SnmpProfile.name, raiseload=True)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the number of rows the whole list holds."""

    items: list[T]
    total: int


@dataclass(frozen=True)
class DeviceSummary:
    device: Device
    interfaces_up: int  # present interfaces whose ifOperStatus is up
    interfaces_total: int  # present interfaces


@dataclass(frozen=True)
class InterfaceMetricsRow:
    interface: Interface
    device_name: str
    sample: InterfaceSample | None  # the newest sample, None before the first poll


@dataclass(frozen=True)
class AlarmCount:
    severity: Severity
    root: bool  # a root cause that nothing suppresses
    count: int


@dataclass(frozen=True)
class CounterRow:
    """One AgentCounter: ``labels`` is already in exposition form (``k="v",k2="v2"``)."""

    name: str
    labels: str
    value: float


@dataclass(frozen=True)
class MetricsSnapshot:
    devices: list[Device]
    interfaces: list[InterfaceMetricsRow]
    alarms: list[AlarmCount] = field(default_factory=list)  # active alarms
    counters: list[CounterRow] = field(default_factory=list)


def ping(session: Session) -> None:
    """Raise if the database does not answer."""
    session.execute(select(1)).scalar_one()


def _page(session: Session, stmt: Select[T], offset: int, limit: int | None) -> Page[T]:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return Page(list(session.scalars(stmt).unique()), int(total))


def _interface_counts(session: Session, device_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    if not device_ids:
        return {}
    up = func.sum(case((Interface.oper_status == IfStatus.UP, 1), else_=0))
    rows = session.execute(
        select(Interface.device_id, up, func.count())
        .where(Interface.present.is_(True), Interface.device_id.in_(device_ids))
        .group_by(Interface.device_id)
    )
    return {device_id: (int(n_up or 0), int(n)) for device_id, n_up, n in rows}


def _summaries(session: Session, devices: list[Device]) -> list[DeviceSummary]:
    counts = _interface_counts(session, [d.id for d in devices])
    return [DeviceSummary(d, *counts.get(d.id, (0, 0))) for d in devices]


def list_devices(session: Session, *, offset: int = 0, limit: int | None = None) -> Page[DeviceSummary]:
    """Devices by name, with their site, SNMP profile and interface counts."""
    stmt = select(Device).options(joinedload(Device.site), _PROFILE_NAME).order_by(Device.name, Device.id)
    page = _page(session, stmt, offset, limit)
    return Page(_summaries(session, page.items), page.total)


def device_status_counts(session: Session) -> dict[DeviceStatus, int]:
    """Devices per status, every status present (zeros included): one grouped statement."""
    counts = dict.fromkeys(DeviceStatus, 0)
    for status, n in session.execute(select(Device.status, func.count()).group_by(Device.status)):
        counts[status] = int(n)
    return counts


def device_summary(session: Session, name: str) -> DeviceSummary | None:
    """One device with its hardware and interfaces loaded, or None."""
    device = session.scalar(
        select(Device)
        .where(Device.name == name)
        .options(
            joinedload(Device.site),
            _PROFILE_NAME,
            selectinload(Device.components),
            selectinload(Device.interfaces),
        )
    )
    if device is None:
        return None
    return _summaries(session, [device])[0]


def device_by_name(session: Session, name: str) -> Device | None:
    return session.scalar(select(Device).where(Device.name == name))


def list_interfaces(
    session: Session, device: Device, *, offset: int = 0, limit: int | None = None
) -> Page[Interface]:
    stmt = (
        select(Interface)
        .where(Interface.device_id == device.id)
        .options(contains_eager(Interface.device))
        .join(Interface.device)
        .order_by(Interface.if_index)
    )
    return _page(session, stmt, offset, limit)


def interface_by_id(session: Session, interface_id: int) -> Interface | None:
    return session.scalar(
        select(Interface).where(Interface.id == interface_id).options(joinedload(Interface.device))
    )


def interface_samples(
    session: Session,
    interface_id: int,
    since: datetime,
    until: datetime,
    *,
    offset: int = 0,
    limit: int | None = None,
) -> Page[InterfaceSample]:
    """Samples of one interface with since <= ts <= until, oldest first."""
    stmt = (
        select(InterfaceSample)
        .where(
            InterfaceSample.interface_id == interface_id,
            InterfaceSample.ts >= since,
            InterfaceSample.ts <= until,
        )
        .order_by(InterfaceSample.ts, InterfaceSample.id)
    )
    return _page(session, stmt, offset, limit)


# Graph windows up to a day read raw samples (as long as raw retention reaches back to the
# window's start); longer ones read rollups: 5-minute buckets up to about a week, hourly beyond.
RAW_SPAN = timedelta(days=1)
FIVE_MIN_SPAN = timedelta(days=8)
RAW, FIVE_MIN, HOUR = 0, 300, 3600


@dataclass(frozen=True)
class RatePoint:
    """An interface's rates over one bucket of ``period_s`` seconds starting at ``ts``: the
    averages (``in_bps``, ...) and maxima of the raw samples in it."""

    ts: datetime
    period_s: int
    samples: int  # samples with rates behind the averages
    in_bps: float | None
    in_bps_max: float | None
    out_bps: float | None
    out_bps_max: float | None
    in_pps: float | None
    out_pps: float | None
    in_errors_ps: float | None
    in_errors_ps_max: float | None
    out_errors_ps: float | None
    out_errors_ps_max: float | None


def series_period(session: Session, interface_id: int, since: datetime, until: datetime) -> int:
    """The resolution a graph of one interface over [since, until] reads: RAW (0) for a window
    of at most a day that raw samples cover, else the rollup period (FIVE_MIN or HOUR).

    Raw samples cover the window unless rollups of the interface reach back further than
    its oldest raw sample (the part before is past the raw retention); a new interface with
    no rollups yet is read raw. Two index lookups."""
    span = until - since
    if span > RAW_SPAN:
        return FIVE_MIN if span <= FIVE_MIN_SPAN else HOUR
    S, R = InterfaceSample, InterfaceRollup
    oldest = session.scalar(select(func.min(S.ts)).where(S.interface_id == interface_id))
    if oldest is None or oldest <= since:
        return RAW
    older = session.scalar(
        select(R.bucket)
        .where(R.interface_id == interface_id, R.period_s == FIVE_MIN, R.bucket < oldest)
        .order_by(R.bucket)
        .limit(1)
    )
    return RAW if older is None else FIVE_MIN


def _floor(ts: datetime, period_s: int) -> datetime:
    epoch = int(ts.timestamp())
    return datetime.fromtimestamp(epoch - epoch % period_s, UTC)


def _avg(values: list[float | None]) -> float | None:
    xs = [v for v in values if v is not None]
    return sum(xs) / len(xs) if xs else None


def _max(values: list[float | None]) -> float | None:
    xs = [v for v in values if v is not None]
    return max(xs) if xs else None


_RATES = (
    InterfaceSample.ts,
    InterfaceSample.in_bps,
    InterfaceSample.out_bps,
    InterfaceSample.in_pps,
    InterfaceSample.out_pps,
    InterfaceSample.in_errors_ps,
    InterfaceSample.out_errors_ps,
)
RateRow = tuple[datetime, float | None, float | None, float | None, float | None, float | None, float | None]


def _bucket_samples(rows: Sequence[RateRow], period_s: int) -> list[RatePoint]:
    """Raw samples' rates (``_RATES``, oldest first) averaged per bucket, as the rollup job
    would make them."""
    groups: dict[datetime, list[RateRow]] = {}
    for row in rows:
        groups.setdefault(_floor(row[0], period_s), []).append(row)
    points = []
    for bucket, group in groups.items():
        _, in_bps, out_bps, in_pps, out_pps, in_err, out_err = (list(col) for col in zip(*group, strict=True))
        points.append(
            RatePoint(
                ts=bucket,
                period_s=period_s,
                samples=sum(1 for v in in_bps if v is not None),
                in_bps=_avg(in_bps),
                in_bps_max=_max(in_bps),
                out_bps=_avg(out_bps),
                out_bps_max=_max(out_bps),
                in_pps=_avg(in_pps),
                out_pps=_avg(out_pps),
                in_errors_ps=_avg(in_err),
                in_errors_ps_max=_max(in_err),
                out_errors_ps=_avg(out_err),
                out_errors_ps_max=_max(out_err),
            )
        )
    return points


def interface_rollups(
    session: Session, interface_id: int, since: datetime, until: datetime, period_s: int
) -> list[RatePoint]:
    """One interface's buckets of ``period_s`` that overlap [since, until], oldest first.

    Buckets are rolled up by the agent's hourly storage job; the ones after the newest rolled
    up (the last hour or two) are made here from the raw samples, so a graph reaches now."""
    R = InterfaceRollup
    # Columns, not entities: a month of 5-minute buckets is 8,640 rows.
    rows = session.execute(
        select(
            R.bucket,
            R.samples,
            R.in_bps_avg,
            R.in_bps_max,
            R.out_bps_avg,
            R.out_bps_max,
            R.in_pps_avg,
            R.out_pps_avg,
            R.in_errors_ps_avg,
            R.in_errors_ps_max,
            R.out_errors_ps_avg,
            R.out_errors_ps_max,
        )
        .where(
            R.interface_id == interface_id,
            R.period_s == period_s,
            R.bucket > since - timedelta(seconds=period_s),
            R.bucket <= until,
        )
        .order_by(R.bucket)
    )
    points = [
        RatePoint(
            ts=r.bucket,
            period_s=period_s,
            samples=r.samples,
            in_bps=r.in_bps_avg,
            in_bps_max=r.in_bps_max,
            out_bps=r.out_bps_avg,
            out_bps_max=r.out_bps_max,
            in_pps=r.in_pps_avg,
            out_pps=r.out_pps_avg,
            in_errors_ps=r.in_errors_ps_avg,
            in_errors_ps_max=r.in_errors_ps_max,
            out_errors_ps=r.out_errors_ps_avg,
            out_errors_ps_max=r.out_errors_ps_max,
        )
        for r in rows
    ]
    newest = session.scalar(select(func.max(R.bucket)).where(R.period_s == period_s))
    tail_from = _floor(since, period_s) if newest is None else newest + timedelta(seconds=period_s)
    if tail_from <= until:
        S = InterfaceSample
        tail = session.execute(
            select(*_RATES)
            .where(
                S.interface_id == interface_id, S.ts >= max(tail_from, _floor(since, period_s)), S.ts <= until
            )
            .order_by(S.ts, S.id)
        )
        points.extend(_bucket_samples([tuple(r) for r in tail], period_s))  # type: ignore[misc]
    return points


def list_links(session: Session, *, offset: int = 0, limit: int | None = None) -> Page[Link]:
    """Links ordered by local device and ifIndex, with both ends' interfaces and devices loaded."""
    local_if = aliased(Interface)
    local_dev = aliased(Device)
    stmt = (
        select(Link)
        .join(local_if, Link.local_interface.of_type(local_if))
        .join(local_dev, local_if.device.of_type(local_dev))
        .options(
            contains_eager(Link.local_interface.of_type(local_if)).contains_eager(
                local_if.device.of_type(local_dev)
            ),
            joinedload(Link.remote_interface).joinedload(Interface.device),
        )
        .order_by(local_dev.name, local_if.if_index, Link.id)
    )
    return _page(session, stmt, offset, limit)


def metrics_snapshot(session: Session) -> MetricsSnapshot:
    """Everything /metrics shows, in four queries: devices; present interfaces joined to
    their device name and newest sample (Interface.last_sample_id); active alarms counted by
    severity and root; the agent's counters."""
    devices = list(session.scalars(select(Device).order_by(Device.name)))
    rows = session.execute(
        select(Interface, Device.name, InterfaceSample)
        .join(Device, Interface.device_id == Device.id)
        .outerjoin(InterfaceSample, InterfaceSample.id == Interface.last_sample_id)
        .where(Interface.present.is_(True))
        .order_by(Device.name, Interface.if_index)
    )
    interfaces = [InterfaceMetricsRow(iface, name, sample) for iface, name, sample in rows]
    root = Alarm.is_root_cause & Alarm.suppressed_by_id.is_(None)
    alarms = [
        AlarmCount(severity, bool(is_root), int(n))
        for severity, is_root, n in session.execute(
            select(Alarm.perceived_severity, root, func.count())
            .where(Alarm.state != AlarmState.CLEARED)
            .group_by(Alarm.perceived_severity, root)
        )
    ]
    counters = [
        CounterRow(c.name, c.labels, c.value)
        for c in session.scalars(select(AgentCounter).order_by(AgentCounter.name, AgentCounter.labels))
    ]
    return MetricsSnapshot(devices=devices, interfaces=interfaces, alarms=alarms, counters=counters)
