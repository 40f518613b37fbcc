"""``python -m lab.netns check``: exit 1, listing them, if any netns lab left something on this
machine (namespaces, host-side veths, lab users, daemons, registry records); ``reap`` tears
down labs whose owner is gone first. CI runs ``check`` after the netns suite's second run."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from lab.netns.lab import NAME_BASE, REGISTRY, reap_stale
from lab.netns.system import host_links, netns_list

_PREFIX = re.compile(rf"^{NAME_BASE}[0-9a-f]{{5}}")


def leftovers() -> list[str]:
    left = [f"namespace {ns}" for ns in netns_list() if _PREFIX.match(ns)]
    left += [f"link {link}" for link in host_links() if _PREFIX.match(link)]
    left += [f"registry record {p}" for p in sorted(REGISTRY.glob("*.json"))] if REGISTRY.exists() else []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "/ossagent-netns-" in cmd:  # every lab daemon runs with its node directory
            left.append(f"process {proc.name}: {cmd.strip()[:120]}")
    users = Path("/etc/passwd").read_text().splitlines() if Path("/etc/passwd").exists() else []
    left += [f"user {u.split(':', 1)[0]}" for u in users if re.match(rf"^{NAME_BASE}[0-9a-f]{{5}}u:", u)]
    return left


def main(argv: list[str]) -> int:
    if argv[:1] == ["reap"]:
        for prefix in reap_stale():
            print(f"reaped {prefix}")
    elif argv[:1] != ["check"]:
        print("usage: python -m lab.netns check|reap", file=sys.stderr)
        return 2
    left = leftovers()
    for item in left:
        print(f"left behind: {item}")
    print("netns labs: nothing left behind" if not left else f"netns labs: {len(left)} thing(s) left behind")
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
