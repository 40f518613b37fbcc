"""The known-hosts store: SSH host keys recorded on first contact, checked on every session.

A device that presents another key than the one on record is refused, and a security alarm
is raised on it; an operator who has verified the new key clears it with
``ossagent inventory config-access NAME --reset-host-key``.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from agent.context import Context
from agent.faults.engine import FaultConfig, Signal
from agent.faults.process import process
from inventory.choices import EventSource
from inventory.provisioning_models import ConfigAccess
from inventory.types import utcnow
from provisioners.contract import DeviceAccess, Driver, HostKeyMismatch, open_driver

log = logging.getLogger(__name__)
HOST_KEY_ALARM = "ssh-host-key"


def fetch(access: DeviceAccess) -> str:
    from provisioners.hostkeys import fetch_host_key

    return fetch_host_key(access.host, access.port, timeout=access.timeout_s)


def learn(ctx: Context, device_id: int, key: str) -> None:
    with ctx.begin() as s:
        row = s.get(ConfigAccess, device_id)
        if row is not None and row.host_key is None:
            row.host_key = key
            row.host_key_seen = utcnow()


def check_or_learn_host_key(ctx: Context, device_id: int, access: DeviceAccess) -> DeviceAccess:
    """The access with a host key on record; the first contact records what the device shows."""
    if access.host_key:
        return access
    key = fetch(access)
    learn(ctx, device_id, key)
    log.info("%s: first contact, recorded SSH host key %s", access.device, key.split()[0])
    return replace(access, host_key=key)


def raise_mismatch_alarm(ctx: Context, device_id: int, exc: HostKeyMismatch) -> None:
    now = utcnow()
    with ctx.begin() as s:
        process(
            s,
            [
                Signal(
                    device_id,
                    HOST_KEY_ALARM,
                    True,
                    now,
                    EventSource.SYSTEM,
                    detail=f"presented {exc.presented.split()[0]} key differs from the one on record",
                    count_repeat=False,
                )
            ],
            FaultConfig(),
            now,
        )


def open_checked(ctx: Context, device_id: int, access: DeviceAccess) -> Driver:
    """A driver session with the host key learned on first contact and checked on every
    other; a changed key is refused and raises the security alarm (someone may be in the
    middle)."""
    access = check_or_learn_host_key(ctx, device_id, access)
    try:
        return open_driver(access)
    except HostKeyMismatch as exc:
        raise_mismatch_alarm(ctx, device_id, exc)
        raise


def verify_at_discovery(ctx: Context, device_id: int, access: DeviceAccess) -> str | None:
    """Discovery's check: learn the key on first contact; on a different key, alarm.
    Returns an error text, or None when the key is fine."""
    try:
        presented = fetch(access)
    except Exception as exc:  # no SSH on the device, or it is down: nothing to learn now
        return f"no SSH host key: {exc}"
    if access.host_key is None:
        learn(ctx, device_id, presented)
        return None
    if presented.split()[:2] != access.host_key.split()[:2]:
        raise_mismatch_alarm(ctx, device_id, HostKeyMismatch(access.device, access.host_key, presented))
        return "SSH host key changed"
    return None
