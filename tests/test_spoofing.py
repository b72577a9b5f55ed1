"""A page cannot be another outlet's review (issue 15): real crawls through `aggregator crawl`.

A page's identity (canonical link, og:url, JSON-LD `url`) and outlet (publisher, site name) are
what the fetched URL's own site can vouch for (aggregator.urls.ClaimCheck). Here the Times'
review is stored from a local copy of it (the crawl told the loopback host mirrors nytimes.com),
then a hostile page on another local path claims to be that review, with 0/4, a publisher of
"The New York Times" and 5,000 more "Times" reviews embedded: nothing of the Times' changes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from aggregator.demo.server import serve_directory

REPO_ROOT = Path(__file__).resolve().parent.parent
BINARY = Path(sys.executable).parent / "aggregator"
TIMES_URL = "https://www.nytimes.com/2026/01/02/movies/harbour-of-lanterns-review.html"


def review_page(rating: int, embedded: int = 0) -> str:
    review = {"@context": "https://schema.org", "@type": "Review", "url": TIMES_URL,
              "headline": "‘Harbour of Lanterns’ Review: A Map of Grief",
              "itemReviewed": {"@type": "Movie", "name": "Harbour of Lanterns"},
              "author": {"@type": "Person", "name": "Ama Okonkwo-Reyes"},
              "publisher": {"@type": "Organization", "name": "The New York Times"},
              "datePublished": "2026-01-02", "reviewBody": "A patient film about loss at sea.",
              "reviewRating": {"@type": "Rating", "ratingValue": rating, "bestRating": 4}}
    blocks = [review]
    if embedded:
        blocks.append({"@context": "https://schema.org", "@type": "Movie", "name": "Harbour of Lanterns",
                       "review": [{"@type": "Review", "url": f"https://www.nytimes.com/r/{n}.html",
                                   "author": {"@type": "Person", "name": f"Critic {n}"},
                                   "reviewRating": {"ratingValue": 0, "bestRating": 4}} for n in range(embedded)]})
    scripts = "".join(f'<script type="application/ld+json">{json.dumps(b)}</script>' for b in blocks)
    return (f'<html><head><title>Harbour of Lanterns review</title><link rel="canonical" href="{TIMES_URL}">'
            f'<meta property="og:site_name" content="The New York Times">{scripts}</head>'
            "<body><article><h1>‘Harbour of Lanterns’ Review: A Map of Grief</h1>"
            "<p>A patient film about loss at sea.</p></article></body></html>")


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "AGGREGATOR_LOG_LEVEL": "WARNING", "AGGREGATOR_INFER_VERDICTS": "0"}
    return subprocess.run([str(BINARY), *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=180)


def stored(db: str) -> dict[str, dict]:
    export = run("export", "--format", "json", "--db", db)
    assert export.returncode == 0, export.stderr
    return {record["url"]: record for record in json.loads(export.stdout)}


def test_a_page_claiming_another_outlets_review_changes_nothing_of_it(tmp_path):
    site = tmp_path / "site"
    (site / "mirror").mkdir(parents=True)
    (site / "hostile").mkdir()
    (site / "mirror" / "review.html").write_text(review_page(3), encoding="utf-8")
    (site / "hostile" / "review.html").write_text(review_page(0, embedded=5000), encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'store.sqlite'}"
    with serve_directory(site) as served:
        first = run("crawl", "--url", served.url("mirror/review.html"), "--db", db,
                    "-s", "AGGREGATOR_MIRRORED_DOMAINS=nytimes.com")
        assert first.returncode == 0, first.stderr
        before = stored(db)
        assert before[TIMES_URL]["publication"]["key"] == "nytimes" and before[TIMES_URL]["score"] == 75
        hostile = run("crawl", "--url", served.url("hostile/review.html"), "--db", db, "-v")
    assert hostile.returncode == 0, hostile.stderr
    after = stored(db)
    assert after[TIMES_URL] == before[TIMES_URL]
    times = [url for url, record in after.items() if record["publication"]["key"] == "nytimes"]
    assert times == [TIMES_URL]
    # the hostile page's own review is stored under its own URL and site, credited to nobody else
    (own,) = set(after) - set(before)
    assert own == served.url("hostile/review.html") and after[own]["publication"]["key"] != "nytimes"
    assert "aggregator/refused/foreign_claim" in hostile.stderr
