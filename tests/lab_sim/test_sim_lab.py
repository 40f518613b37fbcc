"""A sim lab from demo.clab.yml read by real clients: Net-SNMP (v2c, v3 SHA/AES, v3 SHA-256/
AES-256) and pysnmp 7. Read-only: the lab is shared by the whole module."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tests.lab_sim.conftest import Lab, needs_netsnmp, netsnmp, parse_walk, value_of

pytestmark = [needs_netsnmp, pytest.mark.netsnmp]

IF_TABLE = "1.3.6.1.2.1.2.2"
IFX_TABLE = "1.3.6.1.2.1.31.1.1"
ENTITY = "1.3.6.1.2.1.47.1.1.1"
LLDP = "1.0.8802.1.1.2"
SYSTEM = "1.3.6.1.2.1.1"


def _column(walk: dict[str, str], table_entry: str, col: int) -> dict[int, str]:
    prefix = f"{table_entry}.{col}."
    return {int(k[len(prefix) :]): value_of(v) for k, v in walk.items() if k.startswith(prefix)}


def _walk(lab: Lab, node: str, root: str, auth: list[str], tool: str = "snmpbulkwalk") -> dict[str, str]:
    extra = ["-Cr25"] if tool == "snmpbulkwalk" else []
    res = netsnmp(tool, *auth, "-On", "-t", "2", "-r", "1", *extra, lab.target(node), root)
    assert res.returncode == 0, res.stderr
    assert "not increasing" not in res.stderr, res.stderr
    assert res.stderr.strip() == "", res.stderr
    walk = parse_walk(res.stdout)
    assert walk, f"empty walk of {root} on {node}"
    return walk


@pytest.mark.parametrize(
    ("tool", "auth"),
    [
        ("snmpwalk", "v2c"),
        ("snmpbulkwalk", "v2c"),
        ("snmpbulkwalk", "lab-v3"),
        ("snmpbulkwalk", "lab-v3-sha256"),
    ],
)
def test_netsnmp_reads_every_table(demo_lab: Lab, tool: str, auth: str) -> None:
    creds = demo_lab.v2c() if auth == "v2c" else demo_lab.v3(auth)
    for name in ("core2", "pe1"):
        node = demo_lab.node(name)
        system = _walk(demo_lab, name, SYSTEM, creds, tool)
        assert value_of(system[f"{SYSTEM}.5.0"]) == node.sys_name
        if_walk = _walk(demo_lab, name, IF_TABLE, creds, tool)
        ifx_walk = _walk(demo_lab, name, IFX_TABLE, creds, tool)
        indexes = _column(if_walk, f"{IF_TABLE}.1", 1)
        names = _column(ifx_walk, f"{IFX_TABLE}.1", 1)
        assert {i: int(v) for i, v in indexes.items()} == {i.if_index: i.if_index for i in node.interfaces}
        assert names == {i.if_index: i.name for i in node.interfaces}
        for col in range(1, 23):
            assert len(_column(if_walk, f"{IF_TABLE}.1", col)) == len(node.interfaces), (
                f"ifTable column {col}"
            )
        for col in range(1, 20):
            assert len(_column(ifx_walk, f"{IFX_TABLE}.1", col)) == len(node.interfaces), (
                f"ifXTable column {col}"
            )
        entity = _walk(demo_lab, name, ENTITY, creds, tool)
        assert _column(entity, f"{ENTITY}.1", 5)[1] == "3"  # entPhysicalClass chassis
        lldp = _walk(demo_lab, name, LLDP, creds, tool)
        assert value_of(lldp[f"{LLDP}.1.3.3.0"]) == node.sys_name


def test_values_agree_with_lab_state(demo_lab: Lab) -> None:
    core1 = demo_lab.node("core1")
    ifx = _walk(demo_lab, "core1", IFX_TABLE, demo_lab.v2c())
    if_walk = _walk(demo_lab, "core1", IF_TABLE, demo_lab.v2c())
    alias = _column(ifx, f"{IFX_TABLE}.1", 18)
    oper = _column(if_walk, f"{IF_TABLE}.1", 8)
    admin = _column(if_walk, f"{IF_TABLE}.1", 7)
    speed = _column(if_walk, f"{IF_TABLE}.1", 5)
    high = _column(ifx, f"{IFX_TABLE}.1", 15)
    for itf in core1.interfaces:
        i = itf.if_index
        assert admin[i] == "1"
        if itf.peer:
            peer_node, peer_if = itf.peer.split(":", 1)
            assert alias[i] == f"to {peer_node} {peer_if}"
            assert oper[i] == "1"
        elif itf.name.startswith("Ethernet"):
            assert alias[i] == "" and oper[i] == "2"  # a free port: no cable
            assert speed[i] == "4294967295" and high[i] == "10000"
    assert oper[core1.interface("Management0").if_index] == "1"
    assert high[core1.interface("Management0").if_index] == "1000"
    assert _column(ifx, f"{IFX_TABLE}.1", 1) == {i.if_index: i.name for i in core1.interfaces}


def test_lldp_neighbours_match_the_topology(demo_lab: Lab) -> None:
    pe1 = demo_lab.node("pe1")
    lldp = _walk(demo_lab, "pe1", LLDP, demo_lab.v2c())
    rem_sysname = {k: value_of(v) for k, v in lldp.items() if k.startswith(f"{LLDP}.1.4.1.1.9.")}
    rem_port = {k: value_of(v) for k, v in lldp.items() if k.startswith(f"{LLDP}.1.4.1.1.7.")}
    got = set()
    for k, sysname in rem_sysname.items():
        _time_mark, local_port, _index = (int(x) for x in k.split(".")[-3:])
        port_key = k.replace(f"{LLDP}.1.4.1.1.9.", f"{LLDP}.1.4.1.1.7.")
        local = next(i for i in pe1.interfaces if i.if_index == local_port)
        got.add((local.name, f"{sysname}:{rem_port[port_key]}"))
    expected = {(i.name, i.peer) for i in pe1.interfaces if i.peer}
    assert got == expected and len(got) == 4
    chassis = {value_of(v) for k, v in lldp.items() if k.startswith(f"{LLDP}.1.4.1.1.4.")}
    assert chassis == {"4"}  # macAddress


def test_hc_counters_increase_between_reads(demo_lab: Lab) -> None:
    oid = f"{IFX_TABLE}.1.6.{demo_lab.node('core1').interface('Ethernet1').if_index}"
    first = netsnmp("snmpget", *demo_lab.v2c(), "-On", "-Oqv", demo_lab.target("core1"), oid)
    time.sleep(0.3)
    second = netsnmp("snmpget", *demo_lab.v2c(), "-On", "-Oqv", demo_lab.target("core1"), oid)
    assert int(second.stdout) > int(first.stdout) > 0


def test_wrong_credentials_get_no_data(demo_lab: Lab) -> None:
    t = demo_lab.target("core2")
    oid = f"{SYSTEM}.5.0"
    res = netsnmp("snmpget", "-v2c", "-c", "not-public", "-t", "0.5", "-r", "0", "-On", t, oid)
    assert res.returncode != 0 and "Timeout" in res.stderr and "core2" not in res.stdout
    good = demo_lab.v3()

    def with_opt(opt: str, value: str) -> list[str]:
        args = list(good)
        args[args.index(opt) + 1] = value
        return args

    cases = [
        (with_opt("-u", "nobody"), "Unknown user name"),
        (with_opt("-A", "wrong-auth-key"), "Authentication failure"),
        (with_opt("-X", "wrong-priv-key"), "Decryption error"),
    ]
    for args, message in cases:
        res = netsnmp("snmpget", *args, "-t", "1", "-r", "0", "-On", t, oid)
        assert res.returncode != 0 and message in res.stderr, res.stderr
        assert "core2" not in res.stdout
    status = demo_lab.ok(op="status")["nodes"]["core2"]
    assert status["bad_community"] >= 1
    assert status["usm"]["unknown_user_names"] >= 1 and status["usm"]["wrong_digests"] >= 1


def test_pysnmp_reads_the_same_values(demo_lab: Lab) -> None:
    from pysnmp.hlapi.v3arch.asyncio import (
        CommunityData,
        ContextData,
        ObjectIdentity,
        ObjectType,
        SnmpEngine,
        UdpTransportTarget,
        UsmUserData,
        bulk_walk_cmd,
        get_cmd,
        usmAesBlumenthalCfb256Protocol,
        usmAesCfb128Protocol,
        usmHMAC192SHA256AuthProtocol,
        usmHMACSHAAuthProtocol,
    )

    p3 = demo_lab.state.profiles["lab-v3"]
    p256 = demo_lab.state.profiles["lab-v3-sha256"]
    auths: dict[str, Any] = {
        "v2c": CommunityData(demo_lab.state.profiles["lab-v2c"]["community"], mpModel=1),  # noqa: S508 - the lab serves v2c on purpose
        "v3": UsmUserData(
            p3["user"],
            p3["auth_key"],
            p3["priv_key"],
            authProtocol=usmHMACSHAAuthProtocol,
            privProtocol=usmAesCfb128Protocol,
        ),
        "v3-sha256": UsmUserData(
            p256["user"],
            p256["auth_key"],
            p256["priv_key"],
            authProtocol=usmHMAC192SHA256AuthProtocol,
            privProtocol=usmAesBlumenthalCfb256Protocol,
        ),
    }
    node = demo_lab.node("pe2")

    async def read(auth: Any) -> tuple[str, dict[int, str], dict[int, int]]:
        engine = SnmpEngine()
        try:
            target = await UdpTransportTarget.create((node.address, node.snmp_port), timeout=2, retries=1)
            ei, es, _, vbs = await get_cmd(
                engine, auth, target, ContextData(), ObjectType(ObjectIdentity(f"{SYSTEM}.5.0"))
            )
            assert not ei and not es, (ei, es)
            sys_name = str(vbs[0][1])
            raw: dict[str, dict[int, Any]] = {f"{IFX_TABLE}.1.1": {}, f"{IFX_TABLE}.1.6": {}}
            for root, out in raw.items():
                async for ei, es, _, vbs in bulk_walk_cmd(
                    engine,
                    auth,
                    target,
                    ContextData(),
                    0,
                    25,
                    ObjectType(ObjectIdentity(root)),
                    lexicographicMode=False,
                ):
                    assert not ei and not es, (ei, es)
                    for name, val in vbs:
                        out[int(name[-1])] = val
            names = {i: str(v) for i, v in raw[f"{IFX_TABLE}.1.1"].items()}
            counters = {i: int(v) for i, v in raw[f"{IFX_TABLE}.1.6"].items()}
            return sys_name, names, counters
        finally:
            engine.close_dispatcher()

    for label, auth in auths.items():
        sys_name, names, hc = asyncio.run(read(auth))
        assert sys_name == "pe2", label
        assert names == {i.if_index: i.name for i in node.interfaces}, label
        linked = [i.if_index for i in node.interfaces if i.peer]
        assert all(hc[i] > 0 for i in linked), label


def test_status_counts_packets(demo_lab: Lab) -> None:
    status = demo_lab.ok(op="status")
    assert set(status["nodes"]) == {n.name for n in demo_lab.state.nodes}
    assert status["totals"]["packets"] > 0 and status["totals"]["varbinds"] > 0
    assert all(n["up"] for n in status["nodes"].values())
