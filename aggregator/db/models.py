"""The stored review record and what it points to, portable across SQLite and PostgreSQL.

Each review keeps the RAW values the page gave next to the NORMALISED values the pipelines
made of them, so a better normaliser can be re-run without a re-crawl. The canonical URL is a
review's identity: re-crawls update the row in place (see `aggregator.db.upsert`).

The schema itself is created by the Alembic migrations in `aggregator/migrations/`; these
models must stay in step with them (tests/test_db.py compares the two).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from aggregator.identity.critics import critic_key  # noqa: F401  (importable from here)
from aggregator.identity.films import film_key
from aggregator.items import RUN_STATUSES, VERDICT_SOURCES, VERDICTS  # noqa: F401

# Deterministic constraint names, so later migrations (and SQLite batch mode) can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on both backends.

    SQLite has no timezone type and hands back naive values; this stores UTC and always
    returns an aware datetime, so code and exports never mix naive and aware times.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store timezone-aware UTC times")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class PortableJSON(TypeDecorator[Any]):
    """JSONB on PostgreSQL (indexable, compact); plain JSON text elsewhere.

    Chosen when a dialect first uses the type, so that a process on SQLite never imports the
    PostgreSQL dialect (`JSON().with_variant(JSONB(), ...)` needs JSONB at import: some 7% of
    `aggregator film show`, issue 16). The same columns and values as that variant, which is
    what a migration writes for such a column (as 0001 does), not this class.
    """

    impl = JSON
    cache_ok = True
    # What JSON() says and a TypeDecorator does not take from its impl: Python None is stored
    # as JSON null (none_as_null=False), and values are lists and dicts (unhashable).
    should_evaluate_none = True
    hashable = False

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


JSONType = PortableJSON()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IS NULL OR {column} IN ({quoted})"


# --- identity keys: how rows are matched, kept apart from the display values -----------------
# critic_key and film_key are the identity rules (aggregator.identity); the store matches on them.


def film_key_of(title: str) -> str:
    """The film key of `title` (aggregator.identity.films.film_key, the one rule the film
    pipeline also uses), "" for a title with no letter or digit."""
    try:
        return film_key(title) or ""
    except ValueError:
        return ""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        date: Date(),
        dict[str, Any]: JSONType,
        list[str]: JSONType,
    }


class Publication(Base):
    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    """Registry key (aggregator/identity/publications.toml)."""
    name: Mapped[str] = mapped_column(Text)
    domain: Mapped[str | None] = mapped_column(Text)
    """The first of the registry's domains."""
    country: Mapped[str | None] = mapped_column(String(8))
    language: Mapped[str | None] = mapped_column(String(16))
    scale: Mapped[str | None] = mapped_column(String(32))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    provisional: Mapped[bool] = mapped_column(default=False)
    """True for an outlet met in a crawl but not (yet) described by the registry."""


class Critic(Base):
    """One person. Namesakes are separate rows unless evidence joins them (see
    aggregator.identity.critic_identity and `aggregator.db.upsert.get_critic_ids`), so neither the
    name nor its key is unique: `uid` is, and only serves to let concurrent writers that
    create the same critic meet on one row."""

    __tablename__ = "critics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    """Display name: the preferred spelling among the critic's aliases."""
    key: Mapped[str] = mapped_column(Text, index=True)
    """`critic_key` of the display name (what learnt habits are grouped by); not unique."""
    uid: Mapped[str] = mapped_column(Text, unique=True)
    """How the row was first created: "p:<profile key>" (a critic known by a profile page)
    or "n:<person key>@<outlet key>" (a byline without a profile, on one outlet)."""


class CriticProfile(Base):
    """A critic's profile page (outlet critic page, JSON-LD author url / sameAs): the
    evidence that joins records of one person across outlets."""

    __tablename__ = "critic_profiles"

    profile_key: Mapped[str] = mapped_column(Text, primary_key=True)
    """aggregator.identity.critic_identity.profile_key of the URL."""
    critic_id: Mapped[int] = mapped_column(
        ForeignKey("critics.id", ondelete="CASCADE"), index=True
    )
    outlet: Mapped[str] = mapped_column(String(100), default="")
    """Registry key of the outlet whose page gave the profile."""


class CriticAlias(Base):
    """A spelling under which a critic was met, and on which outlet."""

    __tablename__ = "critic_aliases"
    __table_args__ = (UniqueConstraint("critic_id", "spelling", "outlet"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    critic_id: Mapped[int] = mapped_column(
        ForeignKey("critics.id", ondelete="CASCADE"), index=True
    )
    spelling: Mapped[str] = mapped_column(Text)
    person_key: Mapped[str] = mapped_column(Text, index=True)
    """aggregator.identity.critics.person_key of the spelling: how namesakes are found."""
    outlet: Mapped[str] = mapped_column(String(100), default="")
    """Registry key of the outlet ("" for critics migrated without any review)."""


class Film(Base):
    __tablename__ = "films"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    year: Mapped[int | None]
    key: Mapped[str] = mapped_column(Text, index=True)
    """Film key (aggregator.identity.film_key): case- and punctuation-insensitive title."""
    uid: Mapped[str] = mapped_column(Text, unique=True)
    """f"{key}|{year or ''}": one row per titled film per year."""

    @staticmethod
    def make_uid(key: str, year: int | None) -> str:
        return f"{key}|{year if year is not None else ''}"


class FilmExternalId(Base):
    """An external id of a film (IMDb "tt…", TMDb, Wikidata "Q…"): the strongest film key."""

    __tablename__ = "film_external_ids"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    film_id: Mapped[int] = mapped_column(ForeignKey("films.id", ondelete="CASCADE"), index=True)


class ReviewCritic(Base):
    """A review's author, in byline order; co-written reviews have several."""

    __tablename__ = "review_critics"

    review_id: Mapped[int] = mapped_column(
        ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True
    )
    critic_id: Mapped[int] = mapped_column(ForeignKey("critics.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    critic: Mapped[Critic] = relationship(lazy="joined")


class CrawlRun(Base):
    __tablename__ = "crawl_runs"
    __table_args__ = (CheckConstraint(_in("status", RUN_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    spider: Mapped[str] = mapped_column(Text)
    args: Mapped[dict[str, Any] | None]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    finish_reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="running")
    pages: Mapped[int] = mapped_column(Integer, default=0)
    items_scraped: Mapped[int] = mapped_column(Integer, default=0)
    reviews_new: Mapped[int] = mapped_column(Integer, default=0)
    reviews_updated: Mapped[int] = mapped_column(Integer, default=0)
    reviews_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    reviews_skipped: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Entries an incremental crawl left alone: older than its window (not downloaded)."""
    reviews_recovered: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Reviews the run received but had not stored when its process died, stored from its
    spool by a later run (aggregator.db.spool); they are in the new/updated/unchanged counts."""
    dropped: Mapped[dict[str, Any] | None]
    """{reason: count} of items the pipelines dropped."""
    errors: Mapped[int] = mapped_column(Integer, default=0)
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(Text)
    """The process that ran it (os.getpid(), socket.gethostname()): a later run on that host
    whose check finds it gone marks a "running" run "killed"."""


class FetchState(Base):
    """What a discovery crawl last learnt about one fetched URL (aggregator/crawl/fetch_state.py):
    the server's validators for a conditional GET and the feed's or sitemap's date."""

    __tablename__ = "fetch_state"

    url: Mapped[str] = mapped_column(Text, primary_key=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    """The Last-Modified header as the server sent it (sent back as If-Modified-Since)."""
    lastmod: Mapped[datetime | None]
    """The date the feed, sitemap or API gave for the entry when it was fetched."""
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[int] = mapped_column(Integer)
    review_url: Mapped[str | None] = mapped_column(Text)
    """The canonical URL of the review the page held when stored; None for a page without one."""


FILM_FIGURE_COLUMNS = ("film_id", "verdict_source", "fresh", "score", "verdict", "confidence", "top_critic",
                       "publication_id", "id")
"""ix_reviews_film_calls: everything a film's figures read of its reviews (a scorecard, the kept
sums, a film's consensus), read from the index and not through each row's text (migration 0015)."""

OUTLET_FIGURE_COLUMNS = ("publication_id", "scale", "film_id", "published", "score", "fresh", "verdict_source",
                         "confidence", "id")
"""ix_reviews_publication_scale: everything an outlet's figures read of its reviews (scale counts,
its profile, the leniency table), from the index (migration 0016)."""

CRITIC_READ_COLUMNS = ("id", "film_id", "fresh", "score", "verdict_source", "published", "publication_id")
"""ix_reviews_critic_reads: what a critic's profile and comparison read of each review, reached
by id from review_critics, from the index and not the row with its text (migration 0017)."""


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint(_in("verdict", VERDICTS), name="verdict"),
        CheckConstraint(_in("verdict_source", VERDICT_SOURCES), name="verdict_source"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
        Index("ix_reviews_published", "published"),
        # the reviews written since a learnt state's watermark (aggregator.db.learnt_state)
        Index("ix_reviews_updated_at", "updated_at"),
        # covering: outlets' scale counts, films' given calls and scores, read from the index
        Index("ix_reviews_publication_scale", *OUTLET_FIGURE_COLUMNS),
        Index("ix_reviews_film_calls", *FILM_FIGURE_COLUMNS),
        Index("ix_reviews_critic_reads", *CRITIC_READ_COLUMNS),
        # the stored reviews of a title left without a film (aggregator.db.film_store)
        Index("ix_reviews_film_key", "film_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    """Canonical URL: the review's identity (the unique constraint is the url index)."""
    page_url: Mapped[str | None] = mapped_column(Text)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"), index=True)
    film_id: Mapped[int | None] = mapped_column(ForeignKey("films.id"), index=True)
    film_unresolved: Mapped[str | None] = mapped_column(String(32))
    """Why the review has no film although it names one (aggregator.identity.film_identity reasons:
    "ambiguous", "id_conflict", …); None when linked or when no title was found."""
    film_key: Mapped[str | None] = mapped_column(Text)
    """The film key the review was matched under (lists the candidates of an unresolved one)."""
    film_link_manual: Mapped[bool] = mapped_column(default=False)
    """True when a person linked the film (`aggregator film link`): crawls and renormalise
    keep that link."""
    film_match: Mapped[str | None] = mapped_column(String(16))
    """How the film was chosen (aggregator.db.film_store.MATCH_RULES); "only_dated" and
    "chosen" depend on which films of the title are stored, so a new one re-runs the choice.
    None without a film, and for reviews stored before migration 0007."""
    spider: Mapped[str | None] = mapped_column(Text)

    # --- raw, as scraped ---------------------------------------------------------------
    publication_raw: Mapped[str | None] = mapped_column(Text)
    critic_raw: Mapped[list[str] | None]
    critic_urls: Mapped[list[str] | None]
    authors_raw: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    """Structured authors as given ([{"name", "urls"}]): each critic's profile evidence."""
    film_raw: Mapped[str | None] = mapped_column(Text)
    film_year_raw: Mapped[str | None] = mapped_column(Text)
    film_reason: Mapped[str | None] = mapped_column(Text)
    """Which of the page's sources agreed on the film's title ("agreed:headline+tags+url")."""
    film_ids_raw: Mapped[list[str] | None]
    standfirst_raw: Mapped[str | None] = mapped_column(Text)
    """The page's standfirst / description: where a site-account byline's real critic is named."""
    title_raw: Mapped[str | None] = mapped_column(Text)
    keywords_raw: Mapped[list[str] | None] = mapped_column(JSONType)
    rating_raw: Mapped[str | None] = mapped_column(Text)
    rating_parts: Mapped[dict[str, Any] | None]
    label_raw: Mapped[str | None] = mapped_column(Text)
    published_raw: Mapped[str | None] = mapped_column(Text)
    headline: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    source_format: Mapped[str | None] = mapped_column(String(32))

    # --- normalised --------------------------------------------------------------------
    rating_value: Mapped[float | None] = mapped_column(Float)
    rating_best: Mapped[float | None] = mapped_column(Float)
    rating_worst: Mapped[float | None] = mapped_column(Float)
    scale: Mapped[str | None] = mapped_column(String(32))
    score: Mapped[float | None] = mapped_column(Float)
    verdict: Mapped[str | None] = mapped_column(String(16))
    fresh: Mapped[bool | None]
    verdict_source: Mapped[str | None] = mapped_column(String(16))
    confidence: Mapped[float | None] = mapped_column(Float)
    published: Mapped[date | None]

    # --- seen on an aggregator's listing (Rotten Tomatoes cards; aggregator.db.listings) ----
    listed_at: Mapped[str | None] = mapped_column(Text)
    """The aggregator page (a Rotten Tomatoes film page) that listed this review."""
    top_critic: Mapped[bool | None]
    """That listing's top-critic flag."""
    critic_call: Mapped[str | None] = mapped_column(String(8))
    """The critic's own "fresh" / "rotten" call as the listing gives it: kept when the
    outlet's own page later wins for text and rating."""
    listing: Mapped[dict[str, Any] | None]
    """The listing's own values of the fields the outlet's page wins on (rating, text,
    verdict, label, date), with `hash` and the groups it `filled` in for the page."""
    listing_only: Mapped[bool] = mapped_column(default=False)
    """True while only a listing, not the outlet's own page, has been stored."""

    # --- bookkeeping -------------------------------------------------------------------
    content_hash: Mapped[str] = mapped_column(String(64))
    """Hash of the crawled raw + normalised values (not of manual edits): see upsert."""
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="SET NULL")
    )

    publication: Mapped[Publication] = relationship(lazy="joined")
    film: Mapped[Film | None] = relationship(lazy="joined")
    authors: Mapped[list[ReviewCritic]] = relationship(
        order_by=ReviewCritic.position, cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def critic_names(self) -> list[str]:
        return [link.critic.name for link in self.authors]


class ReviewRevision(Base):
    """The previous values of a review whose text, rating, film or critics a re-crawl or
    `aggregator renormalise` changed."""

    __tablename__ = "review_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(
        ForeignKey("reviews.id", ondelete="CASCADE"), index=True
    )
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))
    rating_raw: Mapped[str | None] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column(Float)
    verdict: Mapped[str | None] = mapped_column(String(16))
    headline: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    film_title: Mapped[str | None] = mapped_column(Text)
    """The film the review was of then, as title and year (copied: the film row may be gone)."""
    film_year: Mapped[int | None]
    critics: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    """The critics then, in byline order: [{"id": critic id, "name": their name then}]."""
    fresh: Mapped[bool | None]
    verdict_source: Mapped[str | None] = mapped_column(String(16))
    """The call then, with `fresh` and `confidence` (None in revisions written before 0015)."""
    confidence: Mapped[float | None] = mapped_column(Float)


class FilmAggregate(Base):
    """A film's figures as sums (issue 17): what the leaderboards rank and the critic and outlet
    comparisons take a film's consensus from, kept by the store in the transaction that changes
    the film's reviews (aggregator.db.film_aggregates). Counted as the scorecard counts: each
    critic once per film, an inferred call by its probability of fresh."""

    __tablename__ = "film_aggregates"

    film_id: Mapped[int] = mapped_column(ForeignKey("films.id"), primary_key=True)
    reviews: Mapped[int] = mapped_column(Integer)
    called: Mapped[int] = mapped_column(Integer)
    """Reviews with a fresh call."""
    expected_fresh: Mapped[float] = mapped_column(Float)
    """Fresh calls, an inferred one counted by its probability of fresh."""
    called_inferred: Mapped[int] = mapped_column(Integer)
    scored: Mapped[int] = mapped_column(Integer)
    score_sum: Mapped[float] = mapped_column(Float)
    scored_inferred: Mapped[int] = mapped_column(Integer)
    weight_sum: Mapped[float] = mapped_column(Float)
    """Of the scored reviews: the outlets' weights, a top critic's times TOP_CRITIC_FACTOR."""
    weighted_sum: Mapped[float] = mapped_column(Float)
    # every review of the film, a call as given (migration 0016): what a critic's or outlet's
    # leave-one-out consensus subtracts its own reviews from
    all_calls: Mapped[int] = mapped_column(Integer)
    all_fresh: Mapped[int] = mapped_column(Integer)
    all_calls_inferred: Mapped[int] = mapped_column(Integer)
    all_scored: Mapped[int] = mapped_column(Integer)
    all_score_sum: Mapped[float] = mapped_column(Float)
    all_scored_inferred: Mapped[int] = mapped_column(Integer)


class OutletFilmSums(Base):
    """One outlet's reviews of one film as sums (issue 17): what the leniency table compares
    with the film's other reviews (aggregator.query.outlet_leniency), kept with the film's
    aggregates by the store (aggregator.db.film_aggregates). Every review, a call as given."""

    __tablename__ = "outlet_film_sums"

    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"), primary_key=True)
    film_id: Mapped[int] = mapped_column(ForeignKey("films.id"), primary_key=True, index=True)
    reviews: Mapped[int] = mapped_column(Integer)
    scored: Mapped[int] = mapped_column(Integer)
    score_sum: Mapped[float] = mapped_column(Float)
    score_squares: Mapped[float] = mapped_column(Float)
    scored_inferred: Mapped[int] = mapped_column(Integer)
    calls: Mapped[int] = mapped_column(Integer)
    fresh: Mapped[int] = mapped_column(Integer)
    calls_inferred: Mapped[int] = mapped_column(Integer)
    expected_fresh: Mapped[float] = mapped_column(Float)
    """Fresh calls, an inferred one counted by its probability of fresh."""


class OutletLeniencySums(Base):
    """One outlet's leniency-table sums over all its films (issue 17, migration 0018): its
    outlet_film_sums rows against their films' totals, leave-one-out, summed, kept by the store
    as the films' sums change (aggregator.db.outlet_leniency_sums, which names the columns)."""

    __tablename__ = "outlet_leniency_sums"

    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"), primary_key=True)
    with_film: Mapped[int] = mapped_column(Integer)
    called: Mapped[int] = mapped_column(Integer)
    called_inferred: Mapped[int] = mapped_column(Integer)
    expected: Mapped[float] = mapped_column(Float)
    lenient_n: Mapped[int] = mapped_column(Integer)
    """Scores on films with enough other scores (the leniency's denominator)."""
    lenient_sum: Mapped[float] = mapped_column(Float)
    lenient_squares: Mapped[float] = mapped_column(Float)
    lenient_inferred: Mapped[int] = mapped_column(Integer)
    lenient_films: Mapped[int] = mapped_column(Integer)
    lenient_base: Mapped[int] = mapped_column(Integer)
    lenient_base_inferred: Mapped[int] = mapped_column(Integer)
    ties: Mapped[int] = mapped_column(Integer)
    agree: Mapped[int] = mapped_column(Integer)
    agree_n: Mapped[int] = mapped_column(Integer)
    agree_inferred: Mapped[int] = mapped_column(Integer)
    agree_films: Mapped[int] = mapped_column(Integer)
    agree_base: Mapped[int] = mapped_column(Integer)
    agree_base_inferred: Mapped[int] = mapped_column(Integer)


class LearntState(Base):
    """A piece of what a crawl learns from the stored reviews when it opens (outlets' scale
    counts, fresh habits, film consensus), kept with the `reviews.updated_at` watermark it was
    computed up to: a crawl reads it and the reviews written since, not the whole table
    (aggregator.db.learnt_state)."""

    __tablename__ = "learnt_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    data: Mapped[dict[str, Any]]
    watermark: Mapped[datetime | None]
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    rows: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """The reviews the state was learnt from (its size when last learnt in full)."""


class VerdictModelRecord(Base):
    """A trained verdict text model (issue 7), versioned: aggregator.db.verdict_models saves and loads
    it. `model` is the gzip-compressed JSON of aggregator.verdicts.text.linear (vocabulary and
    weights), never a pickle."""

    __tablename__ = "verdict_models"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    trained_on: Mapped[int] = mapped_column(Integer)
    """Labelled examples the model learned from."""
    metrics: Mapped[dict[str, Any] | None]
    """Held-out accuracy / macro-F1 measured when it was trained, the labels skipped, …"""
    format: Mapped[str] = mapped_column(String(64))
    model: Mapped[bytes] = mapped_column(LargeBinary)
