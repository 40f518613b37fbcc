"""The fault engine on the store (SQLite and PostgreSQL): dedup, clear, flapping, maintenance,
correlation from the topology, and impact on services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from agent.context import Context
from agent.faults.correlate import DEVICE_DOWN, LINK_DOWN
from agent.faults.engine import FaultConfig, Signal, sweep
from agent.faults.impact import affected_resources, impacted_services
from agent.faults.process import process
from agent.faults.topology import recorrelate
from inventory.alarm_ops import acknowledge
from inventory.choices import AckState, AlarmState, EventSource, IfStatus, LinkSource, Severity
from inventory.fault_models import (
    Alarm,
    MaintenanceTarget,
    MaintenanceWindow,
    ManagementPath,
    Service,
    ServiceResource,
)
from inventory.models import Device, Interface, Link

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
CFG = FaultConfig(settle_s=1.0, flap_episodes=3, flap_window_s=300, flap_stable_s=120)


def build_demo(ctx: Context) -> dict[str, int]:
    """core1, core2, pe1 (via core1), pe2 (via both), acc1 (via pe1), acc2 (via pe1, pe2)."""
    ids: dict[str, int] = {}
    with ctx.begin() as s:
        devs = {}
        for name in ("core1", "core2", "pe1", "pe2", "acc1", "acc2"):
            d = Device(name=name, host="127.0.0.1", sys_name=name)
            for n in range(1, 5):
                d.interfaces.append(Interface(if_index=n, name=f"e{n}", speed_bps=10**9,
                                              admin_status=IfStatus.UP, oper_status=IfStatus.UP))  # fmt: skip
            s.add(d)
            devs[name] = d
        s.flush()
        for child, parents in {
            "pe1": ["core1"],
            "pe2": ["core1", "core2"],
            "acc1": ["pe1"],
            "acc2": ["pe1", "pe2"],
        }.items():
            for p in parents:
                s.add(ManagementPath(device_id=devs[child].id, via_device_id=devs[p].id))

        def link(a: str, ai: int, b: str, bi: int) -> None:
            la, lb = devs[a].interfaces[ai - 1], devs[b].interfaces[bi - 1]
            s.add(Link(local_interface_id=la.id, remote_interface_id=lb.id, remote_sys_name=b,
                       remote_chassis_id=b, remote_port_id=lb.name, source=LinkSource.LLDP))  # fmt: skip

        link("core1", 2, "pe1", 1)
        link("core1", 3, "pe2", 1)
        link("core2", 3, "pe2", 2)
        link("pe1", 3, "acc1", 1)
        ids = {n: d.id for n, d in devs.items()}
    return ids


def sig(dev: int, kind: str, raise_: bool, dt: float = 0, if_index: int | None = None, **kw) -> Signal:  # type: ignore[no-untyped-def]
    return Signal(dev, kind, raise_, T0 + timedelta(seconds=dt), EventSource.TRAP, if_index=if_index, **kw)


def active(ctx: Context) -> dict[str, Alarm]:
    with ctx.begin() as s:
        return {a.reduction_key: a for a in s.scalars(select(Alarm).where(Alarm.state != AlarmState.CLEARED))}


def test_dedup_and_pairwise_clear(ctx: Context) -> None:
    ids = build_demo(ctx)
    with ctx.begin() as s:
        out = process(s, [sig(ids["pe1"], LINK_DOWN, True, i * 0.001, 3) for i in range(2000)], CFG, T0)
    assert out.actions["created"] == 1 and out.actions["updated"] == 1999
    a = active(ctx)["pe1/ifIndex=3/link"]
    assert a.occurrences == 2000 and a.state is AlarmState.UPDATED and a.perceived_severity is Severity.MAJOR
    assert a.alarmed_object == "pe1:e3" and a.specific_problem == "e3 oper-status down"
    with ctx.begin() as s:
        process(s, [sig(ids["pe1"], LINK_DOWN, False, 5, 3)], CFG, T0)
        cleared = s.get(Alarm, a.id)
        assert cleared is not None and cleared.state is AlarmState.CLEARED and cleared.cleared_at is not None
        assert [h.action for h in cleared.history] == ["raised", "cleared"]
    assert "pe1/ifIndex=3/link" not in active(ctx)
    with ctx.begin() as s:  # the next cut is a new alarm, not the old one revived
        process(s, [sig(ids["pe1"], LINK_DOWN, True, 10, 3)], CFG, T0)
        assert s.scalar(select(func.count()).select_from(Alarm)) == 2


def test_only_one_active_alarm_per_key_even_without_the_cache(ctx: Context) -> None:
    from sqlalchemy.exc import IntegrityError

    ids = build_demo(ctx)
    with ctx.begin() as s:
        process(s, [sig(ids["pe1"], LINK_DOWN, True, 0, 3)], CFG, T0)
    with pytest.raises(IntegrityError), ctx.begin() as s:
        a = s.scalars(select(Alarm)).one()
        s.add(Alarm(reduction_key=a.reduction_key, alarmed_object_type=a.alarmed_object_type,
                    alarmed_object="x", alarm_type=a.alarm_type, probable_cause="x",
                    perceived_severity=Severity.MAJOR, source=EventSource.TRAP))  # fmt: skip
        s.flush()


def test_flapping_one_alarm_then_cleared_when_stable(ctx: Context) -> None:
    ids = build_demo(ctx)
    pe1 = ids["pe1"]
    with ctx.begin() as s:
        signals = []
        for k in range(4):  # 4 down/up episodes in 40 s
            signals += [sig(pe1, LINK_DOWN, True, k * 10, 3), sig(pe1, LINK_DOWN, False, k * 10 + 5, 3)]
        signals.append(sig(pe1, LINK_DOWN, True, 50, 3))
        process(s, signals, CFG, T0 + timedelta(seconds=50))
    act = active(ctx)
    flap = act["pe1/ifIndex=3/flapping"]
    assert flap.alarm_type.value == "communicationsAlarm" and "transitions" in flap.specific_problem
    link = act["pe1/ifIndex=3/link"]
    assert link.suppressed_by_id == flap.id and link.correlation == "the interface is flapping"
    with ctx.begin() as s:
        assert (
            s.scalar(select(func.count()).select_from(Alarm).where(Alarm.reduction_key.like("%flapping")))
            == 1
        )
        assert sweep(s, CFG, T0 + timedelta(seconds=100)) == 0  # not stable long enough yet
        process(s, [sig(pe1, LINK_DOWN, False, 60, 3)], CFG, T0 + timedelta(seconds=60))
    with ctx.begin() as s:
        assert sweep(s, CFG, T0 + timedelta(seconds=60 + 121)) == 1
    assert "pe1/ifIndex=3/flapping" not in active(ctx)


def test_core_down_one_root_and_reasons(ctx: Context) -> None:
    ids = build_demo(ctx)
    with ctx.begin() as s:
        process(
            s,
            [
                sig(ids["core1"], DEVICE_DOWN, True, 0),
                sig(ids["pe1"], DEVICE_DOWN, True, 0.2),
                sig(ids["acc1"], DEVICE_DOWN, True, 0.3),
                sig(ids["pe2"], LINK_DOWN, True, 0.1, 1),  # pe2's port facing core1
            ],
            CFG,
            T0,
        )
    act = active(ctx)
    root = act["core1/device/device"]
    assert root.is_root_cause and root.suppressed_by_id is None
    for key in ("pe1/device/device", "acc1/device/device", "pe2/ifIndex=1/link"):
        assert act[key].suppressed_by_id == root.id and not act[key].is_root_cause, key
        assert act[key].correlation
    with ctx.begin() as s:  # the history says why
        pe1 = s.get(Alarm, act["pe1/device/device"].id)
        assert pe1 is not None and any(h.action == "suppressed" and "core1" in h.text for h in pe1.history)
    # core1 back: for the settle time pe1 stays explained by core1 (its own clear may be
    # seconds away); after it, pe1 and acc1 (still down) have their own root again
    with ctx.begin() as s:
        process(s, [sig(ids["core1"], DEVICE_DOWN, False, 30)], CFG, T0 + timedelta(seconds=30))
    assert active(ctx)["pe1/device/device"].suppressed_by_id == root.id
    with ctx.begin() as s:
        recorrelate(s, T0 + timedelta(seconds=30 + CFG.settle_s + 0.1), CFG.settle_s)
    act = active(ctx)
    assert act["pe1/device/device"].is_root_cause
    assert act["acc1/device/device"].suppressed_by_id == act["pe1/device/device"].id


def test_dual_homed_stays_unsuppressed(ctx: Context) -> None:
    ids = build_demo(ctx)
    with ctx.begin() as s:
        process(
            s, [sig(ids["core1"], DEVICE_DOWN, True, 0), sig(ids["pe2"], DEVICE_DOWN, True, 0.1)], CFG, T0
        )
    assert active(ctx)["pe2/device/device"].is_root_cause


def test_maintenance_window_marks_planned(ctx: Context) -> None:
    ids = build_demo(ctx)
    with ctx.begin() as s:
        w = MaintenanceWindow(
            name="pe1 upgrade", starts_at=T0 - timedelta(minutes=5), ends_at=T0 + timedelta(hours=1)
        )
        w.targets.append(MaintenanceTarget(device_id=ids["pe1"]))
        s.add(w)
    with ctx.begin() as s:
        process(s, [sig(ids["pe1"], LINK_DOWN, True, 0, 3), sig(ids["pe2"], LINK_DOWN, True, 0, 3)], CFG, T0)
    act = active(ctx)
    assert act["pe1/ifIndex=3/link"].planned and act["pe1/ifIndex=3/link"].maintenance_window_id is not None
    assert not act["pe2/ifIndex=3/link"].planned


def test_impact_reaches_services_behind_the_root(ctx: Context) -> None:
    ids = build_demo(ctx)
    with ctx.begin() as s:
        acc_port = s.scalars(
            select(Interface).where(Interface.device_id == ids["acc1"], Interface.if_index == 4)
        ).one()
        acc_uplink = s.scalars(
            select(Interface).where(Interface.device_id == ids["acc1"], Interface.if_index == 1)
        ).one()
        svc_acc = Service(name="acme internet", customer_ref="CUST-1")
        svc_acc.resources.append(
            ServiceResource(device_id=ids["acc1"], interface_id=acc_port.id, role="access")
        )
        svc_acc.resources.append(
            ServiceResource(device_id=ids["acc1"], interface_id=acc_uplink.id, role="uplink")
        )
        svc_pe2 = Service(name="other", customer_ref="CUST-2")
        svc_pe2.resources.append(ServiceResource(device_id=ids["pe2"], role="pe"))
        s.add_all([svc_acc, svc_pe2])
    with ctx.begin() as s:
        process(s, [sig(ids["core1"], DEVICE_DOWN, True, 0), sig(ids["pe1"], DEVICE_DOWN, True, 0.1),
                    sig(ids["acc1"], DEVICE_DOWN, True, 0.1)], CFG, T0)  # fmt: skip
    with ctx.begin() as s:
        root = s.scalars(select(Alarm).where(Alarm.reduction_key == "core1/device/device")).one()
        res = affected_resources(s, root)
        assert {r.device_id for r in res} == {ids["core1"], ids["pe1"], ids["acc1"]}
        assert [x.name for x in impacted_services(s, root)] == ["acme internet"]
    # a cut of acc1's uplink (seen on pe1's side) impacts the service riding on that uplink
    with ctx.begin() as s:
        process(s, [sig(ids["core1"], DEVICE_DOWN, False, 9), sig(ids["pe1"], DEVICE_DOWN, False, 9),
                    sig(ids["acc1"], DEVICE_DOWN, False, 9)], CFG, T0)  # fmt: skip
        process(s, [sig(ids["pe1"], LINK_DOWN, True, 10, 3)], CFG, T0)
        link = s.scalars(select(Alarm).where(Alarm.reduction_key == "pe1/ifIndex=3/link")).one()
        assert {r.device_id for r in affected_resources(s, link)} == {ids["pe1"], ids["acc1"]}
        assert [x.name for x in impacted_services(s, link)] == ["acme internet"]
        process(
            s, [sig(ids["pe1"], LINK_DOWN, False, 11, 3), sig(ids["pe1"], LINK_DOWN, True, 12, 2)], CFG, T0
        )
        other = s.scalars(select(Alarm).where(Alarm.reduction_key == "pe1/ifIndex=2/link")).one()
        assert impacted_services(s, other) == []  # a port no service uses


def test_ack_and_thresholds_do_not_count_repeats(ctx: Context) -> None:
    ids = build_demo(ctx)
    with ctx.begin() as s:
        for i in range(3):
            process(s, [sig(ids["pe1"], "util-in", True, i, 3, count_repeat=False)], CFG, T0)
        a = s.scalars(select(Alarm)).one()
        assert a.occurrences == 1 and a.state is AlarmState.RAISED
        assert acknowledge(a, "alice", T0) and not acknowledge(a, "alice", T0)
        assert a.ack_state is AckState.ACKNOWLEDGED and a.history[-1].user == "alice"
