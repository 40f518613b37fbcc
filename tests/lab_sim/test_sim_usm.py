"""USM of the simulated agents: published key-derivation vectors, and what an agent does with
good, forged, stale and undecryptable messages (RFC 3414 3.2)."""

from __future__ import annotations

import hashlib
import time

import pytest

from collectors.snmp.wire import ber
from collectors.snmp.wire.usm import (
    FLAG_AUTH,
    FLAG_PRIV,
    FLAG_REPORTABLE,
    OID_DECRYPTION_ERRORS,
    OID_NOT_IN_TIME_WINDOWS,
    OID_UNKNOWN_ENGINE_IDS,
    OID_UNKNOWN_USER_NAMES,
    OID_UNSUPPORTED_SEC_LEVELS,
    OID_WRONG_DIGESTS,
    LocalizedUser,
    UserConfig,
    UsmEngine,
    UsmError,
    V3Request,
    extend_key_blumenthal,
    localize_key,
    password_to_key,
)

RFC_ENGINE = bytes.fromhex("000000000000000000000002")


def test_rfc3414_a31_md5_vector() -> None:
    ku = password_to_key(b"maplesyrup", "md5")
    assert ku.hex() == "9faf3283884e92834ebc9847d8edd963"
    assert localize_key(ku, RFC_ENGINE, "md5").hex() == "526f5eed9fcce26f8964c2930787d82b"


def test_rfc3414_a32_sha1_vector() -> None:
    ku = password_to_key(b"maplesyrup", "sha1")
    assert ku.hex() == "9fb5cc0381497b3793528939ff788d5d79145211"
    assert localize_key(ku, RFC_ENGINE, "sha1").hex() == "6695febc9288e36282235fc7151f128497b38f3f"


def test_rfc7860_sha256_vector() -> None:
    """RFC 7860 A.1: RFC 3414's algorithm with SHA-256 (the widely used maplesyrup vector)."""
    ku = password_to_key(b"maplesyrup", "sha256")
    assert ku.hex() == "ab51014d1e077f6017df2b12bee5f5aa72993177e9bb569c4dff5a4ca0b4afac"
    assert (
        localize_key(ku, RFC_ENGINE, "sha256").hex()
        == "8982e0e549e866db361a6b625d84cccc11162d453ee8ce3a6445c2d6776f0f8b"
    )


def test_keys_agree_with_pysnmp() -> None:
    """An independent implementation (pysnmp) derives the same SHA-256 auth key and the same
    Blumenthal-extended AES-256 key from a SHA-1 localised key."""
    import pysnmp.hlapi.v3arch.asyncio  # noqa: F401 - imports pysnmp's modules in a working order
    from pyasn1.type.univ import OctetString
    from pysnmp.proto.secmod.eso.priv.aes256 import AesBlumenthal256
    from pysnmp.proto.secmod.rfc3414.auth.hmacsha import HmacSha
    from pysnmp.proto.secmod.rfc3414.localkey import hash_passphrase
    from pysnmp.proto.secmod.rfc3414.localkey import password_to_key as py_p2k

    engine = bytes.fromhex("80007571046c61623a7231")
    ours = localize_key(password_to_key(b"ossim-auth-key", "sha256"), engine, "sha256")
    assert ours == bytes(py_p2k(b"ossim-auth-key", OctetString(engine), hashlib.sha256))
    local_priv = localize_key(password_to_key(b"ossim-priv-key", "sha1"), engine, "sha1")
    ku = hash_passphrase(b"ossim-priv-key", hashlib.sha1)
    py_key = AesBlumenthal256().localize_key(HmacSha.SERVICE_ID, ku, OctetString(engine))
    assert extend_key_blumenthal(local_priv, "sha1", 32) == bytes(py_key)


def test_password_rules() -> None:
    with pytest.raises(UsmError):
        UserConfig("u", "sha", "short")
    with pytest.raises(UsmError):
        UserConfig("u", None, "", "aes", "long-enough")
    with pytest.raises(UsmError):
        UserConfig("u", "md4", "long-enough")


# -- the agent side ------------------------------------------------------------------------------

ENGINE_ID = bytes.fromhex("80001f8804") + b"usm-test"
USERS = [
    UserConfig("ossim", "sha", "ossim-auth-key", "aes", "ossim-priv-key"),
    UserConfig("ossim256", "sha256", "ossim-auth-key", "aes256", "ossim-priv-key"),
    UserConfig("authonly", "sha", "ossim-auth-key"),
]


def _get_pdu(request_id: int = 77) -> bytes:
    vb = ber.varbind(ber.encode_oid((1, 3, 6, 1, 2, 1, 1, 5, 0)), ber.NULL_TLV)
    return ber.encode_pdu(ber.GET_REQUEST, request_id, 0, 0, vb)


def _scoped(engine_id: bytes = ENGINE_ID) -> bytes:
    return ber.sequence(ber.encode_octets(engine_id), ber.encode_octets(b""), _get_pdu())


def _request(
    sender: UsmEngine, user: str, flags: int, now: float, key_user: LocalizedUser | None = None
) -> bytes:
    """A request as a manager would build it: the authoritative engine's ID, boots and time.
    ``sender`` plays the manager's view of the agent's engine (same format as any message)."""
    name = user.encode()
    lu = key_user or sender.users.get(name)
    return sender.wrap(9, flags | FLAG_REPORTABLE, lu, name, _scoped(), now)


def _report_oid(msg: bytes) -> tuple[int, ...]:
    """The varbind OID of a plaintext Report."""
    end = len(msg)
    s, e = ber.expect(msg, 0, end, ber.SEQUENCE)
    _vs, ve = ber.expect(msg, s, e, ber.INTEGER)
    _hs, he = ber.expect(msg, ve, e, ber.SEQUENCE)
    _ps, pe = ber.expect(msg, he, e, ber.OCTET_STRING)
    ss, se = ber.expect(msg, pe, e, ber.SEQUENCE)
    _c1, c1e = ber.expect(msg, ss, se, ber.OCTET_STRING)
    _c2, c2e = ber.expect(msg, c1e, se, ber.OCTET_STRING)
    pdu, _ = ber.decode_pdu(msg, c2e, se)
    assert pdu.tag == ber.REPORT
    return pdu.varbinds[0][0]


def _flags_of(msg: bytes) -> int:
    end = len(msg)
    s, e = ber.expect(msg, 0, end, ber.SEQUENCE)
    _vs, ve = ber.expect(msg, s, e, ber.INTEGER)
    hs, he = ber.expect(msg, ve, e, ber.SEQUENCE)
    _a, ae = ber.expect(msg, hs, he, ber.INTEGER)
    _b, be = ber.expect(msg, ae, he, ber.INTEGER)
    fs, _fe = ber.expect(msg, be, he, ber.OCTET_STRING)
    return msg[fs]


@pytest.fixture
def agent() -> UsmEngine:
    return UsmEngine(ENGINE_ID, USERS, boots=3, booted_at=time.monotonic() - 1000)


@pytest.mark.parametrize("user", ["ossim", "ossim256"])
def test_authpriv_request_is_verified_and_decrypted(agent: UsmEngine, user: str) -> None:
    now = time.monotonic()
    res = agent.incoming(_request(agent, user, FLAG_AUTH | FLAG_PRIV, now), now)
    assert isinstance(res, V3Request)
    assert res.user_name == user.encode() and res.security_level == 3
    assert res.scoped[res.pdu_start : res.pdu_end] == _get_pdu()


def test_discovery_gets_unknown_engine_id_report_with_engine_id(agent: UsmEngine) -> None:
    now = time.monotonic()
    stranger = UsmEngine(b"\x80\x00\x00\x00\x04other", [], boots=0)
    probe = stranger.wrap(1, FLAG_REPORTABLE, None, b"", _scoped(b""), now)
    report = agent.incoming(probe, now)
    assert isinstance(report, bytes)
    assert _report_oid(report) == OID_UNKNOWN_ENGINE_IDS
    assert ENGINE_ID in report and _flags_of(report) == 0
    assert agent.stats.unknown_engine_ids == 1


def test_no_report_without_reportable_flag(agent: UsmEngine) -> None:
    now = time.monotonic()
    stranger = UsmEngine(b"\x80\x00\x00\x00\x04other", [], boots=0)
    assert agent.incoming(stranger.wrap(1, 0, None, b"", _scoped(b""), now), now) is None
    assert agent.stats.unknown_engine_ids == 1


def test_unknown_user(agent: UsmEngine) -> None:
    now = time.monotonic()
    other = UsmEngine(
        ENGINE_ID,
        [UserConfig("mallory", "sha", "ossim-auth-key", "aes", "ossim-priv-key")],
        3,
        agent.booted_at,
    )
    report = agent.incoming(_request(other, "mallory", FLAG_AUTH | FLAG_PRIV, now), now)
    assert isinstance(report, bytes) and _report_oid(report) == OID_UNKNOWN_USER_NAMES


def test_wrong_auth_key_is_wrong_digest(agent: UsmEngine) -> None:
    now = time.monotonic()
    forger = UsmEngine(
        ENGINE_ID,
        [UserConfig("ossim", "sha", "not-the-auth-key", "aes", "ossim-priv-key")],
        3,
        agent.booted_at,
    )
    report = agent.incoming(_request(forger, "ossim", FLAG_AUTH | FLAG_PRIV, now), now)
    assert isinstance(report, bytes) and _report_oid(report) == OID_WRONG_DIGESTS
    assert agent.stats.wrong_digests == 1


def test_tampered_message_is_wrong_digest(agent: UsmEngine) -> None:
    now = time.monotonic()
    msg = bytearray(_request(agent, "ossim", FLAG_AUTH | FLAG_PRIV, now))
    msg[-1] ^= 0x01  # inside the encrypted PDU: only the MAC can notice
    report = agent.incoming(bytes(msg), now)
    assert isinstance(report, bytes) and _report_oid(report) == OID_WRONG_DIGESTS


def test_wrong_priv_key_is_decryption_error(agent: UsmEngine) -> None:
    now = time.monotonic()
    other = UsmEngine(
        ENGINE_ID,
        [UserConfig("ossim", "sha", "ossim-auth-key", "aes", "not-the-priv-key")],
        3,
        agent.booted_at,
    )
    report = agent.incoming(_request(other, "ossim", FLAG_AUTH | FLAG_PRIV, now), now)
    assert isinstance(report, bytes) and _report_oid(report) == OID_DECRYPTION_ERRORS


def test_stale_time_is_not_in_time_window_and_reported_authenticated(agent: UsmEngine) -> None:
    now = time.monotonic()
    stale = UsmEngine(ENGINE_ID, USERS, boots=3, booted_at=agent.booted_at + 151)  # 151 s behind
    report = agent.incoming(_request(stale, "ossim", FLAG_AUTH | FLAG_PRIV, now), now)
    assert isinstance(report, bytes) and _report_oid(report) == OID_NOT_IN_TIME_WINDOWS
    assert _flags_of(report) & FLAG_AUTH  # RFC 3414 3.2 7a: the sender can trust the new time
    ok = UsmEngine(ENGINE_ID, USERS, boots=3, booted_at=agent.booted_at + 149)
    assert isinstance(agent.incoming(_request(ok, "ossim", FLAG_AUTH | FLAG_PRIV, now), now), V3Request)


def test_old_boots_after_restart_is_not_in_time_window(agent: UsmEngine) -> None:
    now = time.monotonic()
    before = UsmEngine(ENGINE_ID, USERS, boots=agent.boots, booted_at=agent.booted_at)
    agent.restart(now)
    assert agent.boots == 4 and agent.engine_time(now) == 0
    report = agent.incoming(_request(before, "ossim", FLAG_AUTH | FLAG_PRIV, now), now)
    assert isinstance(report, bytes) and _report_oid(report) == OID_NOT_IN_TIME_WINDOWS


def test_priv_for_a_user_without_priv_is_unsupported_sec_level(agent: UsmEngine) -> None:
    now = time.monotonic()
    sender = UsmEngine(
        ENGINE_ID,
        [UserConfig("authonly", "sha", "ossim-auth-key", "aes", "some-priv-key")],
        3,
        agent.booted_at,
    )
    report = agent.incoming(_request(sender, "authonly", FLAG_AUTH | FLAG_PRIV, now), now)
    assert isinstance(report, bytes) and _report_oid(report) == OID_UNSUPPORTED_SEC_LEVELS


def test_response_is_authenticated_and_decryptable(agent: UsmEngine) -> None:
    """What the agent wraps, a manager with the same keys verifies and decrypts."""
    now = time.monotonic()
    user = agent.users[b"ossim256"]
    msg = agent.wrap(42, FLAG_AUTH | FLAG_PRIV | FLAG_REPORTABLE, user, b"ossim256", _scoped(), now)
    manager_view = UsmEngine(ENGINE_ID, USERS, boots=agent.boots, booted_at=agent.booted_at)
    res = manager_view.incoming(msg, now)
    assert isinstance(res, V3Request) and res.msg_id == 42
    assert res.scoped[res.pdu_start : res.pdu_end] == _get_pdu()
