"""Counter deltas to rates: wraps, restarts and resets never produce a spike."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from collectors.rates import CounterPoint, compute_rates, counter_delta

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GBIT = 1_000_000_000


def point(
    t: float, uptime: int, octets_in: int | None, octets_out: int | None = 0, bits: int = 64, **kw: int
) -> CounterPoint:
    base = dict(in_ucast_pkts=0, out_ucast_pkts=0, in_errors=0, out_errors=0, in_discards=0, out_discards=0)
    base.update(kw)
    return CounterPoint(T0 + timedelta(seconds=t), uptime, bits, octets_in, octets_out, **base)  # type: ignore[arg-type]


def test_plain_rate_uses_agent_clock() -> None:
    # 60.0 s of agent time but 61 s of wall time (poll jitter): the agent's clock wins.
    prev = point(0, 100_000, 1_000_000)
    cur = point(61, 106_000, 1_000_000 + 7_500_000)
    r = compute_rates(prev, cur, GBIT)
    assert r.interval_s == pytest.approx(60.0)
    assert r.in_bps == pytest.approx(7_500_000 * 8 / 60)
    assert r.discontinuity is None


def test_32bit_wrap_gives_true_rate() -> None:
    prev = point(0, 1000, 2**32 - 1_000, bits=32)
    cur = point(10, 2000, 4_000, bits=32)
    r = compute_rates(prev, cur, GBIT)
    assert r.in_bps == pytest.approx(5_000 * 8 / 10)


def test_64bit_wrap_gives_true_rate() -> None:
    prev = point(0, 1000, 2**64 - 10_000)
    cur = point(10, 2000, 2_500)
    r = compute_rates(prev, cur, 10 * GBIT)
    assert r.in_bps == pytest.approx(12_500 * 8 / 10)


def test_agent_restart_gives_no_rate() -> None:
    prev = point(0, 900_000, 9_000_000_000)
    cur = point(60, 500, 1_000)  # sysUpTime went back: counters restarted from zero
    r = compute_rates(prev, cur, GBIT)
    assert r.in_bps is None and r.out_bps is None
    assert r.discontinuity == "agent restart"


def test_counter_reset_without_restart_is_not_a_wrap() -> None:
    # The 64-bit counter dropped from 5e9 to 1e3 while uptime advanced: a reset (e.g. a line
    # card reload). Treating it as a wrap would mean ~2**64 octets in 60 s: a huge spike.
    prev = point(0, 1000, 5_000_000_000)
    cur = point(60, 7000, 1_000)
    r = compute_rates(prev, cur, GBIT)
    assert r.in_bps is None
    assert r.discontinuity == "counter reset"


def test_32bit_wrap_impossible_for_port_speed_is_dropped() -> None:
    # A 10 Mb/s port cannot move 4 GB in 10 s: a drop on a 32-bit counter there is a reset.
    prev = point(0, 1000, 3_000_000_000, bits=32)
    cur = point(10, 2000, 1_000, bits=32)
    assert compute_rates(prev, cur, 10_000_000).in_bps is None


def test_jump_faster_than_line_rate_is_dropped() -> None:
    prev = point(0, 1000, 0)
    cur = point(1, 1100, 10 * GBIT)  # 80 Gb/s on a 1G port
    assert compute_rates(prev, cur, GBIT).in_bps is None


def test_first_sample_and_width_change() -> None:
    assert compute_rates(None, point(0, 1, 1), GBIT).discontinuity == "first sample"
    r = compute_rates(point(0, 1, 1, bits=32), point(10, 1001, 2, bits=64), GBIT)
    assert r.discontinuity == "counter width changed"


def test_errors_wrap_at_32_bits_even_with_hc_octets() -> None:
    prev = point(0, 1000, 0, in_errors=2**32 - 5)
    cur = point(10, 2000, 1000, in_errors=5)
    assert compute_rates(prev, cur, GBIT).in_errors_ps == pytest.approx(1.0)


def test_missing_counter_gives_none_not_zero() -> None:
    r = compute_rates(point(0, 1000, None), point(10, 2000, None), GBIT)
    assert r.in_bps is None


@pytest.mark.parametrize(
    ("prev", "cur", "bits", "limit", "want"),
    [
        (10, 20, 32, None, 10),
        (2**32 - 1, 0, 32, None, 1),
        (2**63 + 5, 3, 64, None, 2**64 - 2**63 - 2),  # top-half 64-bit wrap with unknown speed
        (5, 3, 64, None, None),  # bottom-half drop with unknown speed: a reset
        (None, 3, 64, None, None),
    ],
)
def test_counter_delta(prev: int | None, cur: int, bits: int, limit: float | None, want: int | None) -> None:
    assert counter_delta(prev, cur, bits, limit) == want


def test_recorded_sequence_has_no_spike() -> None:
    """A recorded-style sequence across a 32-bit wrap, an agent restart and a reset."""
    speed = GBIT
    seq = [
        point(0, 100, 4_290_000_000, bits=32),
        point(60, 6100, 4_294_000_000, bits=32),
        point(120, 12100, 2_000_000, bits=32),  # wrap
        point(180, 18100, 9_000_000, bits=32),
        point(240, 300, 100, bits=32),  # restart
        point(300, 6300, 600_100, bits=32),
    ]
    rates = [compute_rates(a, b, speed).in_bps for a, b in itertools.pairwise(seq)]
    assert rates[2] == pytest.approx(7_000_000 * 8 / 60)
    assert rates[3] is None
    assert all(r is None or r <= speed for r in rates)
