"""TMF620 ProductOffering and TMF629 Customer (v4) representations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bss_bridge.tmf.common import href, iso
from inventory.bss_models import Customer, CustomerContact, ProductOffering, Sla

CATALOG_BASE = "/tmf-api/productCatalogManagement/v4"
CUSTOMER_BASE = "/tmf-api/customerManagement/v4"

# TMF629 v4 ContactMedium.mediumType for our two contact kinds; the webhook URL is carried in
# an x_ extension of MediumCharacteristic, which has no URL attribute of its own.
MEDIUM_TYPES = {"email": "email", "webhook": "webhook"}


def _num(value: Decimal | str | int) -> float | int:
    d = Decimal(str(value))
    return int(d) if d == d.to_integral_value() else float(d)


def sla_ref(sla: Sla) -> dict[str, Any]:
    """The offering's SLA: a reference plus its terms (x_ extensions)."""
    return {
        "id": sla.id,
        "name": sla.name,
        "@referredType": "ServiceLevelAgreement",
        "x_targetAvailabilityPct": _num(sla.target_pct),
        "x_creditBands": [
            {"availabilityBelowPct": _num(b["below_pct"]), "creditPct": _num(b["credit_pct"])}
            for b in sla.bands
        ],
        "x_creditCapPct": _num(sla.cap_pct),
        "x_businessHours": sla.business_hours,
        "x_excludesPlannedWork": sla.exclude_planned,
    }


def _characteristic(spec: dict[str, Any]) -> dict[str, Any]:
    required = bool(spec.get("required"))
    return {
        "name": spec["name"],
        "valueType": spec.get("valueType", "string"),
        "configurable": True,
        "minCardinality": 1 if required else 0,
        "maxCardinality": 1,
        "description": spec.get("description") or f"service parameter {spec['param']}",
        "@type": "ProductSpecCharacteristic",
    }


def offering_to_tmf(off: ProductOffering) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": off.id,
        "href": href(CATALOG_BASE, "productOffering", off.id),
        "name": off.name,
        "description": off.description,
        "lifecycleStatus": off.lifecycle_status,
        "isBundle": False,
        "isSellable": off.lifecycle_status.lower() == "active",
        "productSpecification": {
            "id": off.service_model,
            "name": off.service_model,
            "@referredType": "ProductSpecification",
        },
        "productSpecCharacteristic": [_characteristic(c) for c in off.characteristics],
        "productOfferingPrice": [
            {
                "name": "Monthly fee",
                "priceType": "recurring",
                "recurringChargePeriodType": "month",
                "recurringChargePeriodLength": 1,
                "price": {"unit": off.currency, "value": _num(off.price)},
                "@type": "ProductOfferingPrice",
            }
        ],
        "serviceLevelAgreement": sla_ref(off.sla) if off.sla is not None else None,
        "x_fixedParameters": dict(off.fixed_params),
        "@type": "ProductOffering",
    }
    return doc


def contact_medium(contact: CustomerContact) -> dict[str, Any]:
    """One contact as TMF629 ContactMedium: the address, never the webhook's secret."""
    characteristic: dict[str, Any] = {"contactType": contact.name or contact.kind}
    if contact.kind == "email":
        characteristic["emailAddress"] = contact.address
    else:
        characteristic["x_url"] = contact.address
    return {
        "mediumType": MEDIUM_TYPES.get(contact.kind, contact.kind),
        "preferred": contact.kind == "email",
        "characteristic": characteristic,
    }


def customer_to_tmf(c: Customer) -> dict[str, Any]:
    return {
        "id": c.id,
        "href": href(CUSTOMER_BASE, "customer", c.id),
        "name": c.name,
        "status": c.status,
        "engagedParty": {"id": c.id, "name": c.name, "@referredType": "Organization"},
        "account": [
            {"id": a.id, "name": a.name, "@referredType": "BillingAccount", "x_currency": a.currency}
            for a in c.accounts
        ],
        "contactMedium": [contact_medium(x) for x in sorted(c.contacts, key=lambda x: x.id or 0)],
        "validFor": {"startDateTime": iso(c.created_at)},
        "@type": "Customer",
    }
