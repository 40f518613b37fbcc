"""Device models, the MIB of a simulated device and its traffic, in process (no sockets)."""

from __future__ import annotations

import time

import pytest

from collectors.snmp.wire import ber
from collectors.snmp.wire.usm import FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE, UsmEngine, V3Request
from lab.sim.agent import Responder
from lab.sim.device import (
    DeviceError,
    DeviceModel,
    build_devices,
    check_loopback,
    default_address_base,
    models_by_name,
    node_address,
)
from lab.sim.node import LLDP_TTL, SimNode
from lab.sim.state import lab_profiles, usm_users
from lab.sim.traffic import IN_OCTETS, OUT_OCTETS, Counters, Direction
from lab.topology import TopologyError, load_topology, parse_topology
from tests.lab_sim.conftest import DEMO

MIXED = """
name: mixed
topology:
  nodes:
    srl: {kind: srl, labels: {ossagent-ports: "4"}}
    eos: {kind: ceos, image: "ceos:4.30.1F", labels: {ossagent-sysdescr: "custom <descr>"}}
    xr:  {kind: cisco_xrd, labels: {ossagent-ports: "2"}}
    jun: {kind: juniper_vmx, labels: {ossagent-ports: "2", ossagent-syslocation: "rack 9"}}
    frr: {kind: linux, image: quay.io/frrouting/frr:10.1, labels: {ossagent-ports: "2"}}
    odd: {kind: sonic-vs, labels: {ossagent-ports: "1"}}
  links:
    - endpoints: ["srl:e1-7", "eos:eth1"]
    - endpoints: ["xr:Gi0-0-0-0", "jun:eth1"]
    - endpoints: ["jun:ge-0/0/1", "frr:eth2"]
    - endpoints: ["frr:eth-x", "odd:eth1"]
    - endpoints: ["srl:ethernet-1/1", "host:veth9"]
"""


@pytest.fixture(scope="module")
def mixed() -> dict[str, DeviceModel]:
    return models_by_name(build_devices(parse_topology(MIXED), address_base="127.77.3", snmp_port=16100))


def test_vendor_interface_names_and_indexes(mixed: dict[str, DeviceModel]) -> None:
    m = mixed
    srl, eos, xr, jun, frr, odd = (m[k] for k in ("srl", "eos", "xr", "jun", "frr", "odd"))
    # SR Linux: the raw clab name e1-7 maps to ethernet-1/7 and extends 4 ports to 7.
    assert [i.name for i in srl.interfaces if i.role == "front"] == [f"ethernet-1/{n}" for n in range(1, 8)]
    assert srl.find_interface("e1-7").peer == ("eos", "Ethernet1")
    assert srl.find_interface("ethernet-1/1").external_peer == "host:veth9"
    assert {i.name for i in srl.interfaces if i.role != "front"} == {"mgmt0", "system0"}
    assert srl.find_interface("ethernet-1/2").if_index > 16384  # SR Linux-like, non-contiguous
    # Arista: EthernetN has ifIndex N, Management0 999001, Loopback0 5000000; ethN is EthernetN.
    assert eos.find_interface("eth1").name == "Ethernet1"
    assert eos.find_interface("Ethernet3").if_index == 3
    assert eos.find_interface("Management0").if_index == 999001
    assert eos.find_interface("Loopback0").if_index == 5000000
    assert eos.find_interface("Ethernet1").alias == "to srl ethernet-1/7"
    assert eos.sys_descr == "custom <descr>"
    assert xr.find_interface("Gi0-0-0-0").name == "GigabitEthernet0/0/0/0"
    assert {i.name for i in xr.interfaces if i.role != "front"} == {"MgmtEth0/RP0/CPU0/0", "Loopback0"}
    assert jun.find_interface("eth1").name == "ge-0/0/0"
    assert jun.find_interface("ge-0/0/1").peer == ("frr", "eth2")
    assert jun.sys_location == "rack 9" and jun.sys_object_id[:7] == (1, 3, 6, 1, 4, 1, 2636)
    assert frr.platform == "frr" and {i.name for i in frr.interfaces if i.role != "front"} >= {"eth0", "lo"}
    assert frr.find_interface("eth-x").role == "extra"  # an unknown name becomes an extra port
    assert odd.sys_object_id[:7] == (1, 3, 6, 1, 4, 1, 8072)  # unknown kinds: Net-SNMP/Linux
    for d in m.values():
        indexes = [i.if_index for i in d.interfaces]
        assert indexes == sorted(indexes) and len(set(indexes)) == len(indexes)


def test_speeds_macs_engine_ids(mixed: dict[str, DeviceModel]) -> None:
    devices = list(mixed.values())
    eos = mixed["eos"]
    assert eos.find_interface("Ethernet1").speed_mbps == 10_000
    assert eos.find_interface("Management0").speed_mbps == 1_000
    engine_ids = [d.engine_id for d in devices]
    assert len(set(engine_ids)) == len(engine_ids)
    for eid in engine_ids:
        assert eid[0] & 0x80 and eid[4] == 4 and 5 <= len(eid) <= 32  # RFC 3411 text format
    macs = [d.chassis_mac for d in devices]
    assert len(set(macs)) == len(macs)
    again = models_by_name(build_devices(parse_topology(MIXED), address_base="127.77.3", snmp_port=16100))
    assert [d.chassis_mac for d in again.values()] == macs  # deterministic
    assert again["eos"].entities[0].serial == eos.entities[0].serial


def test_address_plan() -> None:
    assert node_address("127.31.7", 0) == "127.31.7.1"
    assert node_address("127.31.7", 249) == "127.31.7.250"
    assert node_address("127.31.7", 250) == "127.31.8.1"
    assert node_address("127.31.255", 250) == "127.32.0.1"
    assert default_address_base("demo") != default_address_base("demo2")
    assert default_address_base("demo").startswith("127.")
    with pytest.raises(DeviceError):
        node_address("10.0.0", 0)
    with pytest.raises(DeviceError):
        check_loopback("192.168.1.1")
    check_loopback("127.1.2.3")


def test_bad_topologies_fail_clearly() -> None:
    with pytest.raises(TopologyError, match="ossagent-ports"):
        build_devices(
            parse_topology(
                "name: x\ntopology:\n  nodes:\n    a: {kind: linux, labels: {ossagent-ports: many}}"
            )
        )
    with pytest.raises(TopologyError, match="two links"):
        build_devices(
            parse_topology(
                "name: x\ntopology:\n  nodes:\n    a: {kind: srl}\n    b: {kind: srl}\n    c: {kind: srl}\n"
                '  links:\n    - endpoints: ["a:e1-1", "b:e1-1"]\n    - endpoints: ["a:ethernet-1/1", "c:e1-1"]\n'
            )
        )


# -- the MIB in process --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nodes() -> dict[str, SimNode]:
    models = build_devices(load_topology(DEMO), address_base="127.88.1", snmp_port=16100)
    peers = models_by_name(models)
    profiles = lab_profiles()
    now = time.monotonic()
    return {m.name: SimNode(m, peers, usm_users(profiles), profiles[m.snmp_profile], now) for m in models}


def _ask(node: SimNode, tag: int, oids: list[tuple[int, ...]], a: int = 0, b: int = 0) -> ber.Pdu:
    vbs = b"".join(ber.varbind(ber.encode_oid(o), ber.NULL_TLV) for o in oids)
    req = ber.encode_community_message(1, b"public", ber.encode_pdu(tag, 1, a, b, vbs))
    out = Responder("public").handle(node, req, time.monotonic())
    assert out is not None
    return ber.decode_community_message(out).pdu


def _walk(
    node: SimNode, root: tuple[int, ...] = (0, 0), reps: int = 37
) -> list[tuple[tuple[int, ...], ber.Value]]:
    got: list[tuple[tuple[int, ...], ber.Value]] = []
    oid = root
    while True:
        vbs = _ask(node, ber.GET_BULK_REQUEST, [oid], 0, reps).varbinds
        for name, value in vbs:
            if value.tag == ber.END_OF_MIB_VIEW:
                return got
            assert name > oid, f"OID not increasing: {name} after {oid}"
            got.append((name, value))
            oid = name


def test_whole_mib_walks_in_strict_order_with_expected_size(nodes: dict[str, SimNode]) -> None:
    core1 = nodes["core1"]
    got = _walk(core1)
    n_if = len(core1.ifs)
    n_ent = len(core1.model.entities)
    n_lldp_ports = sum(1 for i in core1.model.interfaces if i.role != "loopback")
    n_rem = sum(1 for i in core1.model.interfaces if i.peer)
    expected = 7 + 1 + n_if * (22 + 19) + n_ent * 15 + 6 + 3 * n_lldp_ports + 9 * n_rem + 4 + 3 + 1 + 6
    assert len(got) == expected
    names = dict(got)
    assert names[(1, 3, 6, 1, 2, 1, 2, 1, 0)].value == n_if
    assert names[(1, 3, 6, 1, 2, 1, 1, 5, 0)].value == b"core1"


def test_50_port_device_has_about_2050_if_mib_varbinds() -> None:
    topo = parse_topology(
        "name: big\ntopology:\n  nodes:\n    r: {kind: ceos, labels: {ossagent-ports: '50'}}"
    )
    models = build_devices(topo, address_base="127.88.2", snmp_port=16100)
    profiles = lab_profiles()
    node = SimNode(
        models[0], models_by_name(models), usm_users(profiles), profiles["lab-v2c"], time.monotonic()
    )
    if_table = _walk(node, (1, 3, 6, 1, 2, 1, 2, 2))
    ifx = _walk(node, (1, 3, 6, 1, 2, 1, 31, 1, 1))
    if_rows = [x for x in if_table if x[0][:8] == (1, 3, 6, 1, 2, 1, 2, 2)]
    ifx_rows = [x for x in ifx if x[0][:9] == (1, 3, 6, 1, 2, 1, 31, 1, 1)]
    assert len(if_rows) == 52 * 22 and len(ifx_rows) == 52 * 19  # 2,132 varbinds


def test_get_exceptions_and_set_refused(nodes: dict[str, SimNode]) -> None:
    pdu = _ask(
        nodes["pe1"],
        ber.GET_REQUEST,
        [
            (1, 3, 6, 1, 2, 1, 1, 5, 0),
            (1, 3, 6, 1, 2, 1, 1, 5, 1),
            (1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 12345),
            (1, 3, 9),
        ],
    )
    tags = [v.tag for _, v in pdu.varbinds]
    assert tags == [ber.OCTET_STRING, ber.NO_SUCH_INSTANCE, ber.NO_SUCH_INSTANCE, ber.NO_SUCH_OBJECT]
    pdu = _ask(nodes["pe1"], ber.SET_REQUEST, [(1, 3, 6, 1, 2, 1, 1, 5, 0)])
    assert (pdu.error_status, pdu.error_index) == (17, 1)  # notWritable


def test_getbulk_honours_size_and_repeaters(nodes: dict[str, SimNode]) -> None:
    node = nodes["core1"]
    responder = Responder("public")
    vbs = ber.varbind(ber.encode_oid((1, 3, 6, 1, 2, 1, 2, 2)), ber.NULL_TLV)
    # A small message budget gives fewer rows, never an error.
    pdu_bytes = ber.encode_pdu(ber.GET_BULK_REQUEST, 2, 0, 50, vbs)
    resp = responder.process(node, pdu_bytes, 0, len(pdu_bytes), 300, time.monotonic())
    assert resp is not None
    decoded, _ = ber.decode_pdu(resp, 0, len(resp))
    assert decoded.error_status == 0 and 0 < len(decoded.varbinds) < 50
    assert sum(len(ber.encode_oid(o)) + 4 for o, _ in decoded.varbinds) <= 300 + 40
    # Non-repeaters + two repeaters: whole rows, in order.
    pdu = _ask(
        node,
        ber.GET_BULK_REQUEST,
        [(1, 3, 6, 1, 2, 1, 1, 3), (1, 3, 6, 1, 2, 1, 2, 2, 1, 2), (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1)],
        1,
        3,
    )
    names = [n for n, _ in pdu.varbinds]
    assert names[0] == (1, 3, 6, 1, 2, 1, 1, 3, 0)
    assert names[1:] == [
        (1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 1),
        (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1, 1),
        (1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 2),
        (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1, 2),
        (1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 3),
        (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1, 3),
    ]


def test_big_getbulk_stays_under_the_message_limits() -> None:
    """ifTable of a 300-port device is ~500 KB: the answer is cut to fit, v2c and v3 alike."""
    topo = parse_topology(
        "name: huge\ntopology:\n  nodes:\n    r: {kind: ceos, labels: {ossagent-ports: '300'}}"
    )
    models = build_devices(topo, address_base="127.88.3", snmp_port=16100)
    profiles = lab_profiles()
    node = SimNode(
        models[0], models_by_name(models), usm_users(profiles), profiles["lab-v2c"], time.monotonic()
    )
    vbs = ber.varbind(ber.encode_oid((1, 3, 6, 1, 2, 1, 2, 2)), ber.NULL_TLV)
    req = ber.encode_community_message(1, b"public", ber.encode_pdu(ber.GET_BULK_REQUEST, 1, 0, 100000, vbs))
    out = Responder("public").handle(node, req, time.monotonic())
    assert out is not None and 60000 < len(out) <= 65000
    pdu = ber.decode_community_message(out).pdu
    assert pdu.error_status == 0 and 1000 < len(pdu.varbinds) < 302 * 22
    # v3 with a 1,500-byte msgMaxSize: the whole encrypted, authenticated message fits.
    user = node.usm.users[b"ossim"]
    scoped = ber.sequence(
        ber.encode_octets(node.usm.engine_id),
        ber.encode_octets(b""),
        ber.encode_pdu(ber.GET_BULK_REQUEST, 2, 0, 100000, vbs),
    )
    flags = FLAG_AUTH | FLAG_PRIV | FLAG_REPORTABLE
    req3 = node.usm.wrap(7, flags, user, b"ossim", scoped, time.monotonic(), max_size=1500)
    out3 = Responder("public").handle(node, req3, time.monotonic())
    assert out3 is not None and 1000 < len(out3) <= 1500
    manager = UsmEngine(node.usm.engine_id, usm_users(profiles), node.usm.boots, node.usm.booted_at)
    res = manager.incoming(out3, time.monotonic())
    assert isinstance(res, V3Request)
    decoded, _ = ber.decode_pdu(res.scoped, res.pdu_start, res.pdu_end)
    assert decoded.tag == ber.RESPONSE and decoded.error_status == 0 and 10 < len(decoded.varbinds) < 100


def test_end_of_mib_view(nodes: dict[str, SimNode]) -> None:
    pdu = _ask(nodes["acc1"], ber.GET_NEXT_REQUEST, [(1, 3, 6, 1, 6, 3, 15, 1, 1, 6, 0)])
    assert pdu.varbinds[0][1].tag == ber.END_OF_MIB_VIEW


def test_lldp_neighbour_ages_out_after_ttl_and_returns(nodes: dict[str, SimNode]) -> None:
    acc1 = nodes["acc1"]
    rt = acc1.interface("Ethernet1")
    assert [r.local_port for r in acc1.lldp_rem] == [rt.model.if_index]
    t0 = time.monotonic()
    acc1.update_interface(rt, t0, link=False)
    assert acc1.refresh_lldp(t0 + LLDP_TTL - 1) is not None
    assert len(acc1.lldp_rem) == 1  # still remembered within the TTL
    acc1.refresh_lldp(t0 + LLDP_TTL + 1)
    assert acc1.lldp_rem == []
    assert not any(name[:8] == (1, 0, 8802, 1, 1, 2, 1, 4) for name, _ in _walk(acc1, (1, 0, 8802)))
    old_index = 1
    acc1.update_interface(rt, t0 + LLDP_TTL + 2, link=True)
    assert len(acc1.lldp_rem) == 1 and acc1.lldp_rem[0].index > old_index


# -- traffic ------------------------------------------------------------------------------------


def test_counters_advance_freeze_and_wrap() -> None:
    rx = Direction.for_key("a:e1>b:e1", 10e9, "front")
    tx = Direction.for_key("b:e1>a:e1", 10e9, "front")
    assert 0.05 * 10e9 / 8 <= rx.base <= 0.6 * 10e9 / 8
    c = Counters(rx, tx)
    t = time.monotonic()
    c.reset(t, running=True)
    v1 = c.values(t + 1.0)
    v2 = c.values(t + 2.0)
    assert all(b >= a for a, b in zip(v1, v2, strict=True))
    assert v2[IN_OCTETS] > v1[IN_OCTETS] > 0 and v2[OUT_OCTETS] > v1[OUT_OCTETS]
    c.stop(t + 2.0)
    assert c.values(t + 60.0) == c.values(t + 2.0)  # frozen while down
    c.start(t + 60.0)
    assert c.values(t + 61.0)[IN_OCTETS] > v2[IN_OCTETS]
    c.wrap_soon(t + 61.0, 32, 4.0)
    before = c.values(t + 61.0)[IN_OCTETS] & 0xFFFFFFFF
    after = c.values(t + 65.0)[IN_OCTETS] & 0xFFFFFFFF
    assert before > 2**32 - rx.rate(t + 61) * 4 and after < before  # wrapped within 4 s
    c.wrap_soon(t + 65.0, 64, 4.0)
    assert c.values(t + 65.0)[IN_OCTETS] > 2**64 - 10**12
    assert c.values(t + 69.0)[IN_OCTETS] < 10**12  # the 64-bit counter wrapped too


def test_linked_ends_share_the_traffic_profile() -> None:
    a_tx = Direction.for_key("a:x>b:y", 1e10, "front")
    b_rx = Direction.for_key("a:x>b:y", 1e10, "front")
    assert a_tx == b_rx
