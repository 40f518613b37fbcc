"""Operator actions on alarms, as the web process offers them (TMF642 PATCH and tasks,
/api/v1, the dashboard's forms).

Every change goes through ``inventory.alarm_ops``, which appends the history rows; the
agent's announcer turns those into TMF642 events for hub listeners. The web writes no
event or outbox row itself. Input is checked completely before anything is applied, so a
request with one bad part changes nothing; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from inventory import alarm_ops
from inventory.alarm_ops import MAX_COMMENT
from inventory.fault_models import Alarm
from web.validation import FieldError

SYSTEM = "ossagent"
MAX_USER = 64  # AlarmHistory.user and the claimed ids quoted in its text
MAX_SYSTEM = 64


@dataclass(frozen=True)
class NewComment:
    text: str
    claimed_user: str = ""  # the userId the client sent, when it is not the caller


@dataclass(frozen=True)
class AlarmChange:
    """What one request asks of an alarm. ``claimed_*``: user ids the client named in the
    body. The history always records the authenticated user; a differing claim is kept in
    the history text so that nobody can act under another's name, yet nothing is lost."""

    ack: bool | None = None  # True: acknowledge, False: unacknowledge
    claimed_ack_user: str = ""
    clear: bool = False
    cleared_at: datetime | None = None
    claimed_clear_user: str = ""
    clear_text: str = ""  # why, in the history row of the clear
    comments: tuple[NewComment, ...] = ()
    system: str = SYSTEM

    @property
    def empty(self) -> bool:
        return self.ack is None and not self.clear and not self.comments


def comment_text(field: str, raw: object) -> str:
    """A comment's text, checked as ``alarm_ops.comment`` will (so it cannot fail later)."""
    if not isinstance(raw, str) or not raw.strip():
        raise FieldError(field, "must be a non-empty string")
    text = raw.strip()
    if len(text) > MAX_COMMENT:
        raise FieldError(field, f"must be at most {MAX_COMMENT} characters")
    return text


def _claim(label: str, claimed: str, user: str) -> str:
    return f"{label} in the request: {claimed}" if claimed and claimed != user else ""


def apply(alarm: Alarm, change: AlarmChange, user: str, now: datetime) -> bool:
    """Apply ``change`` as ``user``; True when the alarm changed. Comments first, so that a
    comment sent together with a clear reads as the reason for it in the timeline."""
    changed = False
    for c in change.comments:
        note = _claim("userId", c.claimed_user, user)
        alarm_ops.comment(alarm, user, c.text + (f"\n({note})" if note else ""), now, system=change.system)
        changed = True
    if change.ack is not None and alarm_ops.acknowledge(
        alarm, user, now, ack=change.ack, system=change.system,
        text=_claim("ackUserId", change.claimed_ack_user, user),
    ):  # fmt: skip
        changed = True
    if change.clear:
        note = _claim("clearUserId", change.claimed_clear_user, user)
        text = "\n".join(t for t in (change.clear_text, note) if t)
        # A clear time from the client is when it cleared at the source; never before the
        # alarm was raised, so that the timeline reads forwards.
        at = max(change.cleared_at, alarm.raised_at) if change.cleared_at else now
        changed |= alarm_ops.clear(alarm, at, text=text, user=user, system=change.system)
    return changed


def apply_all(alarms: Iterable[Alarm], change: AlarmChange, user: str, now: datetime) -> list[Alarm]:
    """``apply`` to each alarm; returns those that changed (a task's ackedAlarm, ...)."""
    return [a for a in alarms if apply(a, change, user, now)]
