"""Enumerations: the one source of truth for states, roles and protocol codes."""

from __future__ import annotations

import enum


class DeviceStatus(enum.StrEnum):
    UNKNOWN = "unknown"  # added, never answered yet
    UP = "up"
    UNREACHABLE = "unreachable"


class IfStatus(enum.IntEnum):
    """IF-MIB ifAdminStatus / ifOperStatus values (RFC 2863)."""

    UP = 1
    DOWN = 2
    TESTING = 3
    UNKNOWN = 4
    DORMANT = 5
    NOT_PRESENT = 6
    LOWER_LAYER_DOWN = 7

    @property
    def label(self) -> str:
        return _IF_STATUS_LABELS[self]

    @classmethod
    def parse(cls, value: object) -> IfStatus:
        try:
            return cls(int(value))  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return cls.UNKNOWN


_IF_STATUS_LABELS = {
    IfStatus.UP: "up",
    IfStatus.DOWN: "down",
    IfStatus.TESTING: "testing",
    IfStatus.UNKNOWN: "unknown",
    IfStatus.DORMANT: "dormant",
    IfStatus.NOT_PRESENT: "notPresent",
    IfStatus.LOWER_LAYER_DOWN: "lowerLayerDown",
}


class SnmpVersion(enum.StrEnum):
    V2C = "v2c"
    V3 = "v3"


class SnmpAuthProto(enum.StrEnum):
    SHA = "sha"  # HMAC-SHA-96 (RFC 3414)
    SHA256 = "sha256"  # HMAC-SHA-256-192 (RFC 7860)


class SnmpPrivProto(enum.StrEnum):
    AES = "aes"  # AES-128-CFB (RFC 3826)
    AES256 = "aes256"  # AES-256-CFB, Blumenthal key extension (Net-SNMP's AES-256)


class Role(enum.StrEnum):
    ADMIN = "admin"
    ENGINEER = "engineer"
    VIEWER = "viewer"


class PhysicalClass(enum.IntEnum):
    """ENTITY-MIB PhysicalClass (RFC 6933)."""

    OTHER = 1
    UNKNOWN = 2
    CHASSIS = 3
    BACKPLANE = 4
    CONTAINER = 5
    POWER_SUPPLY = 6
    FAN = 7
    SENSOR = 8
    MODULE = 9
    PORT = 10
    STACK = 11
    CPU = 12

    @classmethod
    def parse(cls, value: object) -> PhysicalClass:
        try:
            return cls(int(value))  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return cls.UNKNOWN


class LinkSource(enum.StrEnum):
    LLDP = "lldp"
    MANUAL = "manual"


class AlarmState(enum.StrEnum):
    """TMF642 alarm state."""

    RAISED = "raised"
    UPDATED = "updated"
    CLEARED = "cleared"


class AckState(enum.StrEnum):
    UNACKNOWLEDGED = "unacknowledged"
    ACKNOWLEDGED = "acknowledged"


class Severity(enum.StrEnum):
    """TMF642 perceivedSeverity (X.733)."""

    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    WARNING = "warning"
    INDETERMINATE = "indeterminate"
    CLEARED = "cleared"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.CRITICAL: 5,
    Severity.MAJOR: 4,
    Severity.MINOR: 3,
    Severity.WARNING: 2,
    Severity.INDETERMINATE: 1,
    Severity.CLEARED: 0,
}


class AlarmType(enum.StrEnum):
    """X.733 §8.1.1 / 3GPP 32.111-2 Annex A event types, as TMF642 uses them."""

    COMMUNICATIONS = "communicationsAlarm"
    PROCESSING_ERROR = "processingErrorAlarm"
    ENVIRONMENTAL = "environmentalAlarm"
    QUALITY_OF_SERVICE = "qualityOfServiceAlarm"
    EQUIPMENT = "equipmentAlarm"
    INTEGRITY_VIOLATION = "integrityViolation"
    OPERATIONAL_VIOLATION = "operationalViolation"
    PHYSICAL_VIOLATION = "physicalViolation"
    SECURITY_SERVICE = "securityService"
    MECHANISM_VIOLATION = "mechanismViolation"
    TIME_DOMAIN_VIOLATION = "timeDomainViolation"


class AlarmedObjectType(enum.StrEnum):
    DEVICE = "Device"
    INTERFACE = "Interface"
    SERVICE = "Service"


class EventSource(enum.StrEnum):
    TRAP = "trap"
    POLL = "poll"
    SYSTEM = "system"


class OutboxState(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    PARKED = "parked"  # gave up after the retry budget; kept for an operator to look at


class ServiceState(enum.StrEnum):
    """TMF638 ServiceStateType."""

    FEASIBILITY_CHECKED = "feasibilityChecked"
    DESIGNED = "designed"
    RESERVED = "reserved"
    INACTIVE = "inactive"
    ACTIVE = "active"
    TERMINATED = "terminated"


class TxState(enum.StrEnum):
    """A provisioning transaction's life. ``confirming`` is the commit point: once it is
    written, recovery after a crash rolls forward; before it, recovery rolls back."""

    PLANNED = "planned"
    PREPARING = "preparing"
    PREPARED = "prepared"
    COMMITTING = "committing"
    VERIFYING = "verifying"
    CONFIRMING = "confirming"
    DONE = "done"
    DRY_RUN = "dry-run"  # prepared, diffs shown, nothing changed
    ROLLING_BACK = "rolling-back"
    ROLLED_BACK = "rolled-back"  # failed cleanly: every device back to its pre state
    FAILED = "failed"  # could not be driven to a consistent state: needs a person

    @property
    def terminal(self) -> bool:
        return self in (TxState.DONE, TxState.DRY_RUN, TxState.ROLLED_BACK, TxState.FAILED)


class TxDeviceState(enum.StrEnum):
    PENDING = "pending"
    PREPARED = "prepared"
    COMMITTED = "committed"  # applied, not yet confirmed (reverts by itself where supported)
    CONFIRMED = "confirmed"
    DISCARDED = "discarded"  # prepared, then abandoned (dry run or failure before commit)
    ROLLED_BACK = "rolled-back"
    FAILED = "failed"


class ServiceAction(enum.StrEnum):
    CREATE = "create"
    MODIFY = "modify"
    DELETE = "delete"


class OrderState(enum.StrEnum):
    """TMF622 v4 ProductOrderStateType (the subset ossagent moves through)."""

    ACKNOWLEDGED = "acknowledged"
    REJECTED = "rejected"
    PENDING = "pending"
    HELD = "held"
    IN_PROGRESS = "inProgress"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    FAILED = "failed"
    PARTIAL = "partial"
    ASSESSING_CANCELLATION = "assessingCancellation"
    PENDING_CANCELLATION = "pendingCancellation"

    @property
    def terminal(self) -> bool:
        return self in _ORDER_TERMINAL


class ProblemState(enum.StrEnum):
    """TMF656 ServiceProblemStateType."""

    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "inProgress"
    RESOLVED = "resolved"
    CLOSED = "closed"


class MessageState(enum.StrEnum):
    """TMF681 CommunicationMessageStateType."""

    INITIAL = "initial"
    IN_PROGRESS = "inProgress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"


_ORDER_TERMINAL = {
    OrderState.REJECTED,
    OrderState.CANCELLED,
    OrderState.COMPLETED,
    OrderState.FAILED,
    OrderState.PARTIAL,
}
