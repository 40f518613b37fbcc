"""Service requests -> journaled provisioning transactions, and what a finished transaction
means for its service.

This is where a TMF641-style service order item becomes a transaction: the request is
validated against its service model, qualified against the live inventory (devices, ports,
VLANs), rendered and diffed per device (pure: provisioners.services), and written (the
transaction, its per-device changes, the service's reservation) in the caller's database
transaction, before any device is touched. The web process, the BSS bridge's order handling
and the CLI all call ``submit``; the agent executes what it writes.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, contains_eager

from inventory.choices import ServiceAction, ServiceState, TxState
from inventory.fault_models import Service, ServiceResource
from inventory.models import Device, Interface
from inventory.provisioning_models import (
    ConfigAccess,
    ServiceFragment,
    ServiceInstance,
    Transaction,
    TransactionDevice,
)
from provisioners.diff.xml import merge_xml
from provisioners.services.catalog import NotRollbackable, ServiceBusy, ServiceError, ServiceModel, model
from provisioners.services.plan import DevicePlan, plan
from provisioners.services.render import DeviceFacts, render

DEFAULT_CONFIRM_TIMEOUT_S = 120
REQUEST_KEYS = {"service", "action", "params", "service_id", "confirm_timeout"}


def new_tx_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"TX-{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}"


def _access(s: Session, device_id: int) -> tuple[str, str] | None:
    """(driver, platform) of a device's config access. Only these columns: loading the row
    would decrypt the device's password, which planning never needs."""
    row = s.execute(
        select(ConfigAccess.driver, ConfigAccess.platform).where(ConfigAccess.device_id == device_id)
    ).first()
    return (str(row[0]), str(row[1])) if row is not None else None


def _devices_of(m: ServiceModel, params: Mapping[str, Any] | None) -> set[str]:
    return {str(e["device"]) for e in m.endpoints_of(params)} if params else set()


def live_instances(s: Session, exclude_service: int | None = None) -> list[ServiceInstance]:
    """Every service instance not terminated, with its service loaded in the same query
    (qualifying an order looks at all of them: one query, not one per instance)."""
    rows = s.scalars(
        select(ServiceInstance)
        .join(Service, Service.id == ServiceInstance.service_id)
        .where(Service.state != ServiceState.TERMINATED)
        .options(contains_eager(ServiceInstance.service))
    )
    return [r for r in rows if r.service_id != exclude_service]


def _qualify(s: Session, m: ServiceModel, params: Mapping[str, Any], service_pk: int | None) -> None:
    """The network can take this service: devices reachable for changes, ports exist, the
    VLAN is free on each port."""
    errors: dict[str, str] = {}
    others: list[ServiceInstance] | None = None
    for i, end in enumerate(m.endpoints_of(params)):
        where = f"endpoints.{i}." if m.endpoints == "pair" else ""
        device = s.scalar(select(Device).where(Device.name == end["device"]))
        if device is None:
            errors[f"{where}device"] = f"unknown device {end['device']!r}"
            continue
        if _access(s, device.id) is None:
            errors[f"{where}device"] = f"{device.name} has no configuration access on record"
        known_ports = {i.name for i in device.interfaces if i.present}
        if known_ports and end["port"] not in known_ports:
            errors[f"{where}port"] = f"{device.name} has no port {end['port']!r}"
        vlan = params.get("vlan")
        if others is None:
            others = live_instances(s, service_pk)
        for other in others:
            om = model(other.model)
            for oend in om.endpoints_of(other.params):
                if (
                    oend["device"] == end["device"]
                    and oend["port"] == end["port"]
                    and other.params.get("vlan") == vlan
                ):
                    errors[f"{where}port"] = (
                        f"VLAN {vlan} on {end['device']} {end['port']} is taken by {other.service.external_id}"
                    )
    if errors:
        raise ServiceError(errors)


def _busy(s: Session, service_pk: int) -> bool:
    running = s.scalar(
        select(Transaction.id).where(
            Transaction.service_id == service_pk,
            Transaction.state.not_in([TxState.DONE, TxState.DRY_RUN, TxState.ROLLED_BACK, TxState.FAILED]),
        )
    )
    return running is not None


@dataclass
class _Item:
    model: ServiceModel
    action: ServiceAction
    service_ref: str
    existing: Service | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def _prepare(s: Session, request: Mapping[str, Any]) -> _Item:
    """Validate one service request against its model and the inventory."""
    if not isinstance(request, Mapping):
        raise ServiceError({"(request)": "a service request is an object: service, action, params"})
    unknown = set(request) - REQUEST_KEYS
    if unknown:
        raise ServiceError({k: "not a request field" for k in sorted(unknown)})
    params = request.get("params")
    service_ref = request.get("service_id") or (
        params.get("service_id") if isinstance(params, dict) else None
    )
    if not isinstance(service_ref, str) or not service_ref:
        raise ServiceError({"params.service_id": "required"})
    existing = s.scalar(select(Service).where(Service.external_id == service_ref))
    instance = s.get(ServiceInstance, existing.id) if existing is not None else None
    if instance is not None and existing is not None and existing.state == ServiceState.TERMINATED:
        instance = None
    action = request.get("action") or ("modify" if instance else "create")
    try:
        act = ServiceAction(action)
    except ValueError:
        raise ServiceError({"action": "must be create, modify or delete"}) from None
    if act is ServiceAction.CREATE and instance is not None:
        raise ServiceError({"params.service_id": f"{service_ref} exists already (use action: modify)"})
    if act is not ServiceAction.CREATE and instance is None:
        raise ServiceError({"params.service_id": f"no active service {service_ref}"})
    m = model(str(request.get("service") or (instance.model if instance else "")))
    if instance is not None and instance.model != m.name:
        raise ServiceError({"service": f"{service_ref} is a {instance.model} service"})
    if act is not ServiceAction.DELETE and not isinstance(params, dict):
        raise ServiceError({"params": "required (an object)"})
    if existing is not None and _busy(s, existing.id):
        raise ServiceBusy({"params.service_id": f"{service_ref} has a transaction in progress"})
    before = dict(instance.params) if instance is not None else None
    after = None if act is ServiceAction.DELETE else dict(params or {})
    if after is not None:
        if after.get("service_id") != service_ref:
            raise ServiceError({"params.service_id": "cannot change a service's id"})
        m.validate(after)
        _qualify(s, m, after, existing.id if existing is not None else None)
    if act is ServiceAction.MODIFY and before == after:
        raise ServiceError({"params": "nothing to change: the service already has these parameters"})
    return _Item(m, act, service_ref, existing, before, after)


def _merge_plans(plans: list[DevicePlan]) -> DevicePlan:
    """Several services' changes on one device become one change (one commit)."""
    if len(plans) == 1:
        return plans[0]
    first = plans[0]
    if first.format == "netconf":
        return DevicePlan(
            first.device, first.format, first.dialect,
            merge_xml([p.fragment_before for p in plans]), merge_xml([p.fragment_after for p in plans]),
            merge_xml([p.payload for p in plans], wrap=True),
        )  # fmt: skip
    return DevicePlan(
        first.device, first.format, first.dialect,
        "\n".join(p.fragment_before for p in plans), "\n".join(p.fragment_after for p in plans),
        "\n".join(p.payload for p in plans),
    )  # fmt: skip


def submit(
    s: Session,
    request: Mapping[str, Any],
    *,
    user: str,
    origin: str,
    dry_run: bool = False,
    force: bool = False,
    tx_id: str | None = None,
) -> Transaction:
    """Plan one service request as a transaction (see ``submit_many``)."""
    return submit_many(s, [request], user=user, origin=origin, dry_run=dry_run, force=force, tx_id=tx_id,
                       confirm_timeout=request.get("confirm_timeout") if isinstance(request, Mapping) else None)  # fmt: skip


def submit_many(
    s: Session,
    requests: Sequence[Mapping[str, Any]],
    *,
    user: str,
    origin: str,
    dry_run: bool = False,
    force: bool = False,
    tx_id: str | None = None,
    confirm_timeout: Any = None,
) -> Transaction:
    """Plan service requests as ONE transaction: every device they touch commits together or
    none does. Written in the caller's database transaction; nothing touches a device."""
    if not requests:
        raise ServiceError({"services": "at least one service request"})
    items: list[_Item] = []
    for i, request in enumerate(requests):
        try:
            items.append(_prepare(s, request))
        except ServiceError as exc:
            if len(requests) == 1:
                raise
            raise type(exc)({f"services[{i}].{k}": v for k, v in exc.errors.items()}) from None
    refs = [it.service_ref for it in items]
    if len(set(refs)) != len(refs):
        raise ServiceError({"services": "a service appears twice in one transaction"})
    timeout = int(confirm_timeout or DEFAULT_CONFIRM_TIMEOUT_S)
    if not 10 <= timeout <= 3600:
        raise ServiceError({"confirm_timeout": "between 10 and 3600 seconds"})

    by_device: dict[str, list[DevicePlan]] = {}
    for it in items:
        facts = facts_for(s, _devices_of(it.model, it.before) | _devices_of(it.model, it.after))
        for p in plan(it.model, it.before, it.after, facts):
            by_device.setdefault(p.device, []).append(p)
    single = items[0] if len(items) == 1 else None
    tx = Transaction(
        id=tx_id or new_tx_id(),
        state=TxState.PLANNED,
        dry_run=dry_run,
        force=force,
        origin=origin,
        created_by=user,
        confirm_timeout_s=timeout,
        action=single.action if single else None,
        request={
            **(
                {"model": single.model.name, "before": single.before, "after": single.after} if single else {}
            ),
            "items": [
                {
                    "model": it.model.name,
                    "action": it.action.value,
                    "service_id": it.service_ref,
                    "before": it.before,
                    "after": it.after,
                }
                for it in items
            ],
        },
    )
    for pos, (name, plans) in enumerate(by_device.items()):
        merged = _merge_plans(plans)
        device = s.scalar(select(Device).where(Device.name == name))
        assert device is not None
        access = _access(s, device.id)
        tx.devices.append(
            TransactionDevice(device_id=device.id, position=pos, driver=access[0] if access else "",
                              format=merged.format, payload=merged.payload, fragment_before=merged.fragment_before,
                              fragment_after=merged.fragment_after)
        )  # fmt: skip
    for it in items:
        if not dry_run and it.action is ServiceAction.CREATE:
            svc = it.existing or Service(external_id=it.service_ref, name=it.service_ref)
            svc.service_type = it.model.name
            svc.state = ServiceState.RESERVED
            svc.customer_ref = str(it.after.get("customer_id", "")) if it.after else ""
            s.add(svc)
            s.flush()
            old = s.get(ServiceInstance, svc.id)
            if old is not None:
                s.delete(old)
                s.flush()
            s.add(ServiceInstance(service_id=svc.id, model=it.model.name, params=it.after or {}, version=1))
            _bind_resources(s, svc, it.model, it.after or {})
            it.existing = svc
    tx.service_id = single.existing.id if single and single.existing is not None else None
    s.add(tx)
    s.flush()
    return tx


def tx_items(tx: Transaction) -> list[dict[str, Any]]:
    """The service requests a transaction carries. A one-service request written without
    ``items`` (model, before, after) reads as a one-item list."""
    request = tx.request or {}
    if request.get("items"):
        return list(request["items"])
    if not request.get("model") or tx.action is None:
        return []
    params = request.get("after") or request.get("before") or {}
    return [{"model": request["model"], "action": tx.action.value, "service_id": params.get("service_id"),
             "before": request.get("before"), "after": request.get("after")}]  # fmt: skip


def _bind_resources(s: Session, service: Service, m: ServiceModel, params: Mapping[str, Any]) -> None:
    """The ports a service rides on, for fault impact (alarm -> resources -> services)."""
    service.resources.clear()
    for end in m.endpoints_of(params):
        device = s.scalar(select(Device).where(Device.name == end["device"]))
        if device is None:
            continue
        port = s.scalar(
            select(Interface).where(Interface.device_id == device.id, Interface.name == end["port"])
        )
        service.resources.append(
            ServiceResource(device_id=device.id, interface_id=port.id if port else None, role="access")
        )


def facts_for(s: Session, names: set[str]) -> dict[str, DeviceFacts]:
    out = {}
    for d in s.scalars(select(Device).where(Device.name.in_(names))):
        row = _access(s, d.id)
        platform = row[1] if row is not None else d.platform
        out[d.name] = DeviceFacts(d.name, platform, d.host)
    return out


# ---------------------------------------------------------------- rollback of a past transaction
def rollback_requests(s: Session, tx_id: str) -> list[dict[str, Any]]:
    """The service requests that undo a done transaction (create <-> delete, modify back)."""
    tx = s.get(Transaction, tx_id)
    if tx is None:
        raise ServiceError({"transaction": f"no transaction {tx_id}"})
    if tx.state is not TxState.DONE:
        raise NotRollbackable(
            {"transaction": f"{tx_id} is {tx.state.value}: only a done transaction is rolled back"}
        )
    items = tx_items(tx)
    if not items:
        raise NotRollbackable({"transaction": f"{tx_id} changed no service"})
    out = []
    for item in items:
        service = s.scalar(select(Service).where(Service.external_id == item["service_id"]))
        instance = s.get(ServiceInstance, service.id) if service is not None else None
        if instance is not None and instance.last_transaction_id not in (None, tx_id):
            raise NotRollbackable(
                {
                    "transaction": f"{instance.last_transaction_id} changed {item['service_id']} after {tx_id}; roll that back first"
                }
            )
        action = item["action"]
        if action == ServiceAction.CREATE.value:
            out.append({"service": item["model"], "action": "delete", "service_id": item["service_id"]})
        elif action == ServiceAction.DELETE.value:
            out.append({"service": item["model"], "action": "create", "params": item["before"]})
        else:
            out.append(
                {
                    "service": item["model"],
                    "action": "modify",
                    "params": item["before"],
                    "service_id": item["service_id"],
                }
            )
    return out


def submit_rollback(s: Session, tx_id: str, user: str, dry_run: bool = False) -> Transaction:
    tx = submit_many(s, rollback_requests(s, tx_id), user=user, origin=f"rollback:{tx_id}", dry_run=dry_run)
    tx.rollback_of = tx_id
    return tx


def settle_service(s: Session, tx_id: str, *, success: bool) -> None:
    """What a finished transaction means for each of its services."""
    tx = s.get(Transaction, tx_id)
    if tx is None or tx.dry_run:
        return
    for item in tx_items(tx):
        service = s.scalar(select(Service).where(Service.external_id == item["service_id"]))
        if service is not None:
            _settle_item(s, tx, item, service, success)


def _settle_item(
    s: Session, tx: Transaction, item: Mapping[str, Any], service: Service, success: bool
) -> None:
    instance = s.get(ServiceInstance, service.id)
    action = ServiceAction(item["action"])
    if not success:
        if action is ServiceAction.CREATE:
            # Release the reservation: the service never came to exist.
            service.state = ServiceState.TERMINATED
            service.resources.clear()
            if instance is not None:
                s.delete(instance)
        return
    after = item.get("after")
    if action is ServiceAction.DELETE:
        service.state = ServiceState.TERMINATED
        service.resources.clear()
        s.execute(delete(ServiceFragment).where(ServiceFragment.service_id == service.id))
        if instance is not None:
            instance.last_transaction_id = tx.id
        return
    service.state = ServiceState.ACTIVE
    m = model(item["model"])
    if instance is not None and after is not None:
        if action is ServiceAction.MODIFY:
            instance.version += 1
        instance.params = after
        instance.last_transaction_id = tx.id
        _bind_resources(s, service, m, after)
    # The configuration the service now owns on each device (re-rendered: a transaction's
    # device rows hold the union of all its services' fragments).
    rendered = render(m, after or {}, facts_for(s, _devices_of(m, after)))
    s.execute(delete(ServiceFragment).where(ServiceFragment.service_id == service.id))
    for name, (fmt, text) in rendered.items():
        device = s.scalar(select(Device).where(Device.name == name))
        if device is not None and text.strip():
            s.add(
                ServiceFragment(
                    service_id=service.id, device_id=device.id, format=fmt, text=text, transaction_id=tx.id
                )
            )
