"""PDF copies of document versions, converted once

Every download of a document's PDF started a fresh LibreOffice (2.8–4.3 s each, no limit on how
many at once). A version's bytes never change, so its PDF is now kept under the SHA-256 of the
.docx and served from here (`service.services.pdfs`).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pdf_cache",
        sa.Column("docx_sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("docx_sha256", name=op.f("pk_pdf_cache")),
    )


def downgrade() -> None:
    op.drop_table("pdf_cache")
