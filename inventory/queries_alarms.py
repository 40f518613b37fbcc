"""Read-only queries of fault management: alarms, their history and correlation, events,
summaries for the header badge and the device pages.

Like ``inventory.queries``: functions take a session and never write; each answers one view
in a bounded number of statements whatever the page size (history, children and devices of a
page of alarms are loaded with one extra statement each, never one per alarm).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, case, false, func, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session, joinedload, selectinload

from inventory.choices import AckState, AlarmedObjectType, AlarmState, AlarmType, Severity
from inventory.fault_models import Alarm, AlarmHistory, Event, HubSubscription, MaintenanceWindow
from inventory.models import Device
from inventory.queries import Page

ACTIVE_STATES = (AlarmState.RAISED, AlarmState.UPDATED)
# Severities an active alarm can have, worst first (a cleared alarm's severity is "cleared").
ACTIVE_SEVERITIES: list[Severity] = sorted(
    (s for s in Severity if s is not Severity.CLEARED), key=lambda s: -s.rank
)
DETAIL_EVENTS = 200  # events shown with one alarm: a storm's newest, not all 10,000

AlarmOrder = Literal["newest", "severity"]


@dataclass(frozen=True)
class AlarmFilter:
    """Which alarms: every non-empty set is an OR over its values, the sets AND together.

    The same filter serves the TMF642 list (its query parameters), the task resources'
    ``alarmPattern`` (one filter per pattern, with one value per set), the engineer's API
    and the dashboard.
    """

    ids: frozenset[int] = frozenset()
    states: frozenset[AlarmState] = frozenset()
    ack_states: frozenset[AckState] = frozenset()
    severities: frozenset[Severity] = frozenset()
    alarm_types: frozenset[AlarmType] = frozenset()
    probable_causes: frozenset[str] = frozenset()
    specific_problems: frozenset[str] = frozenset()
    object_types: frozenset[AlarmedObjectType] = frozenset()
    objects: frozenset[str] = frozenset()  # alarmedObject.id
    external_ids: frozenset[str] = frozenset()  # the reduction key
    ack_users: frozenset[str] = frozenset()
    clear_users: frozenset[str] = frozenset()
    root_cause: frozenset[bool] = frozenset()  # isRootCause
    suppressed: bool | None = None  # True: only suppressed ones, False: only unsuppressed
    planned: bool | None = None
    device: str | None = None  # device name
    interface_id: int | None = None
    raised_gt: datetime | None = None
    raised_gte: datetime | None = None
    raised_lt: datetime | None = None
    raised_lte: datetime | None = None
    # A pattern that can match nothing (say, another sourceSystemId) still needs a filter.
    impossible: bool = False


def _in(column: InstrumentedAttribute[Any], values: frozenset[Any]) -> ColumnElement[bool]:
    if len(values) == 1:
        eq: ColumnElement[bool] = column == next(iter(values))
        return eq
    return column.in_(sorted(values, key=str))  # sorted: the same statement for the same filter


def alarm_conditions(f: AlarmFilter) -> list[ColumnElement[bool]]:
    """The filter as SQL conditions on Alarm (ANDed by the caller)."""
    if f.impossible:
        return [false()]
    out: list[ColumnElement[bool]] = []
    sets: list[tuple[InstrumentedAttribute[Any], frozenset[Any]]] = [
        (Alarm.id, f.ids),
        (Alarm.state, f.states),
        (Alarm.ack_state, f.ack_states),
        (Alarm.perceived_severity, f.severities),
        (Alarm.alarm_type, f.alarm_types),
        (Alarm.probable_cause, f.probable_causes),
        (Alarm.specific_problem, f.specific_problems),
        (Alarm.alarmed_object_type, f.object_types),
        (Alarm.alarmed_object, f.objects),
        (Alarm.reduction_key, f.external_ids),
        (Alarm.ack_user, f.ack_users),
        (Alarm.clear_user, f.clear_users),
    ]
    out.extend(_in(col, values) for col, values in sets if values)
    if len(f.root_cause) == 1:
        out.append(Alarm.is_root_cause.is_(next(iter(f.root_cause))))
    if f.suppressed is not None:
        out.append(Alarm.suppressed_by_id.is_not(None) if f.suppressed else Alarm.suppressed_by_id.is_(None))
    if f.planned is not None:
        out.append(Alarm.planned.is_(f.planned))
    if f.device is not None:
        out.append(Alarm.device_id == select(Device.id).where(Device.name == f.device).scalar_subquery())
    if f.interface_id is not None:
        out.append(Alarm.interface_id == f.interface_id)
    if f.raised_gt is not None:
        out.append(Alarm.raised_at > f.raised_gt)
    if f.raised_gte is not None:
        out.append(Alarm.raised_at >= f.raised_gte)
    if f.raised_lt is not None:
        out.append(Alarm.raised_at < f.raised_lt)
    if f.raised_lte is not None:
        out.append(Alarm.raised_at <= f.raised_lte)
    return out


def _severity_rank() -> ColumnElement[int]:
    return case({s.value: s.rank for s in Severity}, value=Alarm.perceived_severity, else_=0)


# Alarm.history restricted to comments: read-only views must not append to it.
_COMMENTS = selectinload(Alarm.history.and_(AlarmHistory.action == "comment"))


@dataclass(frozen=True)
class AlarmRow:
    """An alarm and the ids of the alarms it suppresses (its TMF642 correlatedAlarm)."""

    alarm: Alarm
    children: list[int] = field(default_factory=list)


def children_of(session: Session, alarm_ids: Sequence[int]) -> dict[int, list[int]]:
    """Ids of the alarms each of ``alarm_ids`` suppresses, in one statement."""
    if not alarm_ids:
        return {}
    found: dict[int, list[int]] = defaultdict(list)
    rows = session.execute(
        select(Alarm.suppressed_by_id, Alarm.id)
        .where(Alarm.suppressed_by_id.in_(list(alarm_ids)))
        .order_by(Alarm.id)
    )
    for parent, child in rows:
        if parent is not None:
            found[parent].append(child)
    return dict(found)


def _count(session: Session, stmt: Select[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)


def list_alarms(
    session: Session,
    f: AlarmFilter,
    *,
    offset: int = 0,
    limit: int | None = None,
    order: AlarmOrder = "newest",
    with_comments: bool = False,
) -> Page[AlarmRow]:
    """A page of alarms with device, interface and suppressing alarm loaded, plus the ids
    each one suppresses. ``with_comments``: ``Alarm.history`` is loaded with the comment rows
    only (TMF642's comment list), not the whole timeline of a long-lived alarm."""
    options = [joinedload(Alarm.device), joinedload(Alarm.interface), joinedload(Alarm.suppressed_by)]
    if with_comments:
        options.append(_COMMENTS)
    ordering: tuple[ColumnElement[Any], ...] = (Alarm.raised_at.desc(), Alarm.id.desc())
    if order == "severity":
        ordering = (_severity_rank().desc(), *ordering)
    matching = select(Alarm.id).where(*alarm_conditions(f))
    total = _count(session, matching)
    # The page's ids first, sorting only the sort keys (a top-N sort in memory over a long
    # history), then those rows with their device, interface and suppressing alarm joined.
    ids = matching.order_by(*ordering).offset(offset)
    if limit is not None:
        ids = ids.limit(limit)
    page = select(Alarm).where(Alarm.id.in_(ids.scalar_subquery())).options(*options).order_by(*ordering)
    alarms = list(session.scalars(page).unique())
    children = children_of(session, [a.id for a in alarms])
    return Page([AlarmRow(a, children.get(a.id, [])) for a in alarms], total)


def alarm_row(session: Session, alarm_id: int) -> AlarmRow | None:
    """One alarm with its comments (as ``history``) and the ids it suppresses (TMF642)."""
    alarm = session.scalar(select(Alarm).where(Alarm.id == alarm_id).options(_COMMENTS))
    if alarm is None:
        return None
    return AlarmRow(alarm, children_of(session, [alarm.id]).get(alarm.id, []))


def count_matching(session: Session, filters: Sequence[AlarmFilter]) -> int:
    """Alarms matching any of ``filters`` (the task resources' bound check)."""
    if not filters:
        return 0
    return _count(session, select(Alarm).where(_any(filters)))


def _any(filters: Sequence[AlarmFilter]) -> ColumnElement[bool]:
    return or_(*(and_(true(), *alarm_conditions(f)) for f in filters))


def matching_alarms(session: Session, filters: Sequence[AlarmFilter]) -> list[Alarm]:
    """Alarms matching any of ``filters``, oldest first, with their history loaded so that
    appending to it (acknowledge, clear, comment) costs no statement per alarm."""
    if not filters:
        return []
    stmt = select(Alarm).where(_any(filters)).options(selectinload(Alarm.history)).order_by(Alarm.id)
    return list(session.scalars(stmt))


def alarm_for_update(session: Session, alarm_id: int) -> Alarm | None:
    """One alarm with its history loaded, ready for an operator action."""
    return session.scalar(select(Alarm).where(Alarm.id == alarm_id).options(selectinload(Alarm.history)))


# -- one alarm, everything about it --------------------------------------------------------


@dataclass(frozen=True)
class AlarmDetail:
    alarm: Alarm
    history: list[AlarmHistory]
    suppresses: list[Alarm]  # the alarms it suppresses
    events: list[Event]  # the newest events that fed it
    events_total: int
    window: MaintenanceWindow | None


def alarm_detail(session: Session, alarm_id: int) -> AlarmDetail | None:
    alarm = session.scalar(
        select(Alarm)
        .where(Alarm.id == alarm_id)
        .options(
            joinedload(Alarm.device),
            joinedload(Alarm.interface),
            joinedload(Alarm.suppressed_by),
            selectinload(Alarm.history),
        )
    )
    if alarm is None:
        return None
    suppresses = list(
        session.scalars(
            select(Alarm)
            .where(Alarm.suppressed_by_id == alarm.id)
            .options(joinedload(Alarm.device), joinedload(Alarm.interface))
            .order_by(Alarm.id)
        )
    )
    events_total = int(session.scalar(select(func.count()).where(Event.alarm_id == alarm.id)) or 0)
    events = list(
        session.scalars(
            select(Event)
            .where(Event.alarm_id == alarm.id)
            .options(joinedload(Event.device))
            .order_by(Event.received_at.desc(), Event.id.desc())
            .limit(DETAIL_EVENTS)
        )
    )
    window = (
        session.get(MaintenanceWindow, alarm.maintenance_window_id) if alarm.maintenance_window_id else None
    )
    return AlarmDetail(alarm, list(alarm.history), suppresses, events, events_total, window)


# -- summaries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlarmSummary:
    """Active alarms by severity. ``root``: neither suppressed nor planned (what needs a
    person); ``suppressed``: explained by another alarm; ``planned``: inside a maintenance
    window (counted there whether suppressed or not)."""

    root: dict[Severity, int]
    suppressed: dict[Severity, int]
    planned: dict[Severity, int]

    @property
    def root_total(self) -> int:
        return sum(self.root.values())

    @property
    def active_total(self) -> int:
        return self.root_total + sum(self.suppressed.values()) + sum(self.planned.values())

    @property
    def worst(self) -> Severity | None:
        """The worst severity among the root (unsuppressed, unplanned) alarms."""
        return next((s for s in ACTIVE_SEVERITIES if self.root.get(s)), None)


def alarm_summary(session: Session) -> AlarmSummary:
    """One grouped statement over the active alarms."""
    suppressed = Alarm.suppressed_by_id.is_not(None)
    rows = session.execute(
        select(Alarm.perceived_severity, suppressed, Alarm.planned, func.count())
        .where(Alarm.state.in_(ACTIVE_STATES))
        .group_by(Alarm.perceived_severity, suppressed, Alarm.planned)
    )
    root: dict[Severity, int] = dict.fromkeys(ACTIVE_SEVERITIES, 0)
    supp: dict[Severity, int] = dict.fromkeys(ACTIVE_SEVERITIES, 0)
    planned: dict[Severity, int] = dict.fromkeys(ACTIVE_SEVERITIES, 0)
    for severity, is_suppressed, is_planned, n in rows:
        if severity not in root:
            continue  # an active alarm with severity "cleared" would be a bug elsewhere
        target = planned if is_planned else supp if is_suppressed else root
        target[severity] += int(n)
    return AlarmSummary(root, supp, planned)


@dataclass(frozen=True)
class AlarmBadge:
    """Active alarms on one device or object, and the worst of their severities."""

    count: int
    worst: Severity


def _badges(rows: Iterable[tuple[int | None, Severity, int]]) -> dict[int | None, AlarmBadge]:
    out: dict[int | None, AlarmBadge] = {}
    for key, severity, n in rows:
        prev = out.get(key)
        worst = severity if prev is None or severity.rank > prev.worst.rank else prev.worst
        out[key] = AlarmBadge((prev.count if prev else 0) + int(n), worst)
    return out


def device_alarm_badges(session: Session, device_ids: Sequence[int] | None = None) -> dict[int, AlarmBadge]:
    """Active alarms per device id (suppressed and planned ones included: the device list
    says what is wrong on each device, whatever explains it); only ``device_ids`` (a page of
    the list) when given."""
    stmt = (
        select(Alarm.device_id, Alarm.perceived_severity, func.count())
        .where(Alarm.state.in_(ACTIVE_STATES), Alarm.device_id.is_not(None))
        .group_by(Alarm.device_id, Alarm.perceived_severity)
    )
    if device_ids is not None:
        stmt = stmt.where(Alarm.device_id.in_(list(device_ids)))
    rows = session.execute(stmt)
    return {k: v for k, v in _badges((d, s, n) for d, s, n in rows).items() if k is not None}


def object_alarm_badges(session: Session, device_id: int) -> dict[int | None, AlarmBadge]:
    """Active alarms of one device per interface id; key None: the device's own alarms."""
    rows = session.execute(
        select(Alarm.interface_id, Alarm.perceived_severity, func.count())
        .where(Alarm.state.in_(ACTIVE_STATES), Alarm.device_id == device_id)
        .group_by(Alarm.interface_id, Alarm.perceived_severity)
    )
    return _badges((i, s, n) for i, s, n in rows)


# -- events ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventFilter:
    device: str | None = None  # device name
    name: str | None = None  # trap name (linkDown, ..., unknown)
    since: datetime | None = None


def list_events(
    session: Session, f: EventFilter, *, offset: int = 0, limit: int | None = None
) -> Page[Event]:
    """Events newest first, with their device loaded; events from unknown sources (no
    device) are included unless a device is asked for."""
    stmt = select(Event)
    if f.device is not None:
        stmt = stmt.where(
            Event.device_id == select(Device.id).where(Device.name == f.device).scalar_subquery()
        )
    if f.name is not None:
        stmt = stmt.where(Event.name == f.name)
    if f.since is not None:
        stmt = stmt.where(Event.received_at >= f.since)
    stmt = stmt.order_by(Event.received_at.desc(), Event.id.desc())
    total = int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)
    page = stmt.options(joinedload(Event.device)).offset(offset)
    if limit is not None:
        page = page.limit(limit)
    return Page(list(session.scalars(page)), total)


def hub_subscription(session: Session, api: str, sub_id: int) -> HubSubscription | None:
    """A listener registration of one API (another API's id is not found through this one)."""
    return session.scalar(
        select(HubSubscription).where(HubSubscription.id == sub_id, HubSubscription.api == api)
    )
