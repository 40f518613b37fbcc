"""A small, fast BER codec for SNMP messages (X.690 definite-length subset used by RFC 3416).

Encoding works on Python ints, bytes and OID tuples and returns complete TLVs as ``bytes``, so
callers can pre-encode whatever does not change and only join bytes on the hot path.

Decoding is position based (``buf, start, end``) so nothing is copied until a value is needed.
Every malformed input raises :class:`BERError`: no other exception escapes the decoder, which is
what lets the server count-and-drop a bad datagram instead of crashing.
"""

from __future__ import annotations

from dataclasses import dataclass

# Universal tags
INTEGER = 0x02
OCTET_STRING = 0x04
NULL = 0x05
OBJECT_IDENTIFIER = 0x06
SEQUENCE = 0x30

# SNMPv2-SMI application tags
IP_ADDRESS = 0x40
COUNTER32 = 0x41
GAUGE32 = 0x42
TIMETICKS = 0x43
OPAQUE = 0x44
COUNTER64 = 0x46

# Context-specific PDU tags (constructed)
GET_REQUEST = 0xA0
GET_NEXT_REQUEST = 0xA1
RESPONSE = 0xA2
SET_REQUEST = 0xA3
TRAP_V1 = 0xA4
GET_BULK_REQUEST = 0xA5
INFORM_REQUEST = 0xA6
SNMPV2_TRAP = 0xA7
REPORT = 0xA8

# Varbind exceptions (context-specific primitive, empty content)
NO_SUCH_OBJECT = 0x80
NO_SUCH_INSTANCE = 0x81
END_OF_MIB_VIEW = 0x82

NULL_TLV = b"\x05\x00"
NO_SUCH_OBJECT_TLV = b"\x80\x00"
NO_SUCH_INSTANCE_TLV = b"\x81\x00"
END_OF_MIB_VIEW_TLV = b"\x82\x00"

# SNMP caps sub-identifiers at 2**32-1 and OIDs at 128 sub-identifiers (RFC 2578 3.5).
MAX_SUBID = 0xFFFFFFFF
MAX_OID_LEN = 128

_UINT_TAGS = frozenset({COUNTER32, GAUGE32, TIMETICKS, COUNTER64})


class BERError(ValueError):
    """The bytes are not a well-formed BER encoding of what was expected."""


# ---------------------------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------------------------

# Lengths below 128 are by far the most common: a table avoids a branch and an allocation.
_SHORT_LENGTHS = [bytes([n]) for n in range(128)]


def encode_length(n: int) -> bytes:
    if n < 128:
        return _SHORT_LENGTHS[n]
    if n < 0x100:
        return bytes((0x81, n))
    if n < 0x10000:
        return bytes((0x82, n >> 8, n & 0xFF))
    if n < 0x1000000:
        return bytes((0x83, n >> 16, (n >> 8) & 0xFF, n & 0xFF))
    if n < 0x100000000:
        return b"\x84" + n.to_bytes(4, "big")
    raise BERError(f"length {n} too large")


def tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 128:
        return bytes((tag, n)) + content
    return bytes((tag,)) + encode_length(n) + content


def sequence(*parts: bytes) -> bytes:
    return tlv(SEQUENCE, b"".join(parts))


def encode_integer(value: int) -> bytes:
    """INTEGER (two's complement, minimal length)."""
    if 0 <= value < 128:
        return bytes((INTEGER, 1, value))
    n = ((~value if value < 0 else value).bit_length() + 8) // 8
    return bytes((INTEGER, n)) + value.to_bytes(n, "big", signed=True)


def encode_unsigned(tag: int, value: int) -> bytes:
    """Counter32/Gauge32/TimeTicks/Counter64: unsigned, with a leading 0x00 when the top bit is set."""
    if value < 0:
        raise BERError(f"unsigned value {value} is negative")
    if value < 128:
        return bytes((tag, 1, value))
    n = value.bit_length() // 8 + 1
    return bytes((tag, n)) + value.to_bytes(n, "big")


def encode_counter32(value: int) -> bytes:
    return encode_unsigned(COUNTER32, value & 0xFFFFFFFF)


def encode_gauge32(value: int) -> bytes:
    return encode_unsigned(GAUGE32, min(max(value, 0), 0xFFFFFFFF))


def encode_timeticks(value: int) -> bytes:
    return encode_unsigned(TIMETICKS, value & 0xFFFFFFFF)


def encode_counter64(value: int) -> bytes:
    return encode_unsigned(COUNTER64, value & 0xFFFFFFFFFFFFFFFF)


def encode_octets(value: bytes | str) -> bytes:
    if isinstance(value, str):
        value = value.encode("utf-8")
    n = len(value)
    if n < 128:
        return bytes((OCTET_STRING, n)) + value
    return b"\x04" + encode_length(n) + value


def encode_ipaddress(value: bytes) -> bytes:
    if len(value) != 4:
        raise BERError("IpAddress needs 4 bytes")
    return bytes((IP_ADDRESS, 4)) + value


def encode_subid(v: int) -> bytes:
    if v < 128:
        return bytes((v,))
    out = [v & 0x7F]
    v >>= 7
    while v:
        out.append(0x80 | (v & 0x7F))
        v >>= 7
    out.reverse()
    return bytes(out)


def encode_oid_content(oid: tuple[int, ...]) -> bytes:
    if len(oid) < 2:
        raise BERError(f"OID {oid} needs at least two sub-identifiers")
    first, second = oid[0], oid[1]
    if first > 2 or (first < 2 and second > 39):
        raise BERError(f"OID {oid} has invalid first arcs")
    if len(oid) > MAX_OID_LEN:
        raise BERError("OID too long")
    parts = [encode_subid(first * 40 + second)]
    for v in oid[2:]:
        if not 0 <= v <= MAX_SUBID:
            raise BERError(f"sub-identifier {v} out of range")
        parts.append(encode_subid(v))
    return b"".join(parts)


def encode_oid(oid: tuple[int, ...]) -> bytes:
    return tlv(OBJECT_IDENTIFIER, encode_oid_content(oid))


def parse_oid(text: str) -> tuple[int, ...]:
    """``"1.3.6.1"`` or ``".1.3.6.1"`` -> ``(1, 3, 6, 1)``."""
    try:
        return tuple(int(x) for x in text.strip().lstrip(".").split("."))
    except ValueError as exc:
        raise BERError(f"not a numeric OID: {text!r}") from exc


def format_oid(oid: tuple[int, ...]) -> str:
    return ".".join(map(str, oid))


def varbind(oid_tlv: bytes, value_tlv: bytes) -> bytes:
    """A VarBind SEQUENCE from an already encoded OID TLV and value TLV."""
    n = len(oid_tlv) + len(value_tlv)
    if n < 128:
        return bytes((SEQUENCE, n)) + oid_tlv + value_tlv
    return bytes((SEQUENCE,)) + encode_length(n) + oid_tlv + value_tlv


# ---------------------------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------------------------


def read_tlv(buf: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """Read the TLV header at ``pos``: returns ``(tag, value_start, value_end)``.

    Only single-byte tags and definite lengths up to 4 length bytes are valid in SNMP.
    """
    if pos + 2 > end:
        raise BERError("truncated TLV header")
    tag = buf[pos]
    if tag & 0x1F == 0x1F:
        raise BERError("multi-byte tags are not used by SNMP")
    n = buf[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0:
            raise BERError("indefinite length is not allowed")
        if k > 4:
            raise BERError("length field too long")
        if pos + k > end:
            raise BERError("truncated length")
        n = int.from_bytes(buf[pos : pos + k], "big")
        pos += k
    vend = pos + n
    if vend > end:
        raise BERError("value runs past the end of its container")
    return tag, pos, vend


def expect(buf: bytes, pos: int, end: int, tag: int) -> tuple[int, int]:
    """Read a TLV that must have ``tag``; returns ``(value_start, value_end)``."""
    t, s, e = read_tlv(buf, pos, end)
    if t != tag:
        raise BERError(f"expected tag 0x{tag:02x}, got 0x{t:02x}")
    return s, e


def decode_integer(buf: bytes, s: int, e: int) -> int:
    if e <= s:
        raise BERError("empty INTEGER")
    if e - s > 9:
        raise BERError("INTEGER too long")
    return int.from_bytes(buf[s:e], "big", signed=True)


def decode_unsigned(buf: bytes, s: int, e: int) -> int:
    if e <= s:
        raise BERError("empty unsigned integer")
    if e - s > 9 or (e - s == 9 and buf[s] != 0):
        raise BERError("unsigned integer too long")
    return int.from_bytes(buf[s:e], "big", signed=False)


def decode_oid(buf: bytes, s: int, e: int) -> tuple[int, ...]:
    if e <= s:
        raise BERError("empty OBJECT IDENTIFIER")
    if e - s > 5 * MAX_OID_LEN:
        raise BERError("OBJECT IDENTIFIER too long")
    if buf[e - 1] & 0x80:
        raise BERError("OBJECT IDENTIFIER ends inside a sub-identifier")
    out: list[int] = []
    v = 0
    start_of_subid = True
    for i in range(s, e):
        b = buf[i]
        if start_of_subid and b == 0x80:
            raise BERError("non-minimal sub-identifier")
        v = (v << 7) | (b & 0x7F)
        if b & 0x80:
            start_of_subid = False
        else:
            out.append(v)
            v = 0
            start_of_subid = True
    first = out[0]
    if first < 40:
        head = [0, first]
    elif first < 80:
        head = [1, first - 40]
    else:
        head = [2, first - 80]
    oid = (*head, *out[1:])
    if len(oid) > MAX_OID_LEN:
        raise BERError("OBJECT IDENTIFIER has too many sub-identifiers")
    for v in oid:
        if v > MAX_SUBID:
            raise BERError("sub-identifier out of range")
    return oid


@dataclass(frozen=True)
class Value:
    """A decoded SNMP value: the tag and its Python form (int, bytes, OID tuple or None)."""

    tag: int
    value: int | bytes | tuple[int, ...] | None


def decode_value(buf: bytes, s: int, e: int, tag: int) -> Value:
    """Decode the content of a varbind value (any SMI type or exception)."""
    if tag == INTEGER:
        return Value(tag, decode_integer(buf, s, e))
    if tag in _UINT_TAGS:
        v = decode_unsigned(buf, s, e)
        limit = 0xFFFFFFFFFFFFFFFF if tag == COUNTER64 else 0xFFFFFFFF
        if v > limit:
            raise BERError("unsigned value out of range")
        return Value(tag, v)
    if tag in (OCTET_STRING, OPAQUE):
        return Value(tag, bytes(buf[s:e]))
    if tag == IP_ADDRESS:
        if e - s != 4:
            raise BERError("IpAddress must have 4 bytes")
        return Value(tag, bytes(buf[s:e]))
    if tag == OBJECT_IDENTIFIER:
        return Value(tag, decode_oid(buf, s, e))
    if tag in (NULL, NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW):
        if e != s:
            raise BERError("NULL/exception value must be empty")
        return Value(tag, None)
    raise BERError(f"unknown value tag 0x{tag:02x}")


def decode_varbinds(buf: bytes, s: int, e: int) -> list[tuple[tuple[int, ...], Value]]:
    """Decode the content of a VarBindList SEQUENCE."""
    out: list[tuple[tuple[int, ...], Value]] = []
    pos = s
    while pos < e:
        vs, ve = expect(buf, pos, e, SEQUENCE)
        os_, oe = expect(buf, vs, ve, OBJECT_IDENTIFIER)
        tag, xs, xe = read_tlv(buf, oe, ve)
        if xe != ve:
            raise BERError("trailing bytes in varbind")
        out.append((decode_oid(buf, os_, oe), decode_value(buf, xs, xe, tag)))
        pos = ve
    return out


@dataclass(frozen=True)
class Pdu:
    tag: int
    request_id: int
    error_status: int  # non-repeaters for GETBULK
    error_index: int  # max-repetitions for GETBULK
    varbinds: list[tuple[tuple[int, ...], Value]]


def decode_pdu(buf: bytes, pos: int, end: int) -> tuple[Pdu, int]:
    """Decode one PDU TLV at ``pos``; returns the PDU and the position after it."""
    tag, s, e = read_tlv(buf, pos, end)
    if tag not in (
        GET_REQUEST,
        GET_NEXT_REQUEST,
        RESPONSE,
        SET_REQUEST,
        GET_BULK_REQUEST,
        INFORM_REQUEST,
        SNMPV2_TRAP,
        REPORT,
    ):
        raise BERError(f"not an SNMPv2 PDU tag: 0x{tag:02x}")
    p = s
    vals = []
    for _ in range(3):
        xs, xe = expect(buf, p, e, INTEGER)
        vals.append(decode_integer(buf, xs, xe))
        p = xe
    ls, le = expect(buf, p, e, SEQUENCE)
    if le != e:
        raise BERError("trailing bytes in PDU")
    return Pdu(tag, vals[0], vals[1], vals[2], decode_varbinds(buf, ls, le)), e


@dataclass(frozen=True)
class CommunityMessage:
    version: int  # 0 = v1, 1 = v2c
    community: bytes
    pdu: Pdu


def decode_community_message(data: bytes) -> CommunityMessage:
    """Decode a whole v1/v2c message (used by clients, tests and trap receivers)."""
    end = len(data)
    s, e = expect(data, 0, end, SEQUENCE)
    if e != end:
        raise BERError("trailing bytes after message")
    vs, ve = expect(data, s, e, INTEGER)
    version = decode_integer(data, vs, ve)
    if version not in (0, 1):
        raise BERError(f"not a community-based message (version {version})")
    cs, ce = expect(data, ve, e, OCTET_STRING)
    pdu, after = decode_pdu(data, ce, e)
    if after != e:
        raise BERError("trailing bytes after PDU")
    return CommunityMessage(version, bytes(data[cs:ce]), pdu)


def encode_pdu(tag: int, request_id: int, error_status: int, error_index: int, varbinds: bytes) -> bytes:
    """A PDU from an already encoded varbind list *content* (concatenated VarBind TLVs)."""
    return tlv(
        tag,
        encode_integer(request_id)
        + encode_integer(error_status)
        + encode_integer(error_index)
        + tlv(SEQUENCE, varbinds),
    )


def encode_community_message(version: int, community: bytes, pdu: bytes) -> bytes:
    return tlv(SEQUENCE, encode_integer(version) + tlv(OCTET_STRING, community) + pdu)


def encode_value(tag: int, value: int | bytes | str | tuple[int, ...] | None) -> bytes:
    """Encode any SMI value by tag (convenience for tests and cold paths)."""
    if tag == INTEGER and isinstance(value, int):
        return encode_integer(value)
    if tag in _UINT_TAGS and isinstance(value, int):
        return encode_unsigned(tag, value)
    if tag in (OCTET_STRING, OPAQUE) and isinstance(value, bytes | str):
        return tlv(tag, value.encode() if isinstance(value, str) else value)
    if tag == IP_ADDRESS and isinstance(value, bytes):
        return encode_ipaddress(value)
    if tag == OBJECT_IDENTIFIER and isinstance(value, tuple):
        return encode_oid(value)
    if tag in (NULL, NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW) and value is None:
        return bytes((tag, 0))
    raise BERError(f"cannot encode {value!r} with tag 0x{tag:02x}")
