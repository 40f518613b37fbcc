"""provisioning and bss

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 06:15:24.194019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op



revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('customers',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers'))
    )
    op.create_table('slas',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('target_pct', sa.Numeric(precision=7, scale=4), nullable=False),
    sa.Column('bands', sa.JSON(), nullable=False),
    sa.Column('cap_pct', sa.Numeric(precision=7, scale=4), nullable=False),
    sa.Column('business_hours', sa.JSON(), nullable=True),
    sa.Column('exclude_planned', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slas'))
    )
    op.create_table('billing_accounts',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_billing_accounts_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_accounts'))
    )
    with op.batch_alter_table('billing_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_accounts_customer_id'), ['customer_id'], unique=False)

    op.create_table('customer_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('secret', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_contacts_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_contacts'))
    )
    with op.batch_alter_table('customer_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_contacts_customer_id'), ['customer_id'], unique=False)

    op.create_table('product_offerings',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('service_model', sa.String(length=64), nullable=False),
    sa.Column('characteristics', sa.JSON(), nullable=False),
    sa.Column('fixed_params', sa.JSON(), nullable=False),
    sa.Column('price', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('sla_id', sa.String(length=64), nullable=True),
    sa.Column('lifecycle_status', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['sla_id'], ['slas.id'], name=op.f('fk_product_offerings_sla_id_slas')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_offerings'))
    )
    op.create_table('service_instances',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=64), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('last_transaction_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_service_instances_service_id_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', name=op.f('pk_service_instances'))
    )
    op.create_table('service_problems',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=True),
    sa.Column('state', sa.Enum('acknowledged', 'inProgress', 'resolved', 'closed', name='problem_state', native_enum=False, length=32), nullable=False),
    sa.Column('planned', sa.Boolean(), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('state_changed', sa.DateTime(), nullable=False),
    sa.Column('alarm_ids', sa.JSON(), nullable=False),
    sa.Column('root_alarm_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_service_problems_customer_id_customers')),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_service_problems_service_id_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_problems'))
    )
    with op.batch_alter_table('service_problems', schema=None) as batch_op:
        batch_op.create_index('ix_service_problems_open', ['service_id', 'state'], unique=False)

    op.create_table('transactions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('state', sa.Enum('planned', 'preparing', 'prepared', 'committing', 'verifying', 'confirming', 'done', 'dry-run', 'rolling-back', 'rolled-back', 'failed', name='tx_state', native_enum=False, length=32), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('force', sa.Boolean(), nullable=False),
    sa.Column('origin', sa.String(length=128), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('confirm_timeout_s', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.Enum('create', 'modify', 'delete', name='service_action', native_enum=False, length=32), nullable=True),
    sa.Column('request', sa.JSON(), nullable=False),
    sa.Column('rollback_of', sa.String(length=36), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('claimed_by', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_transactions_service_id_services'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transactions'))
    )
    with op.batch_alter_table('transactions', schema=None) as batch_op:
        batch_op.create_index('ix_transactions_state', ['state'], unique=False)

    op.create_table('config_access',
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('driver', sa.String(length=32), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('port', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password', sa.Text(), nullable=False),
    sa.Column('host_key', sa.Text(), nullable=True),
    sa.Column('host_key_seen', sa.DateTime(), nullable=True),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_config_access_device_id_devices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('device_id', name=op.f('pk_config_access'))
    )
    op.create_table('config_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('taken_at', sa.DateTime(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('transaction_id', sa.String(length=36), nullable=True),
    sa.Column('format', sa.String(length=16), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_config_versions_device_id_devices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_config_versions'))
    )
    with op.batch_alter_table('config_versions', schema=None) as batch_op:
        batch_op.create_index('ix_config_versions_device_time', ['device_id', 'taken_at'], unique=False)

    op.create_table('credits',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('dedup_key', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('billing_account_id', sa.String(length=64), nullable=True),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('problem_id', sa.String(length=64), nullable=True),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('period_start', sa.DateTime(), nullable=False),
    sa.Column('period_end', sa.DateTime(), nullable=False),
    sa.Column('unavailable_minutes', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('availability_pct', sa.Numeric(precision=8, scale=4), nullable=False),
    sa.Column('credit_pct', sa.Numeric(precision=7, scale=4), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['billing_account_id'], ['billing_accounts.id'], name=op.f('fk_credits_billing_account_id_billing_accounts')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_credits_customer_id_customers')),
    sa.ForeignKeyConstraint(['problem_id'], ['service_problems.id'], name=op.f('fk_credits_problem_id_service_problems'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_credits_service_id_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credits')),
    sa.UniqueConstraint('dedup_key', name='uq_credit')
    )
    with op.batch_alter_table('credits', schema=None) as batch_op:
        batch_op.create_index('ix_credits_month', ['customer_id', 'month'], unique=False)

    op.create_table('customer_messages',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('dedup_key', sa.String(length=255), nullable=False),
    sa.Column('problem_id', sa.String(length=64), nullable=True),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('recipient', sa.Text(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('state', sa.Enum('initial', 'inProgress', 'completed', 'cancelled', 'failed', name='message_state', native_enum=False, length=32), nullable=False),
    sa.Column('try_times', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['customer_contacts.id'], name=op.f('fk_customer_messages_contact_id_customer_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_messages_customer_id_customers')),
    sa.ForeignKeyConstraint(['problem_id'], ['service_problems.id'], name=op.f('fk_customer_messages_problem_id_service_problems'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_messages')),
    sa.UniqueConstraint('dedup_key', name='uq_customer_message')
    )
    op.create_table('product_orders',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=True),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('request_digest', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('billing_account_id', sa.String(length=64), nullable=True),
    sa.Column('state', sa.Enum('acknowledged', 'rejected', 'pending', 'held', 'inProgress', 'cancelled', 'completed', 'failed', 'partial', 'assessingCancellation', 'pendingCancellation', name='order_state', native_enum=False, length=32), nullable=False),
    sa.Column('order_date', sa.DateTime(), nullable=False),
    sa.Column('state_changed', sa.DateTime(), nullable=False),
    sa.Column('completion_date', sa.DateTime(), nullable=True),
    sa.Column('cancellation_date', sa.DateTime(), nullable=True),
    sa.Column('cancellation_reason', sa.Text(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['billing_account_id'], ['billing_accounts.id'], name=op.f('fk_product_orders_billing_account_id_billing_accounts')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_product_orders_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_orders')),
    sa.UniqueConstraint('customer_id', 'external_id', name='uq_order_external'),
    sa.UniqueConstraint('idempotency_key', name='uq_order_idempotency')
    )
    with op.batch_alter_table('product_orders', schema=None) as batch_op:
        batch_op.create_index('ix_product_orders_state', ['state'], unique=False)

    op.create_table('service_fragments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('transaction_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_service_fragments_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_service_fragments_service_id_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_fragments')),
    sa.UniqueConstraint('service_id', 'device_id', name='uq_fragment_service_device')
    )
    with op.batch_alter_table('service_fragments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_fragments_device_id'), ['device_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_fragments_service_id'), ['service_id'], unique=False)

    op.create_table('subscriptions',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('billing_account_id', sa.String(length=64), nullable=True),
    sa.Column('offering_id', sa.String(length=64), nullable=False),
    sa.Column('monthly_price', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('order_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['billing_account_id'], ['billing_accounts.id'], name=op.f('fk_subscriptions_billing_account_id_billing_accounts')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_subscriptions_customer_id_customers')),
    sa.ForeignKeyConstraint(['offering_id'], ['product_offerings.id'], name=op.f('fk_subscriptions_offering_id_product_offerings')),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_subscriptions_service_id_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', name=op.f('pk_subscriptions'))
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscriptions_customer_id'), ['customer_id'], unique=False)

    op.create_table('transaction_devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transaction_id', sa.String(length=36), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('pending', 'prepared', 'committed', 'confirmed', 'discarded', 'rolled-back', 'failed', name='tx_device_state', native_enum=False, length=32), nullable=False),
    sa.Column('driver', sa.String(length=32), nullable=False),
    sa.Column('format', sa.String(length=16), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('fragment_before', sa.Text(), nullable=False),
    sa.Column('fragment_after', sa.Text(), nullable=False),
    sa.Column('pre_config', sa.Text(), nullable=True),
    sa.Column('post_config', sa.Text(), nullable=True),
    sa.Column('diff', sa.Text(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_transaction_devices_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['transaction_id'], ['transactions.id'], name=op.f('fk_transaction_devices_transaction_id_transactions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transaction_devices')),
    sa.UniqueConstraint('transaction_id', 'device_id', name='uq_tx_device')
    )
    with op.batch_alter_table('transaction_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transaction_devices_device_id'), ['device_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transaction_devices_transaction_id'), ['transaction_id'], unique=False)

    op.create_table('transaction_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transaction_id', sa.String(length=36), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('device', sa.String(length=128), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['transaction_id'], ['transactions.id'], name=op.f('fk_transaction_log_transaction_id_transactions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transaction_log'))
    )
    with op.batch_alter_table('transaction_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transaction_log_transaction_id'), ['transaction_id'], unique=False)

    op.create_table('product_order_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('item_id', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('offering_id', sa.String(length=64), nullable=True),
    sa.Column('product_id', sa.String(length=128), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('state', sa.Enum('acknowledged', 'rejected', 'pending', 'held', 'inProgress', 'cancelled', 'completed', 'failed', 'partial', 'assessingCancellation', 'pendingCancellation', name='order_item_state', native_enum=False, length=32), nullable=False),
    sa.Column('transaction_id', sa.String(length=36), nullable=True),
    sa.Column('rollback_transaction_id', sa.String(length=36), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('verify_deadline', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['offering_id'], ['product_offerings.id'], name=op.f('fk_product_order_items_offering_id_product_offerings')),
    sa.ForeignKeyConstraint(['order_id'], ['product_orders.id'], name=op.f('fk_product_order_items_order_id_product_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_order_items')),
    sa.UniqueConstraint('order_id', 'item_id', name='uq_order_item')
    )
    with op.batch_alter_table('product_order_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_order_items_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_order_items_transaction_id'), ['transaction_id'], unique=False)

    


def downgrade() -> None:
    
    with op.batch_alter_table('product_order_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_order_items_transaction_id'))
        batch_op.drop_index(batch_op.f('ix_product_order_items_order_id'))

    op.drop_table('product_order_items')
    with op.batch_alter_table('transaction_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transaction_log_transaction_id'))

    op.drop_table('transaction_log')
    with op.batch_alter_table('transaction_devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transaction_devices_transaction_id'))
        batch_op.drop_index(batch_op.f('ix_transaction_devices_device_id'))

    op.drop_table('transaction_devices')
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscriptions_customer_id'))

    op.drop_table('subscriptions')
    with op.batch_alter_table('service_fragments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_fragments_service_id'))
        batch_op.drop_index(batch_op.f('ix_service_fragments_device_id'))

    op.drop_table('service_fragments')
    with op.batch_alter_table('product_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_product_orders_state')

    op.drop_table('product_orders')
    op.drop_table('customer_messages')
    with op.batch_alter_table('credits', schema=None) as batch_op:
        batch_op.drop_index('ix_credits_month')

    op.drop_table('credits')
    with op.batch_alter_table('config_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_config_versions_device_time')

    op.drop_table('config_versions')
    op.drop_table('config_access')
    with op.batch_alter_table('transactions', schema=None) as batch_op:
        batch_op.drop_index('ix_transactions_state')

    op.drop_table('transactions')
    with op.batch_alter_table('service_problems', schema=None) as batch_op:
        batch_op.drop_index('ix_service_problems_open')

    op.drop_table('service_problems')
    op.drop_table('service_instances')
    op.drop_table('product_offerings')
    with op.batch_alter_table('customer_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_contacts_customer_id'))

    op.drop_table('customer_contacts')
    with op.batch_alter_table('billing_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_accounts_customer_id'))

    op.drop_table('billing_accounts')
    op.drop_table('slas')
    op.drop_table('customers')
    
