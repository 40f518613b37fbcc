"""Sample storage at scale: 5-minute and hourly rollups of interface rates, and their retention.

Raw samples are kept ``sample_retention_days``; 5-minute rollups (average and maximum) are made
from raw samples and kept ``rollup_5m_retention_days``; hourly ones are made from the 5-minute
ones (averages weighted by sample count) and kept ``rollup_1h_retention_days``.

Each bucket is one ``INSERT ... SELECT ... GROUP BY interface_id`` over an indexed time range,
with the bucket start as a bound parameter: the same SQL on SQLite and PostgreSQL, and no
per-row Python. The newest bucket already rolled up is rolled up again (late samples), then
every complete bucket after it; a gap without samples is skipped, not walked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Float, Integer, and_, case, cast, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from agent.config import Settings
from agent.context import Context
from agent.worker import ledger
from inventory.models import InterfaceSample
from inventory.scale_models import InterfaceRollup
from inventory.types import UTCDateTime, utcnow

log = logging.getLogger(__name__)

FIVE_MIN = 300
HOUR = 3600
MAX_BUCKETS = 288  # per period and run: one day of 5-minute buckets, so a backlog is caught up in steps


def floor_to(ts: datetime, period_s: int) -> datetime:
    epoch = int(ts.timestamp())
    return datetime.fromtimestamp(epoch - epoch % period_s, UTC)


RAW_COLUMNS = ("in_bps", "out_bps", "in_pps", "out_pps", "in_errors_ps", "out_errors_ps")


def _from_raw(bucket: datetime) -> Any:
    S = InterfaceSample
    return (
        select(
            S.interface_id,
            literal(FIVE_MIN, Integer),
            literal(bucket, UTCDateTime),
            # Samples with rates (the first after a discontinuity has none): the weight of the
            # averages when hourly buckets are made from these.
            func.count(S.in_bps),
            func.avg(S.in_bps),
            func.max(S.in_bps),
            func.avg(S.out_bps),
            func.max(S.out_bps),
            func.avg(S.in_pps),
            func.avg(S.out_pps),
            func.avg(S.in_errors_ps),
            func.max(S.in_errors_ps),
            func.avg(S.out_errors_ps),
            func.max(S.out_errors_ps),
        )
        .where(S.ts >= bucket, S.ts < bucket + timedelta(seconds=FIVE_MIN))
        .group_by(S.interface_id)
    )


def _weighted(col: Any) -> Any:
    R = InterfaceRollup
    weight = func.sum(case((col.is_(None), 0), else_=R.samples))
    return func.sum(col * cast(R.samples, Float)) / func.nullif(weight, 0)


def _from_5m(bucket: datetime) -> Any:
    R = InterfaceRollup
    return (
        select(
            R.interface_id,
            literal(HOUR, Integer),
            literal(bucket, UTCDateTime),
            func.sum(R.samples),
            _weighted(R.in_bps_avg),
            func.max(R.in_bps_max),
            _weighted(R.out_bps_avg),
            func.max(R.out_bps_max),
            _weighted(R.in_pps_avg),
            _weighted(R.out_pps_avg),
            _weighted(R.in_errors_ps_avg),
            func.max(R.in_errors_ps_max),
            _weighted(R.out_errors_ps_avg),
            func.max(R.out_errors_ps_max),
        )
        .where(R.period_s == FIVE_MIN, R.bucket >= bucket, R.bucket < bucket + timedelta(seconds=HOUR))
        .group_by(R.interface_id)
    )


_TARGET = [
    "interface_id",
    "period_s",
    "bucket",
    "samples",
    "in_bps_avg",
    "in_bps_max",
    "out_bps_avg",
    "out_bps_max",
    "in_pps_avg",
    "out_pps_avg",
    "in_errors_ps_avg",
    "in_errors_ps_max",
    "out_errors_ps_avg",
    "out_errors_ps_max",
]


def _next_source(s: Session, period_s: int, after: datetime | None) -> datetime | None:
    """The bucket of the first source row at or after ``after`` (None: no more data)."""
    if period_s == FIVE_MIN:
        col: Any = InterfaceSample.ts
        q = select(func.min(col))
    else:
        col = InterfaceRollup.bucket
        q = select(func.min(col)).where(InterfaceRollup.period_s == FIVE_MIN)
    if after is not None:
        q = q.where(col >= after)
    ts = s.scalar(q)
    return floor_to(ts, period_s) if ts is not None else None


def roll_up(ctx: Context, period_s: int, now: datetime | None = None) -> int:
    """Make the complete buckets of one period that are due. Returns how many buckets."""
    now = now or utcnow()
    end = floor_to(now, period_s)  # the bucket in progress is not complete
    step = timedelta(seconds=period_s)
    with ctx.begin() as s:
        last = s.scalar(select(func.max(InterfaceRollup.bucket)).where(InterfaceRollup.period_s == period_s))
        # Roll the newest bucket again: samples may have landed after it was made.
        bucket = last if last is not None else _next_source(s, period_s, None)
    done = 0
    while bucket is not None and bucket < end and done < MAX_BUCKETS:
        with ctx.begin() as s:
            s.execute(
                delete(InterfaceRollup).where(
                    and_(InterfaceRollup.period_s == period_s, InterfaceRollup.bucket == bucket)
                )
            )
            src = _from_raw(bucket) if period_s == FIVE_MIN else _from_5m(bucket)
            s.execute(insert(InterfaceRollup).from_select(_TARGET, src))
            # Jump over a gap (devices not polled for a while) instead of walking it.
            bucket = _next_source(s, period_s, bucket + step)
        done += 1
    return done


def prune_rollups(ctx: Context, settings: Settings, now: datetime | None = None) -> int:
    now = now or utcnow()
    removed = 0
    with ctx.begin() as s:
        for period_s, days in (
            (FIVE_MIN, settings.rollup_5m_retention_days),
            (HOUR, settings.rollup_1h_retention_days),
        ):
            result = s.execute(
                delete(InterfaceRollup).where(
                    InterfaceRollup.period_s == period_s, InterfaceRollup.bucket < now - timedelta(days=days)
                )
            )
            removed += int(getattr(result, "rowcount", 0) or 0)
    return removed


@dataclass(frozen=True)
class StorageRun:
    buckets_5m: int
    buckets_1h: int
    rollups_removed: int
    jobs_removed: int


def storage_retention(ctx: Context, now: datetime | None = None) -> StorageRun:
    """The hourly storage job: roll up, then forget what is past its retention."""
    now = now or utcnow()
    run = StorageRun(
        roll_up(ctx, FIVE_MIN, now),
        roll_up(ctx, HOUR, now),
        prune_rollups(ctx, ctx.settings, now),
        ledger.prune(ctx, ctx.settings.job_ledger_retention_days),
    )
    if run != StorageRun(0, 0, 0, 0):
        log.info(
            "storage: %d 5-minute and %d hourly buckets rolled up; %d rollups and %d ledger rows removed",
            run.buckets_5m,
            run.buckets_1h,
            run.rollups_removed,
            run.jobs_removed,
        )
    return run
