"""Running a journaled transaction across its devices, all or nothing (NSO-style).

    planned -> preparing -> prepared -> committing -> verifying -> confirming -> done
                   \\            \\          \\            \\
                    +------------+----------+------------+--> rolling-back -> rolled-back

Every step is written to the journal before the next begins. ``confirming`` is the commit
point: it is written only once every device holds the change (committed, unconfirmed, and read
back); a crash before it makes recovery roll every device back, a crash after it makes
recovery confirm the rest. Devices with confirmed commit (NETCONF, EOS sessions, NAPALM
revert_in) also revert by themselves if nobody confirms in time; devices without it are
rolled back by the compensating change from the pre-change snapshot.

The executor is synchronous (drivers block) and is run in a worker thread by the agent, or
directly by the CLI. Device steps of one phase run in parallel threads.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import select, update

from agent.context import Context
from agent.provisioning.access import access_for
from agent.provisioning.config_store import record_backup
from agent.provisioning.hostkeys import check_or_learn_host_key, open_checked
from bss_bridge.provisioning import settle_service
from inventory.choices import TxDeviceState, TxState
from inventory.models import Device
from inventory.provisioning_models import Transaction, TransactionDevice, TransactionLog
from inventory.types import utcnow
from provisioners.contract import (
    DeviceAccess,
    Driver,
    DriverError,
    NativeChange,
)
from provisioners.diff.check import lingering, missing
from provisioners.secrets_mask import mask, mask_diff
from provisioners.services.plan import native_change
from provisioners.services.render import flavour

log = logging.getLogger(__name__)
PARALLEL = 16


def me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Step:
    """What the executor keeps in memory for one device of the transaction."""

    td_id: int
    device: str
    device_id: int
    access: DeviceAccess
    format: str
    payload: str
    fragment_before: str
    fragment_after: str
    state: TxDeviceState
    pre_config: str | None = None
    driver: Driver | None = field(default=None, repr=False)
    # True once this executor's own session prepared the change: only then does the driver
    # hold the pre-change snapshot its rollback() restores; a recovering executor undoes the
    # change with the compensating change computed from the fragments instead.
    prepared_here: bool = False


class TxFailure(RuntimeError):
    def __init__(self, device: str, message: str) -> None:
        super().__init__(f"{device}: {message}" if device else message)
        self.device = device


class Executor:
    def __init__(self, ctx: Context, *, fault: str | None = None) -> None:
        self.ctx = ctx
        # Test hook: "kill:<phase>:<n>" sends SIGKILL to this process after the n-th device
        # step of <phase>, to prove recovery from a crash at that exact point.
        self.fault = fault if fault is not None else os.environ.get("OSSAGENT_TX_FAULT", "")
        self._counts: dict[str, int] = {}

    # ---------------------------------------------------------------- journal helpers
    def _log(self, tx_id: str, message: str, device: str = "", level: str = "info") -> None:
        with self.ctx.begin() as s:
            s.add(TransactionLog(transaction_id=tx_id, device=device, level=level, message=message[:4000]))
        getattr(log, "warning" if level == "error" else "info")(
            "%s %s%s", tx_id, f"{device}: " if device else "", message
        )

    def _tx_state(self, tx_id: str, state: TxState, **fields: object) -> None:
        with self.ctx.begin() as s:
            s.execute(update(Transaction).where(Transaction.id == tx_id).values(state=state, **fields))

    def _device_state(self, step: Step, state: TxDeviceState, **fields: object) -> None:
        step.state = state
        with self.ctx.begin() as s:
            s.execute(
                update(TransactionDevice)
                .where(TransactionDevice.id == step.td_id)
                .values(state=state, **fields)
            )

    def _crash_point(self, phase: str) -> None:
        n = self._counts[phase] = self._counts.get(phase, 0) + 1
        if self.fault == f"kill:{phase}:{n}":
            log.error("fault injection: SIGKILL at %s step %d", phase, n)
            os.kill(os.getpid(), signal.SIGKILL)

    def _each(self, steps: list[Step], fn: Callable[[Step], None]) -> dict[str, str]:
        """Run ``fn`` on every step in parallel; returns device -> error for the failures."""
        errors: dict[str, str] = {}

        def one(step: Step) -> None:
            try:
                fn(step)
            except DriverError as exc:
                errors[step.device] = exc.message if exc.device == step.device else str(exc)
            except TxFailure as exc:
                errors[step.device] = str(exc).removeprefix(f"{step.device}: ")
            except Exception as exc:  # a library error must fail the device, not the executor
                errors[step.device] = f"{type(exc).__name__}: {exc}"

        with ThreadPoolExecutor(max_workers=max(1, min(PARALLEL, len(steps)))) as pool:
            list(pool.map(one, steps))
        return errors

    # ---------------------------------------------------------------- loading
    def _load(self, tx_id: str) -> tuple[Transaction, list[Step]]:
        with self.ctx.begin() as s:
            tx = s.get(Transaction, tx_id)
            if tx is None:
                raise LookupError(f"no transaction {tx_id}")
            steps = []
            for td in tx.devices:
                device = s.get(Device, td.device_id)
                assert device is not None
                steps.append(
                    Step(
                        td.id,
                        device.name,
                        device.id,
                        access_for(s, device),
                        td.format,
                        td.payload,
                        td.fragment_before,
                        td.fragment_after,
                        td.state,
                        td.pre_config,
                    )
                )
            s.expunge(tx)
            return tx, steps

    def _connect(self, step: Step) -> Driver:
        if step.driver is None:
            step.access = check_or_learn_host_key(self.ctx, step.device_id, step.access)
            step.driver = open_checked(self.ctx, step.device_id, step.access)
        return step.driver

    def _close_all(self, steps: list[Step]) -> None:
        for step in steps:
            if step.driver is not None:
                with contextlib.suppress(Exception):  # closing a broken session is best effort
                    step.driver.close()
                step.driver = None

    # ---------------------------------------------------------------- the phases
    def run(self, tx_id: str) -> TxState:
        """Execute a planned transaction. Returns its final state."""
        now = utcnow()
        with self.ctx.begin() as s:
            result = s.execute(
                update(Transaction)
                .where(Transaction.id == tx_id, Transaction.state == TxState.PLANNED)
                .values(state=TxState.PREPARING, claimed_by=me(), started_at=now)
            )
            # Exactly one executor wins a transaction: the update is atomic.
            claimed = getattr(result, "rowcount", 0)
        if not claimed:
            with self.ctx.begin() as s:
                tx = s.get(Transaction, tx_id)
                if tx is None:
                    raise LookupError(f"no transaction {tx_id}")
                return tx.state
        tx, steps = self._load(tx_id)
        self._log(
            tx_id, f"started by {me()}: {len(steps)} device(s), confirm timeout {tx.confirm_timeout_s}s"
        )
        try:
            return self._run(tx, steps)
        finally:
            self._close_all(steps)

    def _run(self, tx: Transaction, steps: list[Step]) -> TxState:
        tx_id = tx.id
        # prepare: lock, snapshot, load the candidate, diff; a refusal anywhere aborts.
        errors = self._each(steps, lambda st: self._prepare(tx, st))
        if errors:
            return self._abort(tx, steps, errors, "prepare")
        if tx.dry_run:
            self._each([st for st in steps if st.state is TxDeviceState.PREPARED], self._discard)
            self._tx_state(tx_id, TxState.DRY_RUN, finished_at=utcnow())
            self._log(tx_id, "dry run: diffs recorded, nothing changed")
            return TxState.DRY_RUN
        self._tx_state(tx_id, TxState.COMMITTING)
        errors = self._each(steps, lambda st: self._commit(tx, st))
        if errors:
            return self._abort(tx, steps, errors, "commit")
        self._tx_state(tx_id, TxState.VERIFYING)
        errors = self._each(steps, self._verify)
        if errors:
            return self._abort(tx, steps, errors, "verify")
        # The commit point: from here on, recovery rolls forward.
        self._tx_state(tx_id, TxState.CONFIRMING)
        self._crash_point("confirming")
        errors = self._each(steps, self._confirm)
        if errors:
            return self._confirm_failed(tx, steps, errors)
        return self._finish(tx, steps)

    def _prepare(self, tx: Transaction, st: Step) -> None:
        self._check_drift(tx, st)
        d = self._connect(st)
        pre = d.get_config()
        st.pre_config = pre
        record_backup(self.ctx, st.device_id, st.format, pre, "pre-tx", tx.id)
        diff = d.prepare(NativeChange(st.device, st.format, st.payload, comment=tx.id))
        st.prepared_here = True
        # The journal keeps configurations masked: secrets never rest in the database.
        self._device_state(st, TxDeviceState.PREPARED, pre_config=mask(st.format, pre), diff=mask_diff(diff))
        self._log(tx.id, "prepared (candidate loaded, diff recorded)", st.device)
        self._crash_point("prepare")

    def _check_drift(self, tx: Transaction, st: Step) -> None:
        from agent.provisioning.drift import has_drift

        if not tx.force and has_drift(self.ctx, st.device_id):
            raise TxFailure(
                st.device, "the device has drifted from its intended configuration; resolve it or force"
            )

    def _discard(self, st: Step) -> None:
        self._connect(st).discard()
        self._device_state(st, TxDeviceState.DISCARDED)

    def _commit(self, tx: Transaction, st: Step) -> None:
        self._connect(st).commit(tx.confirm_timeout_s, tx.id)
        self._device_state(st, TxDeviceState.COMMITTED)
        self._log(tx.id, f"committed (confirmed commit, {tx.confirm_timeout_s}s to confirm)", st.device)
        self._crash_point("commit")

    def _drifted(self, st: Step) -> set[str]:
        """Service lines the device already lacked before the change (a forced change on a
        drifted device): the change did not touch them, so neither verify nor rollback
        blames it for their absence."""
        if not st.pre_config:
            return set()
        return set(missing(st.format, st.fragment_before, st.pre_config))

    def _verify(self, st: Step) -> None:
        running = self._connect(st).get_config()
        drifted = self._drifted(st)
        absent = [x for x in missing(st.format, st.fragment_after, running) if x not in drifted]
        still = lingering(st.format, st.fragment_before, st.fragment_after, running)
        if absent or still:
            detail = "; ".join(
                [*(f"missing: {x}" for x in absent[:5]), *(f"still there: {x}" for x in still[:5])]
            )
            raise TxFailure(st.device, f"the device did not apply the change ({detail})")
        self._crash_point("verify")

    def _confirm(self, st: Step) -> None:
        d = self._connect(st)
        d.confirm()
        post = d.get_config()
        self._device_state(st, TxDeviceState.CONFIRMED, post_config=mask(st.format, post))
        self._crash_point("confirm")

    def _finish(self, tx: Transaction, steps: list[Step]) -> TxState:
        for st in steps:
            with self.ctx.begin() as s:
                td = s.get(TransactionDevice, st.td_id)
                if td is not None and td.post_config is not None:
                    record_backup(self.ctx, st.device_id, st.format, td.post_config, "post-tx", tx.id)
        with self.ctx.begin() as s:
            settle_service(s, tx.id, success=True)
            s.execute(
                update(Transaction)
                .where(Transaction.id == tx.id)
                .values(state=TxState.DONE, finished_at=utcnow())
            )
        self._log(tx.id, "done: every device confirmed")
        return TxState.DONE

    # ---------------------------------------------------------------- failure paths
    def _abort(self, tx: Transaction, steps: list[Step], errors: dict[str, str], phase: str) -> TxState:
        """Before the commit point: take every device back to its pre state."""
        summary = "; ".join(f"{dev}: {msg}" for dev, msg in sorted(errors.items()))
        for dev, msg in errors.items():
            self._log(tx.id, f"{phase} failed: {msg}", dev, "error")
        failed_ids = {st.td_id for st in steps if st.device in errors}
        for st in steps:
            if st.td_id in failed_ids and st.state is TxDeviceState.PENDING:
                self._device_state(st, TxDeviceState.FAILED, error=errors[st.device])
        self._tx_state(tx.id, TxState.ROLLING_BACK, error=f"{phase} failed on {summary}")
        return self._rollback_all(tx.id, steps, f"{phase} failed on {summary}")

    def _rollback_all(self, tx_id: str, steps: list[Step], reason: str) -> TxState:
        def back(st: Step) -> None:
            if st.state not in (TxDeviceState.PREPARED, TxDeviceState.COMMITTED, TxDeviceState.CONFIRMED):
                return
            if not st.prepared_here:
                self._recover_back(tx_id, st)
            elif st.state is TxDeviceState.PREPARED:
                # rollback(), not discard(): a device whose commit failed midway (a CLI that
                # refused its third line) holds the first two; the driver knows what it sent.
                self._connect(st).rollback()
                self._device_state(st, TxDeviceState.DISCARDED)
            else:
                self._restore(tx_id, st)

        errors = self._each(steps, back)
        final = TxState.FAILED if errors else TxState.ROLLED_BACK
        note = reason + (
            f"; rollback failed on {'; '.join(f'{d}: {m}' for d, m in errors.items())}" if errors else ""
        )
        with self.ctx.begin() as s:
            settle_service(s, tx_id, success=False)
            s.execute(
                update(Transaction)
                .where(Transaction.id == tx_id)
                .values(state=final, error=note, finished_at=utcnow())
            )
        self._log(tx_id, f"{final.value}: {note}", level="error")
        return final

    def _restore(self, tx_id: str, st: Step) -> None:
        """Back to the pre-change configuration, and check that is where the device is."""
        d = self._connect(st)
        d.rollback()
        left = self._restored(st, d.get_config())
        if left:
            raise TxFailure(st.device, f"rolled back but not to the pre state ({'; '.join(left[:5])})")
        self._device_state(st, TxDeviceState.ROLLED_BACK)
        self._log(tx_id, "rolled back to the pre-change configuration", st.device)

    def _restored(self, st: Step, running: str) -> list[str]:
        """What keeps ``running`` from the pre-change state (empty: it is there)."""
        drifted = self._drifted(st)
        return [
            *(x for x in missing(st.format, st.fragment_before, running) if x not in drifted),
            *lingering(st.format, st.fragment_after, st.fragment_before, running),
        ]

    def _recover_back(self, tx_id: str, st: Step) -> None:
        """Take a device back to pre from a session that did not prepare the change (the one
        that did died): cancel a pending confirmed commit where the device keeps one, then,
        if the change is still there, send the compensating change computed from the
        fragments (the journal keeps configurations masked, so it cannot replay a snapshot)."""
        d = self._connect(st)
        # PREPARED too: the journal is written after the device answers, so a process killed
        # during a commit leaves devices that committed while their rows still say prepared.
        if st.state in (TxDeviceState.PREPARED, TxDeviceState.COMMITTED):
            try:
                if d.adopt(tx_id):
                    d.rollback()
            except DriverError as exc:
                # Typically the device's own timer already reverted it: checked just below.
                self._log(tx_id, f"cancelling the pending commit: {exc.message}", st.device)
        self._reopen(st)
        left = self._restored(st, self._connect(st).get_config())
        if left:
            dialect = flavour(st.access.platform)[2]
            payload = native_change(st.format, dialect, st.fragment_after, st.fragment_before)
            d = self._connect(st)
            d.prepare(NativeChange(st.device, st.format, payload, comment=f"{tx_id}-rb"))
            d.commit(60, f"{tx_id}-rb")
            d.confirm()
            left = self._restored(st, d.get_config())
            if left:
                raise TxFailure(
                    st.device, f"compensated but not back to the pre state ({'; '.join(left[:5])})"
                )
            self._log(tx_id, "compensating change sent: back to the pre-change configuration", st.device)
        state = TxDeviceState.DISCARDED if st.state is TxDeviceState.PREPARED else TxDeviceState.ROLLED_BACK
        self._device_state(st, state)

    def _reopen(self, st: Step) -> None:
        """A fresh session: after adopt()/rollback() the driver's stage is spent."""
        if st.driver is not None:
            with contextlib.suppress(Exception):
                st.driver.close()
            st.driver = None

    def _confirm_failed(self, tx: Transaction, steps: list[Step], errors: dict[str, str]) -> TxState:
        """After the commit point a confirm failed (a device reverted on its own, say): the
        devices are mixed, so every one goes back to pre, the confirmed ones by the
        compensating change."""
        summary = "; ".join(f"{dev}: {msg}" for dev, msg in sorted(errors.items()))
        self._tx_state(tx.id, TxState.ROLLING_BACK, error=f"confirm failed on {summary}")
        return self._rollback_all(tx.id, steps, f"confirm failed on {summary}")

    # ---------------------------------------------------------------- recovery
    def recover(self, tx_id: str) -> TxState:
        """Drive an interrupted transaction (its executor died) to a consistent end."""
        tx, steps = self._load(tx_id)
        if tx.state is TxState.PLANNED or tx.state.terminal:
            return tx.state
        self._log(tx_id, f"recovering from state {tx.state.value} (the executor stopped) by {me()}")
        try:
            if tx.state is TxState.CONFIRMING:
                errors = self._each(
                    [st for st in steps if st.state is TxDeviceState.COMMITTED],
                    lambda st: self._recover_confirm(tx_id, st),
                )
                if not errors:
                    return self._finish(tx, steps)
                return self._confirm_failed(tx, steps, errors)
            self._tx_state(tx_id, TxState.ROLLING_BACK, error=f"interrupted in {tx.state.value}")
            return self._rollback_all(tx_id, steps, f"interrupted in {tx.state.value}")
        finally:
            self._close_all(steps)

    def _recover_confirm(self, tx_id: str, st: Step) -> None:
        """Roll forward a device the dead executor committed: confirm the pending commit it
        left (NETCONF persist token, EOS session named after the transaction), or, where
        nothing is pending, save what running already holds."""
        d = self._connect(st)
        try:
            d.adopt(tx_id)
            d.confirm()
        except DriverError as exc:
            # The dead executor may have confirmed this device itself (it confirms devices
            # in parallel and writes the journal after): then nothing is pending and running
            # holds the change. If running lacks it, the device reverted: that is a failure.
            self._reopen(st)
            d = self._connect(st)
            if missing(st.format, st.fragment_after, d.get_config()):
                raise TxFailure(
                    st.device, f"the change had reverted before it could be confirmed ({exc.message})"
                ) from exc
            d.save()
            self._log(tx_id, f"already confirmed by the stopped executor ({exc.message}); saved", st.device)
        running = d.get_config()
        if missing(st.format, st.fragment_after, running):
            raise TxFailure(st.device, "the change had reverted before it could be confirmed")
        self._device_state(st, TxDeviceState.CONFIRMED, post_config=mask(st.format, running))
        self._reopen(st)


def interrupted(ctx: Context) -> list[str]:
    """Transactions an executor left in the middle (to recover at agent start)."""
    with ctx.begin() as s:
        return list(
            s.scalars(
                select(Transaction.id).where(
                    Transaction.state.not_in(
                        [TxState.PLANNED, TxState.DONE, TxState.DRY_RUN, TxState.ROLLED_BACK, TxState.FAILED]
                    )
                )
            )
        )


def planned(ctx: Context) -> list[str]:
    with ctx.begin() as s:
        return list(
            s.scalars(
                select(Transaction.id)
                .where(Transaction.state == TxState.PLANNED)
                .order_by(Transaction.created_at)
            )
        )
