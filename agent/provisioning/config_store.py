"""Configuration backups: versions with timestamps, secrets masked before storage, a new
version only when the (masked) configuration changed."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from agent.context import Context
from inventory.provisioning_models import ConfigVersion
from provisioners.secrets_mask import mask

# Lines that change on every read without any configuration change (timestamps, counters).
_VOLATILE_PREFIXES = (
    "! Time:",
    "!Time:",
    "! Last configuration change",
    "Building configuration",
    "Current configuration",
)


def normalise(text: str) -> str:
    lines = [ln.rstrip() for ln in text.splitlines() if not ln.strip().startswith(_VOLATILE_PREFIXES)]
    return "\n".join(lines).strip() + "\n"


def record_backup(
    ctx: Context, device_id: int, fmt: str, config: str, source: str, tx_id: str | None = None
) -> ConfigVersion | None:
    """Store a masked version unless it equals the newest one; returns the new row or None."""
    masked = mask(fmt, normalise(config))
    digest = hashlib.sha256(masked.encode()).hexdigest()
    with ctx.begin() as s:
        last = s.scalar(
            select(ConfigVersion)
            .where(ConfigVersion.device_id == device_id)
            .order_by(ConfigVersion.id.desc())
            .limit(1)
        )
        if last is not None and last.digest == digest:
            return None
        row = ConfigVersion(
            device_id=device_id, source=source, transaction_id=tx_id, format=fmt, digest=digest, text=masked
        )
        s.add(row)
        s.flush()
        s.expunge(row)
        return row
