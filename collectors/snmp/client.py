"""The SNMP fetch layer: the only module that calls pysnmp.

One ``SnmpEngine`` per event loop serves many devices; requests use numeric OIDs with MIB
lookup off, and tables are read column-wise with GETBULK (several columns per request, the
way ``snmpbulkwalk`` reads a table), so a 50-interface device costs a handful of requests.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pyasn1.type import univ
from pysnmp.hlapi.v3arch.asyncio import (
    USM_AUTH_HMAC96_SHA,
    USM_AUTH_HMAC192_SHA256,
    USM_PRIV_CFB128_AES,
    USM_PRIV_CFB256_AES_BLUMENTHAL,
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    bulk_cmd,
    get_cmd,
)
from pysnmp.proto import rfc1902, rfc1905

from collectors.snmp.values import Exc, Value
from collectors.specs import Oid, format_oid
from inventory.choices import SnmpAuthProto, SnmpPrivProto, SnmpVersion
from inventory.domain import SnmpCredentials, SnmpTarget

_AUTH = {SnmpAuthProto.SHA: USM_AUTH_HMAC96_SHA, SnmpAuthProto.SHA256: USM_AUTH_HMAC192_SHA256}
# Net-SNMP's "AES256" uses the Blumenthal key extension; so does this mapping.
_PRIV = {SnmpPrivProto.AES: USM_PRIV_CFB128_AES, SnmpPrivProto.AES256: USM_PRIV_CFB256_AES_BLUMENTHAL}

# Varbinds asked for per GETBULK (max-repetitions x columns): a 50-port table in two or three
# round trips. An agent that cannot fit that many in its message size returns fewer, and the
# walk simply continues from the last row it got.
MAX_VARBINDS_PER_REQUEST = 256


class SnmpError(Exception):
    """A request failed: timeout, authentication failure, or an error-status from the agent."""


def auth_data(creds: SnmpCredentials) -> CommunityData | UsmUserData:
    if creds.version is SnmpVersion.V2C:
        assert creds.community is not None
        return CommunityData(creds.community.reveal(), mpModel=1)  # noqa: S508 - v2c is what the operator configured
    assert creds.user and creds.auth_key and creds.priv_key and creds.auth_proto and creds.priv_proto
    return UsmUserData(
        creds.user,
        creds.auth_key.reveal(),
        creds.priv_key.reveal(),
        authProtocol=_AUTH[creds.auth_proto],
        privProtocol=_PRIV[creds.priv_proto],
    )


def _plain(value: Any) -> Value:
    """pysnmp value -> plain Python (see collectors.snmp.values)."""
    if isinstance(value, rfc1905.EndOfMibView):
        return Exc.END_OF_MIB_VIEW
    if isinstance(value, rfc1905.NoSuchInstance):
        return Exc.NO_SUCH_INSTANCE
    if isinstance(value, rfc1905.NoSuchObject):
        return Exc.NO_SUCH_OBJECT
    # Check the pyasn1 base classes: without MIB lookup, pysnmp hands back plain pyasn1
    # types for some syntaxes (an OID value is a univ.ObjectIdentifier, not rfc1902's).
    if isinstance(value, rfc1902.IpAddress):
        return ".".join(str(b) for b in value.asOctets())
    if isinstance(value, univ.ObjectIdentifier):
        return ".".join(str(n) for n in value)
    if isinstance(value, univ.OctetString):
        return bytes(value.asOctets())
    if isinstance(value, univ.Null):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass
class SnmpSession:
    """Requests to one device. Counts what it sends so that callers can report load."""

    engine: SnmpEngine
    target: SnmpTarget
    requests: int = 0
    varbinds: int = 0
    _transport: UdpTransportTarget | None = field(default=None, repr=False)
    _auth: CommunityData | UsmUserData | None = field(default=None, repr=False)

    async def _prepare(self) -> tuple[CommunityData | UsmUserData, UdpTransportTarget]:
        if self._transport is None:
            self._transport = await UdpTransportTarget.create(
                (self.target.host, self.target.port),
                timeout=self.target.timeout,
                retries=self.target.retries,
            )
            self._auth = auth_data(self.target.credentials)
        assert self._auth is not None
        return self._auth, self._transport

    @staticmethod
    def _check(error_indication: Any, error_status: Any, error_index: Any, where: str) -> None:
        if error_indication:
            raise SnmpError(f"{where}: {error_indication}")
        if error_status and int(error_status):
            raise SnmpError(f"{where}: {error_status.prettyPrint()} at varbind {int(error_index)}")

    async def get(self, oids: Sequence[Oid]) -> dict[Oid, Value]:
        auth, transport = await self._prepare()
        self.requests += 1
        err_ind, err_status, err_index, vbs = await get_cmd(
            self.engine,
            auth,
            transport,
            ContextData(),
            *(ObjectType(ObjectIdentity(format_oid(o))) for o in oids),
            lookupMib=False,
        )
        self._check(err_ind, err_status, err_index, "get")
        self.varbinds += len(vbs)
        return {tuple(name): _plain(val) for name, val in vbs}

    async def bulk(
        self, non_repeaters: Sequence[Oid], repeaters: Sequence[Oid], max_repetitions: int
    ) -> list[tuple[Oid, Value]]:
        auth, transport = await self._prepare()
        self.requests += 1
        err_ind, err_status, err_index, vbs = await bulk_cmd(
            self.engine,
            auth,
            transport,
            ContextData(),
            len(non_repeaters),
            max_repetitions,
            *(ObjectType(ObjectIdentity(format_oid(o))) for o in (*non_repeaters, *repeaters)),
            lookupMib=False,
        )
        self._check(err_ind, err_status, err_index, "getbulk")
        self.varbinds += len(vbs)
        return [(tuple(name), _plain(val)) for name, val in vbs]

    async def walk_columns(
        self,
        columns: Sequence[Oid],
        expected_rows: int | None = None,
        non_repeaters: Sequence[Oid] = (),
    ) -> tuple[dict[Oid, Value], list[tuple[Oid, Value]]]:
        """Walk several table columns side by side with GETBULK.

        ``non_repeaters`` are fetched once with the first request (GETNEXT semantics: pass the
        OID *before* the wanted instance, e.g. sysUpTime for sysUpTime.0). Returns those
        values and every (oid, value) found inside the columns, in no particular order.
        """
        cursor: dict[Oid, Oid] = {col: col for col in columns}
        found: list[tuple[Oid, Value]] = []
        scalars: dict[Oid, Value] = {}
        pending_nonrep = list(non_repeaters)
        while cursor:
            cols = list(cursor)
            rows = (expected_rows + 1) if expected_rows else 25
            max_rep = max(1, min(rows, MAX_VARBINDS_PER_REQUEST // max(1, len(cols))))
            reply = await self.bulk(pending_nonrep, [cursor[c] for c in cols], max_rep)
            if pending_nonrep:
                for oid, val in reply[: len(pending_nonrep)]:
                    scalars[oid] = val
                reply = reply[len(pending_nonrep) :]
                pending_nonrep = []
            done: set[Oid] = set()
            progressed: set[Oid] = set()
            width = len(cols)
            for i, (oid, val) in enumerate(reply):
                col = cols[i % width]
                if col in done:
                    continue
                if val is Exc.END_OF_MIB_VIEW or oid[: len(col)] != col:
                    done.add(col)
                    continue
                if oid <= cursor[col]:
                    # A non-increasing OID would loop forever; stop this column here.
                    done.add(col)
                    continue
                found.append((oid, val))
                cursor[col] = oid
                progressed.add(col)
            for col in done:
                cursor.pop(col, None)
            if not progressed:
                # Nothing moved (an empty or all-foreign reply): stop rather than ask again.
                break
        return scalars, found


def new_engine() -> SnmpEngine:
    return SnmpEngine()


def close_engine(engine: SnmpEngine) -> None:
    # Closing a half-open dispatcher at shutdown is best effort.
    with contextlib.suppress(Exception):
        engine.close_dispatcher()


async def with_timeout(coro: Any, seconds: float) -> Any:
    """Bound a whole collector run: retries inside pysnmp plus our own requests."""
    return await asyncio.wait_for(coro, seconds)
