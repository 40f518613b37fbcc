"""Building trap datagrams for tests with the wire codec (v1, v2c, v3 authPriv, informs)."""

from __future__ import annotations

import time

from collectors.snmp.wire import ber
from collectors.snmp.wire.usm import (
    FLAG_AUTH,
    FLAG_PRIV,
    FLAG_REPORTABLE,
    LocalizedUser,
    UserConfig,
    UsmEngine,
)

SYS_UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)
TRAP_OID = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
LINK_DOWN = (1, 3, 6, 1, 6, 3, 1, 1, 5, 3)
LINK_UP = (1, 3, 6, 1, 6, 3, 1, 1, 5, 4)
IF_INDEX = (1, 3, 6, 1, 2, 1, 2, 2, 1, 1)
IF_ADMIN = (1, 3, 6, 1, 2, 1, 2, 2, 1, 7)
IF_OPER = (1, 3, 6, 1, 2, 1, 2, 2, 1, 8)


def link_varbinds(trap: tuple[int, ...], if_index: int, uptime: int = 4242) -> bytes:
    oper = 2 if trap == LINK_DOWN else 1
    return b"".join(
        (
            ber.varbind(ber.encode_oid(SYS_UPTIME), ber.encode_timeticks(uptime)),
            ber.varbind(ber.encode_oid(TRAP_OID), ber.encode_oid(trap)),
            ber.varbind(ber.encode_oid((*IF_INDEX, if_index)), ber.encode_integer(if_index)),
            ber.varbind(ber.encode_oid((*IF_ADMIN, if_index)), ber.encode_integer(1)),
            ber.varbind(ber.encode_oid((*IF_OPER, if_index)), ber.encode_integer(oper)),
        )
    )


def v2c(
    trap: tuple[int, ...], if_index: int, community: bytes = b"public", inform: bool = False, rid: int = 1
) -> bytes:
    tag = ber.INFORM_REQUEST if inform else ber.SNMPV2_TRAP
    return ber.encode_community_message(
        1, community, ber.encode_pdu(tag, rid, 0, 0, link_varbinds(trap, if_index))
    )


def v1_link_down(if_index: int, community: bytes = b"public") -> bytes:
    enterprise = ber.encode_oid((1, 3, 6, 1, 4, 1, 8072, 3, 2, 10))
    body = (
        enterprise
        + ber.encode_ipaddress(bytes([127, 0, 0, 9]))
        + ber.encode_integer(2)  # linkDown
        + ber.encode_integer(0)
        + ber.encode_timeticks(1234)
        + ber.tlv(
            ber.SEQUENCE, ber.varbind(ber.encode_oid((*IF_INDEX, if_index)), ber.encode_integer(if_index))
        )
    )
    return ber.encode_community_message(0, community, ber.tlv(ber.TRAP_V1, body))


class V3Sender:
    """An authoritative engine sending authPriv traps, as a device does."""

    def __init__(self, user: UserConfig, engine_id: bytes = b"\x80\x00\x1f\x88\x04test-sender") -> None:
        self.engine = UsmEngine(engine_id, [user], boots=3, booted_at=time.monotonic() - 100)
        self.user = self.engine.users[user.name.encode()]
        self.name = user.name.encode()

    def trap(
        self, trap: tuple[int, ...], if_index: int, msg_id: int = 7, as_user: LocalizedUser | None = None
    ) -> bytes:
        pdu = ber.encode_pdu(ber.SNMPV2_TRAP, msg_id, 0, 0, link_varbinds(trap, if_index))
        scoped = ber.sequence(ber.encode_octets(self.engine.engine_id), ber.encode_octets(b""), pdu)
        user = as_user or self.user
        return self.engine.wrap(msg_id, FLAG_AUTH | FLAG_PRIV, user, self.name, scoped, time.monotonic())


def v3_discovery_probe(msg_id: int = 99) -> bytes:
    """An empty-engine-ID noAuth request that asks the receiver for its engine ID (for informs)."""
    pdu = ber.encode_pdu(ber.GET_REQUEST, msg_id, 0, 0, b"")
    scoped = ber.sequence(ber.encode_octets(b""), ber.encode_octets(b""), pdu)
    sec = ber.tlv(ber.SEQUENCE, ber.encode_octets(b"") + ber.encode_integer(0) + ber.encode_integer(0)
                  + ber.encode_octets(b"") + ber.encode_octets(b"") + ber.encode_octets(b""))  # fmt: skip
    glob = ber.sequence(ber.encode_integer(msg_id), ber.encode_integer(65507), bytes((ber.OCTET_STRING, 1, FLAG_REPORTABLE)),
                        ber.encode_integer(3))  # fmt: skip
    return ber.tlv(ber.SEQUENCE, b"\x02\x01\x03" + glob + ber.tlv(ber.OCTET_STRING, sec) + scoped)
