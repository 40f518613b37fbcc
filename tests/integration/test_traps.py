"""The trap pipeline end to end: a UDP socket, the decoder, events and alarms in the store.
Sources: Net-SNMP's snmptrap command, and our encoder for volumes."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from agent.context import Context
from agent.runtime import Runtime
from agent.traps import TrapService, receiver_engine_id
from collectors.traps.receiver import TrapReceiver
from inventory.choices import AlarmState, IfStatus, SnmpAuthProto, SnmpPrivProto
from inventory.domain import InventoryHost, SnmpCredentials
from inventory.fault_models import AgentCounter, Alarm, Event
from inventory.models import Device, Interface
from inventory.store import upsert_host
from tests import trapgen
from tests.agent_harness import Background
from tests.helpers import have, wait_for

SENDER = "127.0.0.1"


@pytest.fixture
def traps(sqlite_ctx: Context) -> Iterator[tuple[Context, TrapReceiver, Background]]:
    ctx = sqlite_ctx
    with ctx.begin() as s:
        d, _ = upsert_host(s, InventoryHost(name="r1", host=SENDER, snmp=SnmpCredentials.v2c("public")))
        for n in (1, 2, 3):
            d.interfaces.append(
                Interface(if_index=n, name=f"eth{n}", admin_status=IfStatus.UP, oper_status=IfStatus.UP)
            )
        upsert_host(
            s,
            InventoryHost(
                name="r3",
                host="127.0.0.3",
                snmp=SnmpCredentials.v3(
                    "trapper", "auth-key-123", "priv-key-123", SnmpAuthProto.SHA, SnmpPrivProto.AES
                ),
            ),
        )
    receiver = TrapReceiver("127.0.0.1", 0, max_queue=50_000)

    async def main(rt: Runtime, stop: asyncio.Event) -> None:
        await receiver.start()
        try:
            await TrapService(rt, receiver).run(stop)
        finally:
            receiver.close()

    bg = Background(ctx, main)
    wait_for(lambda: receiver.port != 0, what="receiver bound")
    yield ctx, receiver, bg
    bg.close()


def count(ctx: Context, model, *where) -> int:  # type: ignore[no-untyped-def]
    with ctx.begin() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def snmptrap(*args: str) -> None:
    env = {**os.environ, "MIBS": "", "MIBDIRS": "/nonexistent"}
    subprocess.run(["snmptrap", *args], check=True, capture_output=True, env=env, timeout=10)


@pytest.mark.netsnmp
@pytest.mark.skipif(not have("snmptrap"), reason="Net-SNMP's snmptrap is not installed")
def test_netsnmp_link_down_up_pair_is_one_alarm_raised_then_cleared(traps) -> None:  # type: ignore[no-untyped-def]
    ctx, receiver, _ = traps
    target = f"udp:127.0.0.1:{receiver.port}"
    vb = [
        "1.3.6.1.2.1.2.2.1.1.2",
        "i",
        "2",
        "1.3.6.1.2.1.2.2.1.7.2",
        "i",
        "1",
        "1.3.6.1.2.1.2.2.1.8.2",
        "i",
        "2",
    ]
    snmptrap("-v2c", "-c", "public", target, "", "1.3.6.1.6.3.1.1.5.3", *vb)
    wait_for(lambda: count(ctx, Alarm) == 1, what="alarm from snmptrap")
    with ctx.begin() as s:
        alarm = s.scalars(select(Alarm)).one()
        assert alarm.reduction_key == "r1/ifIndex=2/link" and alarm.state is AlarmState.RAISED
        ev = s.scalars(select(Event)).one()
        assert ev.name == "linkDown" and ev.version == "v2c" and ev.alarm_id == alarm.id and ev.if_index == 2
    vb[-1] = "1"
    snmptrap("-v2c", "-c", "public", target, "", "1.3.6.1.6.3.1.1.5.4", *vb)
    wait_for(lambda: count(ctx, Alarm, Alarm.state == AlarmState.CLEARED) == 1, what="alarm cleared")
    assert count(ctx, Alarm) == 1 and count(ctx, Event) == 2
    # v1 (RFC 3584 translation) and an inform (Net-SNMP waits for our Response)
    snmptrap("-v1", "-c", "public", target, "1.3.6.1.4.1.8072.3.2.10", SENDER, "2", "0", "", *vb[:3])
    env = {**os.environ, "MIBS": ""}
    r = subprocess.run(["snmpinform", "-v2c", "-c", "public", "-t", "2", "-r", "0", target, "", "1.3.6.1.6.3.1.1.5.1"],
                       capture_output=True, text=True, env=env, timeout=10)  # fmt: skip
    assert r.returncode == 0, r.stderr  # the inform was acknowledged
    wait_for(lambda: count(ctx, Event) == 4, what="v1 trap and inform stored")
    with ctx.begin() as s:
        names = [e.name for e in s.scalars(select(Event).order_by(Event.id))]
        assert names == ["linkDown", "linkUp", "linkDown", "coldStart"]


@pytest.mark.netsnmp
@pytest.mark.skipif(not have("snmptrap"), reason="Net-SNMP's snmptrap is not installed")
def test_netsnmp_v3_traps_good_and_bad_credentials(traps) -> None:  # type: ignore[no-untyped-def]
    ctx, receiver, _ = traps
    target = f"udp:127.0.0.1:{receiver.port}"
    engine = "0x8000000001020304"
    vb = ["1.3.6.1.2.1.2.2.1.1.1", "i", "1"]
    base = ["-v3", "-e", engine, "-l", "authPriv", "-a", "SHA", "-x", "AES"]
    # wrong user, wrong auth key, wrong priv key: all rejected, none stored
    snmptrap(
        *base,
        "-u",
        "nobody",
        "-A",
        "auth-key-123",
        "-X",
        "priv-key-123",
        target,
        "",
        "1.3.6.1.6.3.1.1.5.3",
        *vb,
    )
    snmptrap(
        *base,
        "-u",
        "trapper",
        "-A",
        "wrong-auth-key",
        "-X",
        "priv-key-123",
        target,
        "",
        "1.3.6.1.6.3.1.1.5.3",
        *vb,
    )
    snmptrap(
        *base,
        "-u",
        "trapper",
        "-A",
        "auth-key-123",
        "-X",
        "wrong-priv-key",
        target,
        "",
        "1.3.6.1.6.3.1.1.5.3",
        *vb,
    )
    snmptrap(
        *base,
        "-u",
        "trapper",
        "-A",
        "auth-key-123",
        "-X",
        "priv-key-123",
        target,
        "",
        "1.3.6.1.6.3.1.1.5.3",
        *vb,
    )
    wait_for(lambda: count(ctx, Event) == 1, what="the good v3 trap stored")
    time.sleep(0.5)
    assert count(ctx, Event) == 1
    rejected = receiver.counters.rejected
    assert rejected.get("unknown_user") == 1 and rejected.get("wrong_digest") == 1
    assert rejected.get("decryption_error") == 1
    with ctx.begin() as s:
        assert s.scalars(select(Event)).one().version == "v3"


def test_ten_thousand_identical_traps_make_one_alarm(traps) -> None:  # type: ignore[no-untyped-def]
    ctx, receiver, _ = traps
    data = trapgen.v2c(trapgen.LINK_DOWN, 3)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((SENDER, 0))
        for i in range(10_000):
            s.sendto(data, ("127.0.0.1", receiver.port))
            if i % 500 == 499:
                time.sleep(0.01)  # a fast but sustained stream, not one kernel-buffer-sized burst
    wait_for(
        lambda: count(ctx, Event) + receiver.counters.queue_dropped >= 10_000,
        timeout=120,
        what="all traps processed",
    )
    assert receiver.counters.queue_dropped == 0
    with ctx.begin() as s:
        alarm = s.scalars(select(Alarm)).one()
        assert alarm.occurrences == 10_000 and alarm.reduction_key == "r1/ifIndex=3/link"
    assert receiver.counters.received == receiver.counters.decoded == 10_000


def test_unknown_source_kept_not_alarmed_and_counters_published(traps) -> None:  # type: ignore[no-untyped-def]
    ctx, receiver, _ = traps
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.77", 0))  # no device has this address
        s.sendto(trapgen.v2c(trapgen.LINK_DOWN, 1), ("127.0.0.1", receiver.port))
        s.sendto(b"\x30\x03\x02\x01", ("127.0.0.1", receiver.port))  # junk
        s.sendto(trapgen.v2c(trapgen.LINK_DOWN, 1, community=b"nope"), ("127.0.0.1", receiver.port))
    wait_for(lambda: count(ctx, Event) == 1, what="event from unknown source")
    with ctx.begin() as s:
        ev = s.scalars(select(Event)).one()
        assert ev.device_id is None and ev.source_address == "127.0.0.77" and "unknown source" in ev.note
    assert count(ctx, Alarm) == 0
    wait_for(lambda: count(ctx, AgentCounter, AgentCounter.name == "ossagent_traps_malformed_total", AgentCounter.value == 1) == 1,
             timeout=15, what="counters published")  # fmt: skip
    with ctx.begin() as s:
        got = {(c.name, c.labels): c.value for c in s.scalars(select(AgentCounter))}
    assert got[("ossagent_traps_received_total", "")] == 3
    assert got[("ossagent_traps_unknown_source_total", "")] == 1
    assert got[("ossagent_traps_rejected_total", 'reason="community"')] == 1


def test_junk_interleaved_with_traps_all_valid_ones_processed(traps) -> None:  # type: ignore[no-untyped-def]
    """The receiver keeps going through malformed and truncated packets."""
    import random

    ctx, receiver, _ = traps
    rng = random.Random(7)
    valid = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((SENDER, 0))
        for i in range(600):
            if i % 3 == 0:
                good = trapgen.v2c(trapgen.LINK_DOWN if i % 2 else trapgen.LINK_UP, 1 + i % 3, rid=i)
                s.sendto(good, ("127.0.0.1", receiver.port))
                valid += 1
            else:
                junk = trapgen.v2c(trapgen.LINK_DOWN, 2)
                junk = (
                    bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 40)))
                    if i % 2
                    else junk[: rng.randint(0, len(junk) - 1)]
                )
                s.sendto(junk, ("127.0.0.1", receiver.port))
    wait_for(lambda: count(ctx, Event) == valid, timeout=30, what="all valid traps stored")
    time.sleep(0.3)
    assert count(ctx, Event) == valid
    assert receiver.counters.malformed + receiver.counters.decoded == 600


def test_engine_id_is_stable_per_home(sqlite_ctx: Context) -> None:
    assert receiver_engine_id(sqlite_ctx.settings) == receiver_engine_id(sqlite_ctx.settings)
    assert 5 <= len(receiver_engine_id(sqlite_ctx.settings)) <= 32
    with sqlite_ctx.begin() as s:
        assert s.scalar(select(func.count()).select_from(Device)) == 0
