"""The fast poller's wire side on hand-built messages: templates equal the codec's own
encoding, replies decode by position (long forms, nine-byte Counter64s), and bad input is a
clean error, never an IndexError."""

from __future__ import annotations

import asyncio

import pytest

from collectors.snmp.fastpoll import codec
from collectors.snmp.fastpoll.poller import FastPoller, _Pending
from collectors.snmp.values import Exc
from collectors.snmp.wire import ber
from collectors.snmp.wire.ber import BERError

COL = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6)


def test_template_is_the_codec_encoding_with_the_id_swapped() -> None:
    oids = [codec.oid_content((1, 3, 6, 1, 2, 1, 1, 3)), codec.oid_content(COL)]
    t = codec.v2c_message(b"public", codec.pdu_template(ber.GET_BULK_REQUEST, 1, 51, oids))
    vbs = b"".join(ber.varbind(ber.tlv(ber.OBJECT_IDENTIFIER, o), ber.NULL_TLV) for o in oids)
    for rid in (codec.REQUEST_ID_MIN, 0x12345678, codec.REQUEST_ID_MAX):
        want = ber.encode_community_message(
            1, b"public", ber.encode_pdu(ber.GET_BULK_REQUEST, rid, 1, 51, vbs)
        )
        assert t.build(rid) == want
        assert codec.request_id_of(want) == rid


def _response(rid: int, varbinds: list[tuple[tuple[int, ...], bytes]], status: int = 0) -> bytes:
    vbs = b"".join(ber.varbind(ber.encode_oid(o), v) for o, v in varbinds)
    return ber.encode_community_message(1, b"public", ber.encode_pdu(ber.RESPONSE, rid, status, 0, vbs))


def test_reply_decodes_by_position() -> None:
    big = b"x" * 300  # long-form lengths on the varbind and the value
    msg = _response(
        77,
        [
            ((*COL, 1), ber.encode_counter64(2**64 - 1)),
            ((*COL, 200), ber.encode_counter32(2**32 - 1)),
            ((*COL, 3), ber.encode_octets(big)),
            ((*COL, 4), ber.encode_ipaddress(bytes([10, 0, 0, 1]))),
            ((*COL, 5), ber.encode_oid((1, 3, 6, 1, 4, 1, 9))),
            ((*COL, 6), ber.encode_integer(-5)),
            ((*COL, 7), ber.END_OF_MIB_VIEW_TLV),
        ],
    )
    ps, pe = codec.v2c_pdu_bounds(msg, b"public")
    vbs = codec.response_varbinds(msg, ps, pe, 77)
    prefix = codec.oid_content(COL)
    assert all(msg.startswith(prefix, v[0]) for v in vbs)
    assert [codec.subids(msg, v[0] + len(prefix), v[1]) for v in vbs] == [
        (1,),
        (200,),
        (3,),
        (4,),
        (5,),
        (6,),
        (7,),
    ]
    values = [codec.plain_value(msg, *v[2:]) for v in vbs]
    assert values == [2**64 - 1, 2**32 - 1, big, "10.0.0.1", "1.3.6.1.4.1.9", -5, Exc.END_OF_MIB_VIEW]


def test_error_status_and_foreign_replies_are_named() -> None:
    msg = _response(5, [((*COL, 1), ber.NULL_TLV)], status=1)
    ps, pe = codec.v2c_pdu_bounds(msg, b"public")
    with pytest.raises(codec.ReplyError, match="tooBig"):
        codec.response_varbinds(msg, ps, pe, 5)
    ok = _response(5, [((*COL, 1), ber.NULL_TLV)])
    with pytest.raises(codec.ReplyError, match="another request"):
        codec.response_varbinds(ok, *codec.v2c_pdu_bounds(ok, b"public"), 6)
    with pytest.raises(codec.ReplyError, match="community"):
        codec.v2c_pdu_bounds(ok, b"private")


@pytest.mark.parametrize("cut", [5, 20, 40, 55])
def test_truncated_replies_are_ber_errors(cut: int) -> None:
    msg = _response(9, [((*COL, 1), ber.encode_counter64(12345)), ((*COL, 2), ber.encode_counter64(6789))])
    bad = msg[:cut]
    with pytest.raises(BERError):
        ps, pe = codec.v2c_pdu_bounds(bad, b"public")
        codec.response_varbinds(bad, ps, pe, 9)
    assert codec.request_id_of(bad) in (9, -1)


def test_a_reply_from_another_address_is_ignored() -> None:
    async def go() -> tuple[bool, int]:
        poller = FastPoller()
        fut: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        poller._pending[42] = _Pending(fut, ("127.0.0.1", 161))
        msg = _response(42, [])
        poller._on_datagram(msg, ("127.0.0.2", 161))  # a spoof or a stray
        spoofed = fut.done()
        poller._on_datagram(msg, ("127.0.0.1", 161))
        poller.close()
        return spoofed or not fut.done(), poller.stats.unmatched

    wrong, unmatched = asyncio.run(go())
    assert not wrong
    assert unmatched == 1
