"""NAPALM driver: any NAPALM network driver behind the contract (default ``eos``).

``DeviceAccess.options``: ``napalm_driver`` (default "eos"), ``transport`` (eos: https, http,
ssh; passed as NAPALM's optional arg), ``port``, ``revert_in`` ("yes"/"no": override whether
the driver's commit_config takes ``revert_in``; eos and junos do).

=========  =====================================================================================
prepare    get_config(running) (snapshot); load_merge_candidate(config=payload), or
           load_replace_candidate when the change's format is ``cli-replace``;
           returns compare_config()
discard    discard_config()
commit     commit_config(message=comment, revert_in=timeout) where revert_in is supported
           (eos: ``configure session <s> commit timer``); drivers that refuse a commit
           message (eos) get none, and the comment rides in the EOS session name instead
confirm    confirm_commit() (pending revert_in), else nothing
rollback   prepared: discard_config(); pending revert_in or after commit: rollback();
           then running must equal the snapshot, else the compensating commands
           (``provisioners.diff.cli.commands``) are merged and committed once more
=========  =====================================================================================

Host keys: with ``transport: ssh`` the SSH session is pinned like the CLI driver's (netmiko
``ssh_strict`` and a one-entry known_hosts file). eAPI over HTTP(S) is not SSH: there is no SSH
host key to check, and ``host_key()`` returns "" (TLS pinning is future work).
"""

from __future__ import annotations

import logging
import re
import threading
from contextlib import ExitStack
from typing import Any

from provisioners.contract import DeviceAccess, DriverError, HostKeyMismatch, NativeChange, register
from provisioners.diff import cli as clidiff
from provisioners.drivers._common import Stage, first_line, require_stage, scrub, txn_name
from provisioners.drivers.cli import ERROR_PATTERN, normalize, payload_lines, require_applied
from provisioners.hostkeys import explain_refusal, format_key, known_hosts_file, require_key

log = logging.getLogger(__name__)

REVERT_IN = frozenset({"eos", "junos"})
# NAPALM getters the agent may call through get(): read-only by NAPALM's own contract.
GETTERS = frozenset(
    {
        "get_facts",
        "get_interfaces",
        "get_interfaces_ip",
        "get_interfaces_counters",
        "get_lldp_neighbors",
        "get_lldp_neighbors_detail",
        "get_arp_table",
        "get_bgp_neighbors",
        "get_environment",
        "get_mac_address_table",
        "get_ntp_servers",
        "get_optics",
        "get_snmp_information",
        "get_users",
        "get_vlans",
        "is_alive",
    }
)


class NapalmDriver:
    """One NAPALM connection to one device. Thread-safe per instance (one RLock)."""

    def __init__(self, access: DeviceAccess, network_driver: Any = None) -> None:
        self.device = access.device
        self._access = access
        self._mutex = threading.RLock()
        self.name = access.options.get("napalm_driver", "eos")
        self.transport = access.options.get("transport", "https" if self.name == "eos" else "ssh")
        flag = access.options.get("revert_in", "").lower()
        self.supports_confirmed_commit = self.name in REVERT_IN if not flag else flag in ("1", "yes", "true")
        self.dialect = clidiff.EOS if self.name == "eos" else clidiff.IOS
        self._stage = Stage.IDLE
        self._snapshot: str | None = None
        self._pending_revert = False
        self._merge_lines: list[str] = []
        self._ssh = self.transport == "ssh"
        self._dev = self._open(network_driver)

    # ---------------------------------------------------------------- connection
    def _open(self, network_driver: Any) -> Any:
        from napalm import get_network_driver
        from napalm.base.exceptions import ConnectionException

        a = self._access
        optional: dict[str, Any] = {"transport": self.transport}
        if a.port:
            optional["port"] = a.port
        key = require_key(a.device, a.host_key) if self._ssh else None
        cls = network_driver or get_network_driver(self.name)
        with ExitStack() as stack:
            if key is not None:
                kh = stack.enter_context(known_hosts_file(a.host, a.port, key))
                optional |= {
                    "ssh_strict": True,
                    "system_host_keys": False,
                    "alt_host_keys": True,
                    "alt_key_file": str(kh),
                    "allow_agent": False,
                    "use_keys": False,
                }
            dev = cls(
                a.host, a.username, a.password.reveal(), timeout=int(a.timeout_s), optional_args=optional
            )
            try:
                dev.open()
            except Exception as exc:
                text = scrub(f"{type(exc).__name__}: {exc}", a)
                if key is not None:
                    from paramiko import BadHostKeyException

                    cause = exc.__context__
                    while cause is not None and not isinstance(cause, BadHostKeyException):
                        cause = cause.__context__
                    if isinstance(cause, BadHostKeyException):
                        raise HostKeyMismatch(a.device, key, format_key(cause.key)) from None
                    if "host key" in text.lower() or "known_hosts" in text:
                        mismatch = explain_refusal(a.device, a.host, a.port, key, a.timeout_s)
                        if mismatch is not None:
                            raise mismatch from None
                if _auth_failure(exc, text):
                    raise DriverError(
                        a.device, "connect", f"authentication failed for user {a.username!r}"
                    ) from None
                if isinstance(exc, ConnectionException):
                    # napalm's wrapper: the cause's words are what the operator needs
                    text = scrub(str(exc), a) or text
                raise DriverError(a.device, "connect", first_line(text)) from None
        if self._ssh:
            _report_config_errors(dev)
        return dev

    def host_key(self) -> str:
        with self._mutex:
            if not self._ssh:
                return ""
            conn = self._dev.device  # the netmiko connection under napalm's ssh transport
            return format_key(conn.remote_conn.get_transport().get_remote_server_key())

    # ---------------------------------------------------------------- helpers
    def _call(self, phase: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DriverError:
            raise
        except NotImplementedError:
            raise
        except Exception as exc:
            raise DriverError(self.device, phase, _device_words(exc, self._access)) from None

    def _running(self, phase: str) -> str:
        cfg = self._call(phase, self._dev.get_config, retrieve="running")
        return normalize(str(cfg.get("running", "")))

    def get(self, getter: str, **kwargs: Any) -> Any:
        """A NAPALM getter (``get_facts``, ``get_interfaces``, ...) on this session."""
        if getter not in GETTERS:
            raise DriverError(self.device, "get", f"{getter!r} is not a NAPALM getter this driver offers")
        with self._mutex:
            return self._call("get", getattr(self._dev, getter), **kwargs)

    # ---------------------------------------------------------------- contract
    def get_config(self) -> str:
        with self._mutex:
            return self._running("get_config")

    def prepare(self, change: NativeChange) -> str:
        with self._mutex:
            if change.format not in ("cli", "cli-merge", "cli-replace"):
                raise DriverError(self.device, "prepare", f"expects a cli change, got {change.format!r}")
            if self._stage is not Stage.IDLE:
                raise DriverError(self.device, "prepare", f"a change is already {self._stage.value}")
            self._snapshot = self._running("prepare")
            if self.name == "eos" and not getattr(self._dev, "config_session", None):
                # NAPALM names its EOS config session napalm_<microseconds>; naming it after the
                # transaction puts the transaction id on the device (EOS refuses commit messages).
                self._dev.config_session = txn_name(change.comment)
            # Merged lines must show in running after the commit (a replace is judged by its diff).
            self._merge_lines = (
                [] if change.format == "cli-replace" else payload_lines(change.payload, self.dialect)
            )
            load = (
                self._dev.load_replace_candidate
                if change.format == "cli-replace"
                else self._dev.load_merge_candidate
            )
            self._stage = Stage.PREPARED
            try:
                self._call("prepare", load, config=change.payload)
                diff = self._call("prepare", self._dev.compare_config)
            except DriverError:
                self._discard_quietly()
                raise
            return str(diff or "")

    def _discard_quietly(self) -> None:
        try:
            self._dev.discard_config()
        except Exception as exc:
            log.debug("%s: discard_config: %s", self.device, type(exc).__name__)
        self._stage = Stage.IDLE

    def discard(self) -> None:
        with self._mutex:
            if self._stage is Stage.IDLE:
                return
            if self._stage is not Stage.PREPARED:
                raise DriverError(self.device, "discard", f"change is {self._stage.value}: use rollback")
            self._call("discard", self._dev.discard_config)
            self._stage = Stage.IDLE

    def commit(self, confirm_timeout_s: int, comment: str) -> None:
        with self._mutex:
            require_stage(self.device, self._stage, Stage.PREPARED, "commit")
            kwargs: dict[str, Any] = {}
            if self.supports_confirmed_commit:
                kwargs["revert_in"] = int(confirm_timeout_s)
            try:
                self._call("commit", self._dev.commit_config, message=comment, **kwargs)
            except NotImplementedError:
                # The driver keeps no commit messages (eos): commit without one.
                self._call("commit", self._dev.commit_config, **kwargs)
            self._pending_revert = bool(kwargs)
            self._stage = Stage.COMMITTED
            if self._merge_lines:
                require_applied(self.device, self._running("commit"), self._merge_lines)

    def confirm(self) -> None:
        with self._mutex:
            require_stage(self.device, self._stage, Stage.COMMITTED, "confirm")
            if self._pending_revert:
                self._call("confirm", self._dev.confirm_commit)
                self._pending_revert = False
            self._stage = Stage.CONFIRMED

    def save(self) -> None:
        """NAPALM's commit_config already writes the startup configuration (eos, ios, junos)."""

    def adopt(self, comment: str) -> bool:
        """NAPALM cannot reach a revert_in timer another process started (the session is
        private to the driver object), so nothing is adopted: a crashed commit reverts on its
        own where the platform has a timer: adopting one is refused, so that recovery takes
        the rollback direction instead of calling a change done that is about to revert."""
        with self._mutex:
            if self.supports_confirmed_commit:
                raise DriverError(
                    self.device,
                    "adopt",
                    "a revert_in timer another session started cannot be confirmed from here",
                )
            self._stage = Stage.COMMITTED
            self._pending_revert = False
            return False

    def rollback(self) -> None:
        with self._mutex:
            stage = self._stage
            if stage is Stage.IDLE:
                return
            if stage is Stage.PREPARED:
                self._call("rollback", self._dev.discard_config)
                self._stage = Stage.IDLE
                return
            self._call("rollback", self._dev.rollback)
            self._pending_revert = False
            self._stage = Stage.IDLE
            self._restore_exactly()

    def _restore_exactly(self) -> None:
        """NAPALM's rollback goes back to its own checkpoint (EOS: the startup config saved
        before the commit), which is not the snapshot when running had unsaved changes:
        compensate for whatever still differs."""
        assert self._snapshot is not None
        now = self._running("rollback")
        if now == self._snapshot:
            return
        cmds = clidiff.commands(self.dialect, now, self._snapshot)
        if cmds:
            self._call("rollback", self._dev.load_merge_candidate, config="\n".join(cmds))
            self._call("rollback", self._dev.commit_config)
        now = self._running("rollback")
        if now != self._snapshot:
            diff = clidiff.unified_diff(self._snapshot, now, "snapshot", "running")
            raise DriverError(self.device, "rollback", "running-config differs from the snapshot:\n" + diff)

    def close(self) -> None:
        with self._mutex:
            try:
                if self._stage is Stage.PREPARED:
                    self._dev.discard_config()
                # eos close() calls discard_config(): a pending commit timer keeps its own
                # session (config_session is cleared below) and reverts by itself.
                if self._stage is Stage.COMMITTED:
                    self._dev.config_session = None
                self._dev.close()
            except Exception as exc:
                log.debug("%s: close: %s", self.device, type(exc).__name__)


def _report_config_errors(dev: Any) -> None:
    """NAPALM's EOS driver over SSH sends candidate lines with netmiko's send_config_set but no
    ``error_pattern``, so a line the device refuses ("% Invalid input") passes silently. Give
    this connection's send_config_set the pattern: NAPALM's own handler then turns the
    ConfigInvalidException into MergeConfigException with the device's words."""
    conn = getattr(dev, "device", None)
    send = getattr(conn, "send_config_set", None)
    if conn is None or send is None:
        return

    def send_config_set(config_commands: Any = None, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("error_pattern", ERROR_PATTERN)
        cmds = list(config_commands or [])
        if cmds and str(cmds[0]).startswith("configure session") and kwargs.get("enter_config_mode") is False:
            # NAPALM entered the session with send_command_expect(cmds[0]) already and repeats it
            # here; inside the session it is a no-op on EOS (and refused by stricter CLIs).
            cmds = cmds[1:]
        return send(cmds, *args, **kwargs)

    conn.send_config_set = send_config_set


_AUTH = re.compile(r"auth|401|unauthori[sz]ed|password", re.I)


def _auth_failure(exc: BaseException, text: str) -> bool:
    try:
        from netmiko.exceptions import NetmikoAuthenticationException

        if isinstance(exc, NetmikoAuthenticationException):
            return True
    except ImportError:
        pass
    return bool(_AUTH.search(text))


def _device_words(exc: BaseException, access: DeviceAccess) -> str:
    text = scrub(str(exc), access)
    # pyeapi CommandError: "Error [1002]: CLI command 3 of 5 'x' failed: invalid command [...]"
    return first_line(text, 600) or type(exc).__name__


def open_napalm(access: DeviceAccess) -> NapalmDriver:
    return NapalmDriver(access)


register("napalm", open_napalm)
