"""Provisioning tables: how to reach a device for configuration (with its known SSH host key),
service instances and the configuration fragments they own, transactions and their journal,
and configuration versions (backups)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory.choices import ServiceAction, TxDeviceState, TxState
from inventory.domain import Secret
from inventory.fault_models import Service
from inventory.models import Base, Device, _enum
from inventory.types import EncryptedSecret, UTCDateTime, utcnow


class ConfigAccess(Base):
    """How the agent changes a device: driver, port, credentials, and the SSH host key on
    record (filled on first discovery; a different key later refuses the session)."""

    __tablename__ = "config_access"

    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True)
    driver: Mapped[str] = mapped_column(String(32))  # netconf | cli | napalm
    platform: Mapped[str] = mapped_column(String(32))  # eos | ios | frr | srlinux | ...
    port: Mapped[int] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(64))
    password: Mapped[Secret] = mapped_column(EncryptedSecret)
    host_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    host_key_seen: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    device: Mapped[Device] = relationship()


class ServiceInstance(Base):
    """The parameters of a provisioned service (one row per service, updated on modify)."""

    __tablename__ = "service_instances"

    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(64))  # internet-access | l2vpn-p2p | ...
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    last_transaction_id: Mapped[str | None] = mapped_column(String(36), nullable=True)

    service: Mapped[Service] = relationship()


class ServiceFragment(Base):
    """The configuration a service owns on one device (native text or XML), as last applied."""

    __tablename__ = "service_fragments"
    __table_args__ = (UniqueConstraint("service_id", "device_id", name="uq_fragment_service_device"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    format: Mapped[str] = mapped_column(String(16))  # cli | netconf
    text: Mapped[str] = mapped_column(Text)
    transaction_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class Transaction(Base):
    """One change across devices, all or nothing. Journaled before it touches a device."""

    __tablename__ = "transactions"
    __table_args__ = (Index("ix_transactions_state", "state"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # TX-<time>-<random>
    state: Mapped[TxState] = mapped_column(_enum(TxState, "tx_state"), default=TxState.PLANNED)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    force: Mapped[bool] = mapped_column(Boolean, default=False)  # proceed although a device drifted
    origin: Mapped[str] = mapped_column(String(128), default="")  # cli | api | order:<id> | rollback:<tx>
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    confirm_timeout_s: Mapped[int] = mapped_column(Integer, default=120)
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL"), nullable=True
    )
    action: Mapped[ServiceAction | None] = mapped_column(
        _enum(ServiceAction, "service_action"), nullable=True
    )
    request: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the service request as given
    rollback_of: Mapped[str | None] = mapped_column(String(36), nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    claimed_by: Mapped[str] = mapped_column(String(128), default="")  # which process executes it

    devices: Mapped[list[TransactionDevice]] = relationship(
        back_populates="transaction", cascade="all, delete-orphan", order_by="TransactionDevice.position"
    )
    log: Mapped[list[TransactionLog]] = relationship(
        back_populates="transaction", cascade="all, delete-orphan", order_by="TransactionLog.id"
    )


class TransactionDevice(Base):
    __tablename__ = "transaction_devices"
    __table_args__ = (UniqueConstraint("transaction_id", "device_id", name="uq_tx_device"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("transactions.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[TxDeviceState] = mapped_column(
        _enum(TxDeviceState, "tx_device_state"), default=TxDeviceState.PENDING
    )
    driver: Mapped[str] = mapped_column(String(32))
    format: Mapped[str] = mapped_column(String(16))  # cli | netconf
    payload: Mapped[str] = mapped_column(Text)  # the native change (commands or edit-config)
    fragment_before: Mapped[str] = mapped_column(Text, default="")  # the service's config before
    fragment_after: Mapped[str] = mapped_column(Text, default="")  # ... and after
    pre_config: Mapped[str | None] = mapped_column(
        Text, nullable=True
    )  # running before (masked copy in backups)
    post_config: Mapped[str | None] = mapped_column(Text, nullable=True)
    diff: Mapped[str] = mapped_column(Text, default="")  # the device's own diff of the candidate
    error: Mapped[str] = mapped_column(Text, default="")

    transaction: Mapped[Transaction] = relationship(back_populates="devices")
    device: Mapped[Device] = relationship()


class TransactionLog(Base):
    __tablename__ = "transaction_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("transactions.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    device: Mapped[str] = mapped_column(String(128), default="")
    level: Mapped[str] = mapped_column(String(8), default="info")
    message: Mapped[str] = mapped_column(Text)

    transaction: Mapped[Transaction] = relationship(back_populates="log")


class ConfigVersion(Base):
    """A backup of a device's running configuration, secrets masked before storage."""

    __tablename__ = "config_versions"
    __table_args__ = (Index("ix_config_versions_device_time", "device_id", "taken_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(32))  # scheduled | on-demand | pre-tx | post-tx
    transaction_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    format: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
