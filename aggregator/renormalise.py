"""Re-apply the normalisers to the stored raw values of reviews (`aggregator renormalise`).

Each stored review is rebuilt as the ReviewItem a spider would have yielded (its raw columns)
and run through the same steps as the pipelines (aggregator.normalise: clean, critics, film,
rating and verdict, date); what differs from the stored normalised values is written back.

The rules that keep it safe to run at any time:
- Raw columns are never written: only the normalised values, the film and critic links,
  `content_hash` (as the crawl would compute it, so the next crawl sees "unchanged") and
  `updated_at` of a review that changed.
- A manual verdict (verdict_source "manual") is kept: its verdict, fresh, source and
  confidence are not touched; its rating, date, film and critics are.
- A film linked by hand (`aggregator film link`, film_link_manual) is kept.
- A review the new rules would make unfit to store (aggregator.validate: no film title any
  more, a date in the future, …) is left exactly as it is and counted under `unfit`.
- Where a score or verdict is replaced, the old values are kept as a ReviewRevision, as a
  crawl that changes a rating does. Film and critic rows are only ever added, never deleted.
- Idempotent: the learnt scales are counted from the raw ratings (not from stored scales),
  and every step is a function of the raw values, so a second run changes nothing.

A rating the crawl took from the text ("Rating: 4/5" in the body, stored in `rating_raw` with
verdict_source "text") is recognised as such and re-read from the text, not as the page's
own rating field. Work goes in batches of `batch_size` reviews, one transaction each; a dry
run does the same work and rolls every batch back. A review that a crawl rewrites while its
batch is being worked on may get values computed from the raw values read before; its hash
then differs from the crawl's, so the next crawl (or run) writes it again.

`decide` is called as the verdict pipeline calls it, with the fresh habits learnt from the
database (aggregator.db.history.learn_habits) and the verdict model the crawl would load
(aggregator.db.verdict_loading.run_verdict_model: the newest stored trained model, else the
lexicon fallback; none when AGGREGATOR_INFER_VERDICTS is off), its critics reached from the
bylines as the crawl reaches them (aggregator.db.history.model_critic_identities): when the
crawl's call changes, this module must pass the same, or it would undo it. The model reads the
texts of a batch in one call (aggregator.verdicts.text.batch.ReadBatch). So a stored review
with text and no rating or label gets an inferred verdict, and an inferred one is read again
by the current model (rewritten only where that changes it); manual verdicts are never touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from aggregator.db.film_aggregates import films_changed
from aggregator.db.film_consensus import film_tallies, without_own
from aggregator.db.history import learn_habits, model_critic_identities
from aggregator.db.models import (
    Publication,
    Review,
    ReviewRevision,
    utcnow,
)
from aggregator.db.revisions import credits_of, drop_orphan_films, recredited, revision_row
from aggregator.db.stored_outlets import (  # noqa: F401  (stated_scale_counts: re-exported)
    PublicationLookup,
    StoredOutlet,
    outlet_entry,
    stated_scale_counts,
    stored_outlets,
)
from aggregator.db.upsert import (
    MANUAL_FIELDS,
    RAW_FIELDS,
    content_hash,
    get_critic_ids,
    link_critics,
    match_films,
    ordered_critic_ids,
)
from aggregator.db.verdict_loading import run_verdict_model
from aggregator.items import ReviewItem
from aggregator.normalise import (
    clean_fields,
    date_review,
    identify_film,
    normalise_critics,
    rate_review,
)
from aggregator.ratings import Rating, learned_scale
from aggregator.validate import review_problems
from aggregator.verdicts import stated_in_text
from aggregator.verdicts.text.batch import ReadBatch

BATCH_SIZE = 200
"""Reviews per transaction: a review's text runs to 100 KB, so a batch is read whole."""

RATING_FIELDS = ("rating_value", "rating_best", "rating_worst", "scale", "score")
VERDICT_FIELDS = MANUAL_FIELDS  # verdict, fresh, verdict_source, confidence
GROUPS = ("rating", "verdict", "date", "film", "critics")
"""The field groups counted separately: what a rule change moved."""

_LIST_FIELDS = ("critic_raw", "critic_urls", "authors_raw", "film_ids_raw", "keywords_raw")
_ROW_COLUMNS = [
    Review.id, Review.url, Review.page_url, Review.spider, Review.film_id, Review.published,
    Review.content_hash, Review.film_unresolved, Review.film_key, Review.film_link_manual,
    Review.listing,
    *(getattr(Review, name) for name in RAW_FIELDS + RATING_FIELDS + VERDICT_FIELDS),
]  # fmt: skip

LOAD_MODEL = object()
"""`renormalise(verdict_model=…)` default: load the model a crawl of the database would."""



@dataclass
class RenormaliseReport:
    reviews: int = 0
    """Reviews read."""
    batches: int = 0
    changed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GROUPS, 0))
    """Reviews changed, per field group (a review may count in several)."""
    rows_changed: int = 0
    manual_kept: int = 0
    """Reviews with a manual verdict, whose verdict fields were left alone."""
    unfit: dict[str, int] = field(default_factory=dict)
    """Reviews left as they were because the new rules make them unfit, by first problem."""
    rating_rejected: dict[str, int] = field(default_factory=dict)
    """Reviews whose rating string was rejected, by reason (aggregator.ratings.REASONS)."""
    scale_learnt: int = 0
    """Ratings read on a scale learnt from the outlet's other ratings."""
    learnt_scales: dict[str, str] = field(default_factory=dict)
    """{publication key: learnt scale} for outlets the registry gives no scale."""
    revisions: int = 0
    dry_run: bool = False


def renormalise(
    sessions: sessionmaker[Session],
    *,
    lookup: PublicationLookup | None = None,
    publication: str | None = None,
    urls: Iterable[str] | None = None,
    learnt_scales: Mapping[str, str] | None = None,
    batch_size: int = BATCH_SIZE,
    dry_run: bool = False,
    verdict_model: Any = LOAD_MODEL,
    habits: Any = LOAD_MODEL,
) -> RenormaliseReport:
    """Re-normalise the stored reviews (of one `publication` key, or the given `urls`).

    `lookup` gives registry entries by key (the registry of the crawl: outlet scale, names);
    outlets it does not know are read from the stored publications. `learnt_scales` replaces
    the scales learnt from the outlets' raw ratings (the crawl passes what it learnt).
    `verdict_model` is the model inferred verdicts are read with (None: none are); by default
    the one a crawl of this database would load. `habits` are the fresh habits to call scored
    reviews with; by default learnt from the store (a crawl passes the ones it used, so that a
    few re-read reviews do not cost a read of every stored one).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    report = RenormaliseReport(dry_run=dry_run)
    with sessions() as session:
        outlets = stored_outlets(session)
        if habits is LOAD_MODEL:
            habits = learn_habits(session)
        if verdict_model is LOAD_MODEL:
            verdict_model = run_verdict_model(session)
        critics = model_critic_identities(session, verdict_model)
        if learnt_scales is None:
            counts = stated_scale_counts(session, publication)
            learnt_scales = {
                key: scale for key, c in counts.items() if (scale := learned_scale(c))
            }
    entries = {key: outlet_entry(key, stored, lookup) for key, stored in outlets.items()}
    report.learnt_scales = {
        key: scale for key, scale in learnt_scales.items()
        if key in entries and not getattr(entries[key], "scale", None)
    }  # fmt: skip
    for ids in _batches(sessions, publication, urls, batch_size):
        with sessions() as session:
            _renormalise_batch(session, ids, entries, report, habits, verdict_model, critics)
            if dry_run:
                session.rollback()
            else:
                session.commit()
        report.batches += 1
    return report


# --- batches -------------------------------------------------------------------------------


def _batches(sessions, publication, urls, batch_size) -> Iterable[list[int]]:
    """Review ids, batch by batch, in id order (keyset: rows added meanwhile are not missed)."""
    base = select(Review.id)
    if publication is not None:
        base = base.join(Publication, Review.publication_id == Publication.id).where(
            Publication.key == publication
        )
    if urls is not None:
        wanted = sorted(set(urls))
        for start in range(0, len(wanted), batch_size):
            with sessions() as session:
                chunk = wanted[start : start + batch_size]
                ids = list(
                    session.scalars(
                        base.where(Review.url.in_(chunk)).order_by(Review.id)
                    )
                )
            if ids:
                yield ids
        return
    last = 0
    while True:
        with sessions() as session:
            stmt = base.where(Review.id > last).order_by(Review.id).limit(batch_size)
            ids = list(session.scalars(stmt))
        if not ids:
            return
        yield ids
        last = ids[-1]


def _renormalise_batch(
    session: Session, ids: list[int], entries: Mapping[str, Any], report, habits=None,
    model=None, critic_identities=None,
) -> None:
    stmt = (
        select(*_ROW_COLUMNS, Publication.key.label("publication"))
        .join(Publication, Review.publication_id == Publication.id)
        .where(Review.id.in_(ids))
        .order_by(Review.id)
    )
    rows = [dict(row) for row in session.execute(stmt).mappings()]
    credits = credits_of(session, ids)
    tallies = (film_tallies(session, {row["film_id"] for row in rows if row["film_id"] is not None})
               if getattr(model, "uses_consensus", False) else {})  # fmt: skip
    # the batch's texts are read by the model in one call, once every item is built
    reads = ReadBatch(model) if model is not None else None
    made: list[tuple[dict[str, Any], ReviewItem]] = []
    for row in rows:
        report.reviews += 1
        entry = entries.get(row["publication"])
        consensus = without_own(tallies.get(row["film_id"]), row["verdict_source"], row["fresh"])
        item, reason = renormalised_item(row, entry, report.learnt_scales.get(row["publication"]), habits,
                                         model if reads is None else reads, consensus, critic_identities)
        if reason == "scale_learnt":
            report.scale_learnt += 1
        elif reason not in ("ok", "absent"):
            report.rating_rejected[reason] = report.rating_rejected.get(reason, 0) + 1
        made.append((row, item))
    if reads is not None:
        reads.run()
    fit: list[tuple[dict[str, Any], ReviewItem]] = []
    for row, item in made:
        problems = review_problems(item)
        if problems:
            report.unfit[problems[0]] = report.unfit.get(problems[0], 0) + 1
            continue
        fit.append((row, item))
    if not fit:
        return
    items = [item for _, item in fit]
    films = match_films(session, items)
    critic_ids = get_critic_ids(session, items)
    now = utcnow()
    updates: dict[bool, list[dict[str, Any]]] = {False: [], True: []}
    revisions, relinked = [], []
    rehashed: list[dict[str, Any]] = []
    for row, item in fit:
        manual = row["verdict_source"] == "manual"
        report.manual_kept += manual
        new_critics = ordered_critic_ids(item, critic_ids)
        film = films[item.url]
        if row["film_link_manual"]:  # settled by hand (`aggregator film link`): kept
            film = replace(film, film_id=row["film_id"], unresolved=None, key=row["film_key"],
                           rule="manual")
        groups = _changed_groups(row, item, manual, film.film_id)
        if "film" not in groups and row["film_unresolved"] != film.unresolved:
            groups.append("film")
        if new_critics != credits[row["id"]]["critic_ids"]:
            groups.append("critics")
            relinked.append(item)
        new_hash = _crawl_hash(item, row)
        if not groups:
            # Nothing shown changed, but the crawl's hash may have (a manual verdict hides
            # that the model now reads the text otherwise): kept as the crawl would compute it,
            # so the next crawl still finds the review unchanged.
            if new_hash != row["content_hash"]:
                rehashed.append({"id": row["id"], "content_hash": new_hash})
            continue
        report.rows_changed += 1
        for group in groups:
            report.changed[group] += 1
        films_changed(session, (row["film_id"], film.film_id))  # counted again before the commit
        values = {
            "id": row["id"],
            **{name: getattr(item, name) for name in RATING_FIELDS},
            "published": item.published,
            "film_id": film.film_id,
            "film_unresolved": film.unresolved,
            "film_key": film.key,
            "film_match": film.rule,
            "content_hash": new_hash,
            "updated_at": now,
        }
        if not manual:
            values.update({name: getattr(item, name) for name in VERDICT_FIELDS})
        updates[manual].append(values)
        if _replaces_score_or_verdict(row, values) or recredited(credits[row["id"]], film.film_id, new_critics):
            revisions.append(revision_row(row, credits[row["id"]], now, None))
    if revisions:
        session.execute(ReviewRevision.__table__.insert(), revisions)
        report.revisions += len(revisions)
    for rows_of_a_kind in (*updates.values(), rehashed):  # one executemany per column set
        if rows_of_a_kind:
            session.execute(update(Review), rows_of_a_kind)
    if relinked:
        review_ids = {row["url"]: row["id"] for row, _ in fit}
        link_critics(session, relinked, review_ids, critic_ids)
    drop_orphan_films(session, [row["film_id"] for row, _ in fit])


def renormalised_item(
    row: Mapping[str, Any], entry: Any, learnt_scale: str | None, habits=None, model=None,
    consensus: tuple[int, int] | None = None, critic_identities=None,
) -> tuple[ReviewItem, str]:
    """The item the pipelines would make of the stored raw values of `row`, and the rating
    reader's reason code (see aggregator.normalise.rate_review); `consensus` is the film's
    tally without the review itself (aggregator.db.film_consensus); `critic_identities` as
    rate_review reads them. `model` may be a ReadBatch over the model (its verdict is then
    written when the batch runs), as rate_review takes it."""
    item = ReviewItem(
        url=row["url"], page_url=row.get("page_url"), spider=row.get("spider"),
        publication=row["publication"],
        **{name: (row[name] or []) if name in _LIST_FIELDS else row[name] for name in RAW_FIELDS},
    )  # fmt: skip
    clean_fields(item)
    if _rating_taken_from_text(row, item, entry):
        item.rating_raw = None  # rate_review takes it from the text again
    normalise_critics(item, _outlet_names(entry, item.publication_raw))
    identify_film(item)
    reason = rate_review(item, entry, learnt_scale, habits, model, consensus, critic_identities)
    date_review(item)
    return item, reason


def _rating_taken_from_text(
    row: Mapping[str, Any], item: ReviewItem, entry: Any
) -> bool:
    """True when `rating_raw` is not the page's rating field but the one the crawl read in the
    text (rate_review stores it there when the page gave none). A manual verdict hides how the
    crawl read it; reading such a rating from the text gives the same rating either way."""
    if (
        row["rating_parts"]
        or not item.rating_raw
        or row["verdict_source"] not in ("text", "manual")
    ):
        return False
    stated = stated_in_text(item.text, getattr(entry, "scale", None))
    return isinstance(stated, Rating) and stated.raw == item.rating_raw


def _outlet_names(entry: Any, publication_raw: str | None) -> tuple[str, ...]:
    """The outlet's own names, which are not critics (as the critic pipeline gives them)."""
    names: tuple[str, ...] = ()
    if entry is not None:
        names = (
            entry.name,
            *getattr(entry, "aliases", ()),
            *getattr(entry, "domains", ()),
        )
    return names + ((publication_raw,) if publication_raw else ())


def _changed_groups(
    row, item: ReviewItem, manual: bool, film_id: int | None
) -> list[str]:
    groups = []
    if any(row[name] != getattr(item, name) for name in RATING_FIELDS):
        groups.append("rating")
    if not manual and any(row[name] != getattr(item, name) for name in VERDICT_FIELDS):
        groups.append("verdict")
    if row["published"] != item.published:
        groups.append("date")
    if row["film_id"] != film_id:
        groups.append("film")
    return groups


def _crawl_hash(item: ReviewItem, row: Mapping[str, Any]) -> str:
    """The content_hash a crawl would store for the row. A row an aggregator's listing wrote or
    filled in (aggregator.db.listings) holds merged values, while the crawl hashes the item
    it fetched (the page, or the listing): that hash cannot be rebuilt here, so it is kept."""
    if row["listing"]:
        return row["content_hash"]
    return content_hash(_as_stored(item, row))


def _as_stored(item: ReviewItem, row: Mapping[str, Any]) -> ReviewItem:
    """The item with the raw values as stored (the crawl hashes what it stores)."""
    return replace(
        item,
        **{
            name: (row[name] or []) if name in _LIST_FIELDS else row[name]
            for name in RAW_FIELDS
        },
    )


def _replaces_score_or_verdict(
    row: Mapping[str, Any], values: Mapping[str, Any]
) -> bool:
    """A revision keeps old values worth keeping: a score or verdict that is being replaced."""
    replaced = [
        name
        for name in ("score", "verdict")
        if name in values and row[name] != values[name]
    ]
    return any(row[name] is not None for name in replaced)


