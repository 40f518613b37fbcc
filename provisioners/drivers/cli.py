"""CLI driver (netmiko) for devices configured by command lines.

Dialect from ``DeviceAccess.platform``: ``eos`` -> netmiko ``arista_eos`` with EOS config
sessions; ``ios``, ``frr`` and anything else -> netmiko ``cisco_ios`` (FRR's vtysh speaks it,
LAB.md §3.3), no candidate.

IOS / FRR (no candidate, no confirmed commit):

=========  =====================================================================================
prepare    ``show running-config`` (the snapshot); returns the lines to send and a unified
           diff snapshot -> expected running config (computed locally); nothing is sent
discard    nothing to undo
commit     ``configure terminal``, the lines, ``end`` (stops at the first ``%`` error);
           ``show running-config`` must then hold every line, else DriverError "not applied"
confirm    ``write memory``
rollback   ``provisioners.diff.cli.commands(IOS, running_now, snapshot)`` as config lines, then
           ``show running-config`` must equal the snapshot (volatile header lines aside); after
           confirm also ``write memory``
=========  =====================================================================================

EOS (config session named after the transaction, so the transaction id shows in
``show configuration sessions``):

=========  =====================================================================================
prepare    ``show running-config`` (snapshot), ``configure session <name>``, the lines,
           ``show session-config diffs`` (the returned diff), ``end`` (session stays pending)
discard    ``configure session <name> abort``
commit     ``configure session <name> commit timer hh:mm:ss`` (a confirmed commit), then the
           read-back check as above
confirm    ``configure session <name> commit``, ``write memory``
rollback   pending timer: ``configure session <name> abort`` (EOS restores the previous
           config); after confirm: compensating commands from the snapshot in a session
           ``<name>-rb`` that is committed, then ``write memory``; running must equal snapshot
=========  =====================================================================================

The SSH host key is verified on connect: netmiko with ``ssh_strict=True`` (paramiko's
RejectPolicy) and a one-entry known_hosts file written from ``DeviceAccess.host_key``.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

from provisioners.contract import DeviceAccess, DriverError, HostKeyMismatch, NativeChange, register
from provisioners.diff import cli as clidiff
from provisioners.drivers._common import Stage, first_line, hms, require_stage, scrub, txn_name
from provisioners.hostkeys import explain_refusal, format_key, known_hosts_file, require_key

log = logging.getLogger(__name__)

# A line the device answers with "% ..." is an error in IOS, FRR and EOS alike.
ERROR_PATTERN = r"^\s*%.*$"
# Header lines that change on every read and are not configuration.
VOLATILE = re.compile(
    r"^(Building configuration|Current configuration|! Last configuration change|"
    r"! NVRAM config last updated|! No configuration change since last restart|! Command: |"
    r"! Time: |! Startup-config last modified|ntp clock-period)"
)


def normalize(text: str) -> str:
    """Running config without volatile header lines and trailing blanks (for equality)."""
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").splitlines()]
    lines = [ln for ln in lines if not VOLATILE.match(ln)]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines) + "\n"


def payload_lines(payload: str, dialect: clidiff.Dialect) -> list[str]:
    """Config-mode lines from a change payload: comments and blank lines dropped, and an
    ``exit`` added where an indented block ends without one (IOS/FRR), so a top-level line
    after a block is not read inside it."""
    out: list[str] = []
    in_block = False
    for raw in payload.splitlines():
        line = raw.rstrip()
        s = line.strip()
        if not s or s.startswith("!"):
            continue
        indented = line[0] in " \t"
        if s in ("end",):
            continue
        if not indented and s in ("exit",):
            in_block = False
            out.append(s)
            continue
        if not indented and in_block and dialect.closes_blocks:
            out.append("exit")
        if indented:
            in_block = True
        elif s != "exit":
            in_block = False
        out.append(line)
    if in_block and dialect.closes_blocks:
        out.append("exit")
    return out


def _key(line: str) -> str | None:
    """The setting a single-valued line sets (``description``, ``mtu`` ...), per the diff
    engine's list, or None."""
    for rx in clidiff.SINGLE_VALUED:
        m = rx.match(line)
        if m:
            return m.group(0)
    return None


def _strip_no(line: str) -> str | None:
    return line[3:] if line.startswith("no ") else None


def expected_config(snapshot: str, lines: list[str], dialect: clidiff.Dialect) -> dict[str, clidiff.Block]:
    """The running config after ``lines``, computed on the snapshot's blocks (an estimate for
    the dry-run diff: single-valued settings replace, ``no X`` removes X)."""
    blocks = clidiff.parse(snapshot)
    current: clidiff.Block | None = None
    for raw in lines:
        s = raw.strip()
        if s in ("exit", "end"):
            current = None
            continue
        if raw[:1] in (" ", "\t") and current is not None:
            neg = _strip_no(s)
            if neg is not None:
                current.children = [
                    c for c in current.children if c != neg and not (_key(neg) and _key(c) == _key(neg))
                ]
                continue
            key = _key(s)
            if key:
                current.children = [c for c in current.children if _key(c) != key]
            if s not in current.children:
                current.children.append(s)
            continue
        neg = _strip_no(s)
        if neg is not None:
            blocks.pop(neg, None)
            current = None
            continue
        current = blocks.setdefault(s, clidiff.Block(s))
    return blocks


def missing_lines(running: str, lines: list[str]) -> list[str]:
    """The payload lines that ``running`` does not show (``no X`` lines: X still shown).
    A block header only entered to remove lines from it need not show: FRR and IOS drop an
    interface block from running-config once nothing is configured in it."""
    blocks = clidiff.parse(running)
    missing: list[str] = []
    header: str | None = None
    block: list[str] = []  # what the current block misses
    adds = removes = 0  # its child lines that add / remove something

    def close() -> None:
        if header is not None and header not in blocks and (adds or not removes):
            missing.append(header)
        missing.extend(block)

    for raw in lines:
        s = raw.strip()
        if s in ("exit", "end") or raw[:1] not in (" ", "\t"):
            close()
            header, block, adds, removes = None, [], 0, 0
            if s in ("exit", "end"):
                continue
            neg = _strip_no(s)
            if neg is None:
                header = s
            elif neg in blocks and not blocks[neg].children:
                missing.append(s)
            continue
        children = blocks[header].children if header in blocks else []
        neg = _strip_no(s)
        if neg is not None:
            removes += 1
            if neg in children:
                block.append(f"{header} / {s}")
        else:
            adds += 1
            if s not in children:
                block.append(f"{header} / {s}")
    close()
    return missing


def require_applied(device: str, running: str, lines: list[str]) -> None:
    """A device that answered without an error but does not show every line did not apply
    the change: say which lines are missing."""
    missing = missing_lines(running, lines)
    if missing:
        raise DriverError(device, "commit", "not applied: running-config lacks " + "; ".join(missing[:10]))


class CliDriver:
    """One SSH CLI session to one device. Thread-safe per instance (one RLock)."""

    def __init__(self, access: DeviceAccess, connection_factory: Any = None) -> None:
        self.device = access.device
        self._access = access
        self._mutex = threading.RLock()
        self.eos = access.platform.lower() == "eos"
        self.dialect = clidiff.EOS if self.eos else clidiff.IOS
        self.device_type = "arista_eos" if self.eos else "cisco_ios"
        self.supports_confirmed_commit = self.eos
        self._stage = Stage.IDLE
        self._snapshot: str | None = None
        self._lines: list[str] = []
        self._session: str | None = None
        self._conn = self._connect(connection_factory)

    # ---------------------------------------------------------------- connection
    def _connect(self, factory: Any) -> Any:
        from netmiko import ConnectHandler
        from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException
        from paramiko import BadHostKeyException, SSHException

        a = self._access
        key = require_key(a.device, a.host_key)
        with known_hosts_file(a.host, a.port, key) as known_hosts:
            try:
                conn = (factory or ConnectHandler)(
                    device_type=self.device_type,
                    host=a.host,
                    port=a.port,
                    username=a.username,
                    password=a.password.reveal(),
                    secret=a.password.reveal(),  # enable secret where the device asks for one
                    # Host key pinned: RejectPolicy plus exactly the key on record; never
                    # AutoAddPolicy, never the user's ~/.ssh/known_hosts.
                    ssh_strict=True,
                    system_host_keys=False,
                    alt_host_keys=True,
                    alt_key_file=str(known_hosts),
                    allow_agent=False,
                    use_keys=False,
                    timeout=a.timeout_s,
                    conn_timeout=min(a.timeout_s, 15.0),
                    auth_timeout=a.timeout_s,
                    banner_timeout=min(a.timeout_s, 15.0),
                )
            except NetmikoAuthenticationException:
                raise DriverError(
                    a.device, "connect", f"authentication failed for user {a.username!r}"
                ) from None
            except (NetmikoTimeoutException, SSHException, OSError, EOFError) as exc:
                cause = exc.__context__ if isinstance(exc, NetmikoTimeoutException) else exc
                if isinstance(cause, BadHostKeyException):
                    raise HostKeyMismatch(a.device, key, format_key(cause.key)) from None
                text = scrub(str(exc), a)
                if isinstance(cause, SSHException) or "known_hosts" in text or "host key" in text:
                    mismatch = explain_refusal(a.device, a.host, a.port, key, a.timeout_s)
                    if mismatch is not None:
                        raise mismatch from None
                raise DriverError(a.device, "connect", first_line(text) or type(exc).__name__) from None
        try:
            if not conn.check_enable_mode():
                conn.enable()
        except Exception as exc:
            conn.disconnect()
            raise DriverError(a.device, "connect", f"enable: {first_line(scrub(str(exc), a))}") from None
        return conn

    def host_key(self) -> str:
        with self._mutex:
            return format_key(self._conn.remote_conn.get_transport().get_remote_server_key())

    # ---------------------------------------------------------------- helpers
    def _call(self, phase: str, fn: Any, *args: Any, **kwargs: Any) -> str:
        from netmiko.exceptions import ConfigInvalidException

        try:
            return str(fn(*args, **kwargs))
        except ConfigInvalidException as exc:
            self._leave_config_mode()
            # netmiko's text: "Invalid input detected at command: X, matched error: % ..."
            m = re.search(r"at command: (.*), matched error: (.*)$", str(exc), re.S)
            msg = f"{m.group(2).strip()} (at {m.group(1).strip()!r})" if m else str(exc)
            raise DriverError(self.device, phase, scrub(msg, self._access)) from None
        except DriverError:
            raise
        except Exception as exc:
            raise DriverError(
                self.device, phase, first_line(scrub(str(exc), self._access)) or type(exc).__name__
            ) from None

    def _leave_config_mode(self) -> None:
        try:
            if self._conn.check_config_mode():
                self._conn.exit_config_mode()
        except Exception as exc:
            log.debug("%s: leaving config mode: %s", self.device, type(exc).__name__)

    def _show(self, command: str, phase: str) -> str:
        out = self._call(phase, self._conn.send_command, command, read_timeout=self._access.timeout_s)
        err = re.search(ERROR_PATTERN, out, re.M)
        if err and command.startswith(("configure session", "write", "copy")):
            raise DriverError(self.device, phase, f"{err.group(0).strip()} (at {command!r})")
        return out

    def _running(self, phase: str) -> str:
        return normalize(self._show("show running-config", phase))

    def _send_lines(self, lines: list[str], phase: str) -> str:
        return self._call(
            phase,
            self._conn.send_config_set,
            lines,
            error_pattern=ERROR_PATTERN,
            read_timeout=self._access.timeout_s,
        )

    def _save(self, phase: str) -> None:
        # The full command: netmiko's cisco_ios default ("write mem") is an abbreviation that
        # not every IOS-like CLI takes; "write memory" is what IOS, FRR and EOS all accept.
        kwargs = {} if self.eos else {"cmd": "write memory"}
        out = self._call(phase, self._conn.save_config, **kwargs)
        err = re.search(ERROR_PATTERN, out, re.M)
        if err and "Operation not permitted" not in err.group(0):
            # FRR's `write memory` warns that it cannot chown the file to frr: harmless (LAB §3.3).
            raise DriverError(self.device, phase, f"write memory: {err.group(0).strip()}")

    def _session_cmd(self, command: str, phase: str) -> str:
        # Config-session commands run from exec mode: "configure session X abort|commit ...".
        return self._show(command, phase)

    # ---------------------------------------------------------------- contract
    def get_config(self) -> str:
        with self._mutex:
            return self._running("get_config")

    def prepare(self, change: NativeChange) -> str:
        with self._mutex:
            if change.format != "cli":
                raise DriverError(self.device, "prepare", f"expects a cli change, got {change.format!r}")
            if self._stage is not Stage.IDLE:
                raise DriverError(self.device, "prepare", f"a change is already {self._stage.value}")
            lines = payload_lines(change.payload, self.dialect)
            if not lines:
                raise DriverError(self.device, "prepare", "the change holds no configuration lines")
            self._snapshot = self._running("prepare")
            self._lines = lines
            if self.eos:
                return self._prepare_session(change.comment)
            expected = expected_config(self._snapshot, lines, self.dialect)
            before = clidiff.render(self.dialect, clidiff.parse(self._snapshot))
            after = clidiff.render(self.dialect, expected)
            self._stage = Stage.PREPARED
            if before == after:
                return ""
            diff = clidiff.unified_diff(before, after, "running", "expected")
            return "! commands to send:\n" + "\n".join(lines) + "\n! expected running-config:\n" + diff

    def _prepare_session(self, comment: str) -> str:
        self._session = txn_name(comment)
        # EOS drops the session if we leave it with no change; a failing line aborts it below.
        self._call(
            "prepare",
            self._conn.send_command,
            f"configure session {self._session}",
            expect_string=r"\)#",
            read_timeout=self._access.timeout_s,
        )
        self._stage = Stage.PREPARED
        try:
            self._call(
                "prepare",
                self._conn.send_config_set,
                self._lines,
                enter_config_mode=False,
                exit_config_mode=False,
                error_pattern=ERROR_PATTERN,
                read_timeout=self._access.timeout_s,
            )
            diff = self._call(
                "prepare",
                self._conn.send_command,
                "show session-config diffs",
                expect_string=r"\)#",
                read_timeout=self._access.timeout_s,
            )
            self._call("prepare", self._conn.send_command, "end", expect_string=r"#")
        except DriverError:
            self._discard_session("prepare")
            raise
        return diff.strip()

    def _discard_session(self, phase: str) -> None:
        self._leave_config_mode()
        if self._session:
            self._session_cmd(f"configure session {self._session} abort", phase)
        self._stage = Stage.IDLE

    def discard(self) -> None:
        with self._mutex:
            if self._stage is Stage.IDLE:
                return
            if self._stage is not Stage.PREPARED:
                raise DriverError(self.device, "discard", f"change is {self._stage.value}: use rollback")
            if self.eos:
                self._discard_session("discard")
            self._stage = Stage.IDLE

    def commit(self, confirm_timeout_s: int, comment: str) -> None:
        with self._mutex:
            require_stage(self.device, self._stage, Stage.PREPARED, "commit")
            if self.eos:
                assert self._session is not None
                self._session_cmd(
                    f"configure session {self._session} commit timer {hms(confirm_timeout_s)}", "commit"
                )
                self._stage = Stage.COMMITTED
            else:
                # From the first line on, something may be applied: rollback must compensate.
                self._stage = Stage.COMMITTED
                self._send_lines(self._lines, "commit")
            require_applied(self.device, self._running("commit"), self._lines)

    def confirm(self) -> None:
        with self._mutex:
            require_stage(self.device, self._stage, Stage.COMMITTED, "confirm")
            if self.eos:
                self._session_cmd(f"configure session {self._session} commit", "confirm")
            self._save("confirm")
            self._stage = Stage.CONFIRMED

    def save(self) -> None:
        with self._mutex:
            self._save("save")

    def adopt(self, comment: str) -> bool:
        """EOS: take over the pending session of ``comment`` (left by a crashed agent). IOS-like
        CLIs keep nothing pending: lines sent are in running, and confirm() saves them."""
        with self._mutex:
            self._stage = Stage.COMMITTED
            if not self.eos:
                return False
            self._session = txn_name(comment)
            return True

    def rollback(self) -> None:
        with self._mutex:
            stage = self._stage
            if stage is Stage.IDLE:
                return
            if stage is Stage.PREPARED:
                if self.eos:
                    self._discard_session("rollback")
                self._stage = Stage.IDLE
                return
            if self.eos and stage is Stage.COMMITTED:
                # Aborting a session whose commit timer runs restores the previous config now.
                self._session_cmd(f"configure session {self._session} abort", "rollback")
            else:
                self._compensate(save=stage is Stage.CONFIRMED)
            self._stage = Stage.IDLE
            self._verify_restored()

    def _compensate(self, save: bool) -> None:
        assert self._snapshot is not None
        now = self._running("rollback")
        cmds = clidiff.commands(self.dialect, now, self._snapshot)
        if cmds:
            if self.eos:
                name = f"{self._session or txn_name('')}-rb"
                self._call(
                    "rollback",
                    self._conn.send_command,
                    f"configure session {name}",
                    expect_string=r"\)#",
                    read_timeout=self._access.timeout_s,
                )
                self._call(
                    "rollback",
                    self._conn.send_config_set,
                    [*cmds, "commit"],
                    enter_config_mode=False,
                    exit_config_mode=False,
                    error_pattern=ERROR_PATTERN,
                    read_timeout=self._access.timeout_s,
                )
                self._leave_config_mode()
            else:
                self._send_lines(cmds, "rollback")
        if save:
            self._save("rollback")

    def _verify_restored(self) -> None:
        if self._snapshot is None:
            return
        now = self._running("rollback")
        if now != self._snapshot:
            diff = clidiff.unified_diff(self._snapshot, now, "snapshot", "running")
            raise DriverError(self.device, "rollback", "running-config differs from the snapshot:\n" + diff)

    def close(self) -> None:
        with self._mutex:
            try:
                if self._stage is Stage.PREPARED and self.eos:
                    self._discard_session("close")
                self._conn.disconnect()
            except Exception as exc:
                log.debug("%s: disconnect: %s", self.device, type(exc).__name__)


def open_cli(access: DeviceAccess) -> CliDriver:
    return CliDriver(access)


register("cli", open_cli)
