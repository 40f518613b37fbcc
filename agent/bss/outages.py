"""Outages from fault impact: an unsuppressed, settled root alarm that takes a service down
opens one TMF656 service problem for that service; it resolves when all its alarms clear.
Opening and resolving send the customer's notices and compute the SLA credit."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.faults.impact import OUTAGE_KINDS, impacted_services
from bss_bridge.credits import CreditChange, credit_for_problem
from bss_bridge.notices import notify
from bss_bridge.tmf.common import event_envelope
from bss_bridge.tmf.problem import credit_to_tmf, problem_to_tmf
from inventory.bss_models import ServiceProblem, Subscription
from inventory.choices import AlarmState, ProblemState, ServiceState
from inventory.fault_models import Alarm
from inventory.hub import enqueue_event, new_event_id

OPEN = (ProblemState.ACKNOWLEDGED, ProblemState.IN_PROGRESS)


@dataclass
class OutageChanges:
    opened: list[ServiceProblem] = field(default_factory=list)
    resolved: list[ServiceProblem] = field(default_factory=list)
    credits: list[CreditChange] = field(default_factory=list)


def _announce(
    s: Session, api: str, event_type: str, resource: str, doc: dict[str, object], now: datetime
) -> None:
    event_id = new_event_id()
    enqueue_event(
        s, api, event_type, event_envelope(event_type, resource, doc, event_id, now), event_id, now=now
    )


def track(s: Session, now: datetime) -> OutageChanges:
    out = OutageChanges()
    open_problems = {
        p.service_id: p for p in s.scalars(select(ServiceProblem).where(ServiceProblem.state.in_(OPEN)))
    }
    roots = s.scalars(
        select(Alarm).where(
            Alarm.state != AlarmState.CLEARED,
            Alarm.is_root_cause.is_(True),
            Alarm.announced.is_(True),
            Alarm.device_id.is_not(None),
        )
    )
    for root in roots:
        if root.reduction_key.rsplit("/", 1)[-1] not in OUTAGE_KINDS:
            continue
        for service in impacted_services(s, root):
            if service.state is not ServiceState.ACTIVE:
                continue
            problem = open_problems.get(service.id)
            if problem is None:
                sub = s.get(Subscription, service.id)
                problem = ServiceProblem(
                    id=f"SP-{secrets.token_hex(5)}",
                    service_id=service.id,
                    customer_id=sub.customer_id if sub else None,
                    state=ProblemState.IN_PROGRESS,
                    planned=root.planned,
                    opened_at=root.raised_at,
                    state_changed=now,
                    alarm_ids=[root.id],
                    root_alarm_id=root.id,
                    reason=root.specific_problem,
                )
                s.add(problem)
                s.flush()
                open_problems[service.id] = problem
                out.opened.append(problem)
            elif root.id not in problem.alarm_ids:
                problem.alarm_ids = [*problem.alarm_ids, root.id]
                problem.planned = problem.planned and root.planned
    for problem in list(open_problems.values()):
        if problem in out.opened:
            continue
        alarms = list(s.scalars(select(Alarm).where(Alarm.id.in_(problem.alarm_ids))))
        if alarms and all(a.state is AlarmState.CLEARED for a in alarms):
            problem.state = ProblemState.RESOLVED
            problem.resolved_at = max(a.cleared_at or now for a in alarms)
            problem.state_changed = now
            out.resolved.append(problem)
    for problem in out.opened:
        notify(s, problem, "planned-work" if problem.planned else "interrupted", now)
        _announce(
            s,
            "serviceProblemManagement",
            "ServiceProblemCreateEvent",
            "serviceProblem",
            problem_to_tmf(problem),
            now,
        )
    for problem in out.resolved:
        notify(s, problem, "planned-work-done" if problem.planned else "restored", now)
        _announce(
            s,
            "serviceProblemManagement",
            "ServiceProblemStateChangeEvent",
            "serviceProblem",
            problem_to_tmf(problem),
            now,
        )
        for change in credit_for_problem(s, problem, now):
            out.credits.append(change)
            if change.changed:
                event = (
                    "AppliedCustomerBillingRateCreateEvent"
                    if change.created
                    else "AppliedCustomerBillingRateAttributeValueChangeEvent"
                )
                _announce(
                    s,
                    "customerBillManagement",
                    event,
                    "appliedCustomerBillingRate",
                    credit_to_tmf(change.record),
                    now,
                )
    return out
