"""Counter deltas to per-second rates, without spikes.

Rules (pure; tested on recorded sequences):
- the interval is the agent's own sysUpTime delta (centiseconds), falling back to wall time;
- sysUpTime going back means the agent restarted: its counters restarted too, so no rate;
- a counter going back is a wrap at its width (32 or 64 bits) only if the wrapped delta is
  physically possible for the port's speed; otherwise it is a reset and gives no rate;
- errors and discards are 32-bit counters even on devices with 64-bit octet counters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from inventory.domain import InterfaceRates

# Smallest Ethernet frame on the wire (64 bytes + preamble + inter-frame gap).
_MIN_FRAME_BITS = 84 * 8
# Rates may exceed the nominal speed a little (timing jitter between poll and counter update).
_SLACK = 1.5


@dataclass(frozen=True)
class CounterPoint:
    wall: datetime
    uptime_ticks: int
    counter_bits: int
    in_octets: int | None
    out_octets: int | None
    in_ucast_pkts: int | None
    out_ucast_pkts: int | None
    in_errors: int | None
    out_errors: int | None
    in_discards: int | None
    out_discards: int | None


def _no_rates(interval: float, why: str) -> InterfaceRates:
    return InterfaceRates(interval, None, None, None, None, None, None, None, None, discontinuity=why)


def counter_delta(prev: int | None, cur: int | None, bits: int, limit: float | None) -> int | None:
    """Delta of a monotonic counter of ``bits`` width, or None when it cannot be trusted.

    ``limit`` is the largest delta physically possible over the interval (None: unknown).
    """
    if prev is None or cur is None:
        return None
    delta = cur - prev
    if delta < 0:
        delta += 1 << bits
        if limit is None:
            # Unknown speed: a 32-bit wrap is common, a 64-bit one only from the top half.
            if bits == 64 and prev < (1 << 63):
                return None
        elif delta > limit:
            return None  # a reset, not a wrap
    elif limit is not None and delta > limit:
        return None  # a jump no port of this speed can make: a discontinuity
    return delta


def compute_rates(prev: CounterPoint | None, cur: CounterPoint, speed_bps: int) -> InterfaceRates:
    if prev is None:
        return _no_rates(0.0, "first sample")
    if cur.uptime_ticks < prev.uptime_ticks:
        return _no_rates(0.0, "agent restart")
    if cur.counter_bits != prev.counter_bits:
        return _no_rates(0.0, "counter width changed")
    ticks = cur.uptime_ticks - prev.uptime_ticks
    interval = ticks / 100.0 if ticks > 0 else (cur.wall - prev.wall).total_seconds()
    if interval <= 0:
        return _no_rates(0.0, "no time elapsed")
    octet_limit = speed_bps / 8 * interval * _SLACK if speed_bps else None
    pkt_limit = speed_bps / _MIN_FRAME_BITS * interval * _SLACK if speed_bps else None
    bits = cur.counter_bits

    def rate(name: str, width: int, limit: float | None, scale: float = 1.0) -> float | None:
        d = counter_delta(getattr(prev, name), getattr(cur, name), width, limit)
        return None if d is None else d * scale / interval

    in_bps = rate("in_octets", bits, octet_limit, 8.0)
    out_bps = rate("out_octets", bits, octet_limit, 8.0)
    rates = InterfaceRates(
        interval_s=interval,
        in_bps=in_bps,
        out_bps=out_bps,
        in_pps=rate("in_ucast_pkts", bits, pkt_limit),
        out_pps=rate("out_ucast_pkts", bits, pkt_limit),
        in_errors_ps=rate("in_errors", 32, pkt_limit),
        out_errors_ps=rate("out_errors", 32, pkt_limit),
        in_discards_ps=rate("in_discards", 32, pkt_limit),
        out_discards_ps=rate("out_discards", 32, pkt_limit),
    )
    reset = (in_bps is None and cur.in_octets is not None) or (out_bps is None and cur.out_octets is not None)
    if reset:
        return InterfaceRates(**{**rates.__dict__, "discontinuity": "counter reset"})
    return rates
