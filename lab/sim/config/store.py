"""The configuration datastores of one node, shared by all of its faces.

``running``, ``candidate`` and ``startup`` copies; EOS-style named config sessions; one pending
confirmed commit at a time (a NETCONF ``<confirmed/>`` commit or an EOS ``commit timer``: the
node cannot tell them apart, which is how a real box with both interfaces behaves); NETCONF
datastore locks; "flash" files; injected commit failures (the ``fail-commit`` control op).

Every change of ``running`` goes through :meth:`ConfigStore.set_running`, which tells the
listeners (the SNMP reflection) what changed. All of it runs on the node's event loop thread,
so there is no locking: a handler that does not await is atomic.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from lab.sim.config.model import DeviceConfig

DEFAULT_CONFIRM_TIMEOUT = 600.0
MAX_SAVED_SESSIONS = 8

Listener = Callable[[DeviceConfig, DeviceConfig], None]


class CommitRefused(RuntimeError):
    """A commit that cannot happen now: an injected failure, a lock, a pending confirmation."""


@dataclass
class PendingCommit:
    """A confirmed commit waiting for its confirmation (RFC 6241 8.4, EOS ``commit timer``)."""

    owner: str  # "netconf:<session-id>" or "eos:<session name>"
    rollback: DeviceConfig
    persist: str | None
    deadline: float  # time.monotonic()
    timer: asyncio.TimerHandle | None = None
    on_end: Callable[[bool], None] | None = None  # called with True when confirmed, False when reverted


@dataclass
class EosSession:
    """An EOS configuration session: a private copy of the configuration, committed whole."""

    name: str
    config: DeviceConfig
    state: str = "pending"  # pending | pendingCommitTimer | completed | aborted
    description: str = ""
    created: float = field(default_factory=time.time)


class ConfigStore:
    def __init__(self, initial: DeviceConfig):
        self.running = initial.copy()
        self.startup = initial.copy()
        self.candidate = initial.copy()
        self.candidate_dirty = False
        self.pending: PendingCommit | None = None
        self.locks: dict[str, int] = {}  # datastore -> NETCONF session id holding it
        self.failures: list[str] = []
        self.flash: dict[str, str] = {}
        self.sessions: dict[str, EosSession] = {}
        self.listeners: list[Listener] = []
        self.commits = 0  # how many times running changed (for people reading `status`)

    # -- running ------------------------------------------------------------------------------

    def set_running(self, new: DeviceConfig) -> None:
        old = self.running
        self.running = new.copy()
        self.commits += 1
        if not self.candidate_dirty:
            # An untouched candidate follows running (RFC 6241 8.3: it starts as a copy).
            self.candidate = self.running.copy()
        if old != self.running:
            for listener in list(self.listeners):
                listener(old, self.running)

    def set_candidate(self, new: DeviceConfig) -> None:
        self.candidate = new
        self.candidate_dirty = new != self.running

    def discard_candidate(self) -> None:
        self.candidate = self.running.copy()
        self.candidate_dirty = False

    def save(self) -> None:
        """``write memory`` / ``copy running-config startup-config`` / NETCONF copy-config."""
        self.startup = self.running.copy()

    def reload(self) -> None:
        """A reboot: running from startup, no sessions, no pending confirmation, no locks."""
        self._stop_timer()
        self.pending = None
        self.sessions.clear()
        self.locks.clear()
        self.candidate_dirty = False
        self.set_running(self.startup)

    # -- injected failures --------------------------------------------------------------------

    def fail_next(self, message: str, count: int) -> None:
        self.failures = [message] * count

    def take_failure(self) -> str | None:
        """The message of the next injected failure, consuming it; None when none is queued."""
        return self.failures.pop(0) if self.failures else None

    def check_commit(self) -> None:
        """Called by every face right before a commit: raises for an injected failure."""
        msg = self.take_failure()
        if msg is not None:
            raise CommitRefused(msg)

    # -- confirmed commits --------------------------------------------------------------------

    def commit_confirmed(
        self,
        new: DeviceConfig,
        owner: str,
        timeout: float = DEFAULT_CONFIRM_TIMEOUT,
        persist: str | None = None,
        on_end: Callable[[bool], None] | None = None,
    ) -> None:
        """Apply ``new`` to running until confirmed; reverts after ``timeout`` seconds. A second
        confirmed commit by the same owner extends the first (the rollback point stays)."""
        if self.pending is not None and self.pending.owner != owner:
            raise CommitRefused(f"a confirmed commit by {self.pending.owner} is waiting for confirmation")
        rollback = self.pending.rollback if self.pending is not None else self.running.copy()
        self._stop_timer()
        self.pending = PendingCommit(owner, rollback, persist, time.monotonic() + timeout, on_end=on_end)
        self.pending.timer = _call_later(timeout, self._timeout)
        self.set_running(new)

    def confirm(self) -> None:
        pending = self.pending
        if pending is None:
            return
        self._stop_timer()
        self.pending = None
        if pending.on_end is not None:
            pending.on_end(True)

    def revert(self) -> None:
        """Back to the configuration before the confirmed commit (timeout, cancel, session end)."""
        pending = self.pending
        if pending is None:
            return
        self._stop_timer()
        self.pending = None
        # RFC 6241 8.4: the device reverts to the state before the confirmed commit; the
        # candidate goes with it (uncommitted edits were based on the reverted config).
        self.candidate_dirty = False
        self.set_running(pending.rollback)
        if pending.on_end is not None:
            pending.on_end(False)

    def _timeout(self) -> None:
        if self.pending is not None:
            self.pending.timer = None
            self.revert()

    def _stop_timer(self) -> None:
        if self.pending is not None and self.pending.timer is not None:
            self.pending.timer.cancel()
            self.pending.timer = None

    def close(self) -> None:
        """The node goes away: no timer may fire after this."""
        self._stop_timer()

    # -- EOS sessions -------------------------------------------------------------------------

    def session(self, name: str) -> EosSession:
        """The named session, created from running if new (or if it was completed/aborted)."""
        s = self.sessions.get(name)
        if s is None or s.state in ("completed", "aborted"):
            s = EosSession(name, self.running.copy())
            self.sessions.pop(name, None)
            self.sessions[name] = s
            self._trim_sessions()
        return s

    def _trim_sessions(self) -> None:
        done = [n for n, s in self.sessions.items() if s.state in ("completed", "aborted")]
        for n in done[: max(0, len(done) - MAX_SAVED_SESSIONS)]:
            del self.sessions[n]


def _call_later(delay: float, fn: Callable[[], None]) -> asyncio.TimerHandle | None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None  # unit tests without a loop: time is driven by hand
    return loop.call_later(max(delay, 0.0), fn)
