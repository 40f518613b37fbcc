"""The Alembic migrations and the models agree, on SQLite and PostgreSQL: a store upgraded
step by step to head has exactly the models' tables, columns, types and indexes, and the
newest migration (0005: dashboard indexes) upgrades a populated 0004 store and downgrades."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from inventory.db import alembic_config, current_revision, head_revision, make_engine, upgrade
from inventory.schema import Base

NEW_INDEXES = {
    "alarms": {"ix_alarms_suppressed_by_id", "ix_alarms_interface_id", "ix_alarms_raised_at"},
    "events": {"ix_events_alarm_id"},
}


def _diffs(engine: Any) -> list[Any]:
    with engine.connect() as c:
        return list(
            compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata)
        )


def _indexes(engine: Any, table: str) -> set[str]:
    return {str(ix["name"]) for ix in inspect(engine).get_indexes(table)}


def test_migrations_match_the_models_and_0005_round_trips(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0004")
        with engine.begin() as c:  # a store with rows in the tables 0005 indexes
            c.execute(text("INSERT INTO devices (id, name, host, snmp_port, platform, role, enabled, status, "
                           "sys_object_id, sys_descr, sys_name, sys_location, sys_contact, consecutive_failures, "
                           "last_error, data, created_at) VALUES (1, 'r1', '192.0.2.1', 161, '', '', true, 'up', "
                           "'', '', '', '', '', 0, '', '{}', CURRENT_TIMESTAMP)"))  # fmt: skip
        upgrade(engine)
        assert current_revision(engine) == head_revision(engine)
        assert _diffs(engine) == []
        for table, names in NEW_INDEXES.items():
            assert names <= _indexes(engine, table)

        command.downgrade(alembic_config(engine), "0004")
        for table, names in NEW_INDEXES.items():
            assert not names & _indexes(engine, table)
        upgrade(engine)
        assert _diffs(engine) == []
        with engine.connect() as c:
            assert c.execute(text("SELECT name FROM devices")).scalar_one() == "r1"
    finally:
        engine.dispose()
