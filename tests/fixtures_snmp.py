"""Parser fixtures: tests/fixtures/snmp/<platform>/<case>/ holds recorded replies (one
JSON-lines file per poll spec) and expected.json (what the parsers must make of them)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from collectors.snmp.parse import parse_components, parse_counters, parse_interfaces, parse_lldp, parse_system
from collectors.snmp.values import read_records
from collectors.specs import load_spec

ROOT = Path(__file__).parent / "fixtures" / "snmp"


def _records(folder: Path, name: str) -> list[Any]:
    path = folder / f"{name}.jsonl"
    return list(read_records(path)) if path.exists() else []


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if hasattr(obj, "value") and not isinstance(obj, str | int):
        return obj.value
    return int(obj) if isinstance(obj, int) and not isinstance(obj, bool) else obj


def parse_folder(folder: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    system = dict(_records(folder, "system"))
    if system:
        out["system"] = _plain(asdict(parse_system(system, load_spec("system"))))
    interfaces = parse_interfaces(_records(folder, "interfaces"), load_spec("interfaces"))
    out["interfaces"] = _plain([asdict(i) for i in interfaces])
    out["components"] = _plain(
        [asdict(c) for c in parse_components(_records(folder, "entity"), load_spec("entity"))]
    )
    out["neighbors"] = _plain(
        [asdict(n) for n in parse_lldp(_records(folder, "lldp"), load_spec("lldp"), interfaces)]
    )
    for name in ("perf_hc", "perf_32"):
        recs = _records(folder, name)
        if recs:
            spec = load_spec(name)
            assert spec.uptime is not None
            uptime = dict(recs).get(spec.uptime)
            out[name] = _plain(asdict(parse_counters(uptime, recs, spec)))
    return out


def cases() -> list[Path]:
    return sorted(p.parent for p in ROOT.glob("*/*/expected.json"))
