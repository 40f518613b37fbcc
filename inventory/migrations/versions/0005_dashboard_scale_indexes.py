"""dashboard at scale: indexes for alarm lists, correlation, filters and events

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 16:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alarms', schema=None) as batch_op:
        # The alarms a page of alarms suppresses (children_of), and the foreign key's SET NULL.
        batch_op.create_index(batch_op.f('ix_alarms_suppressed_by_id'), ['suppressed_by_id'], unique=False)
        # Alarms of one interface (the device page's links), and the foreign key's SET NULL.
        batch_op.create_index(batch_op.f('ix_alarms_interface_id'), ['interface_id'], unique=False)
        # Newest first over the whole history (the API's and TMF642's alarm lists): a backward
        # index scan that stops at the page instead of sorting every alarm ever raised.
        batch_op.create_index(batch_op.f('ix_alarms_raised_at'), ['raised_at'], unique=False)

    with op.batch_alter_table('events', schema=None) as batch_op:
        # The events that fed one alarm (the alarm page), and the foreign key's SET NULL.
        batch_op.create_index(batch_op.f('ix_events_alarm_id'), ['alarm_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_alarm_id'))

    with op.batch_alter_table('alarms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alarms_raised_at'))
        batch_op.drop_index(batch_op.f('ix_alarms_interface_id'))
        batch_op.drop_index(batch_op.f('ix_alarms_suppressed_by_id'))
