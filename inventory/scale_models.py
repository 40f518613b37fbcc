"""Tables of the scale-out mode: the scheduler lease, the job ledger that makes broker tasks
idempotent (and parks poison ones), and interface sample rollups for long retention."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from inventory.models import Base
from inventory.types import UTCDateTime, utcnow


class JobState(StrEnum):
    """Where a broker task stands in the ledger. Kept here, not in choices.py, because only the
    scale-out code and its tests read it."""

    QUEUED = "queued"  # the scheduler sent it
    RUNNING = "running"  # a worker claimed it (a redelivery after a crash claims it again)
    RETRY = "retry"  # it raised; Celery will deliver it again after a delay
    DONE = "done"  # applied; a duplicate delivery is skipped
    PARKED = "parked"  # failed max attempts times: kept with its error, never retried


ACTIVE_JOB_STATES = (JobState.QUEUED, JobState.RUNNING, JobState.RETRY)


class SchedulerLease(Base):
    """Who runs the scheduler: one row per lease name, taken with a conditional UPDATE."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(255), default="")
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    renewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class JobLedger(Base):
    """One row per broker task (job id): attempts, state and the last error. A device job marks
    itself done in the same database transaction as its writes, so a redelivered task whose
    writes committed is skipped, and one whose writes rolled back runs again."""

    __tablename__ = "job_ledger"
    __table_args__ = (
        # "Is a sweep of this kind in flight?" and "was this device enqueued this interval?"
        Index("ix_job_ledger_kind_device_enqueued", "kind", "device_id", "enqueued_at"),
        Index("ix_job_ledger_state_enqueued", "state", "enqueued_at"),
    )

    job_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))  # poll | discover | outbox:dispatch | ...
    device_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    queue: Mapped[str] = mapped_column(String(128), default="")
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default=JobState.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    enqueued_by: Mapped[str] = mapped_column(String(255), default="")
    worker: Mapped[str] = mapped_column(String(255), default="")
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class InterfaceRollup(Base):
    """Rates of one interface over one bucket (5 minutes or 1 hour): average and maximum.
    Raw samples are kept for days, rollups for months or years (settings)."""

    __tablename__ = "interface_rollups"
    __table_args__ = (
        # Dashboard graphs read one interface's buckets of one period over a time range.
        Index("ix_rollups_period_bucket", "period_s", "bucket"),
    )

    interface_id: Mapped[int] = mapped_column(
        ForeignKey("interfaces.id", ondelete="CASCADE"), primary_key=True
    )
    period_s: Mapped[int] = mapped_column(Integer, primary_key=True)  # 300 or 3600
    bucket: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)  # bucket start
    samples: Mapped[int] = mapped_column(Integer, default=0)  # samples with rates
    in_bps_avg: Mapped[float | None] = mapped_column(Float, nullable=True)
    in_bps_max: Mapped[float | None] = mapped_column(Float, nullable=True)
    out_bps_avg: Mapped[float | None] = mapped_column(Float, nullable=True)
    out_bps_max: Mapped[float | None] = mapped_column(Float, nullable=True)
    in_pps_avg: Mapped[float | None] = mapped_column(Float, nullable=True)
    out_pps_avg: Mapped[float | None] = mapped_column(Float, nullable=True)
    in_errors_ps_avg: Mapped[float | None] = mapped_column(Float, nullable=True)
    in_errors_ps_max: Mapped[float | None] = mapped_column(Float, nullable=True)
    out_errors_ps_avg: Mapped[float | None] = mapped_column(Float, nullable=True)
    out_errors_ps_max: Mapped[float | None] = mapped_column(Float, nullable=True)
