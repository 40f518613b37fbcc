"""Creating and deleting maintenance windows (the API's JSON and the dashboard's form).

The agent reads the windows when it raises alarms: an alarm on a target inside an open
window is planned and notifies no one. Functions take a session and never commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from inventory.fault_models import MaintenanceTarget, MaintenanceWindow
from inventory.maintenance import PERIODS, WindowError, WindowSpec
from inventory.queries_maintenance import devices_by_name, sites_by_name
from web.validation import FieldError, only, parse_datetime, string

FIELDS = ("name", "description", "starts_at", "ends_at", "recurrence", "until", "targets")
MAX_TARGETS = 1000


@dataclass(frozen=True)
class WindowInput:
    name: str
    description: str
    spec: WindowSpec
    devices: tuple[str, ...]
    sites: tuple[str, ...]


def _names(targets: Mapping[str, Any], key: str) -> tuple[str, ...]:
    raw = targets.get(key) or []
    where = f"targets.{key}"
    if not isinstance(raw, list) or not all(isinstance(n, str) for n in raw):
        raise FieldError(where, "must be a list of names")
    if len(raw) > MAX_TARGETS:
        raise FieldError(where, f"at most {MAX_TARGETS} names")
    return tuple(dict.fromkeys(n.strip() for n in raw if n.strip()))  # unique, in order


def window_input(data: Mapping[str, Any]) -> WindowInput:
    """Check a window as the client sent it: times in ISO 8601 (no offset means UTC)."""
    only(data, FIELDS)
    name = string(data, "name", max_len=128, required=True)
    description = string(data, "description", max_len=4000)
    for key in ("starts_at", "ends_at"):
        if not data.get(key):
            raise FieldError(key, "required")
    starts_at = parse_datetime("starts_at", data["starts_at"])
    ends_at = parse_datetime("ends_at", data["ends_at"])
    recurrence = data.get("recurrence") or "none"
    if recurrence not in PERIODS:
        raise FieldError("recurrence", f"must be one of {', '.join(PERIODS)}")
    until = parse_datetime("until", data["until"]) if data.get("until") else None
    if until is not None and recurrence == "none":
        raise FieldError("until", "only for a recurring window")
    if until is not None and until < starts_at:
        raise FieldError("until", "must not be before starts_at")
    try:
        spec = WindowSpec(starts_at, ends_at, recurrence, until)
    except WindowError as exc:
        # Recurrence is checked above, so what is left is about the end.
        raise FieldError("ends_at", str(exc)) from None
    targets = data.get("targets") or {}
    if not isinstance(targets, dict):
        raise FieldError("targets", 'must be an object: {"devices": [...], "sites": [...]}')
    only(targets, ("devices", "sites"), where="targets.")
    devices, sites = _names(targets, "devices"), _names(targets, "sites")
    if not devices and not sites:
        raise FieldError("targets", "name at least one device or site")
    return WindowInput(name, description, spec, devices, sites)


def _unknown(field: str, names: tuple[str, ...], known: Mapping[str, object]) -> None:
    missing = [n for n in names if n not in known]
    if missing:
        listed = ", ".join(repr(n) for n in missing[:20]) + (" ..." if len(missing) > 20 else "")
        raise FieldError(field, f"unknown: {listed}")


def create_window(session: Session, given: WindowInput, user: str) -> MaintenanceWindow:
    devices = devices_by_name(session, set(given.devices))
    _unknown("targets.devices", given.devices, devices)
    sites = sites_by_name(session, set(given.sites))
    _unknown("targets.sites", given.sites, sites)
    spec = given.spec
    window = MaintenanceWindow(
        name=given.name,
        description=given.description,
        starts_at=spec.starts_at,
        ends_at=spec.ends_at,
        recurrence=spec.recurrence,
        until=spec.until,
        created_by=user,
    )
    window.targets = [MaintenanceTarget(device_id=devices[n].id) for n in given.devices] + [
        MaintenanceTarget(site_id=sites[n].id) for n in given.sites
    ]
    session.add(window)
    session.flush()
    return window


def delete_window(session: Session, window: MaintenanceWindow) -> None:
    # Alarms keep their planned flag (they were planned when raised); their link to the
    # window is cleared by the foreign key (ON DELETE SET NULL).
    session.delete(window)
