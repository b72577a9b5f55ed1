"""Critic and film identity: critic profiles and aliases, film external ids, unresolved films.

A critic's name is no longer unique: namesakes on two outlets are two people unless evidence
joins them (aggregator.identity.critic_identity). Existing critics are split accordingly, one row per
outlet they wrote for (0001 had no evidence to join them with), each with an alias; reviews
get `authors_raw` (kept so that renormalise sees each author's profile URLs),
`film_unresolved`, `film_key` and `film_link_manual`.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


@contextmanager
def _critics_rebuilt():
    """Batch-alter `critics` (SQLite copies the table), keeping every row, id and link.

    SQLite's copy drops the old table, and with foreign keys enforced (they cannot be turned
    off inside the upgrade's transaction) that would orphan review_critics' rows and fail.
    So the links are parked in a temporary table while the table is rebuilt, and put back.
    """
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TEMPORARY TABLE _review_critics_0002 AS SELECT * FROM review_critics")
        op.execute("DELETE FROM review_critics")
    with op.batch_alter_table("critics") as batch:
        yield batch
    if sqlite:
        op.execute("INSERT INTO review_critics (review_id, critic_id, position)"
                   " SELECT review_id, critic_id, position FROM _review_critics_0002")
        op.execute("DROP TABLE _review_critics_0002")


def _person_key(name: str) -> str:
    from aggregator.identity.critics import person_key

    return person_key(name) or " ".join(name.casefold().split())


def _split_critics_by_outlet(bind) -> tuple[list[dict], list[tuple]]:
    """Give every critic the uid of its first outlet; return its aliases and the rows still
    to create (the critic on each other outlet), once the name may repeat."""
    critics = sa.table("critics", sa.column("id"), sa.column("uid"))
    outlets_of: dict[int, list[tuple[str, int]]] = {}
    rows = bind.execute(sa.text(
        "SELECT DISTINCT rc.critic_id, p.key, p.id FROM review_critics rc"
        " JOIN reviews r ON r.id = rc.review_id JOIN publications p ON p.id = r.publication_id"
    ))
    for critic_id, outlet, publication_id in rows:
        outlets_of.setdefault(critic_id, []).append((outlet, publication_id))
    taken: set[str] = set()
    aliases: list[dict] = []
    splits: list[tuple] = []

    def uid_for(person: str, outlet: str, critic_id: int) -> str:
        uid = f"n:{person}@{outlet}"
        if uid in taken:  # two 0001 keys with one person key: kept apart, not guessed
            uid = f"{uid}#{critic_id}"
        taken.add(uid)
        return uid

    for critic_id, name, key in bind.execute(sa.text(
            "SELECT id, name, key FROM critics ORDER BY id")).all():
        person = _person_key(name)
        outlets = sorted(outlets_of.get(critic_id, [])) or [("", None)]
        first, *others = outlets
        bind.execute(critics.update().where(critics.c.id == critic_id)
                     .values(uid=uid_for(person, first[0], critic_id)))
        aliases.append({"critic_id": critic_id, "spelling": name, "person_key": person,
                        "outlet": first[0]})
        for outlet, publication_id in others:
            splits.append((critic_id, name, key, person, outlet, publication_id,
                           uid_for(person, outlet, critic_id)))
    return aliases, splits


def _create_splits(bind, splits: list[tuple], aliases: list[dict]) -> None:
    critics = sa.table("critics", sa.column("id"), sa.column("name"), sa.column("key"),
                       sa.column("uid"))
    for critic_id, name, key, person, outlet, publication_id, uid in splits:
        new_id = bind.execute(
            critics.insert().values(name=name, key=key, uid=uid).returning(critics.c.id)
        ).scalar_one()
        bind.execute(sa.text(
            "UPDATE review_critics SET critic_id = :new WHERE critic_id = :old AND review_id"
            " IN (SELECT id FROM reviews WHERE publication_id = :publication)"
        ), {"new": new_id, "old": critic_id, "publication": publication_id})
        aliases.append({"critic_id": new_id, "spelling": name, "person_key": person,
                        "outlet": outlet})


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column("critics", sa.Column("uid", sa.Text(), nullable=True))
    aliases, splits = _split_critics_by_outlet(bind)
    # Before the tables that cascade from critics exist (a rebuild must not empty them).
    with _critics_rebuilt() as batch:
        batch.drop_constraint("uq_critics_key", type_="unique")
        batch.alter_column("uid", existing_type=sa.Text(), nullable=False)
        batch.create_unique_constraint(op.f("uq_critics_uid"), ["uid"])
    op.create_index(op.f("ix_critics_key"), "critics", ["key"], unique=False)
    _create_splits(bind, splits, aliases)

    op.create_table(
        "critic_profiles",
        sa.Column("profile_key", sa.Text(), nullable=False),
        sa.Column("critic_id", sa.Integer(), nullable=False),
        sa.Column("outlet", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["critic_id"], ["critics.id"],
                                name=op.f("fk_critic_profiles_critic_id_critics"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("profile_key", name=op.f("pk_critic_profiles")),
    )
    op.create_index(op.f("ix_critic_profiles_critic_id"), "critic_profiles", ["critic_id"])
    aliases_table = op.create_table(
        "critic_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("critic_id", sa.Integer(), nullable=False),
        sa.Column("spelling", sa.Text(), nullable=False),
        sa.Column("person_key", sa.Text(), nullable=False),
        sa.Column("outlet", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["critic_id"], ["critics.id"],
                                name=op.f("fk_critic_aliases_critic_id_critics"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_critic_aliases")),
        sa.UniqueConstraint("critic_id", "spelling", "outlet",
                            name=op.f("uq_critic_aliases_critic_id_spelling_outlet")),
    )
    op.create_index(op.f("ix_critic_aliases_critic_id"), "critic_aliases", ["critic_id"])
    op.create_index(op.f("ix_critic_aliases_person_key"), "critic_aliases", ["person_key"])
    if aliases:
        op.bulk_insert(aliases_table, aliases)

    op.create_table(
        "film_external_ids",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("film_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["film_id"], ["films.id"],
                                name=op.f("fk_film_external_ids_film_id_films"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("kind", "value", name=op.f("pk_film_external_ids")),
    )
    op.create_index(op.f("ix_film_external_ids_film_id"), "film_external_ids", ["film_id"])

    # Plain ADD COLUMN on both backends: rebuilding `reviews` would cascade-delete its links.
    op.add_column("reviews", sa.Column("authors_raw", JSON, nullable=True))
    op.add_column("reviews", sa.Column("film_unresolved", sa.String(length=32), nullable=True))
    op.add_column("reviews", sa.Column("film_key", sa.Text(), nullable=True))
    op.add_column("reviews", sa.Column("film_link_manual", sa.Boolean(), nullable=False,
                                       server_default=sa.false()))
    op.execute("UPDATE reviews SET film_key = (SELECT key FROM films WHERE films.id = reviews.film_id)"
               " WHERE film_id IS NOT NULL")


def downgrade() -> None:
    bind = op.get_bind()
    for column in ("film_link_manual", "film_key", "film_unresolved", "authors_raw"):
        # SQLite >= 3.35 drops a plain column in place (no rebuild, no cascade).
        op.execute(f"ALTER TABLE reviews DROP COLUMN {column}")
    op.drop_table("film_external_ids")
    op.drop_table("critic_aliases")
    op.drop_table("critic_profiles")
    # 0001 allows one critic per key: namesakes are joined back into the lowest id.
    rows = bind.execute(sa.text("SELECT id, key FROM critics ORDER BY id")).all()
    keep: dict[str, int] = {}
    for critic_id, key in rows:
        if key not in keep:
            keep[key] = critic_id
            continue
        target = keep[key]
        bind.execute(sa.text(
            "DELETE FROM review_critics WHERE critic_id = :old AND review_id IN"
            " (SELECT review_id FROM review_critics WHERE critic_id = :new)"
        ), {"old": critic_id, "new": target})
        bind.execute(sa.text("UPDATE review_critics SET critic_id = :new WHERE critic_id = :old"),
                     {"old": critic_id, "new": target})
        bind.execute(sa.text("DELETE FROM critics WHERE id = :old"), {"old": critic_id})
    op.drop_index(op.f("ix_critics_key"), table_name="critics")
    with _critics_rebuilt() as batch:
        batch.drop_constraint(op.f("uq_critics_uid"), type_="unique")
        batch.drop_column("uid")
        batch.create_unique_constraint(op.f("uq_critics_key"), ["key"])
