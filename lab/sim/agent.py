"""The SNMP command responder: one datagram in, at most one datagram out.

Handles SNMPv2c (community check) and SNMPv3 (USM, see :mod:`collectors.snmp.wire.usm`), and the PDUs a
read-only agent answers: GET, GETNEXT, GETBULK, and SET (refused with notWritable). The hot path
is GETBULK over a table: one bisect, then a walk over pre-encoded OIDs, one getter call per
varbind.
"""

from __future__ import annotations

from collectors.snmp.wire import ber
from collectors.snmp.wire.ber import BERError
from collectors.snmp.wire.usm import ENGINE_MAX_MESSAGE_SIZE, FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE, UsmEngine
from lab.sim.node import SimNode

# For v2c there is no msgMaxSize: stay below the largest UDP/IPv4 payload with room to spare.
V2C_MAX_MESSAGE = 65000
OID_UNKNOWN_CONTEXTS = (1, 3, 6, 1, 6, 3, 12, 1, 5, 0)

ERR_TOO_BIG = 1
ERR_NOT_WRITABLE = 17
ERR_AUTHORIZATION = 16

_NO_ERROR = b"\x02\x01\x00\x02\x01\x00"
_TOO_BIG_TAIL = b"\x02\x01\x01\x02\x01\x00\x30\x00"
_V2C_VERSION = b"\x02\x01\x01"


_VB_HEADERS = [bytes((0x30, n)) for n in range(128)]
_Result = tuple[list[bytes], int, int] | None


def _varbind(oid_tlv: bytes, value: bytes) -> bytes:
    n = len(oid_tlv) + len(value)
    if n < 128:
        return bytes((0x30, n)) + oid_tlv + value
    return b"\x30" + ber.encode_length(n) + oid_tlv + value


class Responder:
    """Answers requests for any node; the lab-wide community is the only shared setting."""

    def __init__(self, community: str):
        self.community = community.encode()

    def handle(self, node: SimNode, data: bytes, now: float) -> bytes | None:
        """The reply datagram, or None to stay silent. Raises BERError on malformed input."""
        node.stats.packets += 1
        end = len(data)
        tag, s, e = ber.read_tlv(data, 0, end)
        if tag != ber.SEQUENCE or e != end:
            raise BERError("not an SNMP message")
        vs, ve = ber.expect(data, s, e, ber.INTEGER)
        version = ber.decode_integer(data, vs, ve)
        if version == 1:
            cs, ce = ber.expect(data, ve, e, ber.OCTET_STRING)
            if data[cs:ce] != self.community:
                # RFC 3584: a wrong community is counted and never answered.
                node.stats.bad_community += 1
                return None
            budget = V2C_MAX_MESSAGE - (ce - ve) - 32
            pdu = self.process(node, data, ce, e, budget, now)
            if pdu is None:
                return None
            node.stats.responses += 1
            return ber.tlv(ber.SEQUENCE, _V2C_VERSION + data[ve:ce] + pdu)
        if version == 3:
            return self._handle_v3(node, node.usm, data, now)
        # SNMPv1 and anything else: the simulated devices speak v2c and v3 only.
        node.usm.stats.invalid_msgs += 1
        return None

    def _handle_v3(self, node: SimNode, usm: UsmEngine, data: bytes, now: float) -> bytes | None:
        res = usm.incoming(data, now)
        if res is None:
            return None
        if isinstance(res, bytes):
            node.stats.responses += 1
            return res
        req = res
        if req.context_engine_id not in (b"", usm.engine_id) or req.context_name != b"":
            usm.stats.unknown_contexts += 1
            if not req.flags & FLAG_REPORTABLE:
                return None
            rid = _request_id(req.scoped, req.pdu_start, req.pdu_end)
            return usm.report(
                req.msg_id, req.user_name, OID_UNKNOWN_CONTEXTS, usm.stats.unknown_contexts, rid, now
            )
        level = req.flags & (FLAG_AUTH | FLAG_PRIV)
        max_size = min(req.max_size, ENGINE_MAX_MESSAGE_SIZE)
        user = req.user
        mac_len = user.mac_len if user is not None and level else 0
        overhead = 2 * len(usm.engine_id) + len(req.user_name) + len(req.context_name) + mac_len + 120
        if level == 0:
            # Every lab user has authentication: like a VACM view that requires auth, a
            # noAuthNoPriv request is understood and refused.
            pdu = self._refuse(req.scoped, req.pdu_start, req.pdu_end, ERR_AUTHORIZATION)
        else:
            pdu = self.process(node, req.scoped, req.pdu_start, req.pdu_end, max_size - overhead, now)
        if pdu is None:
            usm.stats.unknown_pdu_handlers += 1
            return None
        scoped = ber.sequence(ber.encode_octets(usm.engine_id), ber.encode_octets(req.context_name), pdu)
        node.stats.responses += 1
        return usm.wrap(req.msg_id, level, user, req.user_name, scoped, now)

    @staticmethod
    def _refuse(buf: bytes, pos: int, end: int, status: int) -> bytes | None:
        tag, s, e = ber.read_tlv(buf, pos, end)
        if tag not in (ber.GET_REQUEST, ber.GET_NEXT_REQUEST, ber.GET_BULK_REQUEST, ber.SET_REQUEST):
            return None
        _rs, re_ = ber.expect(buf, s, e, ber.INTEGER)
        return ber.tlv(
            ber.RESPONSE,
            buf[s:re_] + ber.encode_integer(status) + ber.encode_integer(0) + b"\x30\x00",
        )

    def process(self, node: SimNode, buf: bytes, pos: int, end: int, budget: int, now: float) -> bytes | None:
        """Answer one PDU (the TLV at ``pos``): the Response PDU TLV, or None for PDUs an agent
        does not answer. ``budget`` bounds the encoded varbinds so the message fits."""
        tag, s, e = ber.read_tlv(buf, pos, end)
        if e != end:
            raise BERError("trailing bytes after PDU")
        t, rs, re_ = ber.read_tlv(buf, s, e)
        if t != ber.INTEGER:
            raise BERError("request-id must be an INTEGER")
        ber.decode_integer(buf, rs, re_)
        reqid_tlv = buf[s:re_]
        xs, xe = ber.expect(buf, re_, e, ber.INTEGER)
        a = ber.decode_integer(buf, xs, xe)
        ys, ye = ber.expect(buf, xe, e, ber.INTEGER)
        b = ber.decode_integer(buf, ys, ye)
        ls, le = ber.expect(buf, ye, e, ber.SEQUENCE)
        if le != e:
            raise BERError("trailing bytes after varbind list")
        oids: list[tuple[int, ...]] = []
        raws: list[bytes] = []
        p = ls
        while p < le:
            vs, ve = ber.expect(buf, p, le, ber.SEQUENCE)
            ot, os_, oe = ber.read_tlv(buf, vs, ve)
            if ot != ber.OBJECT_IDENTIFIER:
                raise BERError("varbind name must be an OBJECT IDENTIFIER")
            _vt, _xs, xe2 = ber.read_tlv(buf, oe, ve)
            if xe2 != ve:
                raise BERError("trailing bytes in varbind")
            oids.append(ber.decode_oid(buf, os_, oe))
            raws.append(buf[vs:oe])
            p = ve

        if tag == ber.GET_BULK_REQUEST:
            res = self._bulk(node, oids, raws, a, b, budget, now)
        elif tag == ber.GET_NEXT_REQUEST:
            res = self._next(node, oids, raws, budget, now)
        elif tag == ber.GET_REQUEST:
            res = self._get(node, oids, raws, budget, now)
        elif tag == ber.SET_REQUEST:
            # A read-only agent: notWritable for the first varbind, request varbinds echoed.
            body = reqid_tlv + ber.encode_integer(ERR_NOT_WRITABLE) + ber.encode_integer(1 if oids else 0)
            return ber.tlv(ber.RESPONSE, body + buf[ye:le])
        else:
            return None
        if res is None:
            return ber.tlv(ber.RESPONSE, reqid_tlv + _TOO_BIG_TAIL)
        pieces, count, _size = res
        node.stats.varbinds += count
        return ber.tlv(ber.RESPONSE, reqid_tlv + _NO_ERROR + ber.tlv(ber.SEQUENCE, b"".join(pieces)))

    # The three request types build a list of byte pieces (varbind header, OID TLV, value TLV,
    # ...) joined once at the end, and return it with the varbind count and the encoded size;
    # None means "too big" (GET/GETNEXT only).

    @staticmethod
    def _get(
        node: SimNode, oids: list[tuple[int, ...]], raws: list[bytes], budget: int, now: float
    ) -> _Result:
        view = node.mib
        out: list[bytes] = []
        size = 0
        for oid, raw in zip(oids, raws, strict=True):
            hit = view.find(oid)
            if hit is None:
                value = view.missing(oid)
            else:
                part, i = hit
                value = part.fns[i](node, part.rows[i], now)
            vb = _varbind(raw, value)
            size += len(vb)
            if size > budget:
                return None
            out.append(vb)
        return out, len(out), size

    @staticmethod
    def _next(
        node: SimNode, oids: list[tuple[int, ...]], raws: list[bytes], budget: int, now: float
    ) -> _Result:
        view = node.mib
        out: list[bytes] = []
        size = 0
        for oid, raw in zip(oids, raws, strict=True):
            hit = next(view.walk(oid), None)
            if hit is None:
                vb = _varbind(raw, ber.END_OF_MIB_VIEW_TLV)
            else:
                enc, fn, row = hit
                vb = _varbind(enc, fn(node, row, now))
            size += len(vb)
            if size > budget:
                return None
            out.append(vb)
        return out, len(out), size

    def _bulk(
        self,
        node: SimNode,
        oids: list[tuple[int, ...]],
        raws: list[bytes],
        non_repeaters: int,
        max_repetitions: int,
        budget: int,
        now: float,
    ) -> _Result:
        n = min(max(non_repeaters, 0), len(oids))
        first = self._next(node, oids[:n], raws[:n], budget, now)
        if first is None:
            return None
        out, count, size = first
        reps = len(oids) - n
        max_rep = max(max_repetitions, 0)
        if reps == 0 or max_rep == 0:
            return out, count, size
        view = node.mib
        if reps == 1:
            # The hot path (snmpbulkwalk, table walks): one cursor over consecutive entries of
            # the part arrays, no generator, no intermediate varbind objects.
            parts = view.parts
            pi, i = view.after(oids[n])
            last = raws[n]
            hdrs = _VB_HEADERS
            left = max_rep
            while pi < len(parts):
                part = parts[pi]
                enc, fns, rows = part.enc, part.fns, part.rows
                stop = min(len(enc), i + left)
                for k in range(i, stop):
                    e = enc[k]
                    v = fns[k](node, rows[k], now)
                    m = len(e) + len(v)
                    if m < 128:
                        hdr = hdrs[m]
                        grow = m + 2
                    else:
                        hdr = b"\x30" + ber.encode_length(m)
                        grow = m + len(hdr)
                    if size + grow > budget:
                        return out, count + (k - i), size  # fewer rows, never tooBig
                    size += grow
                    out += (hdr, e, v)
                count += stop - i
                left -= stop - i
                if left == 0:
                    return out, count, size
                last = enc[stop - 1] if stop > i else last
                pi += 1
                i = 0
            vb = _varbind(last, ber.END_OF_MIB_VIEW_TLV)
            if size + len(vb) <= budget:
                out.append(vb)
                count += 1
                size += len(vb)
            return out, count, size
        walkers = [view.walk(o) for o in oids[n:]]
        last_enc = list(raws[n:])
        ended = [False] * reps
        for _ in range(max_rep):
            row_vbs = []
            row_size = 0
            for j in range(reps):
                hit = None if ended[j] else next(walkers[j], None)
                if hit is None:
                    ended[j] = True
                    vb = _varbind(last_enc[j], ber.END_OF_MIB_VIEW_TLV)
                else:
                    enc_j, fn, row = hit
                    last_enc[j] = enc_j
                    vb = _varbind(enc_j, fn(node, row, now))
                row_vbs.append(vb)
                row_size += len(vb)
            if size + row_size > budget:
                break  # whole rows only, so a manager never sees a ragged last row
            out.extend(row_vbs)
            count += reps
            size += row_size
            if all(ended):
                break
        return out, count, size


def _request_id(buf: bytes, pos: int, end: int) -> int:
    try:
        _t, s, e = ber.read_tlv(buf, pos, end)
        rs, re_ = ber.expect(buf, s, e, ber.INTEGER)
        return ber.decode_integer(buf, rs, re_)
    except BERError:
        return 0
