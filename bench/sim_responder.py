"""How fast does the simulated lab answer? (``lab.sim``, the ``sim`` engine)

Starts a sim lab of N generated 50-port devices (Arista-like, in a ring), then walks
ifTable + ifXTable of every device with Net-SNMP ``snmpbulkwalk -v2c -Cr50``, 16 processes in
parallel, and prints devices/s, varbinds/s and the CPU seconds spent by the simulator processes
(from /proc/<pid>/stat) beside those of the client processes. The figure that matters for the
simulator is varbinds per simulator CPU-second: the client shares the same cores.

    .venv/bin/python bench/sim_responder.py                 # N = 100 and 1000, workers = 1 and 2
    .venv/bin/python bench/sim_responder.py --devices 100 --workers 1 --auth v3
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lab.sim import LabState, start, stop
from lab.topology import load_topology

IF_TABLE = ".1.3.6.1.2.1.2.2"
IFX_TABLE = ".1.3.6.1.2.1.31.1.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def write_topology(path: Path, n: int, ports: int = 50) -> None:
    lines = [
        f"name: bench{n}",
        "topology:",
        "  defaults:",
        f"    labels: {{ossagent-ports: '{ports}', role: access, site: bench}}",
        "  nodes:",
    ]
    lines += [f"    dev{i:04d}: {{kind: arista_ceos}}" for i in range(n)]
    lines.append("  links:")
    for i in range(n if n > 2 else 0):
        lines.append(f'    - endpoints: ["dev{i:04d}:Ethernet1", "dev{(i + 1) % n:04d}:Ethernet2"]')
    if n <= 2:
        lines[-1] = "  links: []"
    path.write_text("\n".join(lines) + "\n")


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            raw = Path(f"/proc/{pid}/stat").read_bytes()
        except OSError:
            continue
        fields = raw[raw.rfind(b")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / CLK_TCK


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


AUTH = {
    "v2c": ["-v2c", "-c", "public"],
    "v3": [
        "-v3",
        "-l",
        "authPriv",
        "-u",
        "ossim",
        "-a",
        "SHA",
        "-A",
        "ossim-auth-key",
        "-x",
        "AES",
        "-X",
        "ossim-priv-key",
    ],
}


def walk(address: str, port: int, root: str, auth: str) -> tuple[int, str]:
    proc = subprocess.run(
        [
            "snmpbulkwalk",
            *AUTH[auth],
            "-On",
            "-Cr50",
            "-t",
            "2",
            "-r",
            "2",
            f"{address}:{port}",
            root,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "MIBS": ""},
        check=False,
    )
    err = proc.stderr.strip() if proc.returncode or proc.stderr.strip() else ""
    return proc.stdout.count("\n"), err


def free_port() -> int:
    return random.randint(20000, 40000)


def run(n: int, workers: int, parallel: int, state_root: Path, auth: str = "v2c") -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="simb", dir=state_root))
    try:
        topo_path = tmp / "bench.clab.yml"
        write_topology(topo_path, n)
        topo = load_topology(topo_path)
        t0 = time.monotonic()
        state: LabState = start(
            topo,
            tmp / "state",
            address_base=f"127.{random.randint(100, 200)}.{random.randint(0, 200)}",
            snmp_port=free_port(),
            workers=workers,
        )
        startup = time.monotonic() - t0
        try:
            pids = [state.pid, *state.worker_pids]
            jobs = [(nd.address, nd.snmp_port, root) for nd in state.nodes for root in (IF_TABLE, IFX_TABLE)]
            cpu0 = cpu_seconds(pids)
            child0 = os.times()
            t1 = time.monotonic()
            with ThreadPoolExecutor(parallel) as pool:
                results = list(pool.map(lambda j: walk(j[0], j[1], j[2], auth), jobs))
            elapsed = time.monotonic() - t1
            child1 = os.times()
            sim_cpu = cpu_seconds(pids) - cpu0
            rss = rss_mb(pids)
            client_cpu = (child1.children_user + child1.children_system) - (
                child0.children_user + child0.children_system
            )
        finally:
            stop(tmp / "state")
        varbinds = sum(r[0] for r in results)
        errors = [r[1] for r in results if r[1]]
        return {
            "devices": n,
            "workers": workers,
            "startup_s": startup,
            "elapsed_s": elapsed,
            "varbinds": varbinds,
            "errors": len(errors),
            "first_error": errors[0] if errors else "",
            "devices_per_s": n / elapsed,
            "varbinds_per_s": varbinds / elapsed,
            "sim_cpu_s": sim_cpu,
            "client_cpu_s": client_cpu,
            "varbinds_per_sim_cpu_s": varbinds / sim_cpu if sim_cpu else float("inf"),
            "sim_cpu_share": sim_cpu / elapsed,
            "sim_rss_mb": rss,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devices", type=int, nargs="*", default=[100, 1000])
    ap.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--parallel", type=int, default=16)
    ap.add_argument("--auth", choices=sorted(AUTH), default="v2c", help="v3 = authPriv SHA/AES")
    args = ap.parse_args()
    if shutil.which("snmpbulkwalk") is None:
        print("snmpbulkwalk (Net-SNMP) is not installed", file=sys.stderr)
        return 2
    header = (
        f"{'devices':>7} {'workers':>7} {'start s':>7} {'walk s':>7} {'varbinds':>9} {'err':>4} "
        f"{'dev/s':>7} {'vb/s':>8} {'sim cpu s':>9} {'sim cpu %':>9} {'client cpu s':>12} {'vb/sim-cpu-s':>12} "
        f"{'sim RSS MB':>10}"
    )
    print(
        f"sim responder: Net-SNMP snmpbulkwalk {args.auth} -Cr50 of ifTable+ifXTable, {args.parallel} in parallel"
    )
    print(header)
    with tempfile.TemporaryDirectory(prefix="simbench") as root:
        for n in args.devices:
            for w in args.workers:
                r = run(n, w, args.parallel, Path(root), args.auth)
                print(
                    f"{r['devices']:>7} {r['workers']:>7} {r['startup_s']:>7.2f} {r['elapsed_s']:>7.2f} "
                    f"{r['varbinds']:>9} {r['errors']:>4} {r['devices_per_s']:>7.1f} {r['varbinds_per_s']:>8.0f} "
                    f"{r['sim_cpu_s']:>9.2f} {100 * r['sim_cpu_share']:>8.0f}% {r['client_cpu_s']:>12.2f} "
                    f"{r['varbinds_per_sim_cpu_s']:>12.0f} {r['sim_rss_mb']:>10.0f}",
                    flush=True,
                )
                if r["first_error"]:
                    print(f"        first error: {r['first_error'][:200]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
