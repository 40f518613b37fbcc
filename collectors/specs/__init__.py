"""Poll specs are data (the YAML files beside this module); this module only loads them."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

Oid = tuple[int, ...]
_DIR = Path(__file__).parent


def parse_oid(text: str) -> Oid:
    text = text.strip().lstrip(".")
    try:
        oid = tuple(int(part) for part in text.split("."))
    except ValueError as exc:
        raise ValueError(f"not a numeric OID: {text!r}") from exc
    if len(oid) < 2:
        raise ValueError(f"OID too short: {text!r}")
    return oid


def format_oid(oid: Oid) -> str:
    return ".".join(str(n) for n in oid)


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: dict[str, Oid]

    def column_named(self, oid: Oid) -> str | None:
        for name, col in self.columns.items():
            if col == oid:
                return name
        return None


@dataclass(frozen=True)
class PollSpec:
    name: str
    scalars: dict[str, Oid] = field(default_factory=dict)
    tables: dict[str, TableSpec] = field(default_factory=dict)
    counter_bits: int = 0
    uptime: Oid | None = None


@cache
def load_spec(name: str) -> PollSpec:
    path = _DIR / f"{name}.yaml"
    doc = yaml.safe_load(path.read_text())
    tables = {
        tname: TableSpec(tname, {col: parse_oid(str(oid)) for col, oid in cols.items()})
        for tname, cols in (doc.get("tables") or {}).items()
    }
    scalars = {k: parse_oid(str(v)) for k, v in (doc.get("scalars") or {}).items()}
    uptime = parse_oid(str(doc["uptime"])) if doc.get("uptime") else None
    return PollSpec(
        name=doc["name"],
        scalars=scalars,
        tables=tables,
        counter_bits=int(doc.get("counter_bits", 0)),
        uptime=uptime,
    )
