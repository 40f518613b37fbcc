"""What both CLI dialects share: command results, errors, output pipes, and the configuration
edit rules of ``configure terminal`` (each line takes effect at once)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from lab.sim.config.model import ConfigError, DeviceConfig
from lab.sim.config.store import CommitRefused
from lab.sim.config.syntax import TOP, CommandError, Mode, rest_after, section
from lab.sim.runtime import Device

# eAPI error codes (EOS): 1002 invalid command, 1000 a command that failed to run.
ERR_INVALID = 1002
ERR_FAILED = 1000


class CliError(Exception):
    """A command the device refuses; ``str()`` is what it prints."""

    def __init__(self, message: str, code: int = ERR_FAILED):
        super().__init__(message)
        self.code = code


@dataclass
class Output:
    text: str = ""
    data: dict[str, Any] | None = None  # the JSON form, for eAPI and ``| json``


def invalid(message: str) -> CliError:
    return CliError(message, ERR_INVALID)


def pipe(out: Output, modifiers: list[str], *, json_ok: bool = True) -> Output:
    """Apply ``| json``, ``| include X``, ``| exclude X``, ``| begin X``, ``| section X``."""
    for mod in modifiers:
        w = mod.split(None, 1)
        if not w:
            raise invalid("% Incomplete command")
        verb, arg = w[0], (w[1] if len(w) > 1 else "")
        if verb == "json" and json_ok:
            out = Output(
                json.dumps(out.data if out.data is not None else {"output": out.text}, indent=2) + "\n"
            )
        elif verb in ("no-more", "nomore"):
            continue
        elif verb in ("include", "exclude", "begin", "section", "i", "e", "b", "s") and arg:
            out = Output(_filter(out.text, verb[0], arg), out.data)
        else:
            raise invalid(f"% Invalid input (at token 1: '{verb}')")
    return out


def _filter(text: str, verb: str, arg: str) -> str:
    try:
        rx = re.compile(arg)
    except re.error:
        rx = re.compile(re.escape(arg))
    lines = text.splitlines()
    if verb == "i":
        kept = [ln for ln in lines if rx.search(ln)]
    elif verb == "e":
        kept = [ln for ln in lines if not rx.search(ln)]
    elif verb == "b":
        start = next((k for k, ln in enumerate(lines) if rx.search(ln)), len(lines))
        kept = lines[start:]
    else:
        return section(text, arg)
    return "\n".join(kept) + ("\n" if kept else "")


def split_pipes(line: str) -> tuple[str, list[str]]:
    parts = [p.strip() for p in line.split(" | ")]
    return parts[0], parts[1:]


class TerminalEdit:
    """``configure terminal``: every line changes running at once (like EOS and vtysh).

    Each line is applied to a copy and checked (``strict=False``) before it replaces running,
    so a refused line changes nothing. An injected commit failure (``fail-commit``) is taken by
    the first line that would change something, and fails every changing line after it until
    the block ends: the block is the unit that fails, as a commit is on other faces.
    """

    def __init__(self, device: Device, who: str):
        self.device = device
        self.who = who
        self.mode: Mode = TOP
        self.failed: str | None = None

    def apply(self, line: str) -> None:
        store = self.device.store
        work = store.running.copy()
        try:
            mode = self.device.syntax.apply(work, self.mode, line)
            work.validate(strict=False)
        except CommandError as exc:
            raise invalid(str(exc)) from None
        except ConfigError as exc:
            raise CliError(pct(str(exc))) from None
        if work != store.running:
            self._check_commit(work)
            store.set_running(work)
        self.mode = mode

    def _check_commit(self, work: DeviceConfig) -> None:
        store = self.device.store
        if self.failed is None:
            try:
                store.check_commit()
            except CommitRefused as exc:
                self.failed = str(exc)
        if self.failed is not None:
            raise CliError(pct(self.failed))
        holder = store.locks.get("running")
        if holder is not None:
            raise CliError(f"% Configuration is locked by NETCONF session {holder}")


def pct(msg: str) -> str:
    return msg if msg.startswith("%") else "% " + msg


# Keyword sequences each dialect knows, for abbreviations (``wr mem``, ``sh run``, ``conf t``,
# ``int Et3``, ``no shut``): a word that is the unique prefix of a keyword at its position
# becomes that keyword; expansion stops at the first word that is an argument.
EXEC_WORDS: tuple[tuple[str, ...], ...] = (
    ("enable",), ("disable",), ("exit",), ("logout",), ("quit",), ("end",),
    ("terminal", "length"), ("terminal", "width"),
    ("show", "version"), ("show", "hostname"), ("show", "clock"), ("show", "ip", "route"),
    ("show", "running-config", "section"), ("show", "running-config", "all"),
    ("show", "running-config", "sanitized"), ("show", "startup-config"),
    ("show", "interfaces", "description"), ("show", "interfaces", "status"), ("show", "interfaces", "brief"),
    ("show", "lldp", "neighbors"), ("show", "configuration", "sessions", "detail"),
    ("show", "session-config", "named"), ("show", "session-config", "diffs"),
    ("configure", "terminal"), ("configure", "session"), ("configure", "replace"),
    ("write", "memory"), ("write", "file"),
    ("copy", "running-config", "startup-config"), ("copy", "startup-config", "running-config"),
)  # fmt: skip
CONFIG_WORDS: tuple[tuple[str, ...], ...] = (
    ("interface",), ("no", "interface"), ("hostname",),
    ("description",), ("no", "description"), ("default", "description"),
    ("shutdown",), ("no", "shutdown"), ("mtu",), ("no", "mtu"),
    ("encapsulation", "dot1q", "vlan"), ("no", "encapsulation", "dot1q", "vlan"),
    ("ip", "address"), ("no", "ip", "address"), ("ip", "route"), ("no", "ip", "route"),
    ("service-policy", "input"), ("service-policy", "output"),
    ("no", "service-policy", "input"), ("no", "service-policy", "output"),
    ("policy-map",), ("no", "policy-map"), ("police", "rate"), ("no", "police"),
    ("l2vpn", "xconnect"), ("no", "l2vpn", "xconnect"), ("neighbor",), ("no", "neighbor"),
    ("snmp-server", "community"), ("no", "snmp-server", "community"), ("username",), ("no", "username"),
    ("commit", "timer"), ("abort",), ("rollback", "clean-config"), ("do",),
    *EXEC_WORDS,
)  # fmt: skip


def expand(line: str, grammar: tuple[tuple[str, ...], ...]) -> str:
    words = line.split()
    out: list[str] = []
    candidates = list(grammar)
    for i, w in enumerate(words):
        options = {seq[i] for seq in candidates if len(seq) > i}
        if w in options:
            pick = w
        else:
            matches = [o for o in options if o.startswith(w)]
            if len(matches) != 1:
                break
            pick = matches[0]
        out.append(pick)
        candidates = [seq for seq in candidates if len(seq) > i and seq[i] == pick]
    if not out:
        return line
    rest = rest_after(line, len(out))
    return " ".join(out) + (" " + rest if rest else "")
