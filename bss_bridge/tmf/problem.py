"""TMF656 ServiceProblem, TMF681 CommunicationMessage and TMF678 AppliedCustomerBillingRate
representations."""

from __future__ import annotations

from typing import Any

from bss_bridge.tmf.alarm import alarm_ref
from bss_bridge.tmf.common import href, iso
from inventory.bss_models import CreditRecord, CustomerMessage, ServiceProblem

PROBLEM_BASE = "/tmf-api/serviceProblemManagement/v4"
MESSAGE_BASE = "/tmf-api/communicationManagement/v4"
BILL_BASE = "/tmf-api/customerBillManagement/v4"
SERVICE_BASE = "/tmf-api/serviceInventory/v4"


def problem_to_tmf(p: ServiceProblem) -> dict[str, Any]:
    sid = p.service.external_id or f"SVC-{p.service_id}"
    return {
        "id": p.id,
        "href": href(PROBLEM_BASE, "serviceProblem", p.id),
        "category": "outage",
        "description": p.reason or "service interruption",
        "priority": 1,
        "reason": p.reason,
        "status": p.state.value,
        "statusChangeDate": iso(p.state_changed),
        "creationDate": iso(p.opened_at),
        "resolutionDate": iso(p.resolved_at),
        "originatingSystem": "ossagent",
        "originatorParty": {"id": "ossagent", "role": "originator", "@referredType": "Organization"},
        "affectedService": [{"id": sid, "href": href(SERVICE_BASE, "service", sid)}],
        "affectedNumberOfServices": 1,
        "underlyingAlarm": [alarm_ref(a) for a in p.alarm_ids],
        "rootCauseResource": [],
        "characteristic": [{"name": "planned", "value": p.planned}],
        "relatedParty": [{"id": p.customer_id, "role": "customer", "@referredType": "Customer"}]
        if p.customer_id
        else [],
        "@type": "ServiceProblem",
    }


def message_to_tmf(m: CustomerMessage) -> dict[str, Any]:
    return {
        "id": m.id,
        "href": href(MESSAGE_BASE, "communicationMessage", m.id),
        "messageType": "Email" if m.channel == "email" else "Webhook",
        "subject": m.subject,
        "content": m.content,
        "priority": "1",
        "state": m.state.value,
        "tryTimes": m.try_times,
        "sendTime": iso(m.created_at),
        "sendTimeComplete": iso(m.sent_at),
        "sender": {"id": "noc", "name": "Network Operations"},
        "receiver": [
            {
                "id": m.customer_id,
                "email" if m.channel == "email" else "appUserId": m.recipient,
                "party": {"id": m.customer_id, "@referredType": "Customer"},
            }
        ],
        "characteristic": [
            {"name": "serviceProblemId", "value": m.problem_id},
            {"name": "notice", "value": m.kind},
            {"name": "channel", "value": m.channel},
        ],
        "@type": "CommunicationMessage",
    }


def credit_to_tmf(c: CreditRecord) -> dict[str, Any]:
    chars: list[dict[str, Any]] = [
        {"name": "outageMinutes", "value": float(c.unavailable_minutes)},
        {"name": "availabilityPct", "value": float(c.availability_pct)},
        {"name": "creditPct", "value": float(c.credit_pct)},
        {"name": "creditKind", "value": c.kind},
        {"name": "month", "value": c.month},
    ]
    if c.problem_id:
        chars.insert(0, {"name": "serviceProblemId", "value": c.problem_id})
    return {
        "id": c.id,
        "href": href(BILL_BASE, "appliedCustomerBillingRate", c.id),
        "name": "SLA credit - availability",
        "description": f"SLA credit for {c.month}"
        + (f", outage {c.problem_id}" if c.problem_id else " (month end)"),
        "type": "appliedBillingCredit",
        "date": iso(c.updated_at),
        "isBilled": False,
        "billingAccount": {"id": c.billing_account_id} if c.billing_account_id else None,
        "product": {"id": c.service_id},
        "periodCoverage": {"startDateTime": iso(c.period_start), "endDateTime": iso(c.period_end)},
        "taxExcludedAmount": {"unit": c.currency, "value": float(c.amount)},
        "characteristic": chars,
        "@type": "AppliedCustomerBillingRate",
    }
