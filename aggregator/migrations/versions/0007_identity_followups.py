"""Identity follow-ups (issue 4): how each review's film was chosen.

`reviews.film_match` records the rule that linked a review to its film
(aggregator.db.film_store.MATCH_RULES), so that an undated review joined to the only dated
film of its title is chosen again when a second film of that title arrives. A plain ADD
COLUMN on both backends (rebuilding `reviews` would cascade-delete its links); existing
reviews keep NULL (how they were linked is not known, so they are never moved), except the
ones a person linked, which become "manual".

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("reviews", sa.Column("film_match", sa.String(length=16), nullable=True))
    op.execute("UPDATE reviews SET film_match = 'manual' WHERE film_link_manual")


def downgrade() -> None:
    # SQLite >= 3.35 drops a plain column in place (no rebuild, no cascade).
    op.execute("ALTER TABLE reviews DROP COLUMN film_match")
