"""TMF638 Service and TMF639 Resource (v4) representations of our inventory: services with
their parameters, subscription and the resources they ride on; devices as physical and
interfaces as logical resources contained in their device."""

from __future__ import annotations

from typing import Any

from bss_bridge.tmf.alarm import RESOURCE_BASE, SERVICE_BASE, service_id
from bss_bridge.tmf.common import href, iso
from inventory.choices import DeviceStatus, IfStatus, ServiceState
from inventory.models import Device, Interface
from inventory.queries_bss_inventory import LOGICAL, PHYSICAL, ResourceRef, ServiceView

CATALOG_BASE = "/tmf-api/productCatalogManagement/v4"


def interface_resource_id(device: str, ifname: str) -> str:
    """The TMF639 id of an interface, as alarms name their alarmed object."""
    return f"{device}:{ifname}"


def resource_ref(ref: ResourceRef) -> dict[str, Any]:
    return {
        "id": ref.id,
        "href": href(RESOURCE_BASE, "resource", ref.id),
        "name": ref.name,
        "@referredType": ref.kind,
    }


def _value_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, list | dict):
        return "object"
    return "string"


def service_to_tmf(view: ServiceView) -> dict[str, Any]:
    svc, inst, sub = view.service, view.instance, view.subscription
    sid = service_id(svc)
    params = dict(inst.params) if inst is not None else {}
    customer = sub.customer_id if sub is not None else (svc.customer_ref or None)
    doc: dict[str, Any] = {
        "id": sid,
        "href": href(SERVICE_BASE, "service", sid),
        "name": svc.name,
        "category": "CFS",
        "serviceType": svc.service_type or None,
        "state": svc.state.value,
        "startDate": iso(sub.started_at) if sub is not None else None,
        "endDate": iso(sub.ended_at) if sub is not None else None,
        "serviceDate": iso(svc.created_at),
        "hasStarted": sub is not None and sub.started_at is not None,
        "isServiceEnabled": svc.state is ServiceState.ACTIVE,
        "isStateful": True,
        "serviceCharacteristic": [
            {"name": k, "valueType": _value_type(v), "value": v} for k, v in params.items()
        ],
        "serviceSpecification": (
            {
                "id": inst.model,
                "name": inst.model,
                "version": str(inst.version),
                "@referredType": "ServiceSpecification",
            }
            if inst is not None
            else None
        ),
        "supportingResource": [resource_ref(r) for r in view.resources],
        "relatedParty": [{"id": customer, "role": "customer", "@referredType": "Customer"}]
        if customer
        else [],
        "@type": "Service",
    }
    if sub is not None:
        doc["x_productOffering"] = {
            "id": sub.offering_id,
            "href": href(CATALOG_BASE, "productOffering", sub.offering_id),
            "name": sub.offering.name,
        }
        doc["x_productOrder"] = sub.order_id
    if inst is not None and inst.last_transaction_id:
        doc["x_lastTransaction"] = inst.last_transaction_id
    return {k: v for k, v in doc.items() if v is not None}


def device_operational_state(status: DeviceStatus) -> str | None:
    return {DeviceStatus.UP: "enable", DeviceStatus.UNREACHABLE: "disable"}.get(status)


def device_to_tmf(d: Device) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": d.name,
        "href": href(RESOURCE_BASE, "resource", d.name),
        "name": d.name,
        "description": d.sys_descr,
        "category": d.role or None,
        "resourceVersion": None,
        "administrativeState": "unlocked" if d.enabled else "locked",
        "operationalState": device_operational_state(d.status),
        "resourceStatus": {DeviceStatus.UP: "available", DeviceStatus.UNREACHABLE: "alarm"}.get(
            d.status, "unknown"
        ),
        "resourceSpecification": (
            {"id": d.platform, "name": d.platform, "@referredType": "ResourceSpecification"}
            if d.platform
            else None
        ),
        "resourceCharacteristic": [
            {"name": "platform", "value": d.platform},
            {"name": "managementAddress", "value": d.host},
            {"name": "sysName", "value": d.sys_name},
            {"name": "sysObjectID", "value": d.sys_object_id},
            {"name": "sysLocation", "value": d.sys_location},
        ],
        "place": {"id": d.site.name, "name": d.site.name, "@referredType": "Site"}
        if d.site_id and d.site
        else None,
        "startOperatingDate": iso(d.created_at),
        "@type": PHYSICAL,
        "@baseType": "Resource",
        "x_status": d.status.value,
        "x_statusChanged": iso(d.status_changed),
    }
    return {k: v for k, v in doc.items() if v is not None}


def interface_to_tmf(i: Interface) -> dict[str, Any]:
    device = i.device.name
    rid = interface_resource_id(device, i.name)
    up = i.oper_status is IfStatus.UP
    doc: dict[str, Any] = {
        "id": rid,
        "href": href(RESOURCE_BASE, "resource", rid),
        "name": i.name,
        "description": i.alias or i.descr,
        "category": "interface",
        "administrativeState": "unlocked" if i.admin_status is IfStatus.UP else "locked",
        "operationalState": "enable" if up else "disable",
        "resourceStatus": ("available" if up else "alarm") if i.present else "unknown",
        "usageState": None,
        "resourceCharacteristic": [
            {"name": "ifIndex", "value": i.if_index},
            {"name": "ifType", "value": i.if_type},
            {"name": "ifDescr", "value": i.descr},
            {"name": "ifAlias", "value": i.alias},
            {"name": "speedBps", "value": i.speed_bps},
            {"name": "mtu", "value": i.mtu},
            {"name": "macAddress", "value": i.mac},
            {"name": "ifOperStatus", "value": i.oper_status.label},
            {"name": "ifAdminStatus", "value": i.admin_status.label},
            {"name": "present", "value": i.present},
        ],
        "resourceRelationship": [
            {
                "id": device,
                "href": href(RESOURCE_BASE, "resource", device),
                "relationshipType": "isContainedIn",
                "resource": {
                    "id": device,
                    "href": href(RESOURCE_BASE, "resource", device),
                    "name": device,
                    "@referredType": PHYSICAL,
                },
            }
        ],
        "x_lastChange": iso(i.last_change),
        "@type": LOGICAL,
        "@baseType": "Resource",
    }
    return {k: v for k, v in doc.items() if v is not None}
