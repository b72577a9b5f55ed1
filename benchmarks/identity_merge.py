"""Stored critics merged on evidence, measured on Rotten Tomatoes' critic_reviews.csv.

    python -m benchmarks.identity_merge [--shared DIR]     (also part of benchmarks.identity)

The reviews are stored into a new SQLite file through `save_reviews`: the older half (by
creationDate) without any profile (bylines alone: one critic per name and outlet, namesakes
on two outlets apart), the way a crawl of outlet pages without author pages leaves them;
then the newer half with their critics' page URLs, the evidence arriving, in two ways
measured separately:

- "command": by the store as it was before it merged on arrival (a byline with a page joins
  the critic holding that page, or a namesake met on its outlet; rows of the same person
  stored earlier on other outlets stay apart), then `aggregator critic merge`
  (merge_stored_critics) runs;
- "store": the store merges as the evidence arrives (aggregator.db.critic_store); `critic
  merge` then runs.

Reported: critic rows before and after, rows merged, the rules used, and the proof that no
merge joins two distinct criticPageUrls (a critic holding two RT pages after a merge that it
did not hold before). Truth: the criticPageUrl is RT's identity of a critic.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter, defaultdict
from contextlib import contextmanager, nullcontext
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.db import critic_store
from aggregator.db.critic_merge import merge_stored_critics
from aggregator.db.models import Critic, Review, ReviewCritic
from aggregator.db.session import ensure_schema, make_engine
from aggregator.db.upsert import save_reviews
from aggregator.identity.critics import canonical_person_name, person_key
from aggregator.identity.publications import Registry, load_registry
from aggregator.items import ReviewItem
from benchmarks.identity_data import BenchmarkError, load_rt_rows, shared_real_dir

RT_BASE = "https://www.rottentomatoes.com"
BATCH = 500


def _outlet_key(registry: Registry, name: str) -> str:
    key = registry.group_key(name) or "unknown"
    return key if not key.startswith("?") else "rt-" + "".join(
        c if c.isalnum() else "-" for c in key[1:])


def _items(rows, registry: Registry, with_profiles: bool) -> list[ReviewItem]:
    items = []
    for row in rows:
        name = canonical_person_name(row["criticName"] or "")
        if not person_key(name):
            continue
        page = row["criticPageUrl"].strip()
        profiles = {name: [RT_BASE + page]} if with_profiles and page else {}
        items.append(ReviewItem(
            url=f"{RT_BASE}/benchmark-review/{row['reviewId']}", publication=_outlet_key(
                registry, row["publicationName"]), publication_raw=row["publicationName"],
            critics=[name], critic_profiles=profiles,
            # as the spider keeps them: a page's authors with their URLs (hashed, so a page
            # that now gives a profile is a changed review whose critic links are rewritten)
            authors_raw=[{"name": name, "urls": profiles[name]}] if profiles else None))
    return items


def _save(engine, items: list[ReviewItem], registry: Registry) -> None:
    entries = {entry.key: entry for entry in registry}
    with Session(engine) as session:
        for start in range(0, len(items), BATCH):
            save_reviews(session, items[start:start + BATCH], entries)
            session.commit()


def _spread(engine, page_of: dict[str, str]) -> tuple[int, int]:
    """(critic rows whose reviews come from two distinct RT pages: people merged wrongly,
    RT pages whose reviews sit on two critic rows: people not merged yet)."""
    pages_of, critics_of = defaultdict(set), defaultdict(set)
    with Session(engine) as session:
        for url, critic_id in session.execute(select(Review.url, ReviewCritic.critic_id).join(
                ReviewCritic, ReviewCritic.review_id == Review.id)):
            if page_of.get(url):
                pages_of[critic_id].add(page_of[url])
                critics_of[page_of[url]].add(critic_id)
    return (sum(1 for pages in pages_of.values() if len(pages) > 1),
            sum(1 for critics in critics_of.values() if len(critics) > 1))


def _critic_count(engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Critic))


@contextmanager
def _store_without_merging():
    """The store as it was before it merged critics when evidence arrives (a database filled
    then holds namesakes stored apart): what `critic merge` is for."""
    original = critic_store._merge_on_new_evidence
    critic_store._merge_on_new_evidence = lambda session, known, touched: {}
    try:
        yield
    finally:
        critic_store._merge_on_new_evidence = original


def measure(rows, registry: Registry | None = None) -> dict:
    registry = registry or load_registry(include_env=False)
    dated = sorted(rows, key=lambda row: (row["creationDate"], row["reviewId"]))
    older, newer = dated[:len(dated) // 2], dated[len(dated) // 2:]
    page_of = {f"{RT_BASE}/benchmark-review/{row['reviewId']}": row["criticPageUrl"].strip()
               for row in rows}
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for mode in ("command", "store"):
            engine = make_engine(f"sqlite:///{Path(folder) / (mode + '.sqlite')}")
            ensure_schema(engine)
            _save(engine, _items(older, registry, with_profiles=False), registry)
            bylines_only = _critic_count(engine)
            with _store_without_merging() if mode == "command" else nullcontext():
                _save(engine, _items(newer, registry, with_profiles=True), registry)
            before = _spread(engine, page_of)
            after_store = _critic_count(engine)
            with Session(engine) as session:
                merges = merge_stored_critics(session)
                session.commit()
            with Session(engine) as session:
                again = merge_stored_critics(session, dry_run=True)
            rules = Counter(reason.rsplit(": ", 1)[1] for m in merges for reason in m.reasons)
            after = _spread(engine, page_of)
            results[mode] = {
                "bylines_only": bylines_only,
                "after_store": after_store, "merged_rows": sum(len(m.merged) for m in merges),
                "groups": len(merges), "rules": dict(rules), "after": _critic_count(engine),
                "second_pass": len(again), "two_pages": (before[0], after[0]),
                "split_pages": (before[1], after[1]), "pages": len(set(page_of.values()) - {""}),
            }
            engine.dispose()
    return results


def report(results: dict) -> list[str]:
    lines = []
    for mode, r in results.items():
        how = ("newer half saved by a store that does not merge, then `critic merge`"
               if mode == "command" else
               "newer half saved by the store, which merges as evidence arrives, then `critic merge`")
        lines += [
            f"  {mode}: {how}",
            f"    critic rows after the older half (bylines alone) {r['bylines_only']}; after the newer "
            f"{r['after_store']}; `critic merge` merged {r['merged_rows']} rows into "
            f"{r['groups']} -> {r['after']} critics; second pass {r['second_pass']} merges",
            f"    rules: {r['rules'] or '-'}",
            f"    {r['pages']} distinct criticPageUrls; critic rows whose reviews carry two "
            f"distinct pages {r['two_pages'][0]} before `critic merge`, {r['two_pages'][1]} "
            f"after (people merged wrongly); pages whose reviews sit on two or more critic rows "
            f"{r['split_pages'][0]} before, {r['split_pages'][1]} after (people left apart: their "
            f"older rows got no profile, so no evidence joins them)",
        ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.identity_merge",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--shared", help="the shared/ folder (default: ../shared)")
    args = parser.parse_args(argv)
    try:
        rows = load_rt_rows(shared_real_dir(args.shared))
    except BenchmarkError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("Stored critics merged on evidence (Rotten Tomatoes critic_reviews.csv)")
    print("\n".join(report(measure(rows))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
