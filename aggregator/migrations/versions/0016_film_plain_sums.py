"""Each film's plain totals kept beside its figures; an outlet's reviews read from one index (issue 17).

- `film_aggregates.all_*`: every review of the film, each call as given (no critic counted once,
  no probability): the totals a critic's or an outlet's leave-one-out consensus subtracts its
  own reviews from (aggregator.query.critic_profile, aggregator.query.outlet_*), kept by the
  store as the figures are (aggregator.db.film_aggregates). Filled here from the reviews.
- `outlet_film_sums`: one outlet's reviews of one film as sums (count, scores and their squares,
  calls, fresh, inferred, expected fresh): the leniency table's input, kept with the film's
  aggregates (aggregator.db.film_aggregates). Filled here.
- `ix_reviews_publication_scale` widened from (publication_id, scale) to every column an
  outlet's figures read (aggregator.db.models.OUTLET_FIGURE_COLUMNS): an outlet's profile and
  the leniency table read the index, not 3,000 rows' text per outlet.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = ("all_calls", "all_fresh", "all_calls_inferred", "all_scored", "all_scored_inferred")
SUMS = ("all_score_sum",)
NARROW = ["publication_id", "scale"]
WIDE = [*NARROW, "film_id", "published", "score", "fresh", "verdict_source", "confidence", "id"]
FILL = """
UPDATE film_aggregates SET (all_calls, all_fresh, all_calls_inferred, all_scored, all_score_sum,
                            all_scored_inferred) = (
    SELECT count(r.fresh),
           coalesce(sum(CASE WHEN r.fresh THEN 1 ELSE 0 END), 0),
           coalesce(sum(CASE WHEN r.fresh IS NOT NULL AND r.verdict_source = 'inferred' THEN 1 ELSE 0 END), 0),
           count(r.score), coalesce(sum(r.score), 0.0),
           coalesce(sum(CASE WHEN r.score IS NOT NULL AND r.verdict_source = 'inferred' THEN 1 ELSE 0 END), 0)
    FROM reviews r WHERE r.film_id = film_aggregates.film_id)
"""


OUTLET_COUNTS = ("reviews", "scored", "scored_inferred", "calls", "fresh", "calls_inferred")
OUTLET_FLOATS = ("score_sum", "score_squares", "expected_fresh")
OUTLET_FILL = """
INSERT INTO outlet_film_sums (publication_id, film_id, reviews, scored, score_sum, score_squares, scored_inferred,
                              calls, fresh, calls_inferred, expected_fresh)
SELECT publication_id, film_id, count(*), count(score), coalesce(sum(score), 0.0), coalesce(sum(score * score), 0.0),
       count(CASE WHEN verdict_source = 'inferred' THEN score END), count(fresh),
       coalesce(sum(CASE WHEN fresh THEN 1 ELSE 0 END), 0),
       count(CASE WHEN verdict_source = 'inferred' THEN fresh END),
       coalesce(sum(CASE WHEN fresh IS NULL THEN NULL
                         WHEN verdict_source = 'inferred' AND confidence IS NOT NULL
                              THEN CASE WHEN fresh THEN confidence ELSE 1.0 - confidence END
                         WHEN fresh THEN 1.0 ELSE 0.0 END), 0.0)
FROM reviews WHERE film_id IS NOT NULL GROUP BY publication_id, film_id
"""


def upgrade() -> None:
    with op.batch_alter_table("film_aggregates") as batch:
        for name in COUNTS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
        for name in SUMS:
            batch.add_column(sa.Column(name, sa.Float(), nullable=False, server_default="0"))
    op.execute(FILL)
    with op.batch_alter_table("film_aggregates") as batch:  # the store writes every column
        for name in COUNTS + SUMS:
            batch.alter_column(name, server_default=None)
    op.drop_index("ix_reviews_publication_scale", table_name="reviews")
    op.create_index("ix_reviews_publication_scale", "reviews", WIDE)
    op.create_table(
        "outlet_film_sums",
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("film_id", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in OUTLET_COUNTS),
        *(sa.Column(name, sa.Float(), nullable=False) for name in OUTLET_FLOATS),
        sa.ForeignKeyConstraint(["film_id"], ["films.id"], name=op.f("fk_outlet_film_sums_film_id_films")),
        sa.ForeignKeyConstraint(["publication_id"], ["publications.id"],
                                name=op.f("fk_outlet_film_sums_publication_id_publications")),
        sa.PrimaryKeyConstraint("publication_id", "film_id", name=op.f("pk_outlet_film_sums")),
    )
    op.create_index("ix_outlet_film_sums_film_id", "outlet_film_sums", ["film_id"])
    op.execute(OUTLET_FILL)


def downgrade() -> None:
    op.drop_table("outlet_film_sums")
    op.drop_index("ix_reviews_publication_scale", table_name="reviews")
    op.create_index("ix_reviews_publication_scale", "reviews", NARROW)
    with op.batch_alter_table("film_aggregates") as batch:
        for name in reversed(COUNTS + SUMS):
            batch.drop_column(name)
