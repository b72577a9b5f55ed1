"""Unscored reviews (issue 7): the table of trained verdict text models, versioned.

One row per saved model: name and version (unique together), when, how many labelled
examples, the held-out metrics, and the model itself as gzip-compressed JSON (vocabulary and
weights; aggregator.db.verdict_models), never a pickle. A new table: nothing existing is touched.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "verdict_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trained_on", sa.Integer(), nullable=False),
        sa.Column("metrics", JSON, nullable=True),
        sa.Column("format", sa.String(length=64), nullable=False),
        sa.Column("model", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verdict_models")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_verdict_models_name_version")),
    )


def downgrade() -> None:
    op.drop_table("verdict_models")
