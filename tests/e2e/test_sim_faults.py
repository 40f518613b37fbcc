"""Issue 3 end to end on the simulated lab, with the whole agent running (scheduler, poller,
trap receiver, announcer, outbox): link cuts raise and clear alarms from real traps, a dead
core router gives one root alarm with the routers behind it suppressed, a dual-homed device
stays unsuppressed, a flapping port gives one flapping alarm, maintenance marks planned, and
hub listeners get settled, signed TMF642 events."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from agent.context import Context
from agent.outbox import signing_key, verify
from agent.scheduler import run_agent
from inventory.choices import AlarmState, DeviceStatus
from inventory.fault_models import Alarm, MaintenanceTarget, MaintenanceWindow
from inventory.hub import parse_networks, register
from inventory.models import Device
from inventory.store import import_hosts
from inventory.types import utcnow
from tests.agent_harness import Background
from tests.e2e.conftest import SimLab, lab_inventory, start_lab, stop_lab
from tests.helpers import wait_for


class Listener:
    """A real HTTP listener that records what the hub delivers."""

    def __init__(self) -> None:
        self.events: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.events.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_port}/listener"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def docs(self) -> list[dict[str, Any]]:
        return [json.loads(b) for _, b in self.events]

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimLab]:
    # Its own lab: these tests take nodes down and restart things.
    lab = start_lab(tmp_path_factory.mktemp("faultlab"))
    try:
        yield lab
    finally:
        stop_lab(lab)


@pytest.fixture
def agent(sqlite_ctx: Context, lab: SimLab) -> Iterator[tuple[Context, Listener]]:
    ctx = sqlite_ctx
    ctx.settings = replace(
        ctx.settings, poll_interval_s=2, reconcile_interval_s=1, snmp_timeout_s=1.0, snmp_retries=1,
        trap_host="127.0.0.1", trap_port=lab.trap_port, hub_allow_networks="127.0.0.0/8", flap_window_s=60,
        flap_stable_s=4, fault_settle_s=1.0,
    )  # fmt: skip
    hosts, profiles = lab_inventory(lab)
    listener = Listener()
    with ctx.begin() as s:
        import_hosts(s, hosts, profiles)
        register(s, "alarm", listener.url, "", "test", parse_networks("127.0.0.0/8"))
    bg = Background(ctx, run_agent)
    try:
        wait_for(lambda: _all_polled(ctx), timeout=30, what="every device discovered and polled")
        yield ctx, listener
    finally:
        bg.close()
        listener.close()
        # leave the lab as we found it
        for node in ("core1", "pe1", "acc1"):
            lab.fault(op="node", node=node, state="up")


def _all_polled(ctx: Context) -> bool:
    with ctx.begin() as s:
        devices = list(s.scalars(select(Device)))
        return bool(devices) and all(
            d.last_polled is not None and d.status is DeviceStatus.UP for d in devices
        )


def active(ctx: Context) -> dict[str, Alarm]:
    with ctx.begin() as s:
        return {a.reduction_key: a for a in s.scalars(select(Alarm).where(Alarm.state != AlarmState.CLEARED))}


# The sim's traffic follows the clock (a sine anchored to wall time), so at some hours a core
# link runs above the utilisation threshold: such alarms are real, and not what these tests
# are about.
THRESHOLD_KINDS = ("util-in", "util-out", "errors-in", "errors-out")


def outages(ctx: Context) -> dict[str, Alarm]:
    return {k: a for k, a in active(ctx).items() if not k.endswith(THRESHOLD_KINDS)}


def alarms(ctx: Context) -> dict[str, list[Alarm]]:
    out: dict[str, list[Alarm]] = {}
    with ctx.begin() as s:
        for a in s.scalars(select(Alarm).order_by(Alarm.id)):
            _ = [h.action for h in a.history]  # load it while the session is open
            out.setdefault(a.reduction_key, []).append(a)
    return out


def test_link_cut_one_alarm_per_end_one_root_cleared_on_restore(agent, lab: SimLab) -> None:  # type: ignore[no-untyped-def]
    ctx, listener = agent
    lab.fault(op="link", node="pe2", interface="ethernet-1/3", state="down")  # pe2 <-> acc2
    keys = {"pe2/ifIndex=81918/link", "acc2/ifIndex=1/link"}
    wait_for(lambda: keys <= set(active(ctx)), timeout=15, what="both ends alarmed")
    act = active(ctx)
    roots = [k for k in keys if act[k].is_root_cause]
    assert len(roots) == 1
    other = (keys - set(roots)).pop()
    assert act[other].suppressed_by_id == act[roots[0]].id and "same link" in act[other].correlation
    # let the burst settle and be announced before restoring
    wait_for(
        lambda: sum(d["eventType"] == "AlarmCreateEvent" for d in listener.docs()) >= 2,
        timeout=10,
        what="announced",
    )
    lab.fault(op="link", node="pe2", interface="ethernet-1/3", state="up")
    wait_for(lambda: not (keys & set(active(ctx))), timeout=15, what="both cleared")
    everything = alarms(ctx)
    for k in keys:
        assert len(everything[k]) == 1  # one alarm raised then cleared per interface, not one per trap/poll
        assert next(h.action for h in everything[k][0].history) == "raised"
    # the hub got a signed create event for the root, after the burst settled
    wait_for(
        lambda: any(d["eventType"] == "AlarmCreateEvent" for d in listener.docs()),
        timeout=10,
        what="hub event",
    )
    with ctx.begin() as s:
        key = signing_key(s)
    for headers, body in listener.events:
        assert verify(key, headers, body)
    created = {
        d["event"]["alarm"]["externalAlarmId"]: d["event"]["alarm"]
        for d in listener.docs()
        if d["eventType"] == "AlarmCreateEvent"
    }
    assert keys <= set(created)
    assert sum(1 for k in keys if created[k]["isRootCause"]) == 1  # correlation was settled before announcing
    ids = [d["eventId"] for d in listener.docs()]
    assert len(ids) == len(set(ids))


def test_core_down_one_root_behind_it_suppressed_dual_homed_not(agent, lab: SimLab) -> None:  # type: ignore[no-untyped-def]
    ctx, _ = agent
    reply = lab.fault(op="node", node="core1", state="down")
    assert set(reply["unreachable"]) == {"pe1", "acc1"}  # type: ignore[arg-type]
    wait_for(lambda: {"core1/device/device", "pe1/device/device", "acc1/device/device"} <= set(active(ctx)),
             timeout=20, what="device alarms")  # fmt: skip
    wait_for(
        lambda: active(ctx)["acc1/device/device"].suppressed_by_id is not None, timeout=10, what="correlated"
    )
    act = active(ctx)
    root = act["core1/device/device"]
    assert root.is_root_cause
    for key in ("pe1/device/device", "acc1/device/device"):
        assert act[key].suppressed_by_id == root.id and act[key].correlation, key
    assert "pe2/device/device" not in act and "acc2/device/device" not in act  # dual-homed: still reachable
    # ports that faced core1 went dark on the neighbours that are still reachable: symptoms
    facing = [a for k, a in act.items() if k.endswith("/link") and k.split("/")[0] in ("core2", "pe2")]
    assert facing and all(a.suppressed_by_id == root.id for a in facing)
    roots = [
        a for k, a in act.items() if a.is_root_cause and not a.planned and not k.endswith(THRESHOLD_KINDS)
    ]
    assert [a.reduction_key for a in roots] == ["core1/device/device"]
    lab.fault(op="node", node="core1", state="up")
    try:
        wait_for(lambda: not outages(ctx), timeout=40, what="all clear after core1 returns")
    except AssertionError:
        with ctx.begin() as s:
            for d in s.scalars(select(Device)):
                print("DEV", d.name, d.status, d.last_polled, d.last_error)
        print("ACTIVE", sorted(active(ctx)))
        print(lab.fault(op="status"))
        raise


def test_flapping_port_one_flapping_alarm_cleared_when_stable(agent, lab: SimLab) -> None:  # type: ignore[no-untyped-def]
    ctx, _ = agent
    for _ in range(4):
        lab.fault(op="link", node="core1", interface="Ethernet1", state="down")
        wait_for(lambda: "core1/ifIndex=1/link" in active(ctx), timeout=10, what="down")
        lab.fault(op="link", node="core1", interface="Ethernet1", state="up")
        wait_for(lambda: "core1/ifIndex=1/link" not in active(ctx), timeout=10, what="up")
    flaps = [a for k, group in alarms(ctx).items() if k.endswith("/flapping") for a in group]
    assert len(flaps) == 2  # one per end of the link, never one per transition
    wait_for(
        lambda: not [k for k in active(ctx) if k.endswith("/flapping")],
        timeout=20,
        what="flapping cleared when stable",
    )


def test_maintenance_window_marks_planned_and_notifies_no_one(agent, lab: SimLab) -> None:  # type: ignore[no-untyped-def]
    ctx, listener = agent
    with ctx.begin() as s:
        pe1 = s.scalars(select(Device).where(Device.name == "pe1")).one()
        acc1 = s.scalars(select(Device).where(Device.name == "acc1")).one()
        w = MaintenanceWindow(
            name="pe1 works", starts_at=utcnow() - timedelta(minutes=1), ends_at=utcnow() + timedelta(hours=1)
        )
        w.targets += [MaintenanceTarget(device_id=pe1.id), MaintenanceTarget(device_id=acc1.id)]
        s.add(w)
    before = len(listener.events)
    lab.fault(op="link", node="pe1", interface="ethernet-1/3", state="down")
    wait_for(lambda: "pe1/ifIndex=81918/link" in active(ctx), timeout=15, what="alarm")
    import time

    time.sleep(2.5)  # past the settle time: it would have been announced by now
    assert active(ctx)["pe1/ifIndex=81918/link"].planned
    lab.fault(op="link", node="pe1", interface="ethernet-1/3", state="up")
    wait_for(lambda: "pe1/ifIndex=81918/link" not in active(ctx), timeout=15, what="cleared")
    time.sleep(1.5)
    docs = [json.loads(b) for _, b in listener.events[before:]]
    assert not [
        d
        for d in docs
        if "pe1" in d["event"]["alarm"]["externalAlarmId"] or "acc1" in d["event"]["alarm"]["externalAlarmId"]
    ]
