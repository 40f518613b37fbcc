from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inventory.maintenance import WindowError, WindowSpec, is_open, occurrence_at, planned_minutes

T = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # a Monday, 01:00


def test_one_off() -> None:
    w = WindowSpec(T, T + timedelta(hours=2))
    assert not is_open(w, T - timedelta(seconds=1))
    assert is_open(w, T) and is_open(w, T + timedelta(minutes=119))
    assert not is_open(w, T + timedelta(hours=2))


def test_weekly_until() -> None:
    w = WindowSpec(T, T + timedelta(hours=2), "weekly", until=T + timedelta(weeks=2))
    assert occurrence_at(w, T + timedelta(weeks=1, minutes=30)) == (
        T + timedelta(weeks=1),
        T + timedelta(weeks=1, hours=2),
    )
    assert not is_open(w, T + timedelta(days=1, minutes=30))
    assert is_open(w, T + timedelta(weeks=2, minutes=1))
    assert not is_open(w, T + timedelta(weeks=3, minutes=1))


def test_planned_minutes_across_occurrences() -> None:
    w = WindowSpec(T, T + timedelta(hours=1), "daily")
    # 3 days from 01:30 on day 0: day0 30 min, day1 60, day2 60 -> 150
    assert planned_minutes(w, T + timedelta(minutes=30), T + timedelta(days=2, hours=3)) == pytest.approx(150)


@pytest.mark.parametrize(
    ("spec", "msg"),
    [
        (lambda: WindowSpec(T, T), "end after"),
        (lambda: WindowSpec(T, T + timedelta(days=2), "daily"), "longer than its period"),
        (lambda: WindowSpec(T, T + timedelta(hours=1), "monthly"), "recurrence"),
    ],
)
def test_invalid(spec, msg) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(WindowError, match=msg):
        spec()
