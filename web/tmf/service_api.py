"""TMF638 Service Inventory (our services: state, parameters as characteristics, the
customer, the devices and interfaces they ride on) and TMF639 Resource Inventory (devices
as physical resources, interfaces as logical resources contained in their device). Both
read-only: services change through orders, resources through discovery."""

from __future__ import annotations

from flask import Response, request
from werkzeug.exceptions import NotFound

from bss_bridge.tmf.inventory import device_to_tmf, interface_to_tmf, service_to_tmf
from inventory import queries_bss_inventory as qi
from inventory.choices import ServiceState
from web.api.params import paging
from web.db import db
from web.tmf import docs
from web.tmf.bss_blueprints import RESOURCE_INVENTORY, SERVICE_INVENTORY
from web.tmf.query import Param, enum_param, parse

SERVICE_FILTERS = {
    "id": Param("ids"),
    "state": enum_param(ServiceState),
    "relatedParty.id": Param("ids"),
    "serviceType": Param("ids"),
}
RESOURCE_FILTERS = {
    "@type": Param("enum", (qi.PHYSICAL, qi.LOGICAL)),
    "name": Param("text"),
    "operationalState": Param("enum", ("enable", "disable")),
    "administrativeState": Param("enum", ("locked", "unlocked")),
    "resourceRelationship.resource.id": Param("ids"),
}
bp = SERVICE_INVENTORY.bp
resource_bp = RESOURCE_INVENTORY.bp


@bp.get("/service")
def list_services() -> Response:
    q = parse(request.args, SERVICE_FILTERS)
    offset, limit = paging()
    f = qi.ServiceInventoryFilter(
        refs=q.values("id"),
        states=q.enum("state", ServiceState),
        customers=q.values("relatedParty.id"),
        types=q.values("serviceType"),
    )
    page = qi.list_service_views(db(), f, offset=offset, limit=limit)
    return docs.page((service_to_tmf(v) for v in page.items), page.total)


@bp.get("/service/<service_id>")
def get_service(service_id: str) -> Response:
    view = qi.service_view(db(), service_id)
    if view is None:
        raise NotFound(f"No service {service_id}.")
    return docs.one(service_to_tmf(view))


@resource_bp.get("/resource")
def list_resources() -> Response:
    q = parse(request.args, RESOURCE_FILTERS)
    offset, limit = paging()
    f = qi.ResourceFilter(
        kinds=q.values("@type"),
        names=q.values("name"),
        operational=q.values("operationalState"),
        administrative=q.values("administrativeState"),
        devices=q.values("resourceRelationship.resource.id"),
    )
    page = qi.list_resources(db(), f, offset=offset, limit=limit)
    docs_ = [*(device_to_tmf(d) for d in page.devices), *(interface_to_tmf(i) for i in page.interfaces)]
    return docs.page(docs_, page.total)


@resource_bp.get("/resource/<path:resource_id>")
def get_resource(resource_id: str) -> Response:
    """A device by name, or an interface as ``<device>:<interface>`` (URL-encoded)."""
    session = db()
    device = qi.device_resource(session, resource_id)
    if device is not None:
        return docs.one(device_to_tmf(device))
    name, sep, ifname = resource_id.partition(":")
    iface = qi.interface_resource(session, name, ifname) if sep else None
    if iface is None:
        raise NotFound(f"No resource {resource_id}.")
    return docs.one(interface_to_tmf(iface))
