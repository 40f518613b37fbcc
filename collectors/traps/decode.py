"""Decoding trap and inform datagrams (v1, v2c, v3 USM) into plain values.

Pure apart from the caches it keeps: a datagram in, a Trap (plus, for an inform, the Response
to send back), a Rejected (bad community or v3 credentials) or a Malformed out. Nothing a
datagram contains can raise out of ``decode``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from collectors.snmp.values import Exc, Value
from collectors.snmp.wire import ber
from collectors.snmp.wire.ber import BERError
from collectors.snmp.wire.usm import (
    FLAG_AUTH,
    FLAG_PRIV,
    NotificationVerifier,
    Rejected,
    UserConfig,
    UsmEngine,
    V3Request,
    engine_id_of,
)
from collectors.specs import Oid, format_oid

SYS_UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)
SNMP_TRAP_OID = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
SNMP_TRAP_ENTERPRISE = (1, 3, 6, 1, 6, 3, 1, 1, 4, 3, 0)
SNMP_TRAPS = (1, 3, 6, 1, 6, 3, 1, 1, 5)
MAX_DATAGRAM = 65507


@dataclass(frozen=True)
class Trap:
    version: str  # v1 | v2c | v3
    source: tuple[str, int]
    trap_oid: Oid
    uptime: int | None
    varbinds: tuple[tuple[Oid, Value], ...]  # without sysUpTime.0 and snmpTrapOID.0
    inform: bool = False
    security_name: str = ""  # the v3 user (never the v1/v2c community: it is a secret)
    engine_id: str = ""  # v3 sender engine ID, hex
    agent_address: str = ""  # v1 agent-addr


@dataclass(frozen=True)
class Refused:
    reason: str  # community | unknown_user | wrong_digest | decryption_error | ...


@dataclass(frozen=True)
class Malformed:
    reason: str


Decoded = Trap | Refused | Malformed


def _plain(v: ber.Value) -> Value:
    tag, value = v.tag, v.value
    if tag == ber.OBJECT_IDENTIFIER and isinstance(value, tuple):
        return format_oid(value)
    if tag == ber.IP_ADDRESS and isinstance(value, bytes):
        return ".".join(str(b) for b in value)
    if tag == ber.NO_SUCH_OBJECT:
        return Exc.NO_SUCH_OBJECT
    if tag == ber.NO_SUCH_INSTANCE:
        return Exc.NO_SUCH_INSTANCE
    if tag == ber.END_OF_MIB_VIEW:
        return Exc.END_OF_MIB_VIEW
    if isinstance(value, tuple):
        return format_oid(value)
    return value


def _v2_form(
    varbinds: list[tuple[Oid, ber.Value]],
) -> tuple[Oid, int | None, tuple[tuple[Oid, Value], ...]]:
    """RFC 3416 4.2.6: varbind 1 is sysUpTime.0, varbind 2 snmpTrapOID.0."""
    if len(varbinds) < 2 or varbinds[0][0] != SYS_UPTIME or varbinds[1][0] != SNMP_TRAP_OID:
        raise BERError("a notification must start with sysUpTime.0 and snmpTrapOID.0")
    uptime = varbinds[0][1].value
    trap_oid = varbinds[1][1].value
    if not isinstance(trap_oid, tuple):
        raise BERError("snmpTrapOID.0 is not an OBJECT IDENTIFIER")
    rest = tuple((oid, _plain(v)) for oid, v in varbinds[2:])
    return trap_oid, uptime if isinstance(uptime, int) else None, rest


def _decode_v1_trap(buf: bytes, pos: int, end: int) -> tuple[Oid, int, str, tuple[tuple[Oid, Value], ...]]:
    """SNMPv1 Trap-PDU -> (snmpTrapOID per RFC 3584 3.1, uptime, agent-addr, varbinds)."""
    tag, s, e = ber.read_tlv(buf, pos, end)
    if tag != ber.TRAP_V1 or e != end:
        raise BERError("not an SNMPv1 Trap-PDU")
    es, ee = ber.expect(buf, s, e, ber.OBJECT_IDENTIFIER)
    enterprise = ber.decode_oid(buf, es, ee)
    as_, ae = ber.expect(buf, ee, e, ber.IP_ADDRESS)
    if ae - as_ != 4:
        raise BERError("agent-addr must have 4 bytes")
    agent = ".".join(str(b) for b in buf[as_:ae])
    gs, ge = ber.expect(buf, ae, e, ber.INTEGER)
    generic = ber.decode_integer(buf, gs, ge)
    ss, se = ber.expect(buf, ge, e, ber.INTEGER)
    specific = ber.decode_integer(buf, ss, se)
    ts, te = ber.expect(buf, se, e, ber.TIMETICKS)
    uptime = ber.decode_unsigned(buf, ts, te)
    ls, le = ber.expect(buf, te, e, ber.SEQUENCE)
    if le != e:
        raise BERError("trailing bytes in Trap-PDU")
    varbinds = ber.decode_varbinds(buf, ls, le)
    if 0 <= generic <= 5:
        trap_oid: Oid = (*SNMP_TRAPS, generic + 1)
    elif generic == 6:
        trap_oid = (*enterprise, 0, specific)
    else:
        raise BERError(f"generic-trap {generic} out of range")
    rest = tuple((oid, _plain(v)) for oid, v in varbinds)
    return trap_oid, uptime, agent, (*rest, (SNMP_TRAP_ENTERPRISE, format_oid(enterprise)))


def _response(pdu_tag: int, request_id: int, varbinds_tlv: bytes) -> bytes:
    return ber.encode_pdu(ber.RESPONSE, request_id, 0, 0, varbinds_tlv)


def _varbind_list_content(buf: bytes, pdu_start: int, pdu_end: int) -> tuple[int, bytes]:
    """Request id and the raw varbind list content of a PDU, to echo in a Response."""
    _tag, s, e = ber.read_tlv(buf, pdu_start, pdu_end)
    xs, xe = ber.expect(buf, s, e, ber.INTEGER)
    request_id = ber.decode_integer(buf, xs, xe)
    p = xe
    for _ in range(2):
        _, p = ber.expect(buf, p, e, ber.INTEGER)
    ls, le = ber.expect(buf, p, e, ber.SEQUENCE)
    return request_id, bytes(buf[ls:le])


class TrapDecoder:
    """Knows the accepted communities, the v3 users, and the receiver's own engine (for
    informs, where the receiver is authoritative)."""

    def __init__(
        self,
        communities: Iterable[str],
        users: Iterable[UserConfig],
        engine_id: bytes,
    ) -> None:
        self.communities = {c.encode() for c in communities if c}
        users = list(users)
        self.verifier = NotificationVerifier(users)
        self.engine = UsmEngine(engine_id, users, boots=1, booted_at=time.monotonic())
        self.engine_id = engine_id

    def decode(self, data: bytes, source: tuple[str, int]) -> tuple[Decoded, bytes | None]:
        if len(data) > MAX_DATAGRAM or len(data) < 2:
            return Malformed("size"), None
        try:
            _tag, s, e = ber.read_tlv(data, 0, len(data))
            vs, ve = ber.expect(data, s, e, ber.INTEGER)
            version = ber.decode_integer(data, vs, ve)
            if version in (0, 1):
                return self._community(data, source, version)
            if version == 3:
                return self._v3(data, source)
            return Malformed(f"version {version}"), None
        except BERError as exc:
            return Malformed(str(exc)), None
        except (ValueError, OverflowError, IndexError) as exc:  # belt and braces: never raise
            return Malformed(f"{type(exc).__name__}: {exc}"), None

    def _community(self, data: bytes, source: tuple[str, int], version: int) -> tuple[Decoded, bytes | None]:
        end = len(data)
        s, e = ber.expect(data, 0, end, ber.SEQUENCE)
        if e != end:
            raise BERError("trailing bytes after message")
        _vs, ve = ber.expect(data, s, e, ber.INTEGER)
        cs, ce = ber.expect(data, ve, e, ber.OCTET_STRING)
        community = bytes(data[cs:ce])
        if version == 0:
            v1_oid, v1_uptime, agent, v1_rest = _decode_v1_trap(data, ce, e)
            if community not in self.communities:
                return Refused("community"), None
            return Trap("v1", source, v1_oid, v1_uptime, v1_rest, agent_address=agent), None
        msg = ber.decode_community_message(data)
        if msg.pdu.tag not in (ber.SNMPV2_TRAP, ber.INFORM_REQUEST):
            return Malformed(f"not a notification PDU (tag 0x{msg.pdu.tag:02x})"), None
        trap_oid, uptime, rest = _v2_form(msg.pdu.varbinds)
        if community not in self.communities:
            return Refused("community"), None
        inform = msg.pdu.tag == ber.INFORM_REQUEST
        reply = None
        if inform:
            request_id, vbl = _varbind_list_content(data, ce, e)
            reply = ber.encode_community_message(1, community, _response(ber.RESPONSE, request_id, vbl))
        return Trap("v2c", source, trap_oid, uptime, rest, inform=inform), reply

    def _v3(self, data: bytes, source: tuple[str, int]) -> tuple[Decoded, bytes | None]:
        engine_id = engine_id_of(data)
        if engine_id in (b"", self.engine_id):
            return self._v3_inform(data, source)
        try:
            n = self.verifier.verify(data)
        except Rejected as exc:
            return Refused(exc.reason), None
        pdu, _ = ber.decode_pdu(n.scoped, n.pdu_start, n.pdu_end)
        if pdu.tag != ber.SNMPV2_TRAP:
            return Malformed(f"v3 notification with PDU tag 0x{pdu.tag:02x} for another engine"), None
        trap_oid, uptime, rest = _v2_form(pdu.varbinds)
        return (
            Trap("v3", source, trap_oid, uptime, rest, security_name=n.user_name.decode("utf-8", "replace"),
                 engine_id=n.engine_id.hex()),
            None,
        )  # fmt: skip

    def _v3_inform(self, data: bytes, source: tuple[str, int]) -> tuple[Decoded, bytes | None]:
        """Informs address the receiver as the authoritative engine (discovery, then authPriv)."""
        now = time.monotonic()
        before = dict(vars(self.engine.stats))
        result = self.engine.incoming(data, now)
        if result is None or isinstance(result, bytes):
            # Dropped, or a Report to send: engine discovery (normal for informs) or a
            # security failure; the engine's counter that moved says which.
            moved = [k for k, v in vars(self.engine.stats).items() if v != before.get(k)]
            reason = moved[0] if moved else "dropped"
            if reason == "unknown_engine_ids":
                reason = "discovery"
            return Refused(reason), result
        req: V3Request = result
        if req.flags & (FLAG_AUTH | FLAG_PRIV) != (FLAG_AUTH | FLAG_PRIV):
            return Refused("unsupported_security_level"), None
        pdu, _ = ber.decode_pdu(req.scoped, req.pdu_start, req.pdu_end)
        if pdu.tag != ber.INFORM_REQUEST:
            return Malformed(f"v3 message to the receiver with PDU tag 0x{pdu.tag:02x}"), None
        trap_oid, uptime, rest = _v2_form(pdu.varbinds)
        request_id, vbl = _varbind_list_content(req.scoped, req.pdu_start, req.pdu_end)
        scoped = ber.sequence(ber.encode_octets(req.context_engine_id), ber.encode_octets(req.context_name),
                              _response(ber.RESPONSE, request_id, vbl))  # fmt: skip
        reply = self.engine.wrap(
            req.msg_id, req.flags & (FLAG_AUTH | FLAG_PRIV), req.user, req.user_name, scoped, now
        )
        name = req.user_name.decode("utf-8", "replace")
        return Trap("v3", source, trap_oid, uptime, rest, inform=True, security_name=name,
                    engine_id=self.engine_id.hex()), reply  # fmt: skip
