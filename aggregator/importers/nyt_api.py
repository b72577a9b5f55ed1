"""The New York Times Movie Reviews API (v2) as an archive: saved responses imported as reviews.

The API is reported retired, so its responses are an importer's input, not a live source. Both
formats seen in the wild are read (2015: `nyt_movie_id`, `capsule_review`, `related_urls`; 2017:
fewer fields, upper-case bylines). Each result maps to the review model:

    link.url        → url (the review's identity: a later crawl of nytimes.com is the same
                      review), page_url as given
    byline          → critic_raw ("GLENN KENNY" is cased by the critic normaliser)
    critics_pick 1  → label_raw "Critic's Pick" (the paper's own label; 0 states nothing)
    display_title   → film_raw; headline → headline; summary_short → text (and standfirst)
    publication_date→ published_raw

then through the crawl's chain (aggregator.importers.chain) into the store, the verdict model
reading the file's unscored summaries in one call (aggregator.verdicts.text.batch). A record that
cannot become a review is counted by reason, never guessed at; importing a file twice leaves
the database as it was (the store's upsert on the URL).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aggregator.db.film_consensus import CrawlConsensus
from aggregator.db.history import learn_habits, model_critic_identities
from aggregator.db.runs import finish_run, start_run
from aggregator.db.upsert import UpsertCounts, save_reviews
from aggregator.identity.publications import Registry, load_registry
from aggregator.importers.chain import ImportPublications, normalise_item
from aggregator.items import ReviewItem
from aggregator.urls import canonical_url
from aggregator.validate import review_problems
from aggregator.verdicts.text.batch import ReadBatch

SOURCE = "nyt-api"
PUBLICATION_NAME = "The New York Times"
CRITICS_PICK = "Critic's Pick"


class NytApiFormatError(ValueError):
    """The file is not a Movie Reviews API response at all (not one bad record)."""


@dataclass
class ImportReport:
    records: int = 0
    counts: UpsertCounts = field(default_factory=UpsertCounts)
    bad: Counter = field(default_factory=Counter)
    """Records not imported, by reason."""
    unparsed_dates: int = 0
    """Imported without a date: the record's date could not be read (as the crawl's date
    pipeline counts under aggregator/date/unparsed)."""
    run_id: int | None = None


def read_response(path: str | Path) -> list[Any]:
    """The `results` of a saved response; NytApiFormatError when the file holds none."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise NytApiFormatError(f"{path}: not a readable JSON file ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise NytApiFormatError(f"{path}: no `results` list: not a Movie Reviews API response")
    if data.get("status") not in (None, "OK"):
        raise NytApiFormatError(f"{path}: response status {data.get('status')!r}, not OK")
    return data["results"]


def _string(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def record_to_item(record: Any) -> tuple[ReviewItem | None, str | None]:
    """(the raw review item of one API result, None) or (None, why it is not one)."""
    if not isinstance(record, dict):
        return None, "not_an_object"
    link = record.get("link")
    link_url = _string(link.get("url")) if isinstance(link, dict) else None
    if link_url is None:
        return None, "missing_link_url"
    try:
        url = canonical_url(link_url)
    except ValueError:
        return None, "bad_link_url"
    if _string(record.get("display_title")) is None:
        return None, "missing_title"
    pick = record.get("critics_pick")
    if pick not in (0, 1, "0", "1", True, False, None):
        return None, "bad_critics_pick"
    byline = _string(record.get("byline"))
    summary = _string(record.get("summary_short")) or _string(record.get("capsule_review"))
    item = ReviewItem(
        url=url,
        page_url=link_url,
        spider=f"import:{SOURCE}",
        publication_raw=PUBLICATION_NAME,
        critic_raw=[byline] if byline else [],
        film_raw=_string(record.get("display_title")),
        label_raw=CRITICS_PICK if pick in (1, "1", True) else None,
        published_raw=_string(record.get("publication_date")),
        headline=_string(record.get("headline")),
        text=summary,
        standfirst_raw=summary,
        language="en",
        source_format=SOURCE,
    )
    return item, None


def import_nyt_api(path: str | Path, sessions, registry: Registry | None = None) -> ImportReport:
    """Import one saved response into the database of `sessions` (a session factory), recorded
    as a run named "import:nyt-api". Raises NytApiFormatError for a file that is no response."""
    results = read_response(path)
    report = ImportReport(records=len(results))
    publications = ImportPublications(registry or load_registry())
    with sessions() as session:
        habits = learn_habits(session)
        model = _verdict_model(session)
        consensus = CrawlConsensus.load(session) if getattr(model, "uses_consensus", False) else None
        critics = model_critic_identities(session, model)
        report.run_id = start_run(session, f"import:{SOURCE}", {"file": str(path)})
    # the summaries the model reads are read in one call once every record is normalised
    reads = ReadBatch(model) if model is not None else None
    normalised: list[tuple[ReviewItem | None, list[str], bool]] = []
    for record in results:
        item, problem = record_to_item(record)
        if item is None:
            normalised.append((None, [problem], False))  # type: ignore[list-item]
            continue
        waiting = len(reads) if reads is not None else 0
        problems = normalise_item(item, publications, habits, model if reads is None else reads, consensus, critics)
        normalised.append((item, problems, reads is not None and len(reads) > waiting))
    if reads is not None:
        reads.run()
    items = []
    for item, problems, read_later in normalised:
        if read_later:  # checked again with the verdict the model gave it
            problems = review_problems(item)
        problem = problems[0] if problems else None
        if item is not None and not problem and item.published_raw and item.published is None:
            report.unparsed_dates += 1
        if problem:
            report.bad[problem] += 1
        else:
            items.append(item)
    reason = "finished"
    try:
        with sessions.begin() as session:
            lookup = {item.publication: publications.lookup(item.publication) for item in items}
            report.counts = save_reviews(session, items, lookup, run_id=report.run_id)
    except Exception:
        reason = "store_failed"  # the run is closed as failed, not left "running"
        raise
    finally:
        with sessions() as session:
            finish_run(session, report.run_id, finish_reason=reason,
                       stats={"item_scraped_count": len(items)}, counts=report.counts,
                       dropped=dict(report.bad))
    return report


def _verdict_model(session):
    """The verdict model a crawl of this database would infer with (aggregator.db.verdict_loading)."""
    from aggregator.db.verdict_loading import run_verdict_model

    return run_verdict_model(session)
