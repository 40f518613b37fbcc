"""initial inventory

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 04:27:30.648259
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op



revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites')),
    sa.UniqueConstraint('name', name=op.f('uq_sites_name'))
    )
    op.create_table('snmp_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Enum('v2c', 'v3', name='snmp_version', native_enum=False, length=32), nullable=False),
    sa.Column('community', sa.Text(), nullable=True),
    sa.Column('user', sa.String(length=64), nullable=True),
    sa.Column('auth_proto', sa.Enum('sha', 'sha256', name='snmp_auth_proto', native_enum=False, length=32), nullable=True),
    sa.Column('auth_key', sa.Text(), nullable=True),
    sa.Column('priv_proto', sa.Enum('aes', 'aes256', name='snmp_priv_proto', native_enum=False, length=32), nullable=True),
    sa.Column('priv_key', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_snmp_profiles')),
    sa.UniqueConstraint('name', name=op.f('uq_snmp_profiles_name'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('admin', 'engineer', 'viewer', name='user_role', native_enum=False, length=32), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('name', name=op.f('uq_users_name'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used', sa.DateTime(), nullable=True),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('digest', name=op.f('uq_api_tokens_digest'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('snmp_port', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('snmp_profile_id', sa.Integer(), nullable=True),
    sa.Column('poll_interval_s', sa.Integer(), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('unknown', 'up', 'unreachable', name='device_status', native_enum=False, length=32), nullable=False),
    sa.Column('status_changed', sa.DateTime(), nullable=True),
    sa.Column('sys_object_id', sa.String(length=255), nullable=False),
    sa.Column('sys_descr', sa.Text(), nullable=False),
    sa.Column('sys_name', sa.String(length=255), nullable=False),
    sa.Column('sys_location', sa.String(length=255), nullable=False),
    sa.Column('sys_contact', sa.String(length=255), nullable=False),
    sa.Column('uptime_ticks', sa.BigInteger(), nullable=True),
    sa.Column('last_seen', sa.DateTime(), nullable=True),
    sa.Column('last_discovered', sa.DateTime(), nullable=True),
    sa.Column('last_polled', sa.DateTime(), nullable=True),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_devices_site_id_sites')),
    sa.ForeignKeyConstraint(['snmp_profile_id'], ['snmp_profiles.id'], name=op.f('fk_devices_snmp_profile_id_snmp_profiles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices')),
    sa.UniqueConstraint('name', name=op.f('uq_devices_name'))
    )
    op.create_table('hardware_components',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('ent_index', sa.Integer(), nullable=False),
    sa.Column('phys_class', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('descr', sa.Text(), nullable=False),
    sa.Column('contained_in', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=255), nullable=False),
    sa.Column('model', sa.String(length=255), nullable=False),
    sa.Column('hardware_rev', sa.String(length=255), nullable=False),
    sa.Column('firmware_rev', sa.String(length=255), nullable=False),
    sa.Column('software_rev', sa.String(length=255), nullable=False),
    sa.Column('mfg_name', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_hardware_components_device_id_devices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hardware_components')),
    sa.UniqueConstraint('device_id', 'ent_index', name='uq_hw_device_index')
    )
    with op.batch_alter_table('hardware_components', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hardware_components_device_id'), ['device_id'], unique=False)

    op.create_table('interfaces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('if_index', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('descr', sa.Text(), nullable=False),
    sa.Column('alias', sa.Text(), nullable=False),
    sa.Column('if_type', sa.Integer(), nullable=False),
    sa.Column('mtu', sa.Integer(), nullable=False),
    sa.Column('speed_bps', sa.BigInteger(), nullable=False),
    sa.Column('mac', sa.String(length=64), nullable=False),
    sa.Column('admin_status', sa.Integer(), nullable=False),
    sa.Column('oper_status', sa.Integer(), nullable=False),
    sa.Column('last_change', sa.DateTime(), nullable=True),
    sa.Column('counter_bits', sa.Integer(), nullable=False),
    sa.Column('present', sa.Boolean(), nullable=False),
    sa.Column('last_sample_id', sa.Integer(), nullable=True),
    sa.Column('in_bps', sa.Float(), nullable=True),
    sa.Column('out_bps', sa.Float(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_interfaces_device_id_devices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interfaces')),
    sa.UniqueConstraint('device_id', 'if_index', name='uq_if_device_index')
    )
    with op.batch_alter_table('interfaces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interfaces_device_id'), ['device_id'], unique=False)

    op.create_table('job_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('requested_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('taken_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_job_requests_device_id_devices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_requests'))
    )
    op.create_table('interface_samples',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interface_id', sa.Integer(), nullable=False),
    sa.Column('ts', sa.DateTime(), nullable=False),
    sa.Column('uptime_ticks', sa.BigInteger(), nullable=False),
    sa.Column('counter_bits', sa.Integer(), nullable=False),
    sa.Column('oper_status', sa.Integer(), nullable=False),
    sa.Column('in_octets', sa.BigInteger(), nullable=True),
    sa.Column('out_octets', sa.BigInteger(), nullable=True),
    sa.Column('in_ucast_pkts', sa.BigInteger(), nullable=True),
    sa.Column('out_ucast_pkts', sa.BigInteger(), nullable=True),
    sa.Column('in_errors', sa.BigInteger(), nullable=True),
    sa.Column('out_errors', sa.BigInteger(), nullable=True),
    sa.Column('in_discards', sa.BigInteger(), nullable=True),
    sa.Column('out_discards', sa.BigInteger(), nullable=True),
    sa.Column('in_bps', sa.Float(), nullable=True),
    sa.Column('out_bps', sa.Float(), nullable=True),
    sa.Column('in_pps', sa.Float(), nullable=True),
    sa.Column('out_pps', sa.Float(), nullable=True),
    sa.Column('in_errors_ps', sa.Float(), nullable=True),
    sa.Column('out_errors_ps', sa.Float(), nullable=True),
    sa.Column('in_discards_ps', sa.Float(), nullable=True),
    sa.Column('out_discards_ps', sa.Float(), nullable=True),
    sa.Column('discontinuity', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['interface_id'], ['interfaces.id'], name=op.f('fk_interface_samples_interface_id_interfaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interface_samples'))
    )
    with op.batch_alter_table('interface_samples', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interface_samples_ts'), ['ts'], unique=False)
        batch_op.create_index('ix_samples_interface_ts', ['interface_id', 'ts'], unique=False)

    op.create_table('links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('local_interface_id', sa.Integer(), nullable=False),
    sa.Column('remote_interface_id', sa.Integer(), nullable=True),
    sa.Column('remote_sys_name', sa.String(length=255), nullable=False),
    sa.Column('remote_chassis_id', sa.String(length=255), nullable=False),
    sa.Column('remote_port_id', sa.String(length=255), nullable=False),
    sa.Column('remote_port_descr', sa.Text(), nullable=False),
    sa.Column('source', sa.Enum('lldp', 'manual', name='link_source', native_enum=False, length=32), nullable=False),
    sa.Column('last_seen', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['local_interface_id'], ['interfaces.id'], name=op.f('fk_links_local_interface_id_interfaces'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['remote_interface_id'], ['interfaces.id'], name=op.f('fk_links_remote_interface_id_interfaces'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_links')),
    sa.UniqueConstraint('local_interface_id', 'remote_chassis_id', 'remote_port_id', name='uq_link_ends')
    )
    with op.batch_alter_table('links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_links_local_interface_id'), ['local_interface_id'], unique=False)

    


def downgrade() -> None:
    
    with op.batch_alter_table('links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_links_local_interface_id'))

    op.drop_table('links')
    with op.batch_alter_table('interface_samples', schema=None) as batch_op:
        batch_op.drop_index('ix_samples_interface_ts')
        batch_op.drop_index(batch_op.f('ix_interface_samples_ts'))

    op.drop_table('interface_samples')
    op.drop_table('job_requests')
    with op.batch_alter_table('interfaces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interfaces_device_id'))

    op.drop_table('interfaces')
    with op.batch_alter_table('hardware_components', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hardware_components_device_id'))

    op.drop_table('hardware_components')
    op.drop_table('devices')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('snmp_profiles')
    op.drop_table('sites')
    
