"""The one contract every provisioning driver keeps: render -> diff -> apply (dry-run first)
-> verify -> rollback. Value objects cross the package boundary; drivers never touch the
database (the agent journals every step around them).

The lifecycle of one device inside a transaction:

    d = open_driver(access)            # connect; SSH host key verified against access.host_key
    pre = d.get_config()               # the running configuration, native text or XML
    diff = d.prepare(change)           # lock, load the candidate, return the native diff; touches
                                       # nothing running (a dry run stops here and calls discard())
    d.commit(confirm_timeout_s, comment)   # apply; on platforms with confirmed commit the
                                       # device reverts by itself unless confirm() follows in time
    d.confirm()                        # make it permanent
    d.rollback()                       # or: back to ``pre`` (cancel-commit, the compensating
                                       # change, or the platform's rollback)
    d.close()

A driver raises DriverError (with ``phase`` and a message that says what the device said) and
never swallows a device's refusal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from inventory.domain import Secret


class DriverError(RuntimeError):
    def __init__(self, device: str, phase: str, message: str) -> None:
        super().__init__(f"{device}: {phase}: {message}")
        self.device = device
        self.phase = phase
        self.message = message


class HostKeyMismatch(DriverError):
    """The device presented another SSH host key than the one on record: refused, alarmed."""

    def __init__(self, device: str, expected: str, presented: str) -> None:
        super().__init__(device, "connect", "SSH host key changed: refusing the session")
        self.expected = expected
        self.presented = presented


@dataclass(frozen=True)
class DeviceAccess:
    """How to reach one device for configuration."""

    device: str
    host: str
    port: int
    driver: str  # a key of DRIVERS: netconf | cli | napalm
    platform: str  # eos | ios | srlinux | junos | ... (selects templates and CLI dialect)
    username: str
    password: Secret
    # "ssh-ed25519 AAAA..." on record; None only while the known-hosts store learns it at
    # discovery (trust on first use); a driver never connects with None in a transaction.
    host_key: str | None = None
    options: Mapping[str, str] = field(default_factory=dict)  # e.g. napalm transport, eapi port
    timeout_s: float = 30.0


@dataclass(frozen=True)
class NativeChange:
    """What to send to one device: CLI config lines, or a NETCONF <config> with operations."""

    device: str
    format: str  # "cli" | "netconf"
    payload: str
    comment: str = ""  # carries the transaction id where the platform keeps commit comments


class Driver(Protocol):
    device: str
    supports_confirmed_commit: bool

    def host_key(self) -> str: ...  # the key the device presented ("type base64")
    def get_config(self) -> str: ...
    def prepare(self, change: NativeChange) -> str: ...  # returns the native diff
    def discard(self) -> None: ...
    def commit(self, confirm_timeout_s: int, comment: str) -> None: ...
    def confirm(self) -> None: ...
    # Take over what a session that died (a crashed agent) left under ``comment``. True: a
    # pending confirmed commit was adopted, confirm() and rollback() act on it. False: the
    # platform keeps nothing pending across sessions; whatever was committed is in running,
    # confirm() only makes it permanent, and undoing it is the caller's compensating change.
    def adopt(self, comment: str) -> bool: ...
    def save(self) -> None: ...  # make running the startup configuration (no-op where it is)
    def rollback(self) -> None: ...
    def close(self) -> None: ...


DriverFactory = Callable[[DeviceAccess], Driver]
DRIVERS: dict[str, DriverFactory] = {}


def register(name: str, factory: DriverFactory) -> None:
    if name in DRIVERS:
        raise ValueError(f"driver {name!r} is already registered")
    DRIVERS[name] = factory


def open_driver(access: DeviceAccess) -> Driver:
    try:
        factory = DRIVERS[access.driver]
    except KeyError:
        raise DriverError(
            access.device, "connect", f"no driver {access.driver!r} (have {sorted(DRIVERS)})"
        ) from None
    return factory(access)
