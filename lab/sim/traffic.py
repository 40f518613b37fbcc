"""Closed-form interface traffic for the simulated devices.

A direction's rate is ``base * (1 + amp * sin(omega * t + phase))`` bytes/s with ``amp < 1``, so
it is always positive. Its integral is closed form, so a counter is "octets accumulated before
the current up period + integral over the up period": nothing ticks in the background, and a
request computes exactly the value it needs.

Profiles are derived from a hash of the directed link (``"a:if>z:if"``), so the bytes leaving
one end of a lab link are the bytes arriving at the other end.
"""

from __future__ import annotations

import hashlib
import math
import struct
import time
from dataclasses import dataclass

# All simulated time is ``time.monotonic()``. The sine phase is anchored to wall-clock time so
# that two labs started at different moments still show the same shape at the same hour.
_MONO0 = time.monotonic()
_WALL0 = time.time()


_SIXTEEN_U32 = struct.Struct(">16I")
_INV32 = 1.0 / 2.0**32


def _units(key: str) -> list[float]:
    """Sixteen deterministic floats in [0, 1) from one hash of ``key`` (one hash per profile
    keeps building a 1,000-device lab fast)."""
    return [x * _INV32 for x in _SIXTEEN_U32.unpack(hashlib.sha512(key.encode()).digest())]


@dataclass(frozen=True)
class Direction:
    """Traffic of one direction of one interface."""

    base: float  # mean bytes/s
    amp: float  # 0 <= amp < 1
    omega: float  # rad/s
    phase: float  # rad, at monotonic time _MONO0
    avg_packet: float  # bytes per packet
    mcast_frac: float
    bcast_frac: float
    error_rate: float  # errors per packet
    discard_rate: float  # discards per packet

    def integral(self, now: float) -> float:
        """Bytes sent from monotonic time _MONO0 to ``now`` (negative before _MONO0)."""
        t = now - _MONO0
        return self.base * (
            t + self.amp / self.omega * (math.cos(self.phase) - math.cos(self.omega * t + self.phase))
        )

    def rate(self, now: float) -> float:
        return self.base * (1.0 + self.amp * math.sin(self.omega * (now - _MONO0) + self.phase))

    @classmethod
    def for_key(cls, key: str, speed_bps: float, kind: str) -> Direction:
        """``kind`` is "front" (5-60% of the port speed), "mgmt" (a trickle) or "loopback"."""
        u_base, u_period, u_phase, u_faulty, u_amp, u_pkt, u_mcast, u_bcast, u_err, u_disc = _units(key)[:10]
        u = u_base
        if kind == "front":
            base = speed_bps / 8.0 * (0.05 + 0.55 * u)
        elif kind == "mgmt":
            base = speed_bps / 8.0 * (0.0001 + 0.001 * u)
        else:
            base = 1000.0 + 9000.0 * u
        period = 600.0 + 1800.0 * u_period  # 10 to 40 minutes: visible on a graph
        phase0 = 2.0 * math.pi * u_phase
        omega = 2.0 * math.pi / period
        # Anchor the phase to wall-clock time: phase at _MONO0 = phase0 + omega * wall seconds.
        phase = math.fmod(phase0 + omega * _WALL0, 2.0 * math.pi)
        faulty = u_faulty < 0.2  # about one port in five shows a few errors/discards
        return cls(
            base=base,
            amp=0.2 + 0.4 * u_amp,
            omega=omega,
            phase=phase,
            avg_packet=300.0 + 900.0 * u_pkt,
            mcast_frac=0.005 + 0.02 * u_mcast,
            bcast_frac=0.001 + 0.005 * u_bcast,
            error_rate=(1e-7 + 1e-5 * u_err) if faulty else 0.0,
            discard_rate=(1e-7 + 2e-5 * u_disc) if faulty else 0.0,
        )


# Indices into the tuple returned by Counters.values()
IN_OCTETS, IN_UCAST, IN_MCAST, IN_BCAST, IN_DISCARDS, IN_ERRORS, IN_UNKNOWN = range(7)
OUT_OCTETS, OUT_UCAST, OUT_MCAST, OUT_BCAST, OUT_DISCARDS, OUT_ERRORS = range(7, 13)


MEMO_SECONDS = 0.01


class Counters:
    """The counters of one interface: frozen while down, advancing with the profile while up.

    The octets behind them are memoised for :data:`MEMO_SECONDS` (see :meth:`octets`), and
    :meth:`value` derives only the one counter a column asks for.
    """

    __slots__ = (
        "_coef",
        "_in_acc",
        "_in_mark",
        "_last",
        "_memo",
        "_memo_t",
        "_out_acc",
        "_out_mark",
        "_since",
        "offset_in",
        "offset_out",
        "rx",
        "tx",
    )

    def __init__(self, rx: Direction, tx: Direction):
        self.rx = rx
        self.tx = tx
        self._in_acc = 0.0
        self._out_acc = 0.0
        self._since: float | None = None  # monotonic start of the current up period
        self._in_mark = 0.0
        self._out_mark = 0.0
        self.offset_in = 0  # added to the octet counters only (counter-wrap injection)
        self.offset_out = 0
        self._memo_t = math.nan
        self._memo = (0.0, 0.0)
        self._last = (0.0, 0.0)
        # Per-octet multipliers for the packet counters, indexed like values().
        pin, pout = 1.0 / rx.avg_packet, 1.0 / tx.avg_packet
        self._coef = (
            1.0,
            pin * (1.0 - rx.mcast_frac - rx.bcast_frac),
            pin * rx.mcast_frac,
            pin * rx.bcast_frac,
            pin * rx.discard_rate,
            pin * rx.error_rate,
            pin * rx.error_rate * 0.1,
            1.0,
            pout * (1.0 - tx.mcast_frac - tx.bcast_frac),
            pout * tx.mcast_frac,
            pout * tx.bcast_frac,
            pout * tx.discard_rate,
            pout * tx.error_rate * 0.5,
        )

    @property
    def running(self) -> bool:
        return self._since is not None

    def reset(self, now: float, running: bool, history_from: float | None = None) -> None:
        """Zero the counters at ``now`` (a restart). With ``history_from`` the interface is taken
        to have been up since that earlier instant, so counters start at a plausible value."""
        self.offset_in = self.offset_out = 0
        self._since = None
        if history_from is not None and running:
            self._in_acc = self.rx.integral(now) - self.rx.integral(history_from)
            self._out_acc = self.tx.integral(now) - self.tx.integral(history_from)
        else:
            self._in_acc = self._out_acc = 0.0
        self._last = (self._in_acc, self._out_acc)
        self._memo_t = math.nan
        if running:
            self.start(now)

    def start(self, now: float) -> None:
        if self._since is None:
            self._since = now
            self._in_mark = self.rx.integral(now)
            self._out_mark = self.tx.integral(now)
            self._memo_t = math.nan

    def stop(self, now: float) -> None:
        if self._since is not None:
            self._in_acc, self._out_acc = self.raw(now)
            self._since = None
            self._memo_t = math.nan

    def raw(self, now: float) -> tuple[float, float]:
        """Octets received and sent (floats, without the wrap offsets)."""
        if self._since is None:
            return self._in_acc, self._out_acc
        rx = self._in_acc + (self.rx.integral(now) - self._in_mark)
        tx = self._out_acc + (self.tx.integral(now) - self._out_mark)
        # Float rounding must never make a counter step back between two close reads.
        last_rx, last_tx = self._last
        if rx < last_rx:
            rx = last_rx
        if tx < last_tx:
            tx = last_tx
        self._last = (rx, tx)
        return rx, tx

    def wrap_soon(self, now: float, bits: int, seconds: float) -> None:
        """Offset the octet counters so that they cross 2**bits within about ``seconds``."""
        modulus = 1 << bits
        rx_raw, tx_raw = self.raw(now)
        for direction in ("in", "out"):
            d = self.rx if direction == "in" else self.tx
            raw = int(rx_raw if direction == "in" else tx_raw)
            # Half of the expected traffic in the window: the wrap lands mid-window.
            margin = max(1, int(d.rate(now) * seconds * 0.5)) if self._since is not None else 1
            margin = min(margin, modulus // 2)
            target = modulus - margin
            offset = (target - raw) % (1 << 64)
            if direction == "in":
                self.offset_in = offset
            else:
                self.offset_out = offset
        self._memo_t = math.nan

    def octets(self, now: float) -> tuple[float, float]:
        """Received and sent octets as floats, reused for :data:`MEMO_SECONDS`: a table walk
        reads each interface once per column, and real agents cache interface statistics too
        (Net-SNMP for seconds); 10 ms is invisible to a poller."""
        if 0.0 <= now - self._memo_t < MEMO_SECONDS:
            return self._memo
        self._memo = self.raw(now)
        self._memo_t = now
        return self._memo

    def value(self, k: int, now: float) -> int:
        """One counter (an IN_*/OUT_* index): what a column getter needs, without the others."""
        rx, tx = self.octets(now)
        if k == IN_OCTETS:
            return (int(rx) + self.offset_in) & 0xFFFFFFFFFFFFFFFF
        if k == OUT_OCTETS:
            return (int(tx) + self.offset_out) & 0xFFFFFFFFFFFFFFFF
        # Packet counts are fixed fractions of the octets: floor() keeps them monotonic.
        return int((tx if k > OUT_OCTETS else rx) * self._coef[k])

    def values(self, now: float) -> tuple[int, ...]:
        return tuple(self.value(k, now) for k in range(13))
