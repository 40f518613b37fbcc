"""Small helpers shared by the test suites (not fixtures)."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import time
from collections.abc import Callable

from lab.procs import pid_alive  # noqa: F401  (re-exported: tests import it from here)


def random_loopback_base() -> str:
    """Three octets of a 127/8 block unlikely to collide with another run on this machine."""
    return f"127.{random.randint(100, 250)}.{random.randint(1, 250)}"


def free_udp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def free_tcp_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def wait_for(
    check: Callable[[], bool],
    timeout: float = 10.0,
    interval: float = 0.1,
    what: str | Callable[[], str] = "condition",
) -> None:
    """Poll ``check`` until true; ``what`` may be a callable, to describe the state at timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what() if callable(what) else what}")


def have(*commands: str) -> bool:
    return all(shutil.which(c) for c in commands)


def netsnmp(cmd: list[str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Run a Net-SNMP tool without MIB files (Debian ships none), numeric OIDs out."""
    env = {**os.environ, "MIBS": "", "MIBDIRS": "/nonexistent"}
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    # On a fresh machine the first Net-SNMP tool run creates /var/lib/snmp/* and says so on
    # stderr; that notice is not an error, and tests assert stderr is otherwise empty.
    r.stderr = "".join(
        line for line in r.stderr.splitlines(keepends=True) if not line.startswith("Created directory:")
    )
    return r


def parse_netsnmp_walk(output: str) -> dict[str, str]:
    """``snmpwalk -On -Oe -Ot -OQ`` lines (``.1.3.6... = value``) -> {oid: raw value text}."""
    out: dict[str, str] = {}
    last = None
    for line in output.splitlines():
        if line.startswith(".") and " = " in line:
            oid, _, value = line.partition(" = ")
            last = oid.strip().lstrip(".")
            out[last] = value.strip()
        elif last is not None and line.strip():
            out[last] += " " + line.strip()  # long hex strings continue on following lines
    return out


def hex_value(raw: str) -> bytes:
    """A ``-Ox`` value (``"6C 6F "``) as bytes."""
    return bytes.fromhex(raw.strip().strip('"').replace('"', ""))
