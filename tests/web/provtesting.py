"""Provisioning in the web tests' inventory, built with the models: configuration access
(whose password is a canary), services with their parameters and fragments, transactions in
several states with devices, diffs and logs, configuration versions (masked, one of them
over a canary community) and drift alarms.

Devices: r1 and r2 are reached by NETCONF (platform srlinux: services render as XML), old32
and new1 by CLI (platform eos). evil has no configuration access, so qualifying a service on
it fails. The fixture rows are read-only for the tests: a test that rolls back or submits
makes its own service with ``make_done_service`` (on new1, with a VLAN of its own).
"""

from __future__ import annotations

import hashlib
import itertools
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.choices import (
    AlarmedObjectType,
    AlarmState,
    AlarmType,
    EventSource,
    ServiceAction,
    ServiceState,
    Severity,
    TxDeviceState,
    TxState,
)
from inventory.domain import Secret
from inventory.fault_models import Alarm, Service, ServiceResource
from inventory.models import Device, Interface
from inventory.provisioning_models import (
    ConfigAccess,
    ConfigVersion,
    ServiceFragment,
    ServiceInstance,
    Transaction,
    TransactionDevice,
    TransactionLog,
)
from inventory.types import utcnow
from provisioners.secrets_mask import mask
from provisioners.services.catalog import model
from provisioners.services.plan import DevicePlan, plan
from provisioners.services.render import DeviceFacts
from tests.web.webtesting import (
    AWKWARD,
    CFG_COMMUNITY,
    CFG_PASSWORD,
    HOSTILE_TEXT,
    NOW,
    PRE_CONFIG,
    XSS_ATTR,
    XSS_SCRIPT,
    World,
)

TX_DONE = "TX-20260101000000-d0e000"
TX_DRY = "TX-20260101000100-d1e000"
TX_FAILED = "TX-20260101000200-fa1100"
TX_RUNNING = "TX-20260101000300-c0aa17"
TX_EVIL = "TX-20260101000400-e71100"
SVC_IA = "SVC-IA-1"
SVC_L2 = "SVC-L2-1"
SVC_EVIL = "SVC-EVIL"
HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeHostKeyForTheWebTests"
DRIFT_MISSING = ["interface port1.100    police rate 100 mbps"]
DRIFT_ADDED = ["interface port1.100 shutdown"]
PLATFORMS = {"r1": "srlinux", "r2": "srlinux", "old32": "eos", "new1": "eos"}

IA_PARAMS: dict[str, Any] = {
    "service_id": SVC_IA,
    "customer_id": "CUST-1",
    "device": "old32",
    "port": "port1",
    "vlan": 100,
    "ipv4": "192.0.2.1/30",
    "bandwidth_mbps": 100,
}
L2_PARAMS: dict[str, Any] = {
    "service_id": SVC_L2,
    "customer_id": "CUST-2",
    "vlan": 200,
    "bandwidth_mbps": 50,
    "endpoints": [{"device": "r1", "port": "ethernet-1/1"}, {"device": "r2", "port": "ethernet-1/1"}],
}

_vlans = itertools.count(1000)


def facts(session: Session) -> dict[str, DeviceFacts]:
    devices = {d.name: d for d in session.scalars(select(Device).where(Device.name.in_(PLATFORMS)))}
    return {n: DeviceFacts(n, p, devices[n].host) for n, p in PLATFORMS.items()}


def plans(
    session: Session, name: str, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> list[DevicePlan]:
    return plan(model(name), before, after, facts(session))


def _devices(session: Session) -> dict[str, Device]:
    return {d.name: d for d in session.scalars(select(Device))}


def _tx_device(
    devices: Mapping[str, Device], p: DevicePlan, state: TxDeviceState, pos: int, **kw: Any
) -> TransactionDevice:
    return TransactionDevice(
        device_id=devices[p.device].id,
        position=pos,
        state=state,
        driver="netconf" if p.format == "netconf" else "cli",
        format=p.format,
        payload=p.payload,
        fragment_before=p.fragment_before,
        fragment_after=p.fragment_after,
        # The running configuration before, as the agent journals it: it may hold secrets.
        pre_config=f"snmp-server community {PRE_CONFIG} ro\n",
        post_config=f"snmp-server community {PRE_CONFIG} ro\n{p.fragment_after}",
        **kw,
    )


def _log(tx: Transaction, *entries: tuple[int, str, str, str]) -> None:
    for seconds, device, level, message in entries:
        tx.log.append(
            TransactionLog(
                at=tx.created_at + timedelta(seconds=seconds), device=device, level=level, message=message
            )
        )


def _instance(session: Session, service: Service, name: str, params: dict[str, Any], last: str) -> None:
    session.add(
        ServiceInstance(service_id=service.id, model=name, params=params, version=1, last_transaction_id=last)
    )


def _fragments(
    session: Session, service: Service, ps: list[DevicePlan], devices: Mapping[str, Device], tx: str
) -> None:
    for p in ps:
        session.add(
            ServiceFragment(
                service_id=service.id,
                device_id=devices[p.device].id,
                format=p.format,
                text=p.fragment_after,
                transaction_id=tx,
            )
        )


def _config_access(session: Session, devices: Mapping[str, Device]) -> None:
    for name, platform in PLATFORMS.items():
        netconf = platform == "srlinux"
        session.add(
            ConfigAccess(
                device_id=devices[name].id,
                driver="netconf" if netconf else "cli",
                platform=platform,
                port=830 if netconf else 22,
                username="ossagent",
                password=Secret(CFG_PASSWORD),
                host_key=HOST_KEY if name == "r1" else None,
                host_key_seen=NOW - timedelta(days=1) if name == "r1" else None,
                options={"commit_comment": True},
            )
        )


def _version(
    device: Device, fmt: str, text: str, age: timedelta, source: str, tx: str | None = None
) -> ConfigVersion:
    masked = mask(fmt, text)
    return ConfigVersion(
        device_id=device.id,
        taken_at=NOW - age,
        source=source,
        transaction_id=tx,
        format=fmt,
        digest=hashlib.sha256(masked.encode()).hexdigest(),
        text=masked,
    )


EOS_BASE = f"""hostname old32
!
snmp-server community {CFG_COMMUNITY} ro
username admin secret 0 {CFG_PASSWORD}
!
interface port1
   description uplink
!
"""
XML_BASE = f"""<system xmlns="urn:ossagent:params:xml:ns:yang:sim">
  <snmp><community><name>{CFG_COMMUNITY}</name><access>ro</access></community></snmp>
  <hostname>HOST</hostname>
</system>
"""


def _versions(session: Session, devices: Mapping[str, Device], ia_plan: DevicePlan, world: World) -> None:
    old32, r1, r2, evil = devices["old32"], devices["r1"], devices["r2"], devices["evil"]
    rows = {
        "v_old32_1": _version(
            old32, "cli", EOS_BASE.replace("uplink", "uplink (old)"), timedelta(days=3), "scheduled"
        ),
        "v_old32_2": _version(old32, "cli", EOS_BASE, timedelta(hours=2, minutes=1), "pre-tx", TX_DONE),
        "v_old32_3": _version(
            old32,
            "cli",
            EOS_BASE + ia_plan.fragment_after,
            timedelta(hours=1, minutes=58),
            "post-tx",
            TX_DONE,
        ),
        "v_r1_1": _version(r1, "netconf", XML_BASE.replace("HOST", "r1-old"), timedelta(days=2), "scheduled"),
        "v_r1_2": _version(r1, "netconf", XML_BASE.replace("HOST", "r1"), timedelta(days=1), "scheduled"),
        "v_r2_1": _version(r2, "netconf", XML_BASE.replace("HOST", "r2-old"), timedelta(days=2), "scheduled"),
        "v_r2_2": _version(r2, "netconf", XML_BASE.replace("HOST", "r2"), timedelta(days=1), "on-demand"),
        "v_evil_1": _version(evil, "cli", f"hostname evil\n! {XSS_SCRIPT}\n", timedelta(days=1), "scheduled"),
        "v_evil_2": _version(
            evil,
            "cli",
            f"hostname evil\n! {XSS_SCRIPT}\ndescription {XSS_ATTR}\n! {AWKWARD}\n",
            timedelta(hours=1),
            "scheduled",
        ),
    }
    session.add_all(rows.values())
    session.flush()
    world.ids.update({k: v.id for k, v in rows.items()})


def _drift_alarm(device: Device, service: str, missing: list[str], added: list[str], **kw: Any) -> Alarm:
    at = kw.pop("raised_at", NOW - timedelta(minutes=40))
    detail = "; ".join([*(f"missing {x}" for x in missing[:3]), *(f"added {x}" for x in added[:3])])
    return Alarm(
        reduction_key=f"{device.name}/service={service}/config-drift",
        device_id=device.id,
        alarmed_object_type=AlarmedObjectType.DEVICE,
        alarmed_object=f"{device.name}:service={service}",
        alarm_type=AlarmType.INTEGRITY_VIOLATION,
        probable_cause="configurationOrCustomizationError",
        specific_problem=f"configuration of service={service} changed outside ossagent: {detail}",
        perceived_severity=kw.pop("perceived_severity", Severity.MAJOR),
        state=kw.pop("state", AlarmState.RAISED),
        source=EventSource.POLL,
        raised_at=at,
        reported_at=at,
        changed_at=at,
        last_occurrence=at,
        settle_at=at,
        announced=True,
        announced_occurrences=1,
        details={"missing": missing, "added": added},
        **kw,
    )


def build_provisioning(session: Session, world: World) -> None:
    devices = _devices(session)
    _config_access(session, devices)
    session.flush()

    ia = Service(
        external_id=SVC_IA,
        name="Internet for Customer One",
        service_type="internet-access",
        state=ServiceState.ACTIVE,
        customer_ref="CUST-1",
    )
    l2 = Service(
        external_id=SVC_L2,
        name="Line r1-r2",
        service_type="l2vpn-p2p",
        state=ServiceState.ACTIVE,
        customer_ref="CUST-2",
    )
    evil_svc = Service(
        external_id=SVC_EVIL,
        name=HOSTILE_TEXT,
        service_type="internet-access",
        state=ServiceState.INACTIVE,
        customer_ref=XSS_ATTR,
    )
    session.add_all([ia, l2, evil_svc])
    session.flush()
    port1 = session.scalars(
        select(Interface).where(Interface.device_id == devices["old32"].id, Interface.name == "port1")
    ).one()
    ia.resources.append(ServiceResource(device_id=devices["old32"].id, interface_id=port1.id, role="access"))

    ia_create = plans(session, "internet-access", None, IA_PARAMS)
    ia_faster = plans(session, "internet-access", IA_PARAMS, {**IA_PARAMS, "bandwidth_mbps": 200})
    l2_create = plans(session, "l2vpn-p2p", None, L2_PARAMS)
    l2_faster = plans(session, "l2vpn-p2p", L2_PARAMS, {**L2_PARAMS, "bandwidth_mbps": 80})
    _instance(session, ia, "internet-access", dict(IA_PARAMS), TX_DONE)
    _instance(session, l2, "l2vpn-p2p", dict(L2_PARAMS), "TX-20251201000000-000000")
    _fragments(session, ia, ia_create, devices, TX_DONE)
    _fragments(session, l2, l2_create, devices, "TX-20251201000000-000000")

    done = Transaction(
        id=TX_DONE,
        state=TxState.DONE,
        origin="api",
        created_by="engineer",
        created_at=NOW - timedelta(hours=2, minutes=2),
        started_at=NOW - timedelta(hours=2, minutes=1),
        finished_at=NOW - timedelta(hours=1, minutes=58),
        service_id=ia.id,
        action=ServiceAction.CREATE,
        request={"model": "internet-access", "before": None, "after": dict(IA_PARAMS)},
    )
    done.devices = [
        _tx_device(devices, p, TxDeviceState.CONFIRMED, i, diff=p.human_diff) for i, p in enumerate(ia_create)
    ]
    _log(
        done,
        (0, "", "info", "planned by engineer via api"),
        (60, "old32", "info", "prepared: candidate differs in 9 lines"),
        (90, "old32", "info", "committed with confirm timeout 120 s"),
        (150, "old32", "info", "verified"),
        (240, "", "info", "done"),
    )

    dry = Transaction(
        id=TX_DRY,
        state=TxState.DRY_RUN,
        dry_run=True,
        origin="web",
        created_by="engineer",
        created_at=NOW - timedelta(hours=1),
        started_at=NOW - timedelta(minutes=59),
        finished_at=NOW - timedelta(minutes=59),
        service_id=ia.id,
        action=ServiceAction.MODIFY,
        request={
            "model": "internet-access",
            "before": dict(IA_PARAMS),
            "after": {**IA_PARAMS, "bandwidth_mbps": 200},
        },
    )
    dry.devices = [
        _tx_device(devices, p, TxDeviceState.DISCARDED, i, diff=p.human_diff) for i, p in enumerate(ia_faster)
    ]
    _log(dry, (0, "", "info", "planned (dry run)"), (30, "old32", "info", "diff shown, nothing changed"))

    failed = Transaction(
        id=TX_FAILED,
        state=TxState.ROLLED_BACK,
        origin="order:ORD-7",
        created_by="bss",
        created_at=NOW - timedelta(minutes=50),
        started_at=NOW - timedelta(minutes=49),
        finished_at=NOW - timedelta(minutes=45),
        service_id=l2.id,
        action=ServiceAction.MODIFY,
        error="r2: commit failed: validation error on /sim/policers",
        request={
            "model": "l2vpn-p2p",
            "before": dict(L2_PARAMS),
            "after": {**L2_PARAMS, "bandwidth_mbps": 80},
        },
    )
    failed.devices = [
        _tx_device(devices, l2_faster[0], TxDeviceState.ROLLED_BACK, 0, diff=l2_faster[0].human_diff),
        _tx_device(
            devices,
            l2_faster[1],
            TxDeviceState.FAILED,
            1,
            error="commit failed: validation error on /sim/policers",
        ),
    ]
    _log(
        failed,
        (0, "", "info", "planned for order ORD-7"),
        (60, "r2", "error", "commit failed: validation error"),
        (120, "r1", "warning", "rolled back"),
        (240, "", "error", "rolled back: r2 refused the commit"),
    )

    running = Transaction(
        id=TX_RUNNING,
        state=TxState.COMMITTING,
        origin="order:ORD-8",
        created_by="bss",
        created_at=NOW - timedelta(minutes=3),
        started_at=NOW - timedelta(minutes=2),
        service_id=l2.id,
        action=ServiceAction.MODIFY,
        request={
            "model": "l2vpn-p2p",
            "before": dict(L2_PARAMS),
            "after": {**L2_PARAMS, "bandwidth_mbps": 80},
        },
    )
    running.devices = [
        _tx_device(devices, l2_faster[0], TxDeviceState.COMMITTED, 0, diff=l2_faster[0].human_diff),
        _tx_device(devices, l2_faster[1], TxDeviceState.PREPARED, 1, diff=l2_faster[1].human_diff),
    ]
    _log(running, (0, "", "info", "planned for order ORD-8"), (60, "r1", "info", "committed"))

    evil_tx = Transaction(
        id=TX_EVIL,
        state=TxState.FAILED,
        origin=XSS_ATTR[:60],
        created_by="admin",
        created_at=NOW - timedelta(minutes=30),
        finished_at=NOW - timedelta(minutes=29),
        service_id=evil_svc.id,
        action=ServiceAction.CREATE,
        error=HOSTILE_TEXT,
        request={"model": "internet-access", "before": None, "after": {"label": XSS_SCRIPT}},
    )
    evil_tx.devices = [
        TransactionDevice(
            device_id=devices["evil"].id,
            position=0,
            state=TxDeviceState.FAILED,
            driver="cli",
            format="cli",
            payload=f"interface eth0\n description {XSS_ATTR}",
            fragment_before="",
            fragment_after=f"interface eth0\n description {XSS_SCRIPT}\n",
            pre_config=f"snmp-server community {PRE_CONFIG} ro\n",
            diff=f"--- running\n+++ candidate\n@@ -1 +1,2 @@\n+{XSS_SCRIPT}\n-{XSS_ATTR}\n {AWKWARD}",
            error=HOSTILE_TEXT,
        )
    ]
    _log(evil_tx, (0, "evil", "error", XSS_SCRIPT), (10, "", "error", f"{HOSTILE_TEXT} {AWKWARD}"))
    session.add_all([done, dry, failed, running, evil_tx])
    session.flush()

    _versions(session, devices, ia_create[0], world)
    drift = _drift_alarm(devices["old32"], SVC_IA, DRIFT_MISSING, DRIFT_ADDED)
    evil_drift = _drift_alarm(
        devices["evil"], SVC_EVIL, [XSS_SCRIPT], [XSS_ATTR, AWKWARD], raised_at=NOW - timedelta(minutes=45)
    )
    old_drift = _drift_alarm(
        devices["r1"],
        SVC_L2,
        ["gone"],
        [],
        state=AlarmState.CLEARED,
        perceived_severity=Severity.CLEARED,
        raised_at=NOW - timedelta(days=1),
        cleared_at=NOW - timedelta(hours=20),
    )
    session.add_all([drift, evil_drift, old_drift])
    session.flush()
    world.ids.update({"drift": drift.id, "drift_evil": evil_drift.id, "drift_cleared": old_drift.id})


def make_done_service(world: World, device: str = "new1", port: str = "Ethernet7") -> tuple[str, str, int]:
    """A fresh internet-access service on ``device`` as a done create transaction left it:
    active, with its parameters, fragment and the done transaction. Returns (service id,
    transaction id, vlan)."""
    tag = uuid.uuid4().hex[:8]
    ref, tx_id, vlan = f"SVC-T-{tag}", f"TX-20260102000000-{tag[:6]}", next(_vlans)
    params = {
        "service_id": ref,
        "customer_id": "CUST-T",
        "device": device,
        "port": port,
        "vlan": vlan,
        "ipv4": "198.51.100.1/30",
        "bandwidth_mbps": 10,
    }
    with world.sessions.begin() as s:
        devices = _devices(s)
        svc = Service(
            external_id=ref,
            name=f"test service {tag}",
            service_type="internet-access",
            state=ServiceState.ACTIVE,
            customer_ref="CUST-T",
        )
        s.add(svc)
        s.flush()
        ps = plans(s, "internet-access", None, params)
        _instance(s, svc, "internet-access", params, tx_id)
        _fragments(s, svc, ps, devices, tx_id)
        at = utcnow() - timedelta(minutes=5)
        tx = Transaction(
            id=tx_id,
            state=TxState.DONE,
            origin="api",
            created_by="engineer",
            created_at=at,
            started_at=at,
            finished_at=at + timedelta(minutes=1),
            service_id=svc.id,
            action=ServiceAction.CREATE,
            request={"model": "internet-access", "before": None, "after": params},
        )
        tx.devices = [
            _tx_device(devices, p, TxDeviceState.CONFIRMED, i, diff=p.human_diff) for i, p in enumerate(ps)
        ]
        _log(tx, (0, "", "info", "planned"), (60, "", "info", "done"))
        s.add(tx)
    return ref, tx_id, vlan


def load_tx(world: World, tx_id: str) -> Transaction:
    with world.sessions() as s:
        tx = s.get(Transaction, tx_id)
        assert tx is not None
        tx.devices  # noqa: B018  # load them before the session closes
        for td in tx.devices:
            td.device  # noqa: B018
        s.expunge_all()
        return tx
