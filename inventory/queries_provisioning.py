"""Read-only queries of provisioning: transactions and their journal, services with their
parameters and configuration fragments, configuration versions (backups) and drift.

Like ``inventory.queries``: functions take a session and never write; each answers one view
in a bounded number of statements whatever the page size. Nothing here loads a secret:
``ConfigAccess`` is read column by column (never its password), and a transaction device's
``pre_config``/``post_config`` (running configurations) are never loaded.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session, defer, joinedload, selectinload

from inventory.choices import AlarmState, ServiceState, TxState
from inventory.fault_models import Alarm, Service, ServiceResource
from inventory.models import Device
from inventory.provisioning_models import (
    ConfigAccess,
    ConfigVersion,
    ServiceFragment,
    ServiceInstance,
    Transaction,
    TransactionDevice,
)
from inventory.queries import Page

# The fault kind of drift alarms (agent.provisioning.drift): one alarm per (device, service)
# with the reduction key "<device>/service=<external id>/config-drift".
DRIFT_KIND = "config-drift"
_DRIFT_KEY = re.compile(r"^(?P<device>.+?)/service=(?P<service>.+)/" + re.escape(DRIFT_KIND) + r"$")
TERMINAL_STATES = frozenset(s for s in TxState if s.terminal)
SERVICE_TRANSACTIONS = 50  # transactions shown with one service, newest first

# A transaction's devices without the running configurations kept in the journal: the web
# never needs them, so they never leave the database.
_TX_DEVICES = selectinload(Transaction.devices).options(
    defer(TransactionDevice.pre_config, raiseload=True),
    defer(TransactionDevice.post_config, raiseload=True),
    joinedload(TransactionDevice.device),
)


def _count(session: Session, stmt: Select[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# -- transactions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TransactionFilter:
    """Which transactions: the fields AND together; ``states`` is an OR over its values."""

    states: frozenset[TxState] = frozenset()
    service: str | None = None  # the service's external id
    origin: str | None = None  # "api" matches "api"; "order" matches "order" and "order:<id>"
    device: str | None = None  # a device the transaction changes


@dataclass(frozen=True)
class TransactionRow:
    tx: Transaction
    service: str | None  # the service's external id
    devices: list[str]  # names, in the transaction's order


def _tx_conditions(f: TransactionFilter) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if f.states:
        out.append(Transaction.state.in_(sorted(f.states)))
    if f.service is not None:
        out.append(
            Transaction.service_id
            == select(Service.id).where(Service.external_id == f.service).scalar_subquery()
        )
    if f.origin is not None:
        out.append(
            or_(
                Transaction.origin == f.origin,
                Transaction.origin.like(_like_escape(f.origin) + ":%", escape="\\"),
            )
        )
    if f.device is not None:
        out.append(
            Transaction.id.in_(
                select(TransactionDevice.transaction_id)
                .join(Device, Device.id == TransactionDevice.device_id)
                .where(Device.name == f.device)
            )
        )
    return out


def _service_refs(session: Session, service_ids: Iterable[int | None]) -> dict[int, str]:
    ids = sorted({i for i in service_ids if i is not None})
    if not ids:
        return {}
    rows = session.execute(select(Service.id, Service.external_id).where(Service.id.in_(ids)))
    return {pk: ext or f"#{pk}" for pk, ext in rows}


def _rows(session: Session, txs: Sequence[Transaction]) -> list[TransactionRow]:
    refs = _service_refs(session, (t.service_id for t in txs))
    return [
        TransactionRow(
            t,
            refs.get(t.service_id) if t.service_id is not None else None,
            [td.device.name for td in t.devices],
        )
        for t in txs
    ]


def list_transactions(
    session: Session, f: TransactionFilter, *, offset: int = 0, limit: int | None = None
) -> Page[TransactionRow]:
    """Newest first, with their devices' names and the service's external id."""
    stmt = (
        select(Transaction)
        .where(*_tx_conditions(f))
        .order_by(Transaction.created_at.desc(), Transaction.id.desc())
    )
    total = _count(session, stmt)
    page = stmt.options(_TX_DEVICES).offset(offset)
    if limit is not None:
        page = page.limit(limit)
    return Page(_rows(session, list(session.scalars(page))), total)


@dataclass(frozen=True)
class TransactionDetail:
    row: TransactionRow
    service: Service | None
    rolled_back_by: list[str]  # transactions that undo this one, oldest first

    @property
    def tx(self) -> Transaction:
        return self.row.tx


def transaction_detail(session: Session, tx_id: str) -> TransactionDetail | None:
    """One transaction with its devices (state, error, diff, native change) and its log."""
    tx = session.scalar(
        select(Transaction).where(Transaction.id == tx_id).options(_TX_DEVICES, selectinload(Transaction.log))
    )
    if tx is None:
        return None
    service = session.get(Service, tx.service_id) if tx.service_id is not None else None
    undone = list(
        session.scalars(
            select(Transaction.id).where(Transaction.rollback_of == tx.id).order_by(Transaction.created_at)
        )
    )
    (row,) = _rows(session, [tx])
    return TransactionDetail(row, service, undone)


def transaction_exists(session: Session, tx_id: str) -> bool:
    return session.scalar(select(Transaction.id).where(Transaction.id == tx_id)) is not None


def busy_transaction(session: Session, service_pk: int) -> str | None:
    """The id of the service's unfinished transaction, if it has one."""
    return session.scalar(
        select(Transaction.id)
        .where(Transaction.service_id == service_pk, Transaction.state.not_in(sorted(TERMINAL_STATES)))
        .order_by(Transaction.created_at)
        .limit(1)
    )


# -- services -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceFilter:
    states: frozenset[ServiceState] = frozenset()
    types: frozenset[str] = frozenset()  # service_type (the model name for provisioned ones)
    customer: str | None = None  # customer_ref


@dataclass(frozen=True)
class ServiceRow:
    service: Service
    instance: ServiceInstance | None
    devices: list[str] = field(default_factory=list)  # where it has configuration or resources


def _service_conditions(f: ServiceFilter) -> list[ColumnElement[bool]]:
    # Only services with an external id: that is how they are named and addressed.
    out: list[ColumnElement[bool]] = [Service.external_id.is_not(None)]
    if f.states:
        out.append(Service.state.in_(sorted(f.states)))
    if f.types:
        out.append(Service.service_type.in_(sorted(f.types)))
    if f.customer is not None:
        out.append(Service.customer_ref == f.customer)
    return out


def _service_devices(session: Session, service_ids: Sequence[int]) -> dict[int, list[str]]:
    if not service_ids:
        return {}
    found: dict[int, set[str]] = defaultdict(set)
    for table in (ServiceFragment, ServiceResource):
        rows = session.execute(
            select(table.service_id, Device.name)
            .join(Device, Device.id == table.device_id)
            .where(table.service_id.in_(list(service_ids)))
        )
        for sid, name in rows:
            found[sid].add(name)
    return {sid: sorted(names) for sid, names in found.items()}


def _instances(session: Session, service_ids: Sequence[int]) -> dict[int, ServiceInstance]:
    if not service_ids:
        return {}
    rows = session.scalars(select(ServiceInstance).where(ServiceInstance.service_id.in_(list(service_ids))))
    return {r.service_id: r for r in rows}


def list_services(
    session: Session, f: ServiceFilter, *, offset: int = 0, limit: int | None = None
) -> Page[ServiceRow]:
    """By external id, with the model and parameters of provisioned ones and their devices."""
    stmt = select(Service).where(*_service_conditions(f)).order_by(Service.external_id, Service.id)
    total = _count(session, stmt)
    page = stmt.offset(offset)
    if limit is not None:
        page = page.limit(limit)
    services = list(session.scalars(page))
    ids = [s.id for s in services]
    instances = _instances(session, ids)
    devices = _service_devices(session, ids)
    return Page([ServiceRow(s, instances.get(s.id), devices.get(s.id, [])) for s in services], total)


@dataclass(frozen=True)
class FragmentRow:
    fragment: ServiceFragment
    device: str


@dataclass(frozen=True)
class ServiceDetail:
    row: ServiceRow
    fragments: list[FragmentRow]
    transactions: list[TransactionRow]  # newest first, at most SERVICE_TRANSACTIONS
    transactions_total: int
    busy: str | None  # the unfinished transaction, if any

    @property
    def service(self) -> Service:
        return self.row.service


def service_by_ref(session: Session, external_id: str) -> Service | None:
    return session.scalar(select(Service).where(Service.external_id == external_id))


def service_instance(session: Session, service_pk: int) -> ServiceInstance | None:
    return session.get(ServiceInstance, service_pk)


def service_detail(session: Session, external_id: str) -> ServiceDetail | None:
    service = service_by_ref(session, external_id)
    if service is None:
        return None
    fragments = [
        FragmentRow(frag, name)
        for frag, name in session.execute(
            select(ServiceFragment, Device.name)
            .join(Device, Device.id == ServiceFragment.device_id)
            .where(ServiceFragment.service_id == service.id)
            .order_by(Device.name)
        )
    ]
    txs = list_transactions(session, TransactionFilter(service=external_id), limit=SERVICE_TRANSACTIONS)
    row = ServiceRow(
        service,
        session.get(ServiceInstance, service.id),
        _service_devices(session, [service.id]).get(service.id, []),
    )
    return ServiceDetail(row, fragments, txs.items, txs.total, busy_transaction(session, service.id))


# -- configuration versions -----------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigDeviceRow:
    """A device with configuration access: how it is reached (never the credentials), its
    backups and whether it has drifted."""

    name: str
    platform: str
    driver: str
    port: int
    host_key_known: bool
    versions: int
    newest: datetime | None
    drift: int  # active drift alarms (one per drifted service)


def _drift_counts(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(Alarm.device_id, func.count()).where(*_drift_conditions()).group_by(Alarm.device_id)
    )
    return {dev: int(n) for dev, n in rows if dev is not None}


def config_devices(session: Session, name: str | None = None) -> list[ConfigDeviceRow]:
    """Devices with configuration access (by name), or the one named."""
    versions = (
        select(
            ConfigVersion.device_id.label("device_id"),
            func.count().label("n"),
            func.max(ConfigVersion.taken_at).label("newest"),
        )
        .group_by(ConfigVersion.device_id)
        .subquery()
    )
    stmt = (
        select(
            Device.id,
            Device.name,
            ConfigAccess.platform,
            ConfigAccess.driver,
            ConfigAccess.port,
            ConfigAccess.host_key_seen,
            versions.c.n,
            versions.c.newest,
        )
        .join(ConfigAccess, ConfigAccess.device_id == Device.id)
        .outerjoin(versions, versions.c.device_id == Device.id)
        .order_by(Device.name)
    )
    if name is not None:
        stmt = stmt.where(Device.name == name)
    drift = _drift_counts(session)
    out = []
    for dev_id, dev_name, platform, driver, port, seen, n, newest in session.execute(stmt):
        out.append(
            ConfigDeviceRow(
                dev_name, platform, driver, port, seen is not None, int(n or 0), newest, drift.get(dev_id, 0)
            )
        )
    return out


@dataclass(frozen=True)
class VersionSummary:
    id: int
    device: str
    taken_at: datetime
    source: str
    transaction_id: str | None
    format: str
    digest: str
    size: int  # characters of the (masked) text


_VERSION_COLUMNS = (
    ConfigVersion.id,
    ConfigVersion.taken_at,
    ConfigVersion.source,
    ConfigVersion.transaction_id,
    ConfigVersion.format,
    ConfigVersion.digest,
    func.length(ConfigVersion.text),
)


def list_versions(
    session: Session, device: Device, *, offset: int = 0, limit: int | None = None
) -> Page[VersionSummary]:
    """A device's configuration versions, newest first, without their text."""
    stmt = (
        select(*_VERSION_COLUMNS)
        .where(ConfigVersion.device_id == device.id)
        .order_by(ConfigVersion.taken_at.desc(), ConfigVersion.id.desc())
    )
    total = _count(session, stmt)
    page = stmt.offset(offset)
    if limit is not None:
        page = page.limit(limit)
    items = [
        VersionSummary(vid, device.name, taken, source, tx, fmt, digest, int(size or 0))
        for vid, taken, source, tx, fmt, digest, size in session.execute(page)
    ]
    return Page(items, total)


def config_version(session: Session, device: Device, version_id: int) -> ConfigVersion | None:
    """One version of ``device`` (None for another device's version)."""
    return session.scalar(
        select(ConfigVersion).where(ConfigVersion.id == version_id, ConfigVersion.device_id == device.id)
    )


def newest_version(session: Session, device: Device) -> ConfigVersion | None:
    return session.scalar(
        select(ConfigVersion)
        .where(ConfigVersion.device_id == device.id)
        .order_by(ConfigVersion.taken_at.desc(), ConfigVersion.id.desc())
        .limit(1)
    )


def version_before(session: Session, version: ConfigVersion) -> ConfigVersion | None:
    """The device's version taken just before ``version``."""
    return session.scalar(
        select(ConfigVersion)
        .where(
            ConfigVersion.device_id == version.device_id,
            or_(
                ConfigVersion.taken_at < version.taken_at,
                (ConfigVersion.taken_at == version.taken_at) & (ConfigVersion.id < version.id),
            ),
        )
        .order_by(ConfigVersion.taken_at.desc(), ConfigVersion.id.desc())
        .limit(1)
    )


# -- drift --------------------------------------------------------------------------------------


def _drift_conditions() -> list[ColumnElement[bool]]:
    return [
        Alarm.state != AlarmState.CLEARED,
        Alarm.reduction_key.like(f"%/service=%/{DRIFT_KIND}"),
    ]


@dataclass(frozen=True)
class DriftRow:
    alarm: Alarm
    device: str
    service_ref: str  # the external id named in the alarm's key
    service: Service | None  # None when no such service is (any longer) on record
    missing: list[str]
    added: list[str]


def _lines(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def list_drift(
    session: Session, *, device: str | None = None, offset: int = 0, limit: int | None = None
) -> Page[DriftRow]:
    """Active drift alarms, newest first, with the service each is attributed to."""
    stmt = (
        select(Alarm)
        .where(*_drift_conditions())
        .order_by(Alarm.raised_at.desc(), Alarm.id.desc())
        .options(joinedload(Alarm.device))
    )
    if device is not None:
        stmt = stmt.where(Alarm.device_id == select(Device.id).where(Device.name == device).scalar_subquery())
    total = _count(session, stmt)
    page = stmt.offset(offset)
    if limit is not None:
        page = page.limit(limit)
    alarms = list(session.scalars(page).unique())
    parsed = [_DRIFT_KEY.match(a.reduction_key) for a in alarms]
    refs = {m.group("service") for m in parsed if m is not None}
    services = (
        {
            s.external_id: s
            for s in session.scalars(select(Service).where(Service.external_id.in_(sorted(refs))))
        }
        if refs
        else {}
    )
    rows = []
    for alarm, match in zip(alarms, parsed, strict=True):
        ref = match.group("service") if match else ""
        details = alarm.details or {}
        rows.append(
            DriftRow(
                alarm,
                alarm.device.name if alarm.device else (match.group("device") if match else ""),
                ref,
                services.get(ref),
                _lines(details.get("missing")),
                _lines(details.get("added")),
            )
        )
    return Page(rows, total)
