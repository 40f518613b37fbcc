"""From the inventory to what drivers and templates need."""

from __future__ import annotations

from sqlalchemy.orm import Session

from inventory.models import Device
from inventory.provisioning_models import ConfigAccess
from provisioners.contract import DeviceAccess


class AccessError(LookupError):
    pass


def access_for(s: Session, device: Device) -> DeviceAccess:
    row = s.get(ConfigAccess, device.id)
    if row is None:
        raise AccessError(f"{device.name}: no configuration access on record (inventory add ... --config-*)")
    return DeviceAccess(
        device=device.name,
        host=device.host,
        port=row.port,
        driver=row.driver,
        platform=row.platform,
        username=row.username,
        password=row.password,
        host_key=row.host_key,
        options={str(k): str(v) for k, v in (row.options or {}).items()},
    )
