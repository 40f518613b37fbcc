"""Provisioning end to end on the simulated lab, over real protocol traffic: NETCONF over SSH
to the srlinux-like PEs, the EOS-like CLI over SSH to the access switches, with the real
drivers (ncclient, netmiko) behind the executor.

What a network engineer relies on: a dry run changes nothing; a service is created,
modified (only the lines that change move) and deleted back to exactly the configuration
before it; a refusal on one device leaves every device as it was; an agent killed at any
step is recovered to all-before or all-after; a device whose SSH host key changes is refused
and alarmed; drift is reported on the service whose lines moved.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from agent.context import Context
from agent.jobs.snmp import run_discovery
from agent.provisioning.drift import apply_drift
from agent.provisioning.executor import Executor
from agent.provisioning.jobs import backup_device
from agent.runtime import Runtime
from bss_bridge.provisioning import submit_many
from inventory.accounts import create_token, create_user
from inventory.choices import AlarmState, Role, TxDeviceState, TxState
from inventory.fault_models import Alarm
from inventory.models import Device
from inventory.provisioning_models import ConfigAccess, Transaction
from inventory.store import import_hosts
from tests.e2e.conftest import SimLab, lab_inventory, start_lab, stop_lab
from tests.e2e.test_sim_discovery import run_all
from web import create_app

pytestmark = pytest.mark.slow

ACC1_PORT, PE1_PORT, ACC2_PORT = "Ethernet7", "ethernet-1/9", "Ethernet8"


def l2vpn(sid: str = "EVPL-1", vlan: int = 610, bw: int = 50, action: str = "create") -> dict[str, Any]:
    return {
        "service": "l2vpn-p2p",
        "action": action,
        "params": {
            "service_id": sid,
            "customer_id": "CUST-42",
            "vlan": vlan,
            "bandwidth_mbps": bw,
            "endpoints": [{"device": "acc1", "port": ACC1_PORT}, {"device": "pe1", "port": PE1_PORT}],
        },
    }


def internet(sid: str = "INET-1", bw: int = 100, action: str = "create") -> dict[str, Any]:
    return {
        "service": "internet-access",
        "action": action,
        "params": {
            "service_id": sid,
            "customer_id": "CUST-77",
            "device": "acc2",
            "port": ACC2_PORT,
            "vlan": 720,
            "ipv4": "198.51.100.1/30",
            "bandwidth_mbps": bw,
        },
    }


@pytest.fixture(scope="module")
def prov_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimLab]:
    lab = start_lab(tmp_path_factory.mktemp("provlab"))
    try:
        yield lab
    finally:
        stop_lab(lab)


@pytest.fixture
def ctx(sqlite_ctx: Context, prov_lab: SimLab) -> Context:
    """The agent's store (under OSSAGENT_HOME, which a CLI subprocess also finds) with the
    lab imported and discovered."""
    hosts, profiles = lab_inventory(prov_lab)
    with sqlite_ctx.begin() as s:
        import_hosts(s, hosts, profiles)
    results = run_all(sqlite_ctx, run_discovery, ["acc1", "acc2", "pe1"])
    assert all(r.ok for r in results), [r.error for r in results]
    return sqlite_ctx


def running(lab: SimLab, node: str) -> str:
    return str(lab.fault(op="config-show", node=node)["running"])


def configs(lab: SimLab) -> dict[str, str]:
    return {n: running(lab, n) for n in ("acc1", "acc2", "pe1")}


def run(ctx: Context, requests: list[dict[str, Any]], **kw: Any) -> tuple[TxState, str]:
    with ctx.begin() as s:
        tx_id = submit_many(s, requests, user="test", origin="test", **kw).id
    return Executor(ctx, fault="").run(tx_id), tx_id


def tx_doc(ctx: Context, tx_id: str) -> tuple[Transaction, dict[str, tuple[TxDeviceState, str, str]]]:
    with ctx.begin() as s:
        tx = s.get(Transaction, tx_id)
        assert tx is not None
        devs = {td.device.name: (td.state, td.payload, td.error or "") for td in tx.devices}
        s.expunge(tx)
        return tx, devs


def test_l2vpn_dry_run_create_modify_delete_restores_exactly(ctx: Context, prov_lab: SimLab) -> None:
    before = configs(prov_lab)
    state, tx_id = run(ctx, [l2vpn()], dry_run=True)
    assert state is TxState.DRY_RUN
    _, devs = tx_doc(ctx, tx_id)
    assert set(devs) == {"acc1", "pe1"} and all(d[0] is TxDeviceState.DISCARDED for d in devs.values())
    assert configs(prov_lab) == before, "a dry run changed a device"

    state, tx_id = run(ctx, [l2vpn()])
    assert state is TxState.DONE, tx_doc(ctx, tx_id)[0].error
    after = configs(prov_lab)
    assert "vlan 610" in after["acc1"] or "610" in after["acc1"]
    assert "610" in after["pe1"] and after["acc2"] == before["acc2"]
    shown = prov_lab.fault(op="config-show", node="acc1")
    assert shown["startup_saved"] and shown["pending_confirm"] is None

    # Modify: only the bandwidth moves, on both ends.
    state, tx_id = run(ctx, [l2vpn(bw=80, action="modify")])
    assert state is TxState.DONE, tx_doc(ctx, tx_id)[0].error
    _, devs = tx_doc(ctx, tx_id)
    acc1_change = devs["acc1"][1].splitlines()
    assert acc1_change and all(
        "80" in ln or "50" in ln or not ln.strip().startswith(("no ", "police", "rate")) for ln in acc1_change
    )
    assert (
        "610" not in "\n".join(ln for ln in acc1_change if "vlan" in ln and "encapsulation" not in ln)
        or len(acc1_change) <= 4
    )
    moved = configs(prov_lab)
    for node in ("acc1", "pe1"):
        old, new = set(after[node].splitlines()), set(moved[node].splitlines())
        assert old - new and new - old, f"{node}: nothing moved"
        assert all("80" in ln for ln in new - old), (node, new - old)

    # Delete: back to exactly the configuration before the service.
    state, tx_id = run(ctx, [l2vpn(bw=80, action="delete")])
    assert state is TxState.DONE, tx_doc(ctx, tx_id)[0].error
    assert configs(prov_lab) == before


def test_refusal_on_one_device_leaves_every_device_as_it_was(ctx: Context, prov_lab: SimLab) -> None:
    before = configs(prov_lab)
    prov_lab.fault(op="fail-commit", node="acc2", count=1, message="% TCAM full (injected)")
    state, tx_id = run(ctx, [l2vpn(sid="EVPL-2", vlan=611), internet(sid="INET-2")])
    tx, devs = tx_doc(ctx, tx_id)
    assert state is TxState.ROLLED_BACK, tx.error
    assert tx.error and "acc2" in tx.error and "TCAM full" in tx.error
    assert configs(prov_lab) == before
    assert devs["acc2"][0] in (TxDeviceState.FAILED, TxDeviceState.ROLLED_BACK, TxDeviceState.DISCARDED)
    assert {devs["acc1"][0], devs["pe1"][0]} <= {TxDeviceState.ROLLED_BACK, TxDeviceState.DISCARDED}
    with ctx.begin() as s:
        assert s.scalar(select(Transaction.state).where(Transaction.id == tx_id)) is TxState.ROLLED_BACK


@pytest.mark.parametrize(
    "point", ["prepare:2", "commit:1", "commit:3", "verify:2", "confirming:1", "confirm:1"]
)
def test_agent_killed_mid_transaction_recovers_to_all_or_nothing(
    ctx: Context, prov_lab: SimLab, tmp_path: Path, point: str
) -> None:
    """The executor runs in a real process that SIGKILLs itself at the step; a new executor
    (as the agent does at start) drives the transaction to a consistent end."""
    before = configs(prov_lab)
    sid = f"EVPL-K{point.replace(':', '')}"
    request = tmp_path / "req.yaml"
    request.write_text(
        yaml.safe_dump(
            {"services": [l2vpn(sid=sid, vlan=612), internet(sid=f"INET-K{point.replace(':', '')}")]}
        )
    )
    env = {**os.environ, "OSSAGENT_TX_FAULT": f"kill:{point}"}
    r = subprocess.run(
        [sys.executable, "-P", "-m", "agent", "provision", "apply", str(request), "--format", "json"],
        env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert r.returncode == -9, (r.returncode, r.stdout[-2000:], r.stderr[-2000:])
    with ctx.begin() as s:
        tx_id = s.scalars(select(Transaction.id).order_by(Transaction.created_at.desc())).first()
    assert tx_id is not None
    final = Executor(ctx, fault="").recover(tx_id)
    after = configs(prov_lab)
    if point.startswith(("confirming", "confirm:")):
        assert final is TxState.DONE, tx_doc(ctx, tx_id)[0].error
        assert all(after[n] != before[n] for n in ("acc1", "acc2", "pe1"))
        for n in ("acc1", "acc2", "pe1"):
            shown = prov_lab.fault(op="config-show", node=n)
            assert shown["pending_confirm"] is None and shown["startup_saved"], (n, shown)
        undo, _ = run(
            ctx,
            [
                l2vpn(sid=sid, vlan=612, action="delete"),
                internet(sid=f"INET-K{point.replace(':', '')}", action="delete"),
            ],
        )
        assert undo is TxState.DONE
        assert configs(prov_lab) == before
    else:
        assert final is TxState.ROLLED_BACK, tx_doc(ctx, tx_id)[0].error
        assert after == before
        for n in ("acc1", "acc2", "pe1"):
            assert prov_lab.fault(op="config-show", node=n)["pending_confirm"] is None


def test_drift_is_reported_on_the_service_whose_lines_moved(ctx: Context, prov_lab: SimLab) -> None:
    state, tx_id = run(ctx, [internet(sid="INET-D")])
    assert state is TxState.DONE, tx_doc(ctx, tx_id)[0].error
    # Someone edits the customer's subinterface by hand.
    prov_lab.fault(
        op="config-edit", node="acc2", lines=[f"interface {ACC2_PORT}.720", "description hand-edited"]
    )
    with ctx.begin() as s:
        acc2 = s.scalars(select(Device).where(Device.name == "acc2")).one().id
    # The scheduled check (a backup over SSH, then the drift comparison) reports it.
    rt = Runtime(ctx)
    try:
        ok, note = backup_device(rt, acc2, "scheduled")
    finally:
        rt.close()
    assert ok and "drift on 1 service" in note, note
    with ctx.begin() as s:
        alarm = s.scalars(select(Alarm).where(Alarm.reduction_key.like("acc2/service=INET-D/%"))).one()
        assert alarm.state is not AlarmState.CLEARED
    # A new change on a drifted device is refused unless forced.
    state, tx_id = run(ctx, [internet(sid="INET-D", bw=200, action="modify")])
    tx, _ = tx_doc(ctx, tx_id)
    assert state is TxState.ROLLED_BACK and "drifted" in (tx.error or "")
    state, tx_id = run(ctx, [internet(sid="INET-D", bw=200, action="modify")], force=True)
    assert state is TxState.DONE, tx_doc(ctx, tx_id)[0].error
    assert "police rate 200" in running(prov_lab, "acc2")
    # Forcing changes what the request changes and nothing else: the hand edit stays reported.
    assert [d.service for d in apply_drift(ctx, acc2, running(prov_lab, "acc2"))] == ["INET-D"]
    prov_lab.fault(
        op="config-edit",
        node="acc2",
        lines=[f"interface {ACC2_PORT}.720", "description INET-D CUST-77 internet"],
    )
    assert not apply_drift(ctx, acc2, running(prov_lab, "acc2"))
    with ctx.begin() as s:
        assert (
            s.scalars(select(Alarm).where(Alarm.reduction_key.like("acc2/service=INET-D/%"))).one().state
            is AlarmState.CLEARED
        )
    state, _ = run(ctx, [internet(sid="INET-D", bw=200, action="delete")])
    assert state is TxState.DONE


def test_rotated_host_key_is_refused_and_alarmed(ctx: Context, prov_lab: SimLab) -> None:
    before = configs(prov_lab)
    # First contact records the key (trust on first use).
    state, tx_id = run(ctx, [internet(sid="INET-H")], dry_run=True)
    assert state is TxState.DRY_RUN, tx_doc(ctx, tx_id)[0].error
    with ctx.begin() as s:
        acc2 = s.scalars(select(Device).where(Device.name == "acc2")).one().id
        assert s.get(ConfigAccess, acc2).host_key  # type: ignore[union-attr]
    prov_lab.fault(op="host-key-rotate", node="acc2")
    state, tx_id = run(ctx, [internet(sid="INET-H")])
    tx, _ = tx_doc(ctx, tx_id)
    assert state is not TxState.DONE and "host key" in (tx.error or "").lower()
    assert configs(prov_lab) == before
    with ctx.begin() as s:
        alarms = s.scalars(
            select(Alarm).where(Alarm.device_id == acc2, Alarm.state != AlarmState.CLEARED)
        ).all()
        assert any("host" in a.reduction_key for a in alarms), [a.reduction_key for a in alarms]


def test_canary_secrets_never_rest_in_backups_logs_or_api(ctx: Context, prov_lab: SimLab, home: Path) -> None:
    """Secrets on a device (a local user's password, an SNMP community) and the login the
    agent uses: after a transaction (pre/post backups, journal) and a scheduled backup, none
    is in the database files, the logs, or any API answer about them."""
    pw, community = "canary-e2e-pw-XYZ", "canary-e2e-comm-XYZ"
    prov_lab.fault(
        op="config-edit",
        node="acc2",
        lines=[f"username canary privilege 15 secret 0 {pw}", f"snmp-server community {community} ro"],
    )
    login = prov_lab.node("acc2").password
    try:
        state, tx_id = run(ctx, [internet(sid="INET-S")])
        assert state is TxState.DONE, tx_doc(ctx, tx_id)[0].error
        with ctx.begin() as s:
            acc2 = s.scalars(select(Device).where(Device.name == "acc2")).one().id
        rt = Runtime(ctx)
        try:
            ok, _ = backup_device(rt, acc2, "scheduled")
        finally:
            rt.close()
        assert ok
        assert pw in running(prov_lab, "acc2")  # the device really holds them
        app = create_app({"DATABASE_URL": ctx.settings.database_url, "SECRET_KEY": "k" * 32, "TESTING": True})
        with ctx.begin() as s:
            user = create_user(s, "auditor", "a-long-password-1", Role.ADMIN)
            token = create_token(s, user)
        client = app.test_client()
        auth = {"Authorization": f"Bearer {token}"}
        answers = []
        for path in (f"/api/v1/transactions/{tx_id}", "/api/v1/transactions", "/api/v1/config/acc2/versions",
                     "/api/v1/config/acc2/diff", "/api/v1/config/drift", "/api/v1/devices/acc2"):  # fmt: skip
            r = client.get(path, headers=auth)
            assert r.status_code == 200, (path, r.status_code)
            answers.append(r.get_data(as_text=True))
        versions = client.get("/api/v1/config/acc2/versions", headers=auth).get_json()
        items = (
            versions if isinstance(versions, list) else versions.get("versions", versions.get("items", []))
        )
        for v in items:
            r = client.get(f"/api/v1/config/acc2/versions/{v['id']}", headers=auth)
            assert r.status_code == 200
            answers.append(r.get_data(as_text=True))
        assert any("<masked:" in a for a in answers)  # the configurations were there, masked
        stored = b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file())
        # The lab's login is checked too where it is distinctive (the sim's default "admin" is
        # also a user name, so it is in the database as a name, which proves nothing).
        canaries = [pw, community] + ([login] if len(login) >= 8 and login != "admin" else [])
        for canary in canaries:
            assert canary.encode() not in stored, f"{canary} rests in {home}"
            assert not any(canary in a for a in answers), f"{canary} in an API answer"
    finally:
        prov_lab.fault(
            op="config-edit",
            node="acc2",
            lines=["no username canary", f"no snmp-server community {community}"],
        )
        run(ctx, [internet(sid="INET-S", action="delete")])
