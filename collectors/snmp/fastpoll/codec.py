"""Wire side of the fast poller: request templates and reply decoding, on collectors.snmp.wire.

Requests are built once and reused: a request-id is always four content bytes (ids live in
[2**24, 2**31), so the minimal BER encoding is four bytes), which keeps every length in the
message fixed and lets a template be ``head + id + tail``. Replies are decoded by position:
a varbind is matched to its column by comparing the raw OID bytes with the column's encoded
prefix (sub-identifier boundaries line up because a column's last byte never has the
continuation bit), and only the index suffix is ever turned into integers.
"""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass, field

from collectors.snmp.values import Exc, Value
from collectors.snmp.wire import ber, usm
from collectors.snmp.wire.ber import BERError
from collectors.specs import Oid

REQUEST_ID_MIN = 1 << 24
REQUEST_ID_MAX = (1 << 31) - 1

# What we accept from an agent: every agent must take 484, loopback and LAN agents take more.
MSG_MAX_SIZE = 65507
SNMP_V2C = 1

_V2C_VERSION = b"\x02\x01\x01"
_V3_VERSION = b"\x02\x01\x03"
_FLAGS_AUTH_PRIV_REPORTABLE = bytes(
    (ber.OCTET_STRING, 1, usm.FLAG_AUTH | usm.FLAG_PRIV | usm.FLAG_REPORTABLE)
)
_FLAGS_DISCOVERY = bytes((ber.OCTET_STRING, 1, usm.FLAG_REPORTABLE))
_USM_MODEL = ber.encode_integer(usm.USM_SECURITY_MODEL)
_MAX_SIZE = ber.encode_integer(MSG_MAX_SIZE)
_EMPTY_OCTETS = b"\x04\x00"

# RFC 3416 error-status names, for messages an operator can act on.
ERROR_STATUS = {
    1: "tooBig",
    2: "noSuchName",
    3: "badValue",
    4: "readOnly",
    5: "genErr",
    6: "noAccess",
    7: "wrongType",
    8: "wrongLength",
    9: "wrongEncoding",
    10: "wrongValue",
    11: "noCreation",
    12: "inconsistentValue",
    13: "resourceUnavailable",
    14: "commitFailed",
    15: "undoFailed",
    16: "authorizationError",
    17: "notWritable",
    18: "inconsistentName",
}

# Reports an agent sends instead of a response, and what the operator should check.
REPORT_REASONS: dict[Oid, str] = {
    usm.OID_UNSUPPORTED_SEC_LEVELS: "unsupported security level (the user is not configured for authPriv)",
    usm.OID_NOT_IN_TIME_WINDOWS: "not in time window",
    usm.OID_UNKNOWN_USER_NAMES: "unknown user name (check the SNMPv3 user)",
    usm.OID_UNKNOWN_ENGINE_IDS: "unknown engine ID",
    usm.OID_WRONG_DIGESTS: "wrong digest (check the SNMPv3 auth key and protocol)",
    usm.OID_DECRYPTION_ERRORS: "decryption error (check the SNMPv3 priv key and protocol)",
}

_EXC = {ber.NO_SUCH_OBJECT: Exc.NO_SUCH_OBJECT, ber.NO_SUCH_INSTANCE: Exc.NO_SUCH_INSTANCE,
        ber.END_OF_MIB_VIEW: Exc.END_OF_MIB_VIEW}  # fmt: skip
_UINT = (ber.COUNTER32, ber.GAUGE32, ber.TIMETICKS, ber.COUNTER64)


class ReplyError(Exception):
    """The agent answered, but not with data: an error-status, a Report, or a bad message."""


@dataclass(frozen=True)
class Template:
    """A complete request message with a hole for the four request-id bytes."""

    head: bytes
    tail: bytes

    def build(self, request_id: int) -> bytes:
        return self.head + request_id.to_bytes(4, "big") + self.tail


def oid_content(oid: Oid) -> bytes:
    """The BER content bytes of an OID (no tag, no length): the prefix varbinds are matched on."""
    return ber.encode_oid_content(oid)


def _varbind_list(oids: list[bytes]) -> bytes:
    """Concatenated VarBinds (OID content bytes, NULL values)."""
    return b"".join(ber.varbind(ber.tlv(ber.OBJECT_IDENTIFIER, c), ber.NULL_TLV) for c in oids)


def pdu_template(tag: int, non_repeaters: int, max_repetitions: int, oids: list[bytes]) -> Template:
    """A PDU TLV (GET/GETBULK) with the request-id hole."""
    after = (
        ber.encode_integer(non_repeaters)
        + ber.encode_integer(max_repetitions)
        + ber.tlv(ber.SEQUENCE, _varbind_list(oids))
    )
    content_len = 6 + len(after)  # 02 04 xx xx xx xx + the rest
    return Template(bytes((tag,)) + ber.encode_length(content_len) + b"\x02\x04", after)


def v2c_message(community: bytes, pdu: Template) -> Template:
    """Wrap a PDU template into a whole v2c message template."""
    before = _V2C_VERSION + ber.encode_octets(community) + pdu.head
    total = len(before) + 4 + len(pdu.tail)
    return Template(bytes((ber.SEQUENCE,)) + ber.encode_length(total) + before, pdu.tail)


def scoped_template(context_engine_id: bytes, pdu: Template) -> Template:
    """A plaintext ScopedPDU template (default context)."""
    before = ber.encode_octets(context_engine_id) + _EMPTY_OCTETS + pdu.head
    total = len(before) + 4 + len(pdu.tail)
    return Template(bytes((ber.SEQUENCE,)) + ber.encode_length(total) + before, pdu.tail)


def _v3_message(
    msg_id: int, flags: bytes, engine_tlv: bytes, boots: int, etime: int, user_tlv: bytes,
    mac_len: int, salt: bytes, msg_data: bytes,
) -> tuple[bytes, int]:  # fmt: skip
    """A v3 message and the offset of its (zeroed) msgAuthenticationParameters."""
    head = engine_tlv + ber.encode_integer(boots) + ber.encode_integer(etime) + user_tlv
    sec_content = head + ber.tlv(ber.OCTET_STRING, bytes(mac_len)) + ber.tlv(ber.OCTET_STRING, salt)
    sec_seq = ber.tlv(ber.SEQUENCE, sec_content)
    sec_params = ber.tlv(ber.OCTET_STRING, sec_seq)
    global_data = ber.sequence(ber.encode_integer(msg_id), _MAX_SIZE, flags, _USM_MODEL)
    content = _V3_VERSION + global_data + sec_params + msg_data
    message = ber.tlv(ber.SEQUENCE, content)
    offset = (
        (len(message) - len(content))
        + 3
        + len(global_data)
        + (len(sec_params) - len(sec_seq))
        + (len(sec_seq) - len(sec_content))
        + len(head)
        + 2
    )
    return message, offset


def discovery_message(msg_id: int) -> bytes:
    """RFC 3414 4: an empty noAuthNoPriv GET with an empty engine ID; the agent answers with a
    usmStatsUnknownEngineIDs Report that carries its engine ID, boots and time."""
    pdu = ber.encode_pdu(ber.GET_REQUEST, msg_id, 0, 0, b"")
    scoped = ber.sequence(_EMPTY_OCTETS, _EMPTY_OCTETS, pdu)
    message, _ = _v3_message(msg_id, _FLAGS_DISCOVERY, _EMPTY_OCTETS, 0, 0, _EMPTY_OCTETS, 0, b"", scoped)
    return message


@dataclass
class V3Peer:
    """What we know of one authoritative engine (one device): keys localised once to its
    engine ID, and its boots/time, tracked against our monotonic clock."""

    user: usm.LocalizedUser
    engine_id: bytes
    boots: int
    time_at: float  # our time.monotonic() when the engine's time was ``etime``
    etime: int
    _engine_tlv: bytes = field(init=False, repr=False)
    _user_tlv: bytes = field(init=False, repr=False)
    _salt: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._engine_tlv = ber.encode_octets(self.engine_id)
        self._user_tlv = ber.encode_octets(self.user.name)
        # RFC 3826 3.1.2.1: a salt that never repeats for a key; start anywhere.
        self._salt = int.from_bytes(os.urandom(8), "big")

    def sync(self, boots: int, etime: int, now: float) -> None:
        self.boots, self.etime, self.time_at = boots, etime, now

    def engine_time(self, now: float) -> int:
        return min(self.etime + int(now - self.time_at), 2147483647)

    def wrap(self, msg_id: int, scoped_pdu: bytes, now: float) -> bytes:
        """An authPriv request around a plaintext ScopedPDU."""
        user = self.user
        boots, etime = self.boots, self.engine_time(now)
        self._salt = (self._salt + 1) & 0xFFFFFFFFFFFFFFFF
        salt = self._salt.to_bytes(8, "big")
        iv = boots.to_bytes(4, "big") + etime.to_bytes(4, "big") + salt
        msg_data = ber.tlv(ber.OCTET_STRING, usm.aes_cfb(user.priv_key, iv, scoped_pdu, encrypt=True))
        message, offset = _v3_message(
            msg_id, _FLAGS_AUTH_PRIV_REPORTABLE, self._engine_tlv, boots, etime, self._user_tlv,
            user.mac_len, salt, msg_data,
        )  # fmt: skip
        return message[:offset] + user.mac(message) + message[offset + user.mac_len :]

    def unwrap(self, data: bytes, h: usm.MessageHeader, now: float) -> tuple[bytes, int, int]:
        """Check and decrypt a reply: (plaintext buffer, PDU start, PDU end).

        Unauthenticated Reports (wrong digest, unknown user, ...) raise ReplyError with the
        reason; an authenticated notInTimeWindow Report resynchronises the clock and raises
        :class:`OutOfTime` so the caller retries once.
        """
        if not h.flags & usm.FLAG_AUTH:
            # Only Reports come unauthenticated: say which counter the agent moved.
            _ce, _cn, ps, pe = usm.scoped_pdu_bounds(data, h.data_start, h.end)
            raise ReplyError(report_reason(data, ps, pe))
        user = self.user
        as_, ae = h.auth_params
        if ae - as_ != user.mac_len or h.engine_id != self.engine_id:
            raise ReplyError("reply failed authentication (engine ID or digest length)")
        zeroed = data[:as_] + bytes(user.mac_len) + data[ae:]
        if not hmac.compare_digest(user.mac(zeroed), data[as_:ae]):
            raise ReplyError("reply failed authentication (wrong digest)")
        if h.flags & usm.FLAG_PRIV:
            ds, de = ber.expect(data, h.data_start, h.end, ber.OCTET_STRING)
            if len(h.priv_params) != 8 or de != h.end:
                raise BERError("bad privacy parameters")
            iv = h.boots.to_bytes(4, "big") + h.time.to_bytes(4, "big") + h.priv_params
            plain = usm.aes_cfb(user.priv_key, iv, bytes(data[ds:de]), encrypt=False)
            _ce, _cn, ps, pe = usm.scoped_pdu_bounds(plain, 0, len(plain))
        else:
            plain = data
            _ce, _cn, ps, pe = usm.scoped_pdu_bounds(data, h.data_start, h.end)
        if plain[ps] == ber.REPORT:
            reason = report_reason(plain, ps, pe)
            if reason == REPORT_REASONS[usm.OID_NOT_IN_TIME_WINDOWS]:
                self.sync(h.boots, h.time, now)
                raise OutOfTime(reason)
            raise ReplyError(reason)
        # An authenticated reply carries the engine's clock: follow it, so drift never matters.
        self.sync(h.boots, h.time, now)
        return plain, ps, pe


class OutOfTime(ReplyError):
    """The agent's clock moved (reboot, or our estimate drifted): resynchronised, retry."""


def report_reason(buf: bytes, ps: int, pe: int) -> str:
    try:
        tag, s, e = ber.read_tlv(buf, ps, pe)
        p = s
        for _ in range(3):
            _xs, p = ber.expect(buf, p, e, ber.INTEGER)
        ls, le = ber.expect(buf, p, e, ber.SEQUENCE)
        vbs = ber.decode_varbinds(buf, ls, le)
    except BERError:
        return "malformed Report"
    if tag != ber.REPORT or not vbs:
        return "unexpected PDU"
    oid = vbs[0][0]
    return REPORT_REASONS.get(oid, f"Report {ber.format_oid(oid)}")


def request_id_of(data: bytes) -> int:
    """The id a reply answers: request-id for v1/v2c, msgID for v3 (-1 when unreadable)."""
    try:
        end = len(data)
        s, e = ber.expect(data, 0, end, ber.SEQUENCE)
        vs, ve = ber.expect(data, s, e, ber.INTEGER)
        if data[vs] == 3 and ve - vs == 1:
            hs, he = ber.expect(data, ve, e, ber.SEQUENCE)
            xs, xe = ber.expect(data, hs, he, ber.INTEGER)
            return ber.decode_integer(data, xs, xe)
        _cs, ce = ber.expect(data, ve, e, ber.OCTET_STRING)
        _tag, ps, pe = ber.read_tlv(data, ce, e)
        xs, xe = ber.expect(data, ps, pe, ber.INTEGER)
        return ber.decode_integer(data, xs, xe)
    except (BERError, IndexError):
        return -1


def v2c_pdu_bounds(data: bytes, community: bytes) -> tuple[int, int]:
    """Check a v2c reply's community; the PDU span."""
    end = len(data)
    s, e = ber.expect(data, 0, end, ber.SEQUENCE)
    _vs, ve = ber.expect(data, s, e, ber.INTEGER)
    cs, ce = ber.expect(data, ve, e, ber.OCTET_STRING)
    if data[cs:ce] != community:
        raise ReplyError("reply with another community")
    _tag, _ps, pe = ber.read_tlv(data, ce, e)
    return ce, pe


# A varbind by position: (OID content start, OID content end, value tag, value start, value end).
# Plain tuples: building half a million small objects per second is where time would go.
RawVarbind = tuple[int, int, int, int, int]


def response_varbinds(buf: bytes, ps: int, pe: int, request_id: int) -> list[RawVarbind]:
    """A Response PDU's varbinds by position; ReplyError on error-status or a foreign id."""
    tag, s, e = ber.read_tlv(buf, ps, pe)
    if tag != ber.RESPONSE:
        raise ReplyError(f"unexpected PDU 0x{tag:02x}")
    xs, xe = ber.expect(buf, s, e, ber.INTEGER)
    if ber.decode_integer(buf, xs, xe) != request_id:
        raise ReplyError("reply to another request")
    xs, p = ber.expect(buf, xe, e, ber.INTEGER)
    status = ber.decode_integer(buf, xs, p)
    xs, p = ber.expect(buf, p, e, ber.INTEGER)
    index = ber.decode_integer(buf, xs, p)
    ls, le = ber.expect(buf, p, e, ber.SEQUENCE)
    if le != e:
        raise BERError("trailing bytes in PDU")
    if status:
        raise ReplyError(f"{ERROR_STATUS.get(status, str(status))} at varbind {index}")
    out: list[RawVarbind] = []
    append = out.append
    read_tlv = ber.read_tlv
    pos = ls
    try:
        while pos < le:
            # Short definite lengths (< 128) are nearly every varbind: read them inline and
            # leave the general case (and all the checks) to read_tlv.
            n = buf[pos + 1]
            if buf[pos] == 0x30 and n < 0x80:
                vs, ve = pos + 2, pos + 2 + n
                if ve > le:
                    raise BERError("varbind runs past the end of the list")
            else:
                t, vs, ve = read_tlv(buf, pos, le)
                if t != ber.SEQUENCE:
                    raise BERError("varbind is not a SEQUENCE")
            n = buf[vs + 1]
            if buf[vs] != ber.OBJECT_IDENTIFIER or n == 0 or n >= 0x80:
                raise BERError("varbind name is not a short OID")
            os_, oe = vs + 2, vs + 2 + n
            t = buf[oe]
            n = buf[oe + 1]
            if n < 0x80:
                xs, xe = oe + 2, oe + 2 + n
            else:
                t, xs, xe = read_tlv(buf, oe, ve)
            if xe != ve:
                raise BERError("malformed varbind")
            append((os_, oe, t, xs, xe))
            pos = ve
    except IndexError:
        raise BERError("truncated varbind") from None
    return out


def subids(buf: bytes, s: int, e: int) -> Oid:
    """Sub-identifiers of an OID *suffix* (no first-two-arcs folding). Single-byte ones, the
    common case for an ifIndex, take the short path."""
    if e - s == 1 and buf[s] < 0x80:
        return (buf[s],)
    out: list[int] = []
    v = 0
    for i in range(s, e):
        b = buf[i]
        v = (v << 7) | (b & 0x7F)
        if not b & 0x80:
            out.append(v)
            v = 0
    if buf[e - 1] & 0x80:
        raise BERError("OID ends inside a sub-identifier")
    return tuple(out)


def plain_value(buf: bytes, tag: int, s: int, e: int) -> Value:
    """The plain Python form (collectors.snmp.values) of a varbind's value, as the pysnmp path
    gives it: ints, bytes, dotted strings for OIDs and IpAddresses, Exc sentinels."""
    if tag in _UINT:
        if e <= s or e - s > 9:
            raise BERError("bad unsigned integer")
        return int.from_bytes(buf[s:e], "big")
    if tag == ber.INTEGER:
        return ber.decode_integer(buf, s, e)
    if tag == ber.OCTET_STRING or tag == ber.OPAQUE:
        return bytes(buf[s:e])
    exc = _EXC.get(tag)
    if exc is not None:
        return exc
    if tag == ber.NULL:
        return None
    if tag == ber.IP_ADDRESS:
        return ".".join(str(b) for b in buf[s:e])
    if tag == ber.OBJECT_IDENTIFIER:
        return ber.format_oid(ber.decode_oid(buf, s, e))
    raise BERError(f"unknown value tag 0x{tag:02x}")
