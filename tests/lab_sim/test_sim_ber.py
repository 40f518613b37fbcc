"""The sim's BER codec: exact encodings, edge values, and a decoder that only ever fails with
BERError (also when driven through the agent's whole request path)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.snmp.wire import ber
from collectors.snmp.wire.ber import BERError
from collectors.snmp.wire.usm import FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE
from lab.sim.agent import Responder
from lab.sim.device import build_devices, models_by_name
from lab.sim.node import SimNode
from lab.sim.state import lab_profiles, usm_users
from lab.topology import load_topology
from tests.lab_sim.conftest import DEMO


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (0, "460100"),
        (127, "46017f"),
        (128, "46020080"),
        (255, "460200ff"),
        (256, "46020100"),
        (2**32 - 1, "460500ffffffff"),
        (2**63 - 1, "46087fffffffffffffff"),
        (2**63, "4609008000000000000000"),
        (2**64 - 1, "460900ffffffffffffffff"),
    ],
)
def test_counter64_edge_values(value: int, encoded: str) -> None:
    tlv = ber.encode_counter64(value)
    assert tlv.hex() == encoded
    _tag, s, e = ber.read_tlv(tlv, 0, len(tlv))
    assert ber.decode_value(tlv, s, e, ber.COUNTER64).value == value


def test_counter64_wraps_modulo_2_64_and_counter32_modulo_2_32() -> None:
    assert ber.encode_counter64(2**64 + 5) == ber.encode_counter64(5)
    assert ber.encode_counter32(2**32 + 7) == ber.encode_counter32(7)
    assert ber.encode_counter32(2**32 - 1).hex() == "410500ffffffff"


def test_unsigned_out_of_range_is_rejected_on_decode() -> None:
    too_big = bytes.fromhex("41050100000000")  # Counter32 = 2**32
    with pytest.raises(BERError):
        ber.decode_value(too_big, 2, len(too_big), ber.COUNTER32)
    ten_bytes = bytes.fromhex("460a01000000000000000000")
    with pytest.raises(BERError):
        ber.decode_value(ten_bytes, 2, len(ten_bytes), ber.COUNTER64)


@pytest.mark.parametrize(
    ("value", "encoded"),
    [(0, "020100"), (127, "02017f"), (128, "02020080"), (-1, "0201ff"), (-128, "020180"), (-129, "0202ff7f")],
)
def test_integer_two_complement_minimal(value: int, encoded: str) -> None:
    assert ber.encode_integer(value).hex() == encoded
    data = bytes.fromhex(encoded)
    assert ber.decode_integer(data, 2, len(data)) == value


@pytest.mark.parametrize(
    ("n", "header"),
    [(0, "0400"), (127, "047f"), (128, "048180"), (255, "0481ff"), (256, "04820100"), (70000, "0483011170")],
)
def test_long_lengths(n: int, header: str) -> None:
    tlv = ber.encode_octets(b"x" * n)
    assert tlv[: len(header) // 2].hex() == header
    tag, s, e = ber.read_tlv(tlv, 0, len(tlv))
    assert (tag, e - s, e) == (ber.OCTET_STRING, n, len(tlv))


@pytest.mark.parametrize(
    "oid",
    [
        (1, 3, 6, 1, 2, 1, 1, 1, 0),
        (0, 0),
        (2, 999, 3),
        (1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 5000000),
        (1, 3, 2**32 - 1),
    ],
)
def test_oid_round_trip(oid: tuple[int, ...]) -> None:
    tlv = ber.encode_oid(oid)
    _tag, s, e = ber.read_tlv(tlv, 0, len(tlv))
    assert ber.decode_oid(tlv, s, e) == oid


def test_oid_known_encoding() -> None:
    assert ber.encode_oid((1, 3, 6, 1, 2, 1, 1, 3, 0)).hex() == "06082b06010201010300"
    assert (
        ber.encode_oid((1, 3, 6, 1, 4, 1, 30065)).hex() == "06082b0601040181ea71"
    )  # 30065 = 1*128**2 + 106*128 + 113


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ("", "empty"),
        ("30", "truncated header"),
        ("3005020101", "value runs past the end"),
        ("3080020101", "indefinite length"),
        ("30850000000001", "length field too long"),
        ("3f01", "multi-byte tag"),
        ("0600", "empty OID"),
        ("06022b86", "OID ends inside a sub-identifier"),
        ("06032b8001", "non-minimal sub-identifier"),
        ("0200", "empty INTEGER"),
        ("06068fffffffff7f", "sub-identifier above 2**32-1"),
    ],
)
def test_malformed_input_raises_bererror(data: str, why: str) -> None:
    raw = bytes.fromhex(data)
    with pytest.raises(BERError):
        if raw[:1] == b"\x06":
            _t, s, e = ber.read_tlv(raw, 0, len(raw))
            ber.decode_oid(raw, s, e)
        elif raw[:1] == b"\x02":
            _t, s, e = ber.read_tlv(raw, 0, len(raw))
            ber.decode_integer(raw, s, e)
        else:
            ber.decode_community_message(raw)


def test_community_message_round_trip() -> None:
    vbs = ber.varbind(ber.encode_oid((1, 3, 6, 1, 2, 1, 1, 5, 0)), ber.encode_octets("r1")) + ber.varbind(
        ber.encode_oid((1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1)), ber.encode_counter64(2**64 - 1)
    )
    msg = ber.encode_community_message(1, b"public", ber.encode_pdu(ber.RESPONSE, 1234567, 0, 0, vbs))
    decoded = ber.decode_community_message(msg)
    assert decoded.version == 1 and decoded.community == b"public"
    assert decoded.pdu.tag == ber.RESPONSE and decoded.pdu.request_id == 1234567
    assert decoded.pdu.varbinds[0][1].value == b"r1"
    assert decoded.pdu.varbinds[1][1] == ber.Value(ber.COUNTER64, 2**64 - 1)


# -- fuzzing ------------------------------------------------------------------------------------

_ONLY_BERERROR = settings(max_examples=400, deadline=None)


@_ONLY_BERERROR
@given(st.binary(max_size=300))
def test_decoder_only_raises_bererror_on_random_bytes(data: bytes) -> None:
    try:
        msg = ber.decode_community_message(data)
    except BERError:
        return
    assert msg.version in (0, 1)  # anything else must have been rejected


def _valid_requests() -> list[bytes]:
    walk = ber.varbind(ber.encode_oid((1, 3, 6, 1, 2, 1, 2, 2)), ber.NULL_TLV)
    get = ber.varbind(ber.encode_oid((1, 3, 6, 1, 2, 1, 1, 3, 0)), ber.NULL_TLV)
    return [
        ber.encode_community_message(1, b"public", ber.encode_pdu(ber.GET_BULK_REQUEST, 7, 0, 20, walk)),
        ber.encode_community_message(1, b"public", ber.encode_pdu(ber.GET_REQUEST, 8, 0, 0, get + walk)),
        ber.encode_community_message(1, b"public", ber.encode_pdu(ber.GET_NEXT_REQUEST, 9, 0, 0, walk)),
        ber.encode_community_message(1, b"public", ber.encode_pdu(ber.SET_REQUEST, 10, 0, 0, get)),
    ]


_NODE: list[SimNode] = []


def _node() -> SimNode:
    if not _NODE:
        models = build_devices(load_topology(DEMO), address_base="127.99.1", snmp_port=16100)
        profiles = lab_profiles()
        _NODE.append(
            SimNode(
                models[0], models_by_name(models), usm_users(profiles), profiles["lab-v2c"], time.monotonic()
            )
        )
    return _NODE[0]


def _v3_request(node: SimNode) -> bytes:
    user = node.usm.users[b"ossim"]
    pdu = ber.encode_pdu(
        ber.GET_BULK_REQUEST, 11, 0, 10, ber.varbind(ber.encode_oid((1, 3, 6, 1, 2, 1, 1)), ber.NULL_TLV)
    )
    scoped = ber.sequence(ber.encode_octets(node.usm.engine_id), ber.encode_octets(b""), pdu)
    flags = FLAG_AUTH | FLAG_PRIV | FLAG_REPORTABLE
    return node.usm.wrap(5, flags, user, b"ossim", scoped, time.monotonic())


def test_valid_requests_are_answered() -> None:
    node = _node()
    responder = Responder("public")
    for req in [*_valid_requests(), _v3_request(node)]:
        assert responder.handle(node, req, time.monotonic())


@_ONLY_BERERROR
@given(st.data())
def test_agent_survives_truncated_and_mutated_requests(data: st.DataObject) -> None:
    """Whatever a datagram contains, handling it returns bytes/None or raises BERError."""
    node = _node()
    responder = Responder("public")
    base = data.draw(st.sampled_from([*_valid_requests(), _v3_request(node)]))
    mode = data.draw(st.sampled_from(["truncate", "flip", "insert", "random"]))
    if mode == "truncate":
        msg = base[: data.draw(st.integers(0, len(base) - 1))]
    elif mode == "flip":
        i = data.draw(st.integers(0, len(base) - 1))
        msg = base[:i] + bytes([data.draw(st.integers(0, 255))]) + base[i + 1 :]
    elif mode == "insert":
        i = data.draw(st.integers(0, len(base)))
        msg = base[:i] + data.draw(st.binary(min_size=1, max_size=8)) + base[i:]
    else:
        msg = data.draw(st.binary(max_size=200))
    try:
        out = responder.handle(node, msg, time.monotonic())
    except BERError:
        return
    assert out is None or isinstance(out, bytes)
