"""the signer's name as it was at signing

The signature sheet of an issued document used to take the signer's name from `users`, so a
later change of name (after a marriage, say) changed what re-rendering the document gives.
Signatures now keep the name they were given with; rows written before take the current one.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("signatures") as batch:
        batch.add_column(sa.Column("signer_name", sa.String(length=300), nullable=False, server_default=""))
    op.execute("UPDATE signatures SET signer_name = "
               "(SELECT full_name FROM users WHERE users.id = signatures.signer_id)")


def downgrade() -> None:
    with op.batch_alter_table("signatures") as batch:
        batch.drop_column("signer_name")
