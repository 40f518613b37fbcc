#!/usr/bin/env python3
"""Record an agent's replies as a parser fixture folder.

    python scripts/record_snmp_fixture.py --host 127.0.0.2 --port 16161 --community public \
        tests/fixtures/snmp/netsnmp/linux-basic

Writes one JSON-lines file per poll spec (the varbinds exactly as the fetch layer returns
them) and ``expected.json`` with what the parsers make of them today. Review expected.json by
hand before committing: it is the assertion.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from collectors.snmp.client import SnmpSession, close_engine, new_engine
from collectors.snmp.values import write_records
from collectors.specs import load_spec
from inventory.domain import SnmpCredentials, SnmpTarget

SPECS = ("interfaces", "entity", "lldp", "perf_hc", "perf_32")


async def record(target: SnmpTarget, out: Path) -> None:
    engine = new_engine()
    try:
        s = SnmpSession(engine, target)
        system = load_spec("system")
        values = await s.get(list(system.scalars.values()))
        write_records(out / "system.jsonl", values.items())
        for name in SPECS:
            spec = load_spec(name)
            cols = [c for t in spec.tables.values() for c in t.columns.values()]
            nonrep = [spec.uptime[:-1]] if spec.uptime else []
            scalars, vbs = await s.walk_columns(cols, non_repeaters=nonrep)
            write_records(out / f"{name}.jsonl", [*scalars.items(), *sorted(vbs)])
    finally:
        close_engine(engine)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, default=161)
    ap.add_argument("--community", default="public")
    args = ap.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    target = SnmpTarget("fixture", args.host, args.port, SnmpCredentials.v2c(args.community))
    asyncio.run(record(target, args.folder))
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.fixtures_snmp import parse_folder  # the same code the tests run

    (args.folder / "expected.json").write_text(
        json.dumps(parse_folder(args.folder), indent=2, default=str) + "\n"
    )
    print(f"recorded {args.folder}")


if __name__ == "__main__":
    main()
