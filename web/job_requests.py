"""Asking the agent to act: the web process writes a JobRequest row, the agent takes it.

The web never talks to devices. The agent's scheduler picks open requests up within a few
seconds (``agent.scheduler.take_requests``).
"""

from __future__ import annotations

import enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import Device, JobRequest, User


class JobKind(enum.StrEnum):
    DISCOVER = "discover"
    POLL = "poll"


def request_job(session: Session, device: Device, kind: JobKind, user: User) -> JobRequest:
    """Queue ``kind`` for ``device``, or return the request already waiting for it.

    Reusing an open request keeps a double click (or a retried API call) from queueing the
    same work twice. The caller commits.
    """
    waiting = session.scalar(
        select(JobRequest)
        .where(
            JobRequest.device_id == device.id,
            JobRequest.kind == kind.value,
            JobRequest.taken_at.is_(None),
        )
        .order_by(JobRequest.id)
        .limit(1)
    )
    if waiting is not None:
        return waiting
    row = JobRequest(kind=kind.value, device_id=device.id, requested_by=user.name)
    session.add(row)
    session.flush()
    return row
