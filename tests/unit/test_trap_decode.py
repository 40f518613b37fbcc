"""The trap decoder: every version, informs, credentials, and junk that must never crash it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.snmp.wire import ber
from collectors.snmp.wire.usm import LocalizedUser, UserConfig
from collectors.traps.classify import classify
from collectors.traps.decode import Malformed, Refused, Trap, TrapDecoder
from tests import trapgen

USER = UserConfig("trapper", "sha", "auth-key-123", "aes", "priv-key-123")
USER256 = UserConfig("trapper256", "sha256", "auth-key-123", "aes256", "priv-key-123")
RX_ENGINE = b"\x80\x00\x1f\x88\x04ossagent-test"
SRC = ("127.0.0.9", 40000)


def decoder() -> TrapDecoder:
    return TrapDecoder(["public"], [USER, USER256], RX_ENGINE)


def test_v2c_link_down_classified() -> None:
    result, reply = decoder().decode(trapgen.v2c(trapgen.LINK_DOWN, 3), SRC)
    assert isinstance(result, Trap) and reply is None
    assert result.version == "v2c" and result.trap_oid == trapgen.LINK_DOWN and result.uptime == 4242
    verdict = classify(result.trap_oid, result.varbinds)
    assert (verdict.name, verdict.raises, verdict.if_index) == ("linkDown", "link", 3)


def test_v1_trap_translated_per_rfc3584() -> None:
    result, _ = decoder().decode(trapgen.v1_link_down(5), SRC)
    assert isinstance(result, Trap) and result.version == "v1"
    assert result.trap_oid == trapgen.LINK_DOWN and result.agent_address == "127.0.0.9"
    assert classify(result.trap_oid, result.varbinds).if_index == 5


def test_wrong_community_refused() -> None:
    result, _ = decoder().decode(trapgen.v2c(trapgen.LINK_DOWN, 3, community=b"guess"), SRC)
    assert result == Refused("community")


def test_v2c_inform_gets_a_response_echoing_it() -> None:
    result, reply = decoder().decode(trapgen.v2c(trapgen.LINK_UP, 3, inform=True, rid=4711), SRC)
    assert isinstance(result, Trap) and result.inform
    assert reply is not None
    msg = ber.decode_community_message(reply)
    assert msg.pdu.tag == ber.RESPONSE and msg.pdu.request_id == 4711 and msg.pdu.error_status == 0
    assert [oid for oid, _ in msg.pdu.varbinds][1] == trapgen.TRAP_OID


def test_v3_auth_priv_from_any_sender_engine() -> None:
    d = decoder()
    for user in (USER, USER256):
        for engine in (b"\x80\x00\x1f\x88\x04dev-a", b"\x80\x00\x75\x85\x04dev-b"):
            result, _ = d.decode(trapgen.V3Sender(user, engine).trap(trapgen.LINK_DOWN, 9), SRC)
            assert isinstance(result, Trap), result
            assert result.version == "v3" and result.security_name == user.name
            assert result.engine_id == engine.hex()


def test_v3_wrong_credentials_are_rejected_and_named() -> None:
    d = decoder()
    sender = trapgen.V3Sender(USER)
    wrong_auth = LocalizedUser.create(
        UserConfig("trapper", "sha", "not-the-key", "aes", "priv-key-123"), sender.engine.engine_id
    )
    wrong_priv = LocalizedUser.create(
        UserConfig("trapper", "sha", "auth-key-123", "aes", "not-the-key"), sender.engine.engine_id
    )
    nobody = trapgen.V3Sender(UserConfig("nobody", "sha", "auth-key-123", "aes", "priv-key-123"))
    assert d.decode(sender.trap(trapgen.LINK_DOWN, 1, as_user=wrong_auth), SRC)[0] == Refused("wrong_digest")
    assert d.decode(sender.trap(trapgen.LINK_DOWN, 1, as_user=wrong_priv), SRC)[0] == Refused(
        "decryption_error"
    )
    assert d.decode(nobody.trap(trapgen.LINK_DOWN, 1), SRC)[0] == Refused("unknown_user")


def test_v3_discovery_for_informs_answers_with_our_engine_id() -> None:
    result, reply = decoder().decode(trapgen.v3_discovery_probe(), SRC)
    assert result == Refused("discovery") and reply is not None and RX_ENGINE in reply


def test_truncations_of_valid_traps_are_malformed_not_errors() -> None:
    d = decoder()
    good = [
        trapgen.v2c(trapgen.LINK_DOWN, 3),
        trapgen.v1_link_down(2),
        trapgen.V3Sender(USER).trap(trapgen.LINK_UP, 4),
    ]
    for data in good:
        for cut in range(len(data)):
            result, _ = d.decode(data[:cut], SRC)
            assert isinstance(result, Malformed | Refused), (cut, result)


@settings(max_examples=3000, deadline=None)
@given(st.binary(max_size=600))
def test_fuzz_random_bytes_never_raise(data: bytes) -> None:
    result, _ = decoder().decode(data, SRC)
    assert isinstance(result, Trap | Refused | Malformed)


@settings(max_examples=1500, deadline=None)
@given(st.sampled_from([0, 1, 2]), st.data())
def test_fuzz_mutated_valid_traps_never_raise(which: int, data: st.DataObject) -> None:
    base = bytearray(
        [
            trapgen.v2c(trapgen.LINK_DOWN, 3),
            trapgen.v1_link_down(2),
            trapgen.V3Sender(USER).trap(trapgen.LINK_UP, 4),
        ][which]
    )
    for _ in range(data.draw(st.integers(1, 6))):
        pos = data.draw(st.integers(0, len(base) - 1))
        base[pos] = data.draw(st.integers(0, 255))
    result, _ = decoder().decode(bytes(base), SRC)
    assert isinstance(result, Trap | Refused | Malformed)
