"""Choosing configuration versions to show or compare (the API's and the dashboard's):
a device by name, one of its versions, and the pair a diff compares."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from inventory.models import Device
from inventory.provisioning_models import ConfigVersion
from inventory.queries import device_by_name
from inventory.queries_provisioning import config_version, newest_version, version_before
from web.diffs import unified_diff
from web.formatting import iso_utc
from web.validation import FieldError


def device_or_404(session: Session, name: str) -> Device:
    device = device_by_name(session, name)
    if device is None:
        raise NotFound(f"No device named {name!r}.")
    return device


def version_or_404(session: Session, device: Device, version_id: int) -> ConfigVersion:
    version = config_version(session, device, version_id)
    if version is None:
        raise NotFound(f"{device.name} has no configuration version {version_id}.")
    return version


def parse_version_id(field: str, raw: str | None) -> int | None:
    """A version id from the query string: None when absent or empty."""
    if raw is None or not raw.strip():
        return None
    if not re.fullmatch(r"\d{1,12}", raw.strip()):
        raise FieldError(field, "must be a configuration version id")
    return int(raw)


def pair(
    session: Session, device: Device, from_id: int | None, to_id: int | None
) -> tuple[ConfigVersion, ConfigVersion]:
    """(old, new): ``to`` defaults to the newest version, ``from`` to the one before ``to``."""
    if to_id is not None:
        new = version_or_404(session, device, to_id)
    else:
        found = newest_version(session, device)
        if found is None:
            raise NotFound(f"{device.name} has no configuration versions.")
        new = found
    if from_id is not None:
        return version_or_404(session, device, from_id), new
    old = version_before(session, new)
    if old is None:
        raise NotFound(f"{device.name} has no version before {new.id} to compare with.")
    return old, new


def label(device: str, version: ConfigVersion) -> str:
    return f"{device} #{version.id} {iso_utc(version.taken_at)}"


def diff_of(device: str, old: ConfigVersion, new: ConfigVersion) -> str:
    return unified_diff(old.text, new.text, label(device, old), label(device, new))
