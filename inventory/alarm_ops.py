"""Operator actions on alarms (acknowledge, clear, comment), shared by the web process, the
CLI and the agent. Each appends a history row; the agent's announcer turns unpublished history
rows into TMF642 events, so a change made anywhere reaches the listeners once.

Functions take a session-bound alarm and never commit.
"""

from __future__ import annotations

from datetime import datetime

from inventory.choices import AckState, AlarmState, Severity
from inventory.fault_models import Alarm, AlarmHistory

MAX_COMMENT = 4000


class AlarmOpError(ValueError):
    pass


def record(
    alarm: Alarm, action: str, at: datetime, text: str = "", user: str = "", system: str = "ossagent"
) -> None:
    alarm.history.append(
        AlarmHistory(
            action=action, at=at, severity=alarm.perceived_severity, text=text, user=user, system=system
        )
    )


def acknowledge(
    alarm: Alarm, user: str, at: datetime, ack: bool = True, system: str = "ossagent", text: str = ""
) -> bool:
    """Set the ack state; returns False when it already was."""
    want = AckState.ACKNOWLEDGED if ack else AckState.UNACKNOWLEDGED
    if alarm.ack_state is want:
        return False
    alarm.ack_state = want
    alarm.ack_user = user if ack else ""
    alarm.ack_time = at if ack else None
    alarm.changed_at = at
    record(alarm, "acknowledged" if ack else "unacknowledged", at, text=text, user=user, system=system)
    return True


def clear(alarm: Alarm, at: datetime, text: str = "", user: str = "", system: str = "ossagent") -> bool:
    """Clear an active alarm; returns False when it was already cleared."""
    if alarm.state is AlarmState.CLEARED:
        return False
    alarm.state = AlarmState.CLEARED
    alarm.perceived_severity = Severity.CLEARED
    alarm.cleared_at = at
    alarm.changed_at = at
    alarm.clear_user = user
    record(alarm, "cleared", at, text, user, system)
    return True


def comment(alarm: Alarm, user: str, text: str, at: datetime, system: str = "ossagent") -> None:
    text = text.strip()
    if not text:
        raise AlarmOpError("a comment needs text")
    if len(text) > MAX_COMMENT:
        raise AlarmOpError(f"a comment is at most {MAX_COMMENT} characters")
    alarm.changed_at = at
    record(alarm, "comment", at, text, user, system)
