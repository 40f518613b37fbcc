"""Plain Python forms of SNMP values, shared by the fetch layer, the parsers and the fixtures.

Numbers are ``int``, OCTET STRINGs ``bytes``, OIDs and IpAddresses ``str``; the three SNMPv2
exceptions are the sentinels below. Parsers never see pysnmp objects, so recorded replies
(tests/fixtures/snmp/...) feed them exactly as a live agent does.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from collectors.specs import Oid, format_oid, parse_oid


class Exc(enum.Enum):
    NO_SUCH_OBJECT = "noSuchObject"
    NO_SUCH_INSTANCE = "noSuchInstance"
    END_OF_MIB_VIEW = "endOfMibView"


Value = int | bytes | str | Exc | None
Row = dict[str, Value]
Table = dict[Oid, Row]  # index suffix -> column name -> value

_TYPES = ("int", "octets", "oid", "ipaddr", "null", "exc")


def text(value: Value) -> str:
    """A DisplayString as text: undecodable bytes replaced, trailing NULs dropped.

    Strings from devices are kept verbatim otherwise (HTML and all); escaping is the job of
    every place that renders them.
    """
    if isinstance(value, bytes):
        return value.rstrip(b"\x00").decode("utf-8", errors="replace")
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    return ""


def integer(value: Value, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def mac(value: Value) -> str:
    if isinstance(value, bytes) and value:
        return ":".join(f"{b:02x}" for b in value)
    return ""


def to_record(oid: Oid, value: Value) -> dict[str, object]:
    """One varbind as a JSON-able record (the fixture format)."""
    if isinstance(value, Exc):
        return {"oid": format_oid(oid), "type": "exc", "value": value.value}
    if isinstance(value, bytes):
        return {"oid": format_oid(oid), "type": "octets", "value": value.hex()}
    if isinstance(value, bool) or value is None:
        return {"oid": format_oid(oid), "type": "null", "value": None}
    if isinstance(value, int):
        return {"oid": format_oid(oid), "type": "int", "value": value}
    return {"oid": format_oid(oid), "type": "oid", "value": value}


def from_record(rec: Mapping[str, object]) -> tuple[Oid, Value]:
    kind = rec["type"]
    raw = rec["value"]
    oid = parse_oid(str(rec["oid"]))
    if kind == "octets":
        return oid, bytes.fromhex(str(raw))
    if kind == "int":
        return oid, int(str(raw))
    if kind in ("oid", "ipaddr"):
        return oid, str(raw)
    if kind == "exc":
        return oid, Exc(str(raw))
    if kind == "null":
        return oid, None
    raise ValueError(f"unknown varbind type {kind!r}; expected one of {_TYPES}")


def write_records(path: Path, varbinds: Iterable[tuple[Oid, Value]]) -> None:
    with path.open("w") as fh:
        for oid, value in varbinds:
            fh.write(json.dumps(to_record(oid, value)) + "\n")


def read_records(path: Path) -> Iterator[tuple[Oid, Value]]:
    with path.open() as fh:
        for line in fh:
            if line.strip():
                yield from_record(json.loads(line))


def tabulate(varbinds: Iterable[tuple[Oid, Value]], columns: Mapping[str, Oid]) -> Table:
    """Group walked varbinds into rows by index, naming each column; other OIDs are ignored."""
    by_prefix = {col: name for name, col in columns.items()}
    lengths = sorted({len(c) for c in columns.values()})
    table: Table = {}
    for oid, value in varbinds:
        if isinstance(value, Exc):
            continue
        for n in lengths:
            name = by_prefix.get(oid[:n])
            if name is not None and len(oid) > n:
                table.setdefault(oid[n:], {})[name] = value
                break
    return table
