"""documents and signatures

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 11:51:51.094054
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('doc_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('deployed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deployed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['deployed_by_id'], ['users.id'], name=op.f('fk_doc_templates_deployed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_doc_templates')),
    sa.UniqueConstraint('sha256', name=op.f('uq_doc_templates_sha256'))
    )
    with op.batch_alter_table('doc_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_doc_templates_kind'), ['kind'], unique=False)

    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('route_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('issued_sha256', sa.String(length=64), nullable=True),
    sa.Column('issued', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['route_id'], ['routes.id'], name=op.f('fk_documents_route_id_routes')),
    sa.ForeignKeyConstraint(['template_id'], ['doc_templates.id'], name=op.f('fk_documents_template_id_doc_templates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('route_id', 'kind', 'version', name='uq_documents_version')
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_content_sha256'), ['content_sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_issued_sha256'), ['issued_sha256'], unique=False)
        batch_op.create_index('ix_documents_route_kind', ['route_id', 'kind', 'state'], unique=False)

    op.create_table('signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('signer_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('user_agent', sa.String(length=400), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_signatures_document_id_documents')),
    sa.ForeignKeyConstraint(['signer_id'], ['users.id'], name=op.f('fk_signatures_signer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signatures')),
    sa.UniqueConstraint('document_id', 'signer_id', 'action', name='uq_signatures_once')
    )
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signatures_document_id'), ['document_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signatures_document_id'))

    op.drop_table('signatures')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index('ix_documents_route_kind')
        batch_op.drop_index(batch_op.f('ix_documents_issued_sha256'))
        batch_op.drop_index(batch_op.f('ix_documents_content_sha256'))

    op.drop_table('documents')
    with op.batch_alter_table('doc_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_doc_templates_kind'))

    op.drop_table('doc_templates')

