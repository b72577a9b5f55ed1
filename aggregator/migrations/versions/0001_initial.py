"""Initial schema: publications, critics, films, reviews (+ critics link, revisions), crawl runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the model types: a migration must not change when the models do.
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("spider", sa.Text(), nullable=False),
        sa.Column("args", JSON, nullable=True),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.Column("finish_reason", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("items_scraped", sa.Integer(), nullable=False),
        sa.Column("reviews_new", sa.Integer(), nullable=False),
        sa.Column("reviews_updated", sa.Integer(), nullable=False),
        sa.Column("reviews_unchanged", sa.Integer(), nullable=False),
        sa.Column("dropped", JSON, nullable=True),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IS NULL OR status IN ('running', 'ok', 'empty', 'failed')",
            name=op.f("ck_crawl_runs_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_runs")),
    )
    op.create_table(
        "critics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_critics")),
        sa.UniqueConstraint("key", name=op.f("uq_critics_key")),
    )
    op.create_table(
        "films",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("uid", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_films")),
        sa.UniqueConstraint("uid", name=op.f("uq_films_uid")),
    )
    op.create_index(op.f("ix_films_key"), "films", ["key"], unique=False)
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("domain", sa.Text(), nullable=True),
        sa.Column("country", sa.String(length=8), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("scale", sa.String(length=32), nullable=True),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publications")),
        sa.UniqueConstraint("key", name=op.f("uq_publications_key")),
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("page_url", sa.Text(), nullable=True),
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("film_id", sa.Integer(), nullable=True),
        sa.Column("spider", sa.Text(), nullable=True),
        sa.Column("publication_raw", sa.Text(), nullable=True),
        sa.Column("critic_raw", JSON, nullable=True),
        sa.Column("critic_urls", JSON, nullable=True),
        sa.Column("film_raw", sa.Text(), nullable=True),
        sa.Column("film_year_raw", sa.Text(), nullable=True),
        sa.Column("film_ids_raw", JSON, nullable=True),
        sa.Column("rating_raw", sa.Text(), nullable=True),
        sa.Column("rating_parts", JSON, nullable=True),
        sa.Column("label_raw", sa.Text(), nullable=True),
        sa.Column("published_raw", sa.Text(), nullable=True),
        sa.Column("headline", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("source_format", sa.String(length=32), nullable=True),
        sa.Column("rating_value", sa.Float(), nullable=True),
        sa.Column("rating_best", sa.Float(), nullable=True),
        sa.Column("rating_worst", sa.Float(), nullable=True),
        sa.Column("scale", sa.String(length=32), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("verdict", sa.String(length=16), nullable=True),
        sa.Column("fresh", sa.Boolean(), nullable=True),
        sa.Column("verdict_source", sa.String(length=16), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen", TIMESTAMP, nullable=False),
        sa.Column("last_seen", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "verdict IS NULL OR verdict IN ('positive', 'mixed', 'negative')",
            name=op.f("ck_reviews_verdict"),
        ),
        sa.CheckConstraint(
            "verdict_source IS NULL OR verdict_source IN "
            "('rating', 'text', 'label', 'inferred', 'manual')",
            name=op.f("ck_reviews_verdict_source"),
        ),
        sa.CheckConstraint(
            "score IS NULL OR (score >= 0 AND score <= 100)", name=op.f("ck_reviews_score_range")
        ),
        sa.ForeignKeyConstraint(["film_id"], ["films.id"], name=op.f("fk_reviews_film_id_films")),
        sa.ForeignKeyConstraint(
            ["last_run_id"],
            ["crawl_runs.id"],
            name=op.f("fk_reviews_last_run_id_crawl_runs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["publications.id"],
            name=op.f("fk_reviews_publication_id_publications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("url", name=op.f("uq_reviews_url")),
    )
    op.create_index(op.f("ix_reviews_film_id"), "reviews", ["film_id"], unique=False)
    op.create_index(op.f("ix_reviews_publication_id"), "reviews", ["publication_id"], unique=False)
    op.create_index("ix_reviews_published", "reviews", ["published"], unique=False)
    op.create_table(
        "review_critics",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("critic_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["critic_id"], ["critics.id"], name=op.f("fk_review_critics_critic_id_critics")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_review_critics_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("review_id", "critic_id", name=op.f("pk_review_critics")),
    )
    op.create_index(
        op.f("ix_review_critics_critic_id"), "review_critics", ["critic_id"], unique=False
    )
    op.create_table(
        "review_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("replaced_at", TIMESTAMP, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("rating_raw", sa.Text(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("verdict", sa.String(length=16), nullable=True),
        sa.Column("headline", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_review_revisions_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["crawl_runs.id"],
            name=op.f("fk_review_revisions_run_id_crawl_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_revisions")),
    )
    op.create_index(
        op.f("ix_review_revisions_review_id"), "review_revisions", ["review_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("review_revisions")
    op.drop_table("review_critics")
    op.drop_table("reviews")
    op.drop_table("publications")
    op.drop_table("films")
    op.drop_table("critics")
    op.drop_table("crawl_runs")
