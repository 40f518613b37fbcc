"""SQLAlchemy 2 models of the inventory: sites, devices, hardware, interfaces, links, samples,
users and API tokens. Schema changes go through Alembic (inventory/migrations)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from inventory.choices import (
    DeviceStatus,
    IfStatus,
    LinkSource,
    PhysicalClass,
    Role,
    SnmpAuthProto,
    SnmpPrivProto,
    SnmpVersion,
)
from inventory.domain import Secret, SnmpCredentials
from inventory.types import EncryptedSecret, IntEnumType, UInt64, UTCDateTime, utcnow

# Stable constraint names so that Alembic migrations can alter them on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _enum(cls: type[Any], name: str) -> Enum:
    # Stored as the enum's value (VARCHAR plus CHECK), not its Python name.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        length=32,
        values_callable=lambda e: [str(m.value) for m in e],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")

    devices: Mapped[list[Device]] = relationship(back_populates="site")


class SnmpProfile(Base):
    """A named set of SNMP credentials, encrypted at rest."""

    __tablename__ = "snmp_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    version: Mapped[SnmpVersion] = mapped_column(_enum(SnmpVersion, "snmp_version"))
    community: Mapped[Secret | None] = mapped_column(EncryptedSecret, nullable=True)
    user: Mapped[str | None] = mapped_column(String(64), nullable=True)
    auth_proto: Mapped[SnmpAuthProto | None] = mapped_column(
        _enum(SnmpAuthProto, "snmp_auth_proto"), nullable=True
    )
    auth_key: Mapped[Secret | None] = mapped_column(EncryptedSecret, nullable=True)
    priv_proto: Mapped[SnmpPrivProto | None] = mapped_column(
        _enum(SnmpPrivProto, "snmp_priv_proto"), nullable=True
    )
    priv_key: Mapped[Secret | None] = mapped_column(EncryptedSecret, nullable=True)

    def credentials(self) -> SnmpCredentials:
        return SnmpCredentials(
            version=self.version,
            community=self.community,
            user=self.user,
            auth_proto=self.auth_proto,
            auth_key=self.auth_key,
            priv_proto=self.priv_proto,
            priv_key=self.priv_key,
        )

    def set_credentials(self, creds: SnmpCredentials) -> None:
        self.version = creds.version
        self.community = creds.community
        self.user = creds.user
        self.auth_proto = creds.auth_proto
        self.auth_key = creds.auth_key
        self.priv_proto = creds.priv_proto
        self.priv_key = creds.priv_key


class Device(Base):
    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    host: Mapped[str] = mapped_column(String(255))
    snmp_port: Mapped[int] = mapped_column(Integer, default=161)
    platform: Mapped[str] = mapped_column(String(64), default="")
    role: Mapped[str] = mapped_column(String(64), default="")
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), nullable=True)
    snmp_profile_id: Mapped[int | None] = mapped_column(ForeignKey("snmp_profiles.id"), nullable=True)
    poll_interval_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)

    status: Mapped[DeviceStatus] = mapped_column(
        _enum(DeviceStatus, "device_status"), default=DeviceStatus.UNKNOWN
    )
    status_changed: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sys_object_id: Mapped[str] = mapped_column(String(255), default="")
    sys_descr: Mapped[str] = mapped_column(Text, default="")
    sys_name: Mapped[str] = mapped_column(String(255), default="")
    sys_location: Mapped[str] = mapped_column(String(255), default="")
    sys_contact: Mapped[str] = mapped_column(String(255), default="")
    uptime_ticks: Mapped[int | None] = mapped_column(UInt64, nullable=True)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_discovered: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_polled: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site | None] = relationship(back_populates="devices")
    snmp_profile: Mapped[SnmpProfile | None] = relationship()
    interfaces: Mapped[list[Interface]] = relationship(
        back_populates="device", cascade="all, delete-orphan", order_by="Interface.if_index"
    )
    components: Mapped[list[HardwareComponent]] = relationship(
        back_populates="device", cascade="all, delete-orphan", order_by="HardwareComponent.ent_index"
    )


class HardwareComponent(Base):
    """One ENTITY-MIB entPhysicalTable row."""

    __tablename__ = "hardware_components"
    __table_args__ = (UniqueConstraint("device_id", "ent_index", name="uq_hw_device_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    ent_index: Mapped[int] = mapped_column(Integer)
    phys_class: Mapped[PhysicalClass] = mapped_column(IntEnumType(PhysicalClass, PhysicalClass.UNKNOWN))
    name: Mapped[str] = mapped_column(String(255), default="")
    descr: Mapped[str] = mapped_column(Text, default="")
    contained_in: Mapped[int] = mapped_column(Integer, default=0)
    serial: Mapped[str] = mapped_column(String(255), default="")
    model: Mapped[str] = mapped_column(String(255), default="")
    hardware_rev: Mapped[str] = mapped_column(String(255), default="")
    firmware_rev: Mapped[str] = mapped_column(String(255), default="")
    software_rev: Mapped[str] = mapped_column(String(255), default="")
    mfg_name: Mapped[str] = mapped_column(String(255), default="")

    device: Mapped[Device] = relationship(back_populates="components")


class Interface(Base):
    __tablename__ = "interfaces"
    __table_args__ = (UniqueConstraint("device_id", "if_index", name="uq_if_device_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    if_index: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255), default="")
    descr: Mapped[str] = mapped_column(Text, default="")
    alias: Mapped[str] = mapped_column(Text, default="")
    if_type: Mapped[int] = mapped_column(Integer, default=1)
    mtu: Mapped[int] = mapped_column(Integer, default=0)
    speed_bps: Mapped[int] = mapped_column(UInt64, default=0)
    mac: Mapped[str] = mapped_column(String(64), default="")
    admin_status: Mapped[IfStatus] = mapped_column(
        IntEnumType(IfStatus, IfStatus.UNKNOWN), default=IfStatus.UNKNOWN
    )
    oper_status: Mapped[IfStatus] = mapped_column(
        IntEnumType(IfStatus, IfStatus.UNKNOWN), default=IfStatus.UNKNOWN
    )
    last_change: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    counter_bits: Mapped[int] = mapped_column(Integer, default=64)
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    # The newest sample and its rates, denormalised so that a poll finds the previous
    # counters by key and lists need no aggregate query over the samples table.
    last_sample_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    in_bps: Mapped[float | None] = mapped_column(Float, nullable=True)
    out_bps: Mapped[float | None] = mapped_column(Float, nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    device: Mapped[Device] = relationship(back_populates="interfaces")

    @property
    def utilisation_in(self) -> float | None:
        return _utilisation(self.in_bps, self.speed_bps)

    @property
    def utilisation_out(self) -> float | None:
        return _utilisation(self.out_bps, self.speed_bps)


def _utilisation(bps: float | None, speed: int) -> float | None:
    if bps is None or not speed:
        return None
    return min(100.0, 100.0 * bps / speed)


class Link(Base):
    """A link seen from one side (LLDP), resolved to the remote interface when it is known."""

    __tablename__ = "links"
    __table_args__ = (
        UniqueConstraint("local_interface_id", "remote_chassis_id", "remote_port_id", name="uq_link_ends"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    local_interface_id: Mapped[int] = mapped_column(
        ForeignKey("interfaces.id", ondelete="CASCADE"), index=True
    )
    remote_interface_id: Mapped[int | None] = mapped_column(
        ForeignKey("interfaces.id", ondelete="SET NULL"), nullable=True
    )
    remote_sys_name: Mapped[str] = mapped_column(String(255), default="")
    remote_chassis_id: Mapped[str] = mapped_column(String(255), default="")
    remote_port_id: Mapped[str] = mapped_column(String(255), default="")
    remote_port_descr: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[LinkSource] = mapped_column(_enum(LinkSource, "link_source"), default=LinkSource.LLDP)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    local_interface: Mapped[Interface] = relationship(foreign_keys=[local_interface_id])
    remote_interface: Mapped[Interface | None] = relationship(foreign_keys=[remote_interface_id])


class InterfaceSample(Base):
    """Raw counters of one interface at one poll, with the rates over the interval it closes."""

    __tablename__ = "interface_samples"
    __table_args__ = (Index("ix_samples_interface_ts", "interface_id", "ts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interface_id: Mapped[int] = mapped_column(ForeignKey("interfaces.id", ondelete="CASCADE"))
    ts: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    uptime_ticks: Mapped[int] = mapped_column(UInt64)
    counter_bits: Mapped[int] = mapped_column(Integer)
    oper_status: Mapped[int] = mapped_column(Integer)
    in_octets: Mapped[int | None] = mapped_column(UInt64, nullable=True)
    out_octets: Mapped[int | None] = mapped_column(UInt64, nullable=True)
    in_ucast_pkts: Mapped[int | None] = mapped_column(UInt64, nullable=True)
    out_ucast_pkts: Mapped[int | None] = mapped_column(UInt64, nullable=True)
    in_errors: Mapped[int | None] = mapped_column(UInt64, nullable=True)
    out_errors: Mapped[int | None] = mapped_column(UInt64, nullable=True)
    in_discards: Mapped[int | None] = mapped_column(UInt64, nullable=True)
    out_discards: Mapped[int | None] = mapped_column(UInt64, nullable=True)
    in_bps: Mapped[float | None] = mapped_column(Float, nullable=True)
    out_bps: Mapped[float | None] = mapped_column(Float, nullable=True)
    in_pps: Mapped[float | None] = mapped_column(Float, nullable=True)
    out_pps: Mapped[float | None] = mapped_column(Float, nullable=True)
    in_errors_ps: Mapped[float | None] = mapped_column(Float, nullable=True)
    out_errors_ps: Mapped[float | None] = mapped_column(Float, nullable=True)
    in_discards_ps: Mapped[float | None] = mapped_column(Float, nullable=True)
    out_discards_ps: Mapped[float | None] = mapped_column(Float, nullable=True)
    discontinuity: Mapped[str | None] = mapped_column(String(64), nullable=True)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role, "user_role"))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    """A bearer token; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship()


class JobRequest(Base):
    """A request written by the web process (or the CLI) for the agent to carry out."""

    __tablename__ = "job_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # discover | poll
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    requested_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
