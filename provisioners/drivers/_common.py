"""What the drivers share: the per-device lifecycle state, transaction-derived names, and
scrubbing of secrets out of library error text."""

from __future__ import annotations

import enum
import hashlib
import re
import secrets

from provisioners.contract import DeviceAccess, DriverError


class Stage(enum.Enum):
    """Where one driver instance is in render -> diff -> apply -> confirm / rollback."""

    IDLE = "idle"  # connected, nothing loaded
    PREPARED = "prepared"  # candidate loaded (or lines computed), running untouched
    COMMITTED = "committed"  # applied; on confirmed-commit platforms the device timer runs
    CONFIRMED = "confirmed"  # permanent


_SLUG = re.compile(r"[^A-Za-z0-9_-]+")


def txn_name(comment: str, prefix: str = "ossagent", max_len: int = 48) -> str:
    """A device-safe name derived from the change comment (which carries the transaction id).

    The same comment always gives the same name, so that after an agent crash a new session
    can find the pending commit again (NETCONF ``persist`` token, EOS config session name).
    A short hash keeps two comments with the same readable part apart.
    """
    if not comment.strip():
        return f"{prefix}-{secrets.token_hex(6)}"
    slug = _SLUG.sub("-", comment.strip()).strip("-")
    digest = hashlib.sha256(comment.encode()).hexdigest()[:8]
    room = max_len - len(prefix) - len(digest) - 2
    return f"{prefix}-{slug[:room].rstrip('-')}-{digest}" if slug else f"{prefix}-{digest}"


def scrub(text: str, access: DeviceAccess) -> str:
    """Library error text with the device password removed (some echo their arguments)."""
    pw = access.password.reveal()
    if pw and pw in text:
        text = text.replace(pw, "<secret>")
    return text.strip()


def first_line(text: str, limit: int = 400) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    out = lines[0] if lines else ""
    return out[:limit]


def require(cond: bool, device: str, phase: str, message: str) -> None:
    if not cond:
        raise DriverError(device, phase, message)


def require_stage(device: str, stage: Stage, needed: Stage, phase: str) -> None:
    """The contract's order (prepare -> commit -> confirm), the same refusal in every driver."""
    if stage is not needed:
        what = "prepared" if needed is Stage.PREPARED else "committed"
        raise DriverError(device, phase, f"nothing {what} (change is {stage.value})")


def hms(seconds: int) -> str:
    """``hh:mm:ss`` (EOS ``commit timer``)."""
    seconds = max(1, int(seconds))
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
