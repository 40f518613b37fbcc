"""Processes the labs start and must find again: a pid plus the kernel's start time names one
process for good (a recycled pid is never mistaken for a lab's), and lab processes run this
checkout's Python. Shared by the sim runner, the netns keeper, the worker bench and tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat from field 3 on (the command name, field 2, may hold spaces and ')')."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
    except OSError:
        return None


def pid_alive(pid: int) -> bool:
    """True while ``pid`` runs; an exited-but-unreaped zombie counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    fields = _stat_fields(pid)
    return fields is not None and bool(fields) and fields[0] != "Z"


def start_time(pid: int) -> int | None:
    """The kernel's start time of ``pid`` (field 22 of its stat, clock ticks since boot); None
    when it is gone or a zombie."""
    fields = _stat_fields(pid)
    if not fields or fields[0] == "Z":
        return None
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def write_pid(path: Path) -> None:
    """This process's pid and start time, for :func:`read_pid` and :func:`alive`."""
    me = os.getpid()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(f"{me} {start_time(me)}\n")


def read_pid(path: Path) -> tuple[int, int] | None:
    try:
        pid_s, start_s = path.read_text().split()
        return int(pid_s), int(start_s)
    except (OSError, ValueError):
        return None


def alive(path: Path) -> int | None:
    """The pid a pid file names while that very process runs, else None."""
    rec = read_pid(path)
    if rec is None:
        return None
    return rec[0] if start_time(rec[0]) == rec[1] else None


def python_env() -> dict[str, str]:
    """The environment for lab processes: ours, with this checkout importable."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def kill_group(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL, wait_s: float = 15.0) -> None:
    """Signal a process started with ``start_new_session=True`` and its whole group (a Celery
    worker and its pool children), wait for it, SIGKILL the group if it lingers, and SIGKILL it
    once more at the end so that no child outlives its parent."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(wait_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(wait_s)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
