"""Fault management tables: events, alarms (TMF642) and their history, maintenance windows,
management paths, the service-inventory seam, hub subscriptions, the outbox, and counters
the agent publishes for /metrics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory.choices import (
    AckState,
    AlarmedObjectType,
    AlarmState,
    AlarmType,
    EventSource,
    OutboxState,
    ServiceState,
    Severity,
)
from inventory.domain import Secret
from inventory.models import Base, Device, Interface, Site, _enum
from inventory.types import EncryptedSecret, UTCDateTime, utcnow


class Event(Base):
    """Something a device told us (a trap) or we saw (a poll): kept whether or not it made an
    alarm, including traps from unknown sources and traps we cannot name."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_device_time", "device_id", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    source: Mapped[EventSource] = mapped_column(_enum(EventSource, "event_source"))
    source_address: Mapped[str] = mapped_column(String(64), default="")
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("devices.id", ondelete="SET NULL"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(128))  # linkDown, coldStart, ..., or "unknown"
    trap_oid: Mapped[str] = mapped_column(String(255), default="")
    version: Mapped[str] = mapped_column(String(8), default="")  # v1 | v2c | v3
    if_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    varbinds: Mapped[list[Any]] = mapped_column(JSON, default=list)
    alarm_id: Mapped[int | None] = mapped_column(
        ForeignKey("alarms.id", ondelete="SET NULL"), nullable=True, index=True
    )
    note: Mapped[str] = mapped_column(Text, default="")

    device: Mapped[Device | None] = relationship()


class Alarm(Base):
    """One alarm per reduction key while it is active (raised or updated); cleared alarms stay."""

    __tablename__ = "alarms"
    __table_args__ = (
        # At most one active alarm per reduction key, enforced by the database itself so that
        # two writers racing on the same trap cannot create a duplicate.
        Index(
            "uq_alarms_active_key",
            "reduction_key",
            unique=True,
            sqlite_where=text("state != 'cleared'"),
            postgresql_where=text("state != 'cleared'"),
        ),
        Index("ix_alarms_state_severity", "state", "perceived_severity"),
        Index("ix_alarms_device_state", "device_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reduction_key: Mapped[str] = mapped_column(String(255))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), nullable=True)
    interface_id: Mapped[int | None] = mapped_column(
        ForeignKey("interfaces.id", ondelete="SET NULL"), nullable=True, index=True
    )
    alarmed_object_type: Mapped[AlarmedObjectType] = mapped_column(
        _enum(AlarmedObjectType, "alarmed_object_type")
    )
    alarmed_object: Mapped[str] = mapped_column(String(255))
    alarm_type: Mapped[AlarmType] = mapped_column(_enum(AlarmType, "alarm_type"))
    probable_cause: Mapped[str] = mapped_column(String(128))
    specific_problem: Mapped[str] = mapped_column(Text, default="")
    perceived_severity: Mapped[Severity] = mapped_column(_enum(Severity, "perceived_severity"))
    state: Mapped[AlarmState] = mapped_column(_enum(AlarmState, "alarm_state"), default=AlarmState.RAISED)
    ack_state: Mapped[AckState] = mapped_column(_enum(AckState, "ack_state"), default=AckState.UNACKNOWLEDGED)
    ack_user: Mapped[str] = mapped_column(String(64), default="")
    ack_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # indexed: the alarm lists of the API and TMF642 are newest first, over the whole history
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    clear_user: Mapped[str] = mapped_column(String(64), default="")
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    last_occurrence: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    is_root_cause: Mapped[bool] = mapped_column(Boolean, default=True)
    # indexed: the alarms a page of alarms suppresses are found in one lookup (children_of)
    suppressed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("alarms.id", ondelete="SET NULL"), nullable=True, index=True
    )
    correlation: Mapped[str] = mapped_column(Text, default="")  # why it is suppressed
    planned: Mapped[bool] = mapped_column(Boolean, default=False)
    maintenance_window_id: Mapped[int | None] = mapped_column(
        ForeignKey("maintenance_windows.id", ondelete="SET NULL"), nullable=True
    )
    service_affecting: Mapped[bool] = mapped_column(Boolean, default=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source: Mapped[EventSource] = mapped_column(_enum(EventSource, "alarm_source"))
    # Notification bookkeeping: an alarm is announced only once a burst has settled.
    settle_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    announced: Mapped[bool] = mapped_column(Boolean, default=False)
    announced_occurrences: Mapped[int] = mapped_column(Integer, default=0)

    device: Mapped[Device | None] = relationship()
    interface: Mapped[Interface | None] = relationship()
    suppressed_by: Mapped[Alarm | None] = relationship(remote_side=[id])
    history: Mapped[list[AlarmHistory]] = relationship(
        back_populates="alarm", cascade="all, delete-orphan", order_by="AlarmHistory.id"
    )

    @property
    def active(self) -> bool:
        return self.state is not AlarmState.CLEARED


class AlarmHistory(Base):
    __tablename__ = "alarm_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarms.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(32))  # raised, updated, severity, acknowledged, comment, ...
    severity: Mapped[Severity | None] = mapped_column(_enum(Severity, "history_severity"), nullable=True)
    user: Mapped[str] = mapped_column(String(64), default="")
    system: Mapped[str] = mapped_column(String(64), default="ossagent")
    text: Mapped[str] = mapped_column(Text, default="")
    # Set once the announcer has turned this change into a TMF642 event (or decided none is due).
    published: Mapped[bool] = mapped_column(Boolean, default=False, index=True)

    alarm: Mapped[Alarm] = relationship(back_populates="history")


class MaintenanceWindow(Base):
    """A one-off or recurring window; alarms on its targets inside it are planned."""

    __tablename__ = "maintenance_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recurrence: Mapped[str] = mapped_column(String(16), default="none")  # none | daily | weekly
    until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    targets: Mapped[list[MaintenanceTarget]] = relationship(
        back_populates="window", cascade="all, delete-orphan"
    )


class MaintenanceTarget(Base):
    __tablename__ = "maintenance_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    window_id: Mapped[int] = mapped_column(
        ForeignKey("maintenance_windows.id", ondelete="CASCADE"), index=True
    )
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), nullable=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), nullable=True)
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), nullable=True
    )

    window: Mapped[MaintenanceWindow] = relationship(back_populates="targets")
    device: Mapped[Device | None] = relationship()
    site: Mapped[Site | None] = relationship()


class ManagementPath(Base):
    """How the agent reaches a device: through ``via`` (several rows = several parents)."""

    __tablename__ = "management_paths"
    __table_args__ = (UniqueConstraint("device_id", "via_device_id", name="uq_mgmt_path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    via_device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))


class Service(Base):
    """A service riding on network resources (TMF638). The BSS bridge fills it from orders;
    fault management only needs to know which resources each one uses."""

    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True, nullable=True)
    name: Mapped[str] = mapped_column(String(255))
    service_type: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[ServiceState] = mapped_column(
        _enum(ServiceState, "service_state"), default=ServiceState.ACTIVE
    )
    customer_ref: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    resources: Mapped[list[ServiceResource]] = relationship(
        back_populates="service", cascade="all, delete-orphan"
    )


class ServiceResource(Base):
    __tablename__ = "service_resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    interface_id: Mapped[int | None] = mapped_column(
        ForeignKey("interfaces.id", ondelete="CASCADE"), nullable=True
    )
    role: Mapped[str] = mapped_column(String(64), default="")

    service: Mapped[Service] = relationship(back_populates="resources")


class HubSubscription(Base):
    """A TMF630 /hub listener registration."""

    __tablename__ = "hub_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    api: Mapped[str] = mapped_column(String(64), index=True)  # alarm, productOrdering, ...
    callback: Mapped[str] = mapped_column(Text)
    query: Mapped[str] = mapped_column(Text, default="")
    append_listener_path: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxMessage(Base):
    """A message to deliver exactly once per dedup key, retried with backoff by the agent."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("dedup_key", name="uq_outbox_dedup"),
        Index("ix_outbox_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(255))
    event_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(32))  # hub | webhook | email
    target: Mapped[str] = mapped_column(Text)
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("hub_subscriptions.id", ondelete="CASCADE"), nullable=True
    )
    event_type: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[OutboxState] = mapped_column(
        _enum(OutboxState, "outbox_state"), default=OutboxState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AgentCounter(Base):
    """Counters the agent process publishes for the web process's /metrics."""

    __tablename__ = "agent_counters"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    labels: Mapped[str] = mapped_column(String(255), primary_key=True, default="")  # k="v",... sorted
    value: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SigningKey(Base):
    """The HMAC key for outgoing event signatures (encrypted at rest)."""

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32), unique=True)
    key: Mapped[Secret] = mapped_column(EncryptedSecret)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
