"""Naming a decoded trap and saying what it does (pure; rules in collectors/specs/traps.yaml)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from collectors.specs import Oid, format_oid, parse_oid

_SPEC = Path(__file__).resolve().parents[1] / "specs" / "traps.yaml"
IF_INDEX = (1, 3, 6, 1, 2, 1, 2, 2, 1, 1)
# Columns indexed by ifIndex that vendors put in link traps (ifDescr, ifAdminStatus, ifOperStatus, ifName)
_IF_COLUMNS = ((1, 3, 6, 1, 2, 1, 2, 2, 1, 2), (1, 3, 6, 1, 2, 1, 2, 2, 1, 7), (1, 3, 6, 1, 2, 1, 2, 2, 1, 8),
               (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1))  # fmt: skip


@dataclass(frozen=True)
class TrapRule:
    oid: Oid
    name: str
    raises: str | None = None
    clears: str | None = None
    object: str = "device"  # device | interface | index-of: <oid>


@dataclass(frozen=True)
class Classified:
    name: str  # the rule's name, or "unknown"
    raises: str | None
    clears: str | None
    if_index: int | None
    object_id: str | None


def _parse(doc: object, where: str) -> dict[Oid, TrapRule]:
    if not isinstance(doc, dict) or not isinstance(doc.get("traps"), list):
        raise ValueError(f"{where}: expected 'traps: [...]'")
    out = {}
    for i, t in enumerate(doc["traps"]):
        try:
            rule = TrapRule(
                oid=parse_oid(str(t["oid"])),
                name=str(t["name"]),
                raises=t.get("raises"),
                clears=t.get("clears"),
                object=str(t.get("object", "device")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{where}: traps[{i}]: {exc}") from exc
        if rule.raises and rule.clears:
            raise ValueError(f"{where}: traps[{i}] ({rule.name}) both raises and clears")
        out[rule.oid] = rule
    return out


@cache
def rules(extra: Path | None = None) -> dict[Oid, TrapRule]:
    out = _parse(yaml.safe_load(_SPEC.read_text()), str(_SPEC))
    if extra is not None and extra.exists():
        out.update(_parse(yaml.safe_load(extra.read_text()), str(extra)))
    return out


def _if_index(varbinds: Sequence[tuple[Oid, object]]) -> int | None:
    for oid, value in varbinds:
        if oid[:-1] == IF_INDEX and isinstance(value, int):
            return value
    for oid, _ in varbinds:
        for col in _IF_COLUMNS:
            if oid[:-1] == col:
                return oid[-1]
    return None


def _index_of(prefix: Oid, varbinds: Sequence[tuple[Oid, object]]) -> str | None:
    for oid, _ in varbinds:
        if len(oid) > len(prefix) and oid[: len(prefix)] == prefix:
            return format_oid(oid[len(prefix) :])
    return None


def classify(
    trap_oid: Oid, varbinds: Sequence[tuple[Oid, object]], table: dict[Oid, TrapRule] | None = None
) -> Classified:
    rule = (table if table is not None else rules()).get(trap_oid)
    if rule is None:
        return Classified("unknown", None, None, _if_index(varbinds), None)
    if_index = _if_index(varbinds) if rule.object == "interface" else None
    object_id = None
    if rule.object.startswith("index-of:"):
        found = _index_of(parse_oid(rule.object.split(":", 1)[1]), varbinds)
        object_id = f"peer={found}" if found else None
    return Classified(rule.name, rule.raises, rule.clears, if_index, object_id)
