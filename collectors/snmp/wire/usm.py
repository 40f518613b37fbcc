"""SNMPv3: the message processing model (RFC 3412) and the User-based Security Model (RFC 3414),
with SHA-2 authentication (RFC 7860) and AES privacy (RFC 3826, plus AES-192/256 with the
Blumenthal key extension that Net-SNMP's ``-x AES256`` and pysnmp's
``usmAesBlumenthalCfb256Protocol`` use).

One :class:`UsmEngine` is one authoritative SNMP engine (a simulated device, or the trap
receiver answering informs). It turns an incoming datagram into either a verified, decrypted
request or a ready-to-send Report, and wraps outgoing scoped PDUs (responses, traps) into
authenticated, encrypted messages. :class:`NotificationVerifier` is the other side of a trap:
the sender is the authoritative engine, so the receiver localises each user's keys to the
sender's engine ID (cached) before checking the digest and decrypting.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

try:  # cryptography >= 47 keeps CFB among the "decrepit" modes; SNMP still needs it (RFC 3826)
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # pragma: no cover - older cryptography
    from cryptography.hazmat.primitives.ciphers.modes import CFB

from collectors.snmp.wire import ber
from collectors.snmp.wire.ber import BERError

# msgFlags bits (RFC 3412 6.4)
FLAG_AUTH = 0x01
FLAG_PRIV = 0x02
FLAG_REPORTABLE = 0x04

USM_SECURITY_MODEL = 3
TIME_WINDOW = 150  # seconds, RFC 3414 2.2.3
MAX_ENGINE_BOOTS = 2147483647
# Largest message this engine accepts or builds (RFC 3417 allows up to 65507 over UDP/IPv4).
ENGINE_MAX_MESSAGE_SIZE = 65507

# usmStats (RFC 3414 5) and the MPD/engine counters the reports refer to.
USM_STATS = (1, 3, 6, 1, 6, 3, 15, 1, 1)
OID_UNSUPPORTED_SEC_LEVELS = (*USM_STATS, 1, 0)
OID_NOT_IN_TIME_WINDOWS = (*USM_STATS, 2, 0)
OID_UNKNOWN_USER_NAMES = (*USM_STATS, 3, 0)
OID_UNKNOWN_ENGINE_IDS = (*USM_STATS, 4, 0)
OID_WRONG_DIGESTS = (*USM_STATS, 5, 0)
OID_DECRYPTION_ERRORS = (*USM_STATS, 6, 0)

# Auth protocols: hashlib name and the length of the truncated HMAC in msgAuthenticationParameters.
AUTH_PROTOCOLS: dict[str, tuple[str, int]] = {
    "md5": ("md5", 12),
    "sha": ("sha1", 12),
    "sha224": ("sha224", 16),
    "sha256": ("sha256", 24),
    "sha384": ("sha384", 32),
    "sha512": ("sha512", 48),
}
# Privacy protocols: AES key size in bytes (CFB128 in every case).
PRIV_PROTOCOLS: dict[str, int] = {"aes": 16, "aes192": 24, "aes256": 32}

_EXPANSION = 1048576  # RFC 3414 A.2.1: the password is repeated to 1 MiB


class UsmError(ValueError):
    """Bad USM configuration (unknown protocol, short password, ...)."""


@functools.lru_cache(maxsize=64)
def password_to_key(password: bytes, hash_name: str) -> bytes:
    """RFC 3414 A.2 (and RFC 7860 with the SHA-2 hashes): hash the password repeated to 1 MiB.

    Cached: a lab of 1,000 devices shares a handful of passwords, and each expansion costs a few
    milliseconds, while localisation (below) is per engine and cheap.
    """
    if not password:
        raise UsmError("an SNMPv3 password must not be empty")
    reps = _EXPANSION // len(password) + 1
    return hashlib.new(hash_name, (password * reps)[:_EXPANSION]).digest()


def localize_key(key: bytes, engine_id: bytes, hash_name: str) -> bytes:
    """RFC 3414 2.6: Kul = H(Ku || snmpEngineID || Ku)."""
    return hashlib.new(hash_name, key + engine_id + key).digest()


def extend_key_blumenthal(key: bytes, hash_name: str, size: int) -> bytes:
    """draft-blumenthal-aes-usm-04 3.1.2.1: Kul' = Kul || H(Kul) || H(Kul || H(Kul)) ..., truncated."""
    out = key
    while len(out) < size:
        out += hashlib.new(hash_name, out).digest()
    return out[:size]


def aes_cfb(key: bytes, iv: bytes, data: bytes, encrypt: bool) -> bytes:
    cipher = Cipher(algorithms.AES(key), CFB(iv))
    op = cipher.encryptor() if encrypt else cipher.decryptor()
    return op.update(data) + op.finalize()


@dataclass(frozen=True)
class UserConfig:
    """A USM user as configured (passwords, not keys)."""

    name: str
    auth_proto: str | None = None
    auth_password: str = field(default="", repr=False)
    priv_proto: str | None = None
    priv_password: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if self.auth_proto is not None and self.auth_proto not in AUTH_PROTOCOLS:
            raise UsmError(f"unknown auth protocol {self.auth_proto!r} (use one of {sorted(AUTH_PROTOCOLS)})")
        if self.priv_proto is not None and self.priv_proto not in PRIV_PROTOCOLS:
            raise UsmError(
                f"unknown privacy protocol {self.priv_proto!r} (use one of {sorted(PRIV_PROTOCOLS)})"
            )
        if self.priv_proto is not None and self.auth_proto is None:
            raise UsmError("privacy needs authentication")
        for what, proto, pw in (
            ("auth", self.auth_proto, self.auth_password),
            ("priv", self.priv_proto, self.priv_password),
        ):
            # Net-SNMP and RFC 3414 11.2 insist on 8 characters; refusing here avoids a lab that
            # works with one client and not another.
            if proto is not None and len(pw) < 8:
                raise UsmError(f"the {what} password of user {self.name!r} needs at least 8 characters")


@dataclass(frozen=True)
class LocalizedUser:
    """A user's keys localised to one engine: computed once per (user, engine)."""

    name: bytes
    auth_hash: str | None
    mac_len: int
    auth_key: bytes = field(repr=False)
    priv_key: bytes = field(repr=False)  # AES key of the right size, b"" without privacy

    @property
    def has_auth(self) -> bool:
        return self.auth_hash is not None

    @property
    def has_priv(self) -> bool:
        return bool(self.priv_key)

    @classmethod
    def create(cls, cfg: UserConfig, engine_id: bytes) -> LocalizedUser:
        if cfg.auth_proto is None:
            return cls(cfg.name.encode(), None, 0, b"", b"")
        hash_name, mac_len = AUTH_PROTOCOLS[cfg.auth_proto]
        auth_key = localize_key(password_to_key(cfg.auth_password.encode(), hash_name), engine_id, hash_name)
        priv_key = b""
        if cfg.priv_proto is not None:
            size = PRIV_PROTOCOLS[cfg.priv_proto]
            # RFC 3826 3.1.2.1: the privacy key is localised with the *auth* protocol's hash.
            local = localize_key(password_to_key(cfg.priv_password.encode(), hash_name), engine_id, hash_name)
            priv_key = extend_key_blumenthal(local, hash_name, size)
        return cls(cfg.name.encode(), hash_name, mac_len, auth_key, priv_key)

    def mac(self, message: bytes) -> bytes:
        assert self.auth_hash is not None
        return hmac.digest(self.auth_key, message, self.auth_hash)[: self.mac_len]


@dataclass
class UsmStats:
    unsupported_sec_levels: int = 0
    not_in_time_windows: int = 0
    unknown_user_names: int = 0
    unknown_engine_ids: int = 0
    wrong_digests: int = 0
    decryption_errors: int = 0
    # RFC 3412 MPD counters
    unknown_security_models: int = 0
    invalid_msgs: int = 0
    unknown_pdu_handlers: int = 0
    unknown_contexts: int = 0  # SNMP-TARGET-MIB snmpUnknownContexts


@dataclass(frozen=True)
class V3Request:
    """A verified (and decrypted) incoming v3 message."""

    msg_id: int
    max_size: int
    flags: int
    user: LocalizedUser | None  # None only for noAuthNoPriv from a user we know nothing about
    user_name: bytes
    context_engine_id: bytes
    context_name: bytes
    scoped: bytes  # the plaintext scoped PDU buffer
    pdu_start: int  # position of the PDU TLV inside ``scoped``
    pdu_end: int

    @property
    def security_level(self) -> int:
        """1 noAuthNoPriv, 2 authNoPriv, 3 authPriv (SNMP-FRAMEWORK-MIB SnmpSecurityLevel)."""
        return 1 + (self.flags & FLAG_AUTH) + ((self.flags & FLAG_PRIV) >> 1)


@dataclass(frozen=True)
class _Header:
    msg_id: int
    max_size: int
    flags: int
    engine_id: bytes
    boots: int
    time: int
    user_name: bytes
    auth_params: tuple[int, int]  # positions of msgAuthenticationParameters content in the datagram
    priv_params: bytes
    data_start: int  # msgData TLV position
    end: int


def _parse_header(data: bytes) -> _Header:
    end = len(data)
    s, e = ber.expect(data, 0, end, ber.SEQUENCE)
    if e != end:
        raise BERError("trailing bytes after message")
    vs, ve = ber.expect(data, s, e, ber.INTEGER)
    if ber.decode_integer(data, vs, ve) != 3:
        raise BERError("not an SNMPv3 message")
    hs, he = ber.expect(data, ve, e, ber.SEQUENCE)
    p = hs
    xs, xe = ber.expect(data, p, he, ber.INTEGER)
    msg_id = ber.decode_integer(data, xs, xe)
    xs, xe = ber.expect(data, xe, he, ber.INTEGER)
    max_size = ber.decode_integer(data, xs, xe)
    fs, fe = ber.expect(data, xe, he, ber.OCTET_STRING)
    if fe - fs != 1:
        raise BERError("msgFlags must be one byte")
    flags = data[fs]
    xs, xe = ber.expect(data, fe, he, ber.INTEGER)
    model = ber.decode_integer(data, xs, xe)
    if xe != he:
        raise BERError("trailing bytes in msgGlobalData")
    if model != USM_SECURITY_MODEL:
        raise _UnknownModel
    ps, pe = ber.expect(data, he, e, ber.OCTET_STRING)
    ss, se = ber.expect(data, ps, pe, ber.SEQUENCE)
    if se != pe:
        raise BERError("trailing bytes in msgSecurityParameters")
    es, ee = ber.expect(data, ss, se, ber.OCTET_STRING)
    bs, be = ber.expect(data, ee, se, ber.INTEGER)
    ts, te = ber.expect(data, be, se, ber.INTEGER)
    us, ue = ber.expect(data, te, se, ber.OCTET_STRING)
    as_, ae = ber.expect(data, ue, se, ber.OCTET_STRING)
    vs2, ve2 = ber.expect(data, ae, se, ber.OCTET_STRING)
    if ve2 != se:
        raise BERError("trailing bytes in UsmSecurityParameters")
    if ee - es > 32 or ue - us > 32:
        raise BERError("engine ID or user name too long")
    if not (0 <= msg_id <= 2147483647 and 484 <= max_size <= 2147483647):
        raise _InvalidMsg
    if flags & FLAG_PRIV and not flags & FLAG_AUTH:
        raise _InvalidMsg
    return _Header(
        msg_id=msg_id,
        max_size=max_size,
        flags=flags,
        engine_id=bytes(data[es:ee]),
        boots=ber.decode_integer(data, bs, be),
        time=ber.decode_integer(data, ts, te),
        user_name=bytes(data[us:ue]),
        auth_params=(as_, ae),
        priv_params=bytes(data[vs2:ve2]),
        data_start=pe,
        end=e,
    )


class _UnknownModel(Exception):
    pass


class _InvalidMsg(Exception):
    pass


def _scoped_pdu_bounds(buf: bytes, pos: int, end: int) -> tuple[bytes, bytes, int, int]:
    """Parse a ScopedPDU SEQUENCE at ``pos``: contextEngineID, contextName and the PDU TLV span."""
    s, e = ber.expect(buf, pos, end, ber.SEQUENCE)
    cs, ce = ber.expect(buf, s, e, ber.OCTET_STRING)
    ns, ne = ber.expect(buf, ce, e, ber.OCTET_STRING)
    _tag, _ps, pe = ber.read_tlv(buf, ne, e)
    if pe != e:
        raise BERError("trailing bytes in scopedPDU")
    return bytes(buf[cs:ce]), bytes(buf[ns:ne]), ne, pe


def _request_id_of(buf: bytes, pdu_start: int, pdu_end: int) -> int:
    """The request-id of a PDU, or 0 when it cannot be read (Reports echo it when they can)."""
    try:
        _tag, s, e = ber.read_tlv(buf, pdu_start, pdu_end)
        xs, xe = ber.expect(buf, s, e, ber.INTEGER)
        return ber.decode_integer(buf, xs, xe)
    except BERError:
        return 0


class UsmEngine:
    """An authoritative SNMPv3 engine: one per simulated device.

    ``booted_at`` is the ``time.monotonic()`` instant the engine last (re)started; engineTime is
    the whole seconds since then. The device moves it on a simulated restart.
    """

    def __init__(self, engine_id: bytes, users: Iterable[UserConfig], boots: int = 1, booted_at: float = 0.0):
        if not 5 <= len(engine_id) <= 32:
            raise UsmError("snmpEngineID must be 5..32 bytes (RFC 3411)")
        self.engine_id = engine_id
        self.boots = boots
        self.booted_at = booted_at
        self.stats = UsmStats()
        self.users: dict[bytes, LocalizedUser] = {}
        for cfg in users:
            user = LocalizedUser.create(cfg, engine_id)
            self.users[user.name] = user
        # RFC 3826 3.1.2.1: a 64-bit salt that must not repeat for a key; start at random.
        self._salt = int.from_bytes(os.urandom(8), "big")
        self._engine_id_tlv = ber.encode_octets(engine_id)

    def engine_time(self, now: float) -> int:
        return min(max(int(now - self.booted_at), 0), 2147483647)

    def restart(self, now: float) -> None:
        self.boots = min(self.boots + 1, MAX_ENGINE_BOOTS)
        self.booted_at = now

    # -- incoming ----------------------------------------------------------------------------

    def incoming(self, data: bytes, now: float) -> V3Request | bytes | None:
        """Verify and decrypt a request. Returns the request, a Report message to send back,
        or None to drop the datagram silently. Raises BERError on malformed input."""
        try:
            h = _parse_header(data)
        except _UnknownModel:
            self.stats.unknown_security_models += 1
            return None
        except _InvalidMsg:
            self.stats.invalid_msgs += 1
            return None
        reportable = bool(h.flags & FLAG_REPORTABLE)
        level_flags = h.flags & (FLAG_AUTH | FLAG_PRIV)

        # The plaintext scoped PDU is readable now when there is no privacy: Reports then echo
        # the request-id, as Net-SNMP's agent does.
        plain: tuple[bytes, bytes, int, int] | None = None
        if not h.flags & FLAG_PRIV:
            plain = _scoped_pdu_bounds(data, h.data_start, h.end)

        def report(oid: tuple[int, ...], value: int, user: LocalizedUser | None = None) -> bytes | None:
            if not reportable:
                return None
            request_id = _request_id_of(data, plain[2], plain[3]) if plain is not None else 0
            return self.report(h.msg_id, h.user_name, oid, value, request_id, now, user)

        if h.engine_id != self.engine_id:
            self.stats.unknown_engine_ids += 1
            return report(OID_UNKNOWN_ENGINE_IDS, self.stats.unknown_engine_ids)
        user = self.users.get(h.user_name)
        if user is None:
            self.stats.unknown_user_names += 1
            return report(OID_UNKNOWN_USER_NAMES, self.stats.unknown_user_names)
        if (level_flags & FLAG_AUTH and not user.has_auth) or (level_flags & FLAG_PRIV and not user.has_priv):
            self.stats.unsupported_sec_levels += 1
            return report(OID_UNSUPPORTED_SEC_LEVELS, self.stats.unsupported_sec_levels)
        if level_flags & FLAG_AUTH:
            as_, ae = h.auth_params
            if ae - as_ != user.mac_len:
                self.stats.wrong_digests += 1
                return report(OID_WRONG_DIGESTS, self.stats.wrong_digests)
            zeroed = data[:as_] + bytes(user.mac_len) + data[ae:]
            if not hmac.compare_digest(user.mac(zeroed), data[as_:ae]):
                self.stats.wrong_digests += 1
                return report(OID_WRONG_DIGESTS, self.stats.wrong_digests)
            # RFC 3414 3.2 step 7: timeliness, reported at authNoPriv so the sender can trust
            # the boots/time it carries and resynchronise.
            our_time = self.engine_time(now)
            if (
                self.boots == MAX_ENGINE_BOOTS
                or h.boots != self.boots
                or abs(h.time - our_time) > TIME_WINDOW
            ):
                self.stats.not_in_time_windows += 1
                return report(OID_NOT_IN_TIME_WINDOWS, self.stats.not_in_time_windows, user)
        if level_flags & FLAG_PRIV:
            try:
                ds, de = ber.expect(data, h.data_start, h.end, ber.OCTET_STRING)
                if len(h.priv_params) != 8 or de != h.end:
                    raise BERError("bad privacy parameters")
                iv = h.boots.to_bytes(4, "big") + h.time.to_bytes(4, "big") + h.priv_params
                scoped = aes_cfb(user.priv_key, iv, bytes(data[ds:de]), encrypt=False)
                ctx_engine, ctx_name, ps, pe = _scoped_pdu_bounds(scoped, 0, len(scoped))
            except (BERError, ValueError, OverflowError):
                self.stats.decryption_errors += 1
                return report(OID_DECRYPTION_ERRORS, self.stats.decryption_errors)
            return V3Request(
                h.msg_id, h.max_size, h.flags, user, h.user_name, ctx_engine, ctx_name, scoped, ps, pe
            )
        assert plain is not None
        ctx_engine, ctx_name, ps, pe = plain
        return V3Request(h.msg_id, h.max_size, h.flags, user, h.user_name, ctx_engine, ctx_name, data, ps, pe)

    # -- outgoing ----------------------------------------------------------------------------

    def report(
        self,
        msg_id: int,
        user_name: bytes,
        oid: tuple[int, ...],
        value: int,
        request_id: int,
        now: float,
        user: LocalizedUser | None = None,
    ) -> bytes:
        """A Report carrying one usmStats counter (authNoPriv when ``user`` is given)."""
        vb = ber.varbind(ber.encode_oid(oid), ber.encode_counter32(value))
        pdu = ber.encode_pdu(ber.REPORT, request_id, 0, 0, vb)
        scoped = ber.sequence(self._engine_id_tlv, ber.encode_octets(b""), pdu)
        flags = FLAG_AUTH if user is not None else 0
        return self.wrap(msg_id, flags, user, user_name, scoped, now)

    def wrap(
        self,
        msg_id: int,
        flags: int,
        user: LocalizedUser | None,
        user_name: bytes,
        scoped_pdu: bytes,
        now: float,
        max_size: int = ENGINE_MAX_MESSAGE_SIZE,
    ) -> bytes:
        """Build a complete v3 message from a plaintext scoped PDU, from this (authoritative)
        engine: responses, reports and notifications all use it. ``max_size`` is the
        msgMaxSize announced (what this engine accepts)."""
        boots = self.boots
        etime = self.engine_time(now)
        salt = b""
        if flags & FLAG_PRIV:
            assert user is not None and user.has_priv
            self._salt = (self._salt + 1) & 0xFFFFFFFFFFFFFFFF
            salt = self._salt.to_bytes(8, "big")
            iv = boots.to_bytes(4, "big") + etime.to_bytes(4, "big") + salt
            msg_data = ber.tlv(ber.OCTET_STRING, aes_cfb(user.priv_key, iv, scoped_pdu, encrypt=True))
        else:
            msg_data = scoped_pdu
        mac_len = user.mac_len if flags & FLAG_AUTH and user is not None else 0
        head = (
            self._engine_id_tlv
            + ber.encode_integer(boots)
            + ber.encode_integer(etime)
            + ber.tlv(ber.OCTET_STRING, user_name)
        )
        sec_seq_content = head + ber.tlv(ber.OCTET_STRING, bytes(mac_len)) + ber.tlv(ber.OCTET_STRING, salt)
        sec_seq = ber.tlv(ber.SEQUENCE, sec_seq_content)
        sec_params = ber.tlv(ber.OCTET_STRING, sec_seq)
        global_data = ber.sequence(
            ber.encode_integer(msg_id),
            ber.encode_integer(max_size),
            bytes((ber.OCTET_STRING, 1, flags)),
            ber.encode_integer(USM_SECURITY_MODEL),
        )
        content = b"\x02\x01\x03" + global_data + sec_params + msg_data
        message = ber.tlv(ber.SEQUENCE, content)
        if not mac_len:
            return message
        assert user is not None
        # Offset of the zeroed auth parameters: message header, version, globalData, the two
        # headers around the security parameters, the fields before the auth params, and the
        # auth params' own tag + length byte (mac_len < 128, so a single length byte).
        offset = (
            (len(message) - len(content))
            + 3
            + len(global_data)
            + (len(sec_params) - len(sec_seq))
            + (len(sec_seq) - len(sec_seq_content))
            + len(head)
            + 2
        )
        mac = user.mac(message)
        return message[:offset] + mac + message[offset + mac_len :]


# ---------------------------------------------------------------------------------------------
# Receiving notifications (the sender is authoritative)
# ---------------------------------------------------------------------------------------------


class Rejected(Exception):
    """A v3 notification that fails the security checks; ``reason`` names which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Notification:
    """A verified, decrypted v3 notification (trap or inform)."""

    engine_id: bytes
    user_name: bytes
    flags: int
    msg_id: int
    scoped: bytes
    pdu_start: int
    pdu_end: int


def engine_id_of(data: bytes) -> bytes:
    """The msgAuthoritativeEngineID of a v3 message (raises BERError if malformed)."""
    try:
        return _parse_header(data).engine_id
    except (_UnknownModel, _InvalidMsg) as exc:
        raise BERError("not a USM message") from exc


class NotificationVerifier:
    """Checks traps from any engine against the configured users; requires authPriv when
    ``require_priv`` (the default: a v3 trap receiver that accepts less is an open door)."""

    def __init__(self, users: Iterable[UserConfig], require_priv: bool = True) -> None:
        self.configs = {u.name.encode(): u for u in users}
        self.require_priv = require_priv
        self._keys: dict[tuple[bytes, bytes], LocalizedUser] = {}

    def _localized(self, name: bytes, engine_id: bytes) -> LocalizedUser | None:
        key = (name, engine_id)
        user = self._keys.get(key)
        if user is None:
            cfg = self.configs.get(name)
            if cfg is None:
                return None
            if len(self._keys) > 100_000:  # bounded: engine IDs come from the network
                self._keys.clear()
            user = self._keys[key] = LocalizedUser.create(cfg, engine_id)
        return user

    def verify(self, data: bytes) -> Notification:
        """Raises Rejected (security) or BERError (malformed)."""
        try:
            h = _parse_header(data)
        except (_UnknownModel, _InvalidMsg) as exc:
            raise BERError("not a USM message") from exc
        if not 5 <= len(h.engine_id) <= 32:
            raise Rejected("unknown_engine_id")
        user = self._localized(h.user_name, h.engine_id)
        if user is None:
            raise Rejected("unknown_user")
        need = FLAG_AUTH | (FLAG_PRIV if self.require_priv else 0)
        if (
            h.flags & need != need
            or (h.flags & FLAG_AUTH and not user.has_auth)
            or (h.flags & FLAG_PRIV and not user.has_priv)
        ):
            raise Rejected("unsupported_security_level")
        as_, ae = h.auth_params
        if ae - as_ != user.mac_len:
            raise Rejected("wrong_digest")
        zeroed = data[:as_] + bytes(user.mac_len) + data[ae:]
        if not hmac.compare_digest(user.mac(zeroed), data[as_:ae]):
            raise Rejected("wrong_digest")
        if h.flags & FLAG_PRIV:
            try:
                ds, de = ber.expect(data, h.data_start, h.end, ber.OCTET_STRING)
                if len(h.priv_params) != 8 or de != h.end:
                    raise BERError("bad privacy parameters")
                iv = h.boots.to_bytes(4, "big") + h.time.to_bytes(4, "big") + h.priv_params
                scoped = aes_cfb(user.priv_key, iv, bytes(data[ds:de]), encrypt=False)
                _ce, _cn, ps, pe = _scoped_pdu_bounds(scoped, 0, len(scoped))
            except (BERError, ValueError, OverflowError) as exc:
                raise Rejected("decryption_error") from exc
            return Notification(h.engine_id, h.user_name, h.flags, h.msg_id, scoped, ps, pe)
        _ce, _cn, ps, pe = _scoped_pdu_bounds(data, h.data_start, h.end)
        return Notification(h.engine_id, h.user_name, h.flags, h.msg_id, data, ps, pe)


# ---------------------------------------------------------------------------------------------
# The requesting side (the fast poller, collectors.snmp.fastpoll): the agent is authoritative
# ---------------------------------------------------------------------------------------------

MessageHeader = _Header


def parse_message_header(data: bytes) -> MessageHeader:
    """The parsed header of a v3 message (any direction). Raises BERError when the message is
    malformed or not USM, so a client can count-and-drop it like any other bad datagram."""
    try:
        return _parse_header(data)
    except (_UnknownModel, _InvalidMsg) as exc:
        raise BERError("not a USM message") from exc


def scoped_pdu_bounds(buf: bytes, pos: int, end: int) -> tuple[bytes, bytes, int, int]:
    """Public form of the ScopedPDU parser: (contextEngineID, contextName, PDU start, PDU end)."""
    return _scoped_pdu_bounds(buf, pos, end)
