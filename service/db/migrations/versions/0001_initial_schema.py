"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22 11:24:56.520003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('org_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['org_units.id'], name=op.f('fk_org_units_parent_id_org_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_units'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('login', sa.String(length=100), nullable=False),
    sa.Column('full_name', sa.String(length=300), nullable=False),
    sa.Column('position', sa.String(length=300), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=True),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_units.id'], name=op.f('fk_users_org_unit_id_org_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('login', name=op.f('uq_users_login'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('role_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_units.id'], name=op.f('fk_role_grants_org_unit_id_org_units')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_role_grants_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_grants')),
    sa.UniqueConstraint('user_id', 'role', 'org_unit_id', name='uq_role_grants_scope')
    )
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.create_index('ix_role_grants_role_unit', ['role', 'org_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_role_grants_user_id'), ['user_id'], unique=False)

    op.create_table('teacher_profiles',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('info', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['org_units.id'], name=op.f('fk_teacher_profiles_school_id_org_units')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_teacher_profiles_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_teacher_profiles'))
    )
    with op.batch_alter_table('teacher_profiles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_teacher_profiles_school_id'), ['school_id'], unique=False)

    op.create_table('workflow_specs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('process_id', sa.String(length=100), nullable=False),
    sa.Column('files', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('deployed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deployed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['deployed_by_id'], ['users.id'], name=op.f('fk_workflow_specs_deployed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_specs')),
    sa.UniqueConstraint('content_hash', name=op.f('uq_workflow_specs_content_hash'))
    )
    op.create_table('routes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('teacher_id', sa.Integer(), nullable=False),
    sa.Column('tutor_id', sa.Integer(), nullable=False),
    sa.Column('methodist_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('spec_id', sa.Integer(), nullable=False),
    sa.Column('previous_route_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('stage', sa.String(length=32), nullable=False),
    sa.Column('card', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['centre_id'], ['org_units.id'], name=op.f('fk_routes_centre_id_org_units')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_routes_created_by_id_users')),
    sa.ForeignKeyConstraint(['methodist_id'], ['users.id'], name=op.f('fk_routes_methodist_id_users')),
    sa.ForeignKeyConstraint(['previous_route_id'], ['routes.id'], name=op.f('fk_routes_previous_route_id_routes')),
    sa.ForeignKeyConstraint(['school_id'], ['org_units.id'], name=op.f('fk_routes_school_id_org_units')),
    sa.ForeignKeyConstraint(['spec_id'], ['workflow_specs.id'], name=op.f('fk_routes_spec_id_workflow_specs')),
    sa.ForeignKeyConstraint(['teacher_id'], ['users.id'], name=op.f('fk_routes_teacher_id_users')),
    sa.ForeignKeyConstraint(['tutor_id'], ['users.id'], name=op.f('fk_routes_tutor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routes'))
    )
    with op.batch_alter_table('routes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_routes_centre_id'), ['centre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_routes_methodist_id'), ['methodist_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_routes_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_routes_stage'), ['stage'], unique=False)
        batch_op.create_index(batch_op.f('ix_routes_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_routes_teacher_id'), ['teacher_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_routes_tutor_id'), ['tutor_id'], unique=False)

    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('route_id', sa.Integer(), nullable=True),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('on_behalf_of_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('task_name', sa.String(length=100), nullable=True),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_events_actor_id_users')),
    sa.ForeignKeyConstraint(['on_behalf_of_id'], ['users.id'], name=op.f('fk_events_on_behalf_of_id_users')),
    sa.ForeignKeyConstraint(['route_id'], ['routes.id'], name=op.f('fk_events_route_id_routes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('route_id', 'seq', name='uq_events_route_seq')
    )
    op.create_table('route_states',
    sa.Column('route_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['route_id'], ['routes.id'], name=op.f('fk_route_states_route_id_routes')),
    sa.PrimaryKeyConstraint('route_id', name=op.f('pk_route_states'))
    )
    op.create_table('tasks',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('route_id', sa.Integer(), nullable=False),
    sa.Column('engine_task_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('form', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('stage', sa.String(length=32), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_tasks_assignee_id_users')),
    sa.ForeignKeyConstraint(['centre_id'], ['org_units.id'], name=op.f('fk_tasks_centre_id_org_units')),
    sa.ForeignKeyConstraint(['completed_by_id'], ['users.id'], name=op.f('fk_tasks_completed_by_id_users')),
    sa.ForeignKeyConstraint(['route_id'], ['routes.id'], name=op.f('fk_tasks_route_id_routes')),
    sa.ForeignKeyConstraint(['school_id'], ['org_units.id'], name=op.f('fk_tasks_school_id_org_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks'))
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index('ix_tasks_assignee_queue', ['assignee_id', 'state', 'created_at'], unique=False)
        batch_op.create_index('ix_tasks_centre_queue', ['centre_id', 'state', 'created_at'], unique=False)
        batch_op.create_index('ix_tasks_role_queue', ['role', 'state', 'created_at'], unique=False)
        batch_op.create_index('ix_tasks_route_state', ['route_id', 'state'], unique=False)
        batch_op.create_index('ix_tasks_school_queue', ['school_id', 'state', 'created_at'], unique=False)
        batch_op.create_index('ix_tasks_state_due', ['state', 'due_at'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_state_due')
        batch_op.drop_index('ix_tasks_school_queue')
        batch_op.drop_index('ix_tasks_route_state')
        batch_op.drop_index('ix_tasks_role_queue')
        batch_op.drop_index('ix_tasks_centre_queue')
        batch_op.drop_index('ix_tasks_assignee_queue')

    op.drop_table('tasks')
    op.drop_table('route_states')
    op.drop_table('events')
    with op.batch_alter_table('routes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_routes_tutor_id'))
        batch_op.drop_index(batch_op.f('ix_routes_teacher_id'))
        batch_op.drop_index(batch_op.f('ix_routes_status'))
        batch_op.drop_index(batch_op.f('ix_routes_stage'))
        batch_op.drop_index(batch_op.f('ix_routes_school_id'))
        batch_op.drop_index(batch_op.f('ix_routes_methodist_id'))
        batch_op.drop_index(batch_op.f('ix_routes_centre_id'))

    op.drop_table('routes')
    op.drop_table('workflow_specs')
    with op.batch_alter_table('teacher_profiles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_teacher_profiles_school_id'))

    op.drop_table('teacher_profiles')
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_grants_user_id'))
        batch_op.drop_index('ix_role_grants_role_unit')

    op.drop_table('role_grants')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('org_units')

