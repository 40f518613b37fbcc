"""Customer notices about outages (TMF681 CommunicationMessage): what they say, and the
outbox rows that deliver them exactly once per (outage, contact, kind)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.bss_models import Customer, CustomerMessage, ServiceProblem, Subscription
from inventory.fault_models import OutboxMessage, Service
from inventory.types import utcnow

KINDS = ("interrupted", "restored", "planned-work", "planned-work-done")


@dataclass(frozen=True)
class Notice:
    subject: str
    content: str


def _when(dt: datetime | None) -> str:
    return f"{dt:%Y-%m-%d %H:%M} UTC" if dt else "-"


def render(kind: str, customer: str, service: str, offering: str, problem: ServiceProblem) -> Notice:
    ref = f"Ref {problem.id}."
    if kind == "interrupted":
        return Notice(
            f"Service interruption: {offering} {service}",
            f"Dear {customer}, your service {service} ({offering}) has been interrupted since "
            f"{_when(problem.opened_at)}. Our engineers are working on it. {ref}",
        )
    if kind == "restored":
        minutes = ((problem.resolved_at or utcnow()) - problem.opened_at).total_seconds() / 60
        return Notice(
            f"Service restored: {offering} {service}",
            f"Dear {customer}, your service {service} ({offering}) is working again since "
            f"{_when(problem.resolved_at)} after {minutes:.0f} minutes. Any credit due under your SLA is "
            f"applied to your next bill. {ref}",
        )
    if kind == "planned-work":
        return Notice(
            f"Planned work: {offering} {service}",
            f"Dear {customer}, planned maintenance affects your service {service} ({offering}) since "
            f"{_when(problem.opened_at)}. {ref}",
        )
    return Notice(
        f"Planned work finished: {offering} {service}",
        f"Dear {customer}, the planned maintenance affecting your service {service} ({offering}) ended at "
        f"{_when(problem.resolved_at)}. {ref}",
    )


def notify(s: Session, problem: ServiceProblem, kind: str, now: datetime) -> int:
    """One message per contact of the problem's customer, queued once (dedup per contact and
    kind); returns how many new messages were queued."""
    if problem.customer_id is None:
        return 0
    customer = s.get(Customer, problem.customer_id)
    service = s.get(Service, problem.service_id)
    sub = s.get(Subscription, problem.service_id)
    if customer is None or service is None:
        return 0
    offering = sub.offering.name if sub is not None else service.service_type
    text = render(kind, customer.name, service.external_id or service.name, offering, problem)
    queued = 0
    for contact in customer.contacts:
        key = f"{problem.id}:{contact.id}:{kind}"
        if s.scalar(select(CustomerMessage.id).where(CustomerMessage.dedup_key == key)) is not None:
            continue
        msg = CustomerMessage(
            id=f"CM-{secrets.token_hex(6)}",
            dedup_key=key,
            problem_id=problem.id,
            customer_id=customer.id,
            contact_id=contact.id,
            kind=kind,
            channel=contact.kind,
            recipient=contact.address,
            subject=text.subject,
            content=text.content,
        )
        s.add(msg)
        s.add(
            OutboxMessage(
                dedup_key=f"notice:{key}",
                event_id=msg.id,
                channel=contact.kind,
                target=contact.address,
                event_type=f"notice:{kind}",
                payload={"message_id": msg.id},
                next_attempt_at=now,
            )
        )
        queued += 1
    return queued
