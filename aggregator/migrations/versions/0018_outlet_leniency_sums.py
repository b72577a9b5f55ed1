"""Each outlet's leniency-table sums kept, one row per outlet (issue 17).

`outlet_leniency_sums`: an outlet's reviews of each film against the film's other reviews,
leave-one-out, summed over its films (aggregator.db.outlet_leniency_sums, which keeps them as the
store changes films). `aggregator outlets` summed the 800,000 (outlet, film) pairs of a 1M-review
store at each question: 1.2 s on SQLite; it reads 300 rows now. Filled here from the kept pairs
by the store's own statement, so that the filling and the keeping count alike.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the columns as of this revision, written out: a migration keeps its own schema (the filling
# reads the store's statement, which selects them by name)
COUNTS = ("with_film", "called", "called_inferred", "lenient_n", "lenient_inferred", "lenient_films",
          "lenient_base", "lenient_base_inferred", "ties", "agree", "agree_n", "agree_inferred", "agree_films",
          "agree_base", "agree_base_inferred")
FLOATS = ("expected", "lenient_sum", "lenient_squares")


def upgrade() -> None:
    from aggregator.db.outlet_leniency_sums import insert_every_outlet

    op.create_table(
        "outlet_leniency_sums",
        sa.Column("publication_id", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        *(sa.Column(name, sa.Float(), nullable=False) for name in FLOATS),
        sa.ForeignKeyConstraint(["publication_id"], ["publications.id"],
                                name=op.f("fk_outlet_leniency_sums_publication_id_publications")),
        sa.PrimaryKeyConstraint("publication_id", name=op.f("pk_outlet_leniency_sums")),
    )
    op.execute(insert_every_outlet())


def downgrade() -> None:
    op.drop_table("outlet_leniency_sums")
