"""Value objects that cross package boundaries: frozen dataclasses, never bare dicts.

Collectors take targets and return observations built from these; the agent maps them to
models. Nothing here touches the database.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import datetime

from inventory.choices import IfStatus, PhysicalClass, SnmpAuthProto, SnmpPrivProto, SnmpVersion


class Secret:
    """A credential that never prints: str(), repr() and format() all give ``<secret>``.

    Only ``reveal()`` returns the value, so every place that needs the plaintext is greppable.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret holds a str")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return "<secret>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[type[Secret], tuple[str]]:
        # Picklable so that job arguments can cross process boundaries; still never printed.
        return (Secret, (self._value,))


@dataclass(frozen=True)
class SnmpCredentials:
    version: SnmpVersion
    community: Secret | None = None
    user: str | None = None
    auth_proto: SnmpAuthProto | None = None
    auth_key: Secret | None = None
    priv_proto: SnmpPrivProto | None = None
    priv_key: Secret | None = None

    def __post_init__(self) -> None:
        if self.version is SnmpVersion.V2C:
            if not self.community:
                raise ValueError("SNMP v2c needs a community")
        else:
            missing = [
                n
                for n in ("user", "auth_proto", "auth_key", "priv_proto", "priv_key")
                if not getattr(self, n)
            ]
            if missing:
                raise ValueError(f"SNMPv3 authPriv needs {', '.join(missing)}")
            if self.auth_key is not None and len(self.auth_key.reveal()) < 8:
                raise ValueError("SNMPv3 auth key must be at least 8 characters (RFC 3414)")
            if self.priv_key is not None and len(self.priv_key.reveal()) < 8:
                raise ValueError("SNMPv3 priv key must be at least 8 characters (RFC 3414)")

    @classmethod
    def v2c(cls, community: str) -> SnmpCredentials:
        return cls(SnmpVersion.V2C, community=Secret(community))

    @classmethod
    def v3(
        cls,
        user: str,
        auth_key: str,
        priv_key: str,
        auth_proto: SnmpAuthProto = SnmpAuthProto.SHA,
        priv_proto: SnmpPrivProto = SnmpPrivProto.AES,
    ) -> SnmpCredentials:
        return cls(
            SnmpVersion.V3,
            user=user,
            auth_proto=auth_proto,
            auth_key=Secret(auth_key),
            priv_proto=priv_proto,
            priv_key=Secret(priv_key),
        )


@dataclass(frozen=True)
class SnmpTarget:
    device: str
    host: str
    port: int
    credentials: SnmpCredentials
    timeout: float = 1.0
    retries: int = 1


@dataclass(frozen=True)
class SystemInfo:
    sys_descr: str
    sys_object_id: str
    sys_name: str
    sys_location: str
    sys_contact: str
    uptime_ticks: int


@dataclass(frozen=True)
class ComponentInfo:
    index: int
    phys_class: PhysicalClass
    name: str
    descr: str
    contained_in: int
    serial: str
    model: str
    hardware_rev: str
    firmware_rev: str
    software_rev: str
    mfg_name: str


@dataclass(frozen=True)
class InterfaceInfo:
    if_index: int
    name: str
    descr: str
    alias: str
    if_type: int
    mtu: int
    speed_bps: int
    mac: str
    admin_status: IfStatus
    oper_status: IfStatus
    last_change_ticks: int
    has_hc_counters: bool


@dataclass(frozen=True)
class NeighborInfo:
    """One LLDP remote entry as the local device reports it."""

    local_if_index: int | None
    local_port: str
    remote_chassis_id: str
    remote_port_id: str
    remote_port_descr: str
    remote_sys_name: str


@dataclass(frozen=True)
class DiscoveryData:
    system: SystemInfo
    components: tuple[ComponentInfo, ...]
    interfaces: tuple[InterfaceInfo, ...]
    neighbors: tuple[NeighborInfo, ...]


@dataclass(frozen=True)
class CounterReading:
    """One interface's counters at one instant; None where the agent has no value."""

    if_index: int
    admin_status: IfStatus
    oper_status: IfStatus
    in_octets: int | None
    out_octets: int | None
    in_ucast_pkts: int | None
    out_ucast_pkts: int | None
    in_errors: int | None
    out_errors: int | None
    in_discards: int | None
    out_discards: int | None
    counter_bits: int  # 64 when the octet and packet counters are ifHC*, else 32


@dataclass(frozen=True)
class PerfData:
    uptime_ticks: int
    readings: tuple[CounterReading, ...]


@dataclass(frozen=True)
class Observation:
    """What one collector run saw on one device. Collectors never raise across the fleet."""

    device: str
    collector: str
    ok: bool
    started: datetime
    duration_s: float
    error: str | None = None
    discovery: DiscoveryData | None = None
    perf: PerfData | None = None
    requests: int = 0
    varbinds: int = 0
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class InterfaceRates:
    """Per-second rates over one poll interval. None where no rate can be trusted."""

    interval_s: float
    in_bps: float | None
    out_bps: float | None
    in_pps: float | None
    out_pps: float | None
    in_errors_ps: float | None
    out_errors_ps: float | None
    in_discards_ps: float | None
    out_discards_ps: float | None
    discontinuity: str | None = None  # why the rates are missing, when they are


@dataclass(frozen=True)
class ConfigAccessSpec:
    """How to change a device's configuration (see provisioners.contract.DeviceAccess)."""

    driver: str  # netconf | cli | napalm
    platform: str  # eos | ios | frr | srlinux | ...
    port: int
    username: str
    password: Secret
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class InventoryHost:
    """One device as an inventory file (Nornir, Ansible, containerlab) describes it."""

    name: str
    host: str
    snmp_port: int = 161
    platform: str = ""
    role: str = ""
    site: str = ""
    snmp_profile: str | None = None  # an existing or accompanying named profile
    snmp: SnmpCredentials | None = None  # inline credentials (a profile named after the host)
    data: dict[str, str] = field(default_factory=dict)
    mgmt_via: tuple[str, ...] = ()  # devices the agent reaches this one through
    config_access: ConfigAccessSpec | None = None
