"""Retrying a unit of work that lost a race on the database: SQLite refuses a write from a
transaction whose snapshot another writer has since changed ("database is locked"), and
PostgreSQL may abort one side of a deadlock or serialization conflict. The work is rolled
back and run again from the start, when it reads the winner's rows."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
ATTEMPTS = 4


def lost_race(exc: OperationalError) -> bool:
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    text = str(orig).lower()
    return "database is locked" in text or "database table is locked" in text
