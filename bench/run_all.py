"""`make bench`: every benchmark in turn, each printing its own figures and ratios."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = [
    "sim_responder.py",
    "poll.py",
    "traps.py",
    "provision.py",
    "orders.py",
    "workers.py",
    "dashboard.py",
]


def main() -> int:
    failed = []
    for name in BENCHES:
        print(f"\n######## {name}", flush=True)
        if subprocess.run([sys.executable, str(HERE / name)], check=False).returncode:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
