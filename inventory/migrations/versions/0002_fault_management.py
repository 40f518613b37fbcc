"""fault management

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 04:52:44.828321
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op



revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('agent_counters',
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('labels', sa.String(length=255), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', 'labels', name=op.f('pk_agent_counters'))
    )
    op.create_table('hub_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('api', sa.String(length=64), nullable=False),
    sa.Column('callback', sa.Text(), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('append_listener_path', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hub_subscriptions'))
    )
    with op.batch_alter_table('hub_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hub_subscriptions_api'), ['api'], unique=False)

    op.create_table('maintenance_windows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('recurrence', sa.String(length=16), nullable=False),
    sa.Column('until', sa.DateTime(), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_maintenance_windows'))
    )
    op.create_table('services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('service_type', sa.String(length=64), nullable=False),
    sa.Column('state', sa.Enum('feasibilityChecked', 'designed', 'reserved', 'inactive', 'active', 'terminated', name='service_state', native_enum=False, length=32), nullable=False),
    sa.Column('customer_ref', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_services')),
    sa.UniqueConstraint('external_id', name=op.f('uq_services_external_id'))
    )
    op.create_table('signing_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_keys')),
    sa.UniqueConstraint('purpose', name=op.f('uq_signing_keys_purpose'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dedup_key', sa.String(length=255), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('target', sa.Text(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=True),
    sa.Column('event_type', sa.String(length=128), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('state', sa.Enum('pending', 'delivered', 'parked', name='outbox_state', native_enum=False, length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['subscription_id'], ['hub_subscriptions.id'], name=op.f('fk_outbox_subscription_id_hub_subscriptions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('dedup_key', name='uq_outbox_dedup')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_due', ['state', 'next_attempt_at'], unique=False)

    op.create_table('maintenance_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_maintenance_targets_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_maintenance_targets_service_id_services'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_maintenance_targets_site_id_sites'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['window_id'], ['maintenance_windows.id'], name=op.f('fk_maintenance_targets_window_id_maintenance_windows'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_maintenance_targets'))
    )
    with op.batch_alter_table('maintenance_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_maintenance_targets_window_id'), ['window_id'], unique=False)

    op.create_table('management_paths',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('via_device_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_management_paths_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['via_device_id'], ['devices.id'], name=op.f('fk_management_paths_via_device_id_devices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_management_paths')),
    sa.UniqueConstraint('device_id', 'via_device_id', name='uq_mgmt_path')
    )
    with op.batch_alter_table('management_paths', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_management_paths_device_id'), ['device_id'], unique=False)

    op.create_table('alarms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reduction_key', sa.String(length=255), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('interface_id', sa.Integer(), nullable=True),
    sa.Column('alarmed_object_type', sa.Enum('Device', 'Interface', 'Service', name='alarmed_object_type', native_enum=False, length=32), nullable=False),
    sa.Column('alarmed_object', sa.String(length=255), nullable=False),
    sa.Column('alarm_type', sa.Enum('communicationsAlarm', 'processingErrorAlarm', 'environmentalAlarm', 'qualityOfServiceAlarm', 'equipmentAlarm', 'integrityViolation', 'operationalViolation', 'physicalViolation', 'securityService', 'mechanismViolation', 'timeDomainViolation', name='alarm_type', native_enum=False, length=32), nullable=False),
    sa.Column('probable_cause', sa.String(length=128), nullable=False),
    sa.Column('specific_problem', sa.Text(), nullable=False),
    sa.Column('perceived_severity', sa.Enum('critical', 'major', 'minor', 'warning', 'indeterminate', 'cleared', name='perceived_severity', native_enum=False, length=32), nullable=False),
    sa.Column('state', sa.Enum('raised', 'updated', 'cleared', name='alarm_state', native_enum=False, length=32), nullable=False),
    sa.Column('ack_state', sa.Enum('unacknowledged', 'acknowledged', name='ack_state', native_enum=False, length=32), nullable=False),
    sa.Column('ack_user', sa.String(length=64), nullable=False),
    sa.Column('ack_time', sa.DateTime(), nullable=True),
    sa.Column('raised_at', sa.DateTime(), nullable=False),
    sa.Column('reported_at', sa.DateTime(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('cleared_at', sa.DateTime(), nullable=True),
    sa.Column('clear_user', sa.String(length=64), nullable=False),
    sa.Column('occurrences', sa.Integer(), nullable=False),
    sa.Column('last_occurrence', sa.DateTime(), nullable=False),
    sa.Column('is_root_cause', sa.Boolean(), nullable=False),
    sa.Column('suppressed_by_id', sa.Integer(), nullable=True),
    sa.Column('correlation', sa.Text(), nullable=False),
    sa.Column('planned', sa.Boolean(), nullable=False),
    sa.Column('maintenance_window_id', sa.Integer(), nullable=True),
    sa.Column('service_affecting', sa.Boolean(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('source', sa.Enum('trap', 'poll', 'system', name='alarm_source', native_enum=False, length=32), nullable=False),
    sa.Column('settle_at', sa.DateTime(), nullable=False),
    sa.Column('announced', sa.Boolean(), nullable=False),
    sa.Column('announced_occurrences', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_alarms_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['interface_id'], ['interfaces.id'], name=op.f('fk_alarms_interface_id_interfaces'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['maintenance_window_id'], ['maintenance_windows.id'], name=op.f('fk_alarms_maintenance_window_id_maintenance_windows'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['suppressed_by_id'], ['alarms.id'], name=op.f('fk_alarms_suppressed_by_id_alarms'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarms'))
    )
    with op.batch_alter_table('alarms', schema=None) as batch_op:
        batch_op.create_index('ix_alarms_device_state', ['device_id', 'state'], unique=False)
        batch_op.create_index('ix_alarms_state_severity', ['state', 'perceived_severity'], unique=False)
        batch_op.create_index('uq_alarms_active_key', ['reduction_key'], unique=True, sqlite_where=sa.text("state != 'cleared'"), postgresql_where=sa.text("state != 'cleared'"))

    op.create_table('service_resources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('interface_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_service_resources_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['interface_id'], ['interfaces.id'], name=op.f('fk_service_resources_interface_id_interfaces'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_service_resources_service_id_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_resources'))
    )
    with op.batch_alter_table('service_resources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_resources_device_id'), ['device_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_resources_service_id'), ['service_id'], unique=False)

    op.create_table('alarm_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alarm_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('severity', sa.Enum('critical', 'major', 'minor', 'warning', 'indeterminate', 'cleared', name='history_severity', native_enum=False, length=32), nullable=True),
    sa.Column('user', sa.String(length=64), nullable=False),
    sa.Column('system', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['alarm_id'], ['alarms.id'], name=op.f('fk_alarm_history_alarm_id_alarms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm_history'))
    )
    with op.batch_alter_table('alarm_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alarm_history_alarm_id'), ['alarm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alarm_history_published'), ['published'], unique=False)

    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('source', sa.Enum('trap', 'poll', 'system', name='event_source', native_enum=False, length=32), nullable=False),
    sa.Column('source_address', sa.String(length=64), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('trap_oid', sa.String(length=255), nullable=False),
    sa.Column('version', sa.String(length=8), nullable=False),
    sa.Column('if_index', sa.Integer(), nullable=True),
    sa.Column('varbinds', sa.JSON(), nullable=False),
    sa.Column('alarm_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['alarm_id'], ['alarms.id'], name=op.f('fk_events_alarm_id_alarms'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_events_device_id_devices'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_device_time', ['device_id', 'received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_received_at'), ['received_at'], unique=False)

    


def downgrade() -> None:
    
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_received_at'))
        batch_op.drop_index('ix_events_device_time')

    op.drop_table('events')
    with op.batch_alter_table('alarm_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alarm_history_published'))
        batch_op.drop_index(batch_op.f('ix_alarm_history_alarm_id'))

    op.drop_table('alarm_history')
    with op.batch_alter_table('service_resources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_resources_service_id'))
        batch_op.drop_index(batch_op.f('ix_service_resources_device_id'))

    op.drop_table('service_resources')
    with op.batch_alter_table('alarms', schema=None) as batch_op:
        batch_op.drop_index('uq_alarms_active_key', sqlite_where=sa.text("state != 'cleared'"), postgresql_where=sa.text("state != 'cleared'"))
        batch_op.drop_index('ix_alarms_state_severity')
        batch_op.drop_index('ix_alarms_device_state')

    op.drop_table('alarms')
    with op.batch_alter_table('management_paths', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_management_paths_device_id'))

    op.drop_table('management_paths')
    with op.batch_alter_table('maintenance_targets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_maintenance_targets_window_id'))

    op.drop_table('maintenance_targets')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_due')

    op.drop_table('outbox')
    op.drop_table('signing_keys')
    op.drop_table('services')
    op.drop_table('maintenance_windows')
    with op.batch_alter_table('hub_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hub_subscriptions_api'))

    op.drop_table('hub_subscriptions')
    op.drop_table('agent_counters')
    
