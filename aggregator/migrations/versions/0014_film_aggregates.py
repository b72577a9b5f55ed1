"""Each film's figures kept as sums (issue 17).

- `film_aggregates`: one row per film with counted reviews: the sums the leaderboards rank by
  and the critic and outlet comparisons take a film's consensus from, kept by the store in the
  transaction that changes the film's reviews (aggregator.db.film_aggregates). Filled here from
  the stored reviews, counted as the code of this revision counts them (the SQL below is that
  count written out, so that this migration does not change when the code's does).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = ("reviews", "called", "called_inferred", "scored", "scored_inferred")
SUMS = ("expected_fresh", "score_sum", "weight_sum", "weighted_sum")
# Each critic once per film (no earlier-stored review of the film by one of the review's
# critics), an inferred call by its probability of fresh, a top critic weighing 2 × the outlet.
FILL = """
INSERT INTO film_aggregates (film_id, reviews, called, expected_fresh, called_inferred, scored,
                             score_sum, scored_inferred, weight_sum, weighted_sum)
SELECT r.film_id, count(r.id), count(r.fresh),
       coalesce(sum(CASE WHEN r.fresh IS NULL THEN NULL
                         WHEN r.verdict_source = 'inferred' AND r.confidence IS NOT NULL
                              THEN CASE WHEN r.fresh THEN r.confidence ELSE 1.0 - r.confidence END
                         WHEN r.fresh THEN 1.0 ELSE 0.0 END), 0.0),
       coalesce(sum(CASE WHEN r.fresh IS NOT NULL AND r.verdict_source = 'inferred' THEN 1 ELSE 0 END), 0),
       count(r.score), coalesce(sum(r.score), 0.0),
       coalesce(sum(CASE WHEN r.score IS NOT NULL AND r.verdict_source = 'inferred' THEN 1 ELSE 0 END), 0),
       coalesce(sum(CASE WHEN r.score IS NOT NULL
                         THEN p.weight * CASE WHEN r.top_critic THEN 2.0 ELSE 1.0 END END), 0.0),
       coalesce(sum(CASE WHEN r.score IS NOT NULL
                         THEN p.weight * CASE WHEN r.top_critic THEN 2.0 ELSE 1.0 END * r.score END), 0.0)
FROM reviews r JOIN publications p ON p.id = r.publication_id
WHERE r.film_id IS NOT NULL AND r.id NOT IN (
    SELECT review_id FROM (
        SELECT link.review_id, row_number() OVER (PARTITION BY link.critic_id, f.film_id ORDER BY f.id) AS nth
        FROM review_critics link JOIN reviews f ON f.id = link.review_id
        WHERE f.film_id IS NOT NULL) numbered
    WHERE nth > 1)
GROUP BY r.film_id
"""


def upgrade() -> None:
    op.create_table(
        "film_aggregates",
        sa.Column("film_id", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        *(sa.Column(name, sa.Float(), nullable=False) for name in SUMS),
        sa.ForeignKeyConstraint(["film_id"], ["films.id"], name=op.f("fk_film_aggregates_film_id_films")),
        sa.PrimaryKeyConstraint("film_id", name=op.f("pk_film_aggregates")),
    )
    op.execute(FILL)


def downgrade() -> None:
    op.drop_table("film_aggregates")
