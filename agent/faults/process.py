"""One entry point for every fault source: apply signals, then recorrelate, in the caller's
unit of work."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from agent.faults.engine import Batch, FaultConfig, Signal, apply
from agent.faults.topology import recorrelate


@dataclass
class Processed:
    actions: Counter[str] = field(default_factory=Counter)
    alarm_ids: list[int | None] = field(default_factory=list)  # per signal, in order
    recorrelated: int = 0


def process(s: Session, signals: Iterable[Signal], cfg: FaultConfig, now: datetime) -> Processed:
    batch = Batch(s, cfg)
    out = Processed()
    for sig in signals:
        outcome = apply(batch, sig)
        out.actions[outcome.action] += 1
        out.alarm_ids.append(outcome.alarm.id if outcome.alarm is not None else None)
    s.flush()
    if out.actions["created"] or out.actions["cleared"]:
        out.recorrelated = len(recorrelate(s, now, cfg.settle_s))
    return out
