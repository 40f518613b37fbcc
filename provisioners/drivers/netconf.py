"""NETCONF driver (ncclient), capability-driven.

With ``:candidate`` (and ``:confirmed-commit``):

=========  =====================================================================================
prepare    <lock candidate>, <discard-changes> (start from running), <get-config running>
           (the pre-change snapshot), <edit-config target=candidate> with the payload,
           <get-config candidate>; returns a unified diff running -> candidate
discard    <discard-changes>, <unlock candidate>
commit     <commit><confirmed/><confirm-timeout>N</confirm-timeout><persist>TOKEN</persist>;
           then <get-config running> must equal the candidate read at prepare, else
           DriverError "not applied". Never <validate> first: commit validates anyway, and
           yuma123 netconfd answers <ok/> to a commit after <validate> but drops the edit
           (LAB.md §4.3 quirk 1).
confirm    <commit><persist-id>TOKEN</persist-id>, <copy-config running -> startup> when
           :startup is advertised, <unlock candidate>
rollback   pending confirmed commit: <cancel-commit><persist-id>TOKEN; prepared only:
           <discard-changes>; after confirm: the compensating edit
           ``provisioners.diff.xml.edit_config(running, snapshot)`` committed. Running is then
           read back and must equal the snapshot.
=========  =====================================================================================

TOKEN is derived from the change comment (which carries the transaction id), so after an agent
crash a new session can confirm or cancel the pending commit: see :meth:`adopt`.
NETCONF has no standard commit comment; the token is where the transaction id shows on the
device (``/netconf-state`` sessions and the device log).

Without ``:candidate`` (``:writable-running``): prepare locks running, snapshots it and
computes the expected result locally (the diff); commit is <edit-config target=running>
(error-option rollback-on-error where advertised) and a read-back against that expectation;
confirm unlocks (and copies to startup); rollback is the compensating edit from the snapshot.

The SSH host key is pinned (``hostkey_b64``) on every session.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from lxml import etree

from provisioners.contract import DeviceAccess, DriverError, NativeChange, register
from provisioners.diff import xml as xmldiff
from provisioners.drivers._common import Stage, first_line, require_stage, scrub, txn_name
from provisioners.drivers._xmledit import EditError, apply_edit
from provisioners.hostkeys import explain_refusal, format_key, require_key

log = logging.getLogger(__name__)

NC_NS = xmldiff.NC


def rpc_error_text(exc: BaseException) -> str:
    """The device's words from an ncclient RPCError: error-tag and error-message.

    ncclient 0.7's ``RPCError.tag`` raises AttributeError on some multi-error replies
    (LAB.md §4.3 quirk 5), so every attribute is read defensively and ``str(exc)`` (the
    error-message(s)) is the backbone.
    """
    message = str(exc).strip()
    parts = []
    try:
        tag = getattr(exc, "tag", None)
    except Exception:
        tag = None
    if tag and tag not in message:
        parts.append(str(tag))
    if message:
        parts.append(message)
    try:
        path = getattr(exc, "path", None)
    except Exception:
        path = None
    if path and path.strip():
        parts.append(f"(at {path.strip()})")
    try:
        info = getattr(exc, "info", None)
    except Exception:
        info = None
    if info and "session-id" in info:
        try:
            sid = etree.fromstring(info.encode()).findtext(f".//{{{NC_NS}}}session-id")
        except etree.XMLSyntaxError:
            sid = None
        if sid:
            parts.append(f"(held by session {sid})")
    return ": ".join(parts[:2]) + ("" if len(parts) <= 2 else " " + " ".join(parts[2:]))


def compensating_edit(running: str, snapshot: str) -> str | None:
    """The edit-config (default-operation none) that turns ``running`` back into ``snapshot``.

    ``provisioners.diff.xml.edit_config`` deletes our entries inside a container it assumes is
    shared; for a rollback the snapshot is the whole datastore, so a top-level container the
    snapshot does not have at all is removed whole (else an empty ``<interfaces/>`` stays).
    """
    edit = xmldiff.edit_config(running, snapshot)
    if edit is None:
        return None
    root = etree.fromstring(edit.encode())
    had = {c.tag for c in xmldiff.parse(snapshot) if isinstance(c.tag, str)}
    op = f"{{{NC_NS}}}operation"
    for child in list(root):
        if isinstance(child.tag, str) and child.tag not in had and child.get(op) != "delete":
            gone = etree.Element(child.tag, nsmap=child.nsmap)
            gone.set(op, "remove")
            root.replace(child, gone)
    return bytes(etree.tostring(root, pretty_print=True)).decode()


def same_config(a: str, b: str) -> bool:
    """Equal as configurations: list entries matched by key, order of keyed entries ignored."""
    return xmldiff.edit_config(a, b) is None


class NetconfDriver:
    """One NETCONF session to one device. Thread-safe per instance (one RLock)."""

    def __init__(self, access: DeviceAccess, connect: Callable[..., Any] | None = None) -> None:
        self.device = access.device
        self._access = access
        self._mutex = threading.RLock()
        self._stage = Stage.IDLE
        self._locked: str | None = None
        self._snapshot: str | None = None  # running before the change
        self._expected: str | None = None  # what running must be after commit
        self._payload: str | None = None
        self._persist: str | None = None
        self._confirmed_pending = False
        self._m = self._connect(connect)
        caps = self._m.server_capabilities
        self.candidate = ":candidate" in caps
        self.writable_running = ":writable-running" in caps
        self.startup = ":startup" in caps
        self.rollback_on_error = ":rollback-on-error" in caps
        self.persist = ":confirmed-commit:1.1" in caps
        self.supports_confirmed_commit = self.candidate and (":confirmed-commit" in caps or self.persist)
        if not (self.candidate or self.writable_running):
            self._close_quietly()
            raise DriverError(
                self.device, "connect", "device offers neither :candidate nor :writable-running"
            )

    # ---------------------------------------------------------------- connection
    def _connect(self, connect: Callable[..., Any] | None) -> Any:
        from ncclient import manager
        from ncclient.operations.rpc import RaiseMode
        from ncclient.transport import errors as terr

        a = self._access
        key = require_key(a.device, a.host_key)

        def refuse_unknown(host: str, fingerprint: str) -> bool:
            return False  # a key other than the pinned one is never accepted

        try:
            m = (connect or manager.connect)(
                host=a.host,
                port=a.port,
                username=a.username,
                password=a.password.reveal(),
                hostkey_verify=True,
                hostkey_b64=key.split()[1],
                unknown_host_cb=refuse_unknown,
                allow_agent=False,
                look_for_keys=False,
                timeout=a.timeout_s,
                device_params={"name": a.options.get("ncclient_device", "default")},
            )
        except terr.AuthenticationError:
            raise DriverError(a.device, "connect", f"authentication failed for user {a.username!r}") from None
        except terr.SSHError as exc:
            # Unknown host (pinned key differs) or negotiation failure (device offers no key of
            # the pinned type): say which key it presented.
            text = scrub(str(exc), a)
            if isinstance(exc, terr.SSHUnknownHostError) or "egotiation" in text or "host key" in text:
                mismatch = explain_refusal(a.device, a.host, a.port, key, a.timeout_s)
                if mismatch is not None:
                    raise mismatch from None
            raise DriverError(a.device, "connect", first_line(text) or type(exc).__name__) from None
        except (OSError, EOFError, terr.TransportError) as exc:
            raise DriverError(
                a.device, "connect", first_line(scrub(str(exc), a)) or type(exc).__name__
            ) from None
        m.raise_mode = RaiseMode.ERRORS  # warnings in rpc-reply are not failures
        m.timeout = a.timeout_s
        return m

    def host_key(self) -> str:
        with self._mutex:
            key = self._m._session._transport.get_remote_server_key()
            return format_key(key)

    # ---------------------------------------------------------------- rpc helpers
    def _rpc(self, phase: str, fn: Callable[[], Any]) -> Any:
        from ncclient.operations.errors import OperationError, TimeoutExpiredError
        from ncclient.operations.rpc import RPCError
        from ncclient.transport.errors import TransportError

        try:
            return fn()
        except RPCError as exc:
            raise DriverError(self.device, phase, rpc_error_text(exc)) from None
        except TimeoutExpiredError as exc:
            raise DriverError(self.device, phase, f"no reply in time: {first_line(str(exc))}") from None
        except (TransportError, OperationError, OSError) as exc:
            text = first_line(scrub(str(exc), self._access)) or type(exc).__name__
            raise DriverError(self.device, phase, text) from None

    def _get_config(self, source: str, phase: str) -> str:
        reply = self._rpc(phase, lambda: self._m.get_config(source=source))
        return bytes(etree.tostring(reply.data_ele, pretty_print=True)).decode()

    def _lock(self, target: str, phase: str) -> None:
        if self._locked == target:
            return
        self._rpc(phase, lambda: self._m.lock(target=target))
        self._locked = target

    def _unlock(self, phase: str) -> None:
        if self._locked is None:
            return
        target = self._locked
        self._locked = None
        self._rpc(phase, lambda: self._m.unlock(target=target))

    def _edit(self, target: str, payload: str, phase: str, default_operation: str | None = None) -> None:
        kwargs: dict[str, Any] = {"target": target, "config": payload}
        if default_operation:
            kwargs["default_operation"] = default_operation
        if target == "running" and self.rollback_on_error:
            kwargs["error_option"] = "rollback-on-error"
        self._rpc(phase, lambda: self._m.edit_config(**kwargs))

    def _copy_to_startup(self, phase: str) -> None:
        if self.startup:
            self._rpc(phase, lambda: self._m.copy_config(source="running", target="startup"))

    # ---------------------------------------------------------------- contract
    def get_config(self) -> str:
        with self._mutex:
            return self._get_config("running", "get_config")

    def prepare(self, change: NativeChange) -> str:
        with self._mutex:
            if change.format != "netconf":
                raise DriverError(self.device, "prepare", f"expects a netconf change, got {change.format!r}")
            if self._stage is not Stage.IDLE:
                raise DriverError(self.device, "prepare", f"a change is already {self._stage.value}")
            try:
                xmldiff.parse(change.payload)
            except etree.XMLSyntaxError as exc:
                raise DriverError(self.device, "prepare", f"payload is not XML: {exc}") from None
            self._payload = change.payload
            self._persist = txn_name(change.comment)
            if self.candidate:
                self._lock("candidate", "prepare")
                try:
                    # Start from running: a candidate left dirty by another session is not ours.
                    self._rpc("prepare", self._m.discard_changes)
                    self._snapshot = self._get_config("running", "prepare")
                    self._edit("candidate", change.payload, "prepare")
                    self._expected = self._get_config("candidate", "prepare")
                except DriverError:
                    self._abandon()
                    raise
                self._stage = Stage.PREPARED
                return xmldiff.unified_diff(self._snapshot, self._expected, "running", "candidate")
            self._lock("running", "prepare")
            try:
                self._snapshot = self._get_config("running", "prepare")
                try:
                    self._expected = apply_edit(self._snapshot, change.payload)
                except EditError as exc:
                    raise DriverError(self.device, "prepare", f"the edit cannot apply: {exc}") from None
            except DriverError:
                self._abandon()
                raise
            self._stage = Stage.PREPARED
            return xmldiff.unified_diff(self._snapshot, self._expected, "running", "expected")

    def _abandon(self) -> None:
        """Best effort after a failed prepare: leave no candidate edit and no lock behind."""
        try:
            if self.candidate:
                self._m.discard_changes()
        except Exception as exc:
            log.debug("%s: discard-changes after failure: %s", self.device, type(exc).__name__)
        try:
            self._unlock("prepare")
        except DriverError as exc:
            log.debug("%s: unlock after failure: %s", self.device, exc.message)
        self._stage = Stage.IDLE

    def discard(self) -> None:
        with self._mutex:
            if self._stage is not Stage.PREPARED:
                if self._stage is Stage.IDLE:
                    self._unlock("discard")
                    return
                raise DriverError(self.device, "discard", f"change is {self._stage.value}: use rollback")
            if self.candidate:
                self._rpc("discard", self._m.discard_changes)
            self._unlock("discard")
            self._stage = Stage.IDLE

    def commit(self, confirm_timeout_s: int, comment: str) -> None:
        with self._mutex:
            require_stage(self.device, self._stage, Stage.PREPARED, "commit")
            assert self._expected is not None and self._payload is not None
            if comment:
                self._persist = txn_name(comment)
            if self.candidate:
                if self.supports_confirmed_commit:
                    kwargs: dict[str, Any] = {"confirmed": True, "timeout": str(int(confirm_timeout_s))}
                    if self.persist:
                        kwargs["persist"] = self._persist
                    self._rpc("commit", lambda: self._m.commit(**kwargs))
                    self._confirmed_pending = True
                else:
                    self._rpc("commit", self._m.commit)
            else:
                self._edit("running", self._payload, "commit")
            self._stage = Stage.COMMITTED
            running = self._get_config("running", "commit")
            if not same_config(self._expected, running):
                # The device said <ok/> and kept the old config: report, never trust the <ok/>.
                diff = xmldiff.unified_diff(self._expected, running, "expected", "running")
                raise DriverError(
                    self.device,
                    "commit",
                    "device answered <ok/> but running does not hold the change (not applied):\n" + diff,
                )

    def confirm(self) -> None:
        with self._mutex:
            require_stage(self.device, self._stage, Stage.COMMITTED, "confirm")
            if self._confirmed_pending:
                if self.persist:
                    token = self._persist
                    self._rpc("confirm", lambda: self._m.commit(persist_id=token))
                else:
                    self._rpc("confirm", self._m.commit)
                self._confirmed_pending = False
            self._copy_to_startup("confirm")
            self._unlock("confirm")
            self._stage = Stage.CONFIRMED

    def save(self) -> None:
        with self._mutex:
            self._copy_to_startup("save")

    def adopt(self, comment: str) -> bool:
        """Take over a confirmed commit another session (a crashed agent) left pending under the
        persist token of ``comment``: afterwards confirm() or rollback() act on it. Without
        persist (writable-running, or confirmed commit 1.0 which dies with its session) nothing
        can be pending: confirm() then only copies running to startup."""
        with self._mutex:
            self._stage = Stage.COMMITTED
            if not (self.supports_confirmed_commit and self.persist):
                self._confirmed_pending = False
                return False
            self._persist = txn_name(comment)
            self._confirmed_pending = True
            return True

    def rollback(self) -> None:
        with self._mutex:
            stage = self._stage
            if stage is Stage.IDLE:
                self._unlock("rollback")
                return
            if stage is Stage.PREPARED:
                if self.candidate:
                    self._rpc("rollback", self._m.discard_changes)
                self._unlock("rollback")
                self._stage = Stage.IDLE
                self._verify_restored()
                return
            if self._confirmed_pending:
                token = self._persist if self.persist else None
                self._rpc("rollback", lambda: self._m.cancel_commit(persist_id=token))
                self._confirmed_pending = False
                if self.candidate and self._locked:
                    # After cancel-commit the candidate still holds the edit (RFC 6241 8.4.1 leaves
                    # it undefined): discard so that unlocking leaves nothing behind.
                    self._rpc("rollback", self._m.discard_changes)
            elif self._snapshot is not None:
                self._compensate()
            self._unlock("rollback")
            self._stage = Stage.IDLE
            if stage is Stage.CONFIRMED:
                self._copy_to_startup("rollback")
            self._verify_restored()

    def _compensate(self) -> None:
        assert self._snapshot is not None
        running = self._get_config("running", "rollback")
        edit = compensating_edit(running, self._snapshot)
        if edit is None:
            return
        if self.candidate:
            self._lock("candidate", "rollback")
            self._rpc("rollback", self._m.discard_changes)
            self._edit("candidate", edit, "rollback", default_operation="none")
            self._rpc("rollback", self._m.commit)
        else:
            self._lock("running", "rollback")
            self._edit("running", edit, "rollback", default_operation="none")

    def _verify_restored(self) -> None:
        if self._snapshot is None:
            return  # an adopted commit: no snapshot in this session
        running = self._get_config("running", "rollback")
        if not same_config(self._snapshot, running):
            diff = xmldiff.unified_diff(self._snapshot, running, "snapshot", "running")
            raise DriverError(
                self.device, "rollback", "running differs from the pre-change snapshot:\n" + diff
            )

    def close(self) -> None:
        with self._mutex:
            # A pending confirmed commit is left to the device's timer on purpose: closing is
            # what a crashing agent does too, and the timer is the safety net.
            try:
                if self._stage is Stage.PREPARED and self.candidate:
                    self._m.discard_changes()
                if self._locked:
                    self._unlock("close")
            except Exception as exc:
                log.debug("%s: cleanup before close: %s", self.device, type(exc).__name__)
            self._close_quietly()

    def _close_quietly(self) -> None:
        try:
            self._m.close_session()
        except Exception as exc:
            log.debug("%s: close-session: %s", self.device, type(exc).__name__)
        try:
            self._m._session.close()
        except Exception as exc:
            log.debug("%s: transport close: %s", self.device, type(exc).__name__)


def open_netconf(access: DeviceAccess) -> NetconfDriver:
    return NetconfDriver(access)


register("netconf", open_netconf)
