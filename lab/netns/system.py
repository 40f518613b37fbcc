"""Thin, typed wrappers over the host tools the netns lab drives (ip, nsenter, useradd, ...).

Everything here acts on one named object at a time (a namespace, a link, a PID, a user):
the lab never uses broad-brush tools such as ``pkill`` or ``ip -all netns delete``, because
other labs (parallel test runs, other sessions) share this machine.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from pathlib import Path

from lab.procs import pid_alive

# Debian packages behind each executable, for a skip/diagnostic message that says what to install.
REQUIRED: dict[str, str] = {
    "/usr/sbin/ip": "iproute2",
    "/usr/bin/nsenter": "util-linux",
    "/usr/bin/unshare": "util-linux",
    "/usr/bin/ssh-keygen": "openssh-client",
    "/usr/sbin/sshd": "openssh-server",
    "/usr/sbin/useradd": "passwd",
}
NETCONF_REQUIRED: dict[str, str] = {
    "/usr/sbin/netconfd": "netconfd",
    "/usr/sbin/netconf-subsystem": "netconfd",
    "/usr/sbin/ifconfig": "net-tools",
}
SNMP_REQUIRED: dict[str, str] = {
    "/usr/sbin/snmpd": "snmpd",
}
FRR_REQUIRED: dict[str, str] = {
    "/usr/lib/frr/zebra": "frr",
    "/usr/lib/frr/staticd": "frr",
    "/usr/bin/vtysh": "frr",
}


class LabCommandError(RuntimeError):
    """A host command the lab needs failed; the message carries its stderr."""


def run(
    args: Sequence[str],
    *,
    check: bool = True,
    timeout: float = 30.0,
    input_text: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    try:
        res = subprocess.run(
            list(args), capture_output=True, text=True, timeout=timeout, input=input_text, env=env
        )
    except subprocess.TimeoutExpired as exc:
        raise LabCommandError(f"{' '.join(args)}: timed out after {timeout}s") from exc
    if check and res.returncode != 0:
        raise LabCommandError(f"{' '.join(args)}: exit {res.returncode}: {res.stderr.strip()}")
    return res


def missing_tools(required: dict[str, str]) -> list[str]:
    """``"<path> (Debian package <pkg>)"`` for each required executable that is absent."""
    return [f"{p} (Debian package {pkg})" for p, pkg in required.items() if not os.access(p, os.X_OK)]


def why_unavailable(*, netconf: bool = True, frr: bool = True, snmp: bool = False) -> str | None:
    """None when this machine can run the lab, else the reason (for a pytest skip)."""
    if os.geteuid() != 0:
        return "the netns lab needs root (network namespaces, sshd, useradd)"
    need = dict(REQUIRED)
    if netconf:
        need |= NETCONF_REQUIRED
    if frr:
        need |= FRR_REQUIRED
    if snmp:
        need |= SNMP_REQUIRED
    missing = missing_tools(need)
    if missing:
        return "missing: " + ", ".join(missing) + " (scripts/install-system-packages.sh installs them)"
    probe = f"oaprobe{os.getpid()}"
    res = run(["ip", "netns", "add", probe], check=False)
    if res.returncode != 0:
        return f"'ip netns add' does not work here: {res.stderr.strip()}"
    run(["ip", "netns", "del", probe], check=False)
    return None


# ------------------------------------------------------------------ processes
def read_pidfile(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, IndexError, ValueError):
        return None


def terminate(pids: Iterable[int], grace_s: float = 3.0, reap: Callable[[], None] | None = None) -> list[int]:
    """SIGTERM each pid, wait up to ``grace_s`` (netconfd needs about 1 s), then SIGKILL the
    rest. ``reap`` collects the exit status of those that are the caller's own children (so
    they do not linger as zombies). Returns the pids still alive afterwards (should be none)."""
    todo = [p for p in dict.fromkeys(pids) if p > 1 and pid_alive(p)]
    for p in todo:
        _signal(p, signal.SIGTERM)
        # A process frozen by a node-down fault (SIGSTOP) acts on SIGTERM only once continued.
        _signal(p, signal.SIGCONT)
    for sig, wait_s in ((signal.SIGKILL, grace_s), (None, 2.0)):
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and any(pid_alive(p) for p in todo):
            if reap:
                reap()
            time.sleep(0.05)
        if sig is not None:
            for p in todo:
                if pid_alive(p):
                    _signal(p, sig)
    if reap:
        reap()
    return [p for p in todo if pid_alive(p)]


def _signal(pid: int, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, sig)


# ------------------------------------------------------------------ namespaces and links
def netns_list() -> list[str]:
    res = run(["ip", "netns", "list"], check=False)
    return [line.split()[0] for line in res.stdout.splitlines() if line.strip()]


def netns_pids(ns: str) -> list[int]:
    res = run(["ip", "netns", "pids", ns], check=False)
    return [int(x) for x in res.stdout.split() if x.isdigit()]


def host_links() -> list[str]:
    res = run(["ip", "-o", "link", "show"], check=False)
    out = []
    for line in res.stdout.splitlines():
        parts = line.split(":", 2)
        if len(parts) >= 2:
            out.append(parts[1].strip().split("@")[0])
    return out


def link_exists(name: str) -> bool:
    return run(["ip", "link", "show", "dev", name], check=False).returncode == 0


def host_ipv4_networks() -> list[str]:
    """Every IPv4 prefix routed on the host (to keep a new lab's addresses clear of them)."""
    res = run(["ip", "-4", "-o", "route", "show", "table", "all"], check=False)
    nets = []
    for line in res.stdout.splitlines():
        first = line.split()[0] if line.split() else ""
        if first in ("broadcast", "local", "unicast", "multicast"):
            first = line.split()[1]
        if first and first[0].isdigit():
            nets.append(first if "/" in first else f"{first}/32")
    return nets


# ------------------------------------------------------------------ users
def user_exists(name: str) -> bool:
    return run(["getent", "passwd", name], check=False).returncode == 0


def add_user(name: str, password: str, group: str) -> None:
    """An unprivileged login without a home, primary group ``group`` (frrvty opens the vty
    sockets and lets ``write memory`` leave a file the daemons can read)."""
    # useradd takes a lock on /etc/passwd; another lab may hold it for a moment.
    for attempt in range(20):
        res = run(["useradd", "-M", "-d", "/nonexistent", "-s", "/bin/sh", "-g", group, name], check=False)
        if res.returncode == 0:
            break
        if "lock" not in res.stderr.lower() or attempt == 19:
            raise LabCommandError(f"useradd {name}: {res.stderr.strip()}")
        time.sleep(0.1)
    # chpasswd reads "user:password" from stdin, so the password never shows in a process list.
    run(["chpasswd"], input_text=f"{name}:{password}\n")


def delete_user(name: str) -> None:
    for attempt in range(20):
        res = run(["userdel", name], check=False)
        if res.returncode == 0 or not user_exists(name):
            return
        if "lock" not in res.stderr.lower() or attempt == 19:
            raise LabCommandError(f"userdel {name}: {res.stderr.strip()}")
        time.sleep(0.1)


# ------------------------------------------------------------------ keys, sockets, waiting
def generate_host_key(path: Path) -> str:
    """A fresh ed25519 host key at ``path``; returns the public key as ``"ssh-ed25519 AAAA..."``."""
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", str(path)])
    kind, b64 = path.with_name(path.name + ".pub").read_text().split()[:2]
    return f"{kind} {b64}"


def tcp_open(host: str, port: int, timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return
        if time.monotonic() > deadline:
            raise LabCommandError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def which(name: str) -> str | None:
    return shutil.which(name)
