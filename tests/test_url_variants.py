"""Every address of one page is one row (issue 15): real crawls through `aggregator crawl`.

A page without a canonical link reached with a share tag or as its own first page, and a page
whose canonical link moves between www., m. and the bare host and between http and https, are
each stored once (aggregator.urls.canonical_url, aggregator.db.url_identity).
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


def page(canonical: str | None) -> str:
    review = {"@context": "https://schema.org", "@type": "Review",
              "itemReviewed": {"@type": "Movie", "name": "The Quarry Bells"},
              "author": {"@type": "Person", "name": "Idris Vantongeren"}, "datePublished": "2026-03-01",
              "reviewRating": {"@type": "Rating", "ratingValue": 4, "bestRating": 5},
              "reviewBody": "A bright, small film."}
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return (f'<html><head><title>The Quarry Bells review</title>{link}'
            f'<meta property="og:site_name" content="The Quarry Ledger">'
            f'<script type="application/ld+json">{json.dumps(review)}</script></head>'
            "<body><article><h1>The Quarry Bells review</h1><p>A bright, small film.</p></article></body></html>")


def crawl(url: str, db: str) -> None:
    env = {**os.environ, "AGGREGATOR_LOG_LEVEL": "WARNING", "AGGREGATOR_INFER_VERDICTS": "0"}
    done = subprocess.run([str(BINARY), "crawl", "--url", url, "--db", db], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr


def stored_urls(db: str) -> list[str]:
    export = subprocess.run([str(BINARY), "export", "--format", "json", "--db", db], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert export.returncode == 0, export.stderr
    return sorted(record["url"] for record in json.loads(export.stdout))


def test_a_page_reached_at_every_variant_of_its_address_is_one_row(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "bells.html").write_text(page(None), encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'store.sqlite'}"
    with serve_directory(site) as served:
        for suffix in ("?src=rss", "?page=1", "", "?utm_source=x&share=1"):
            crawl(served.url("bells.html") + suffix, db)
        assert stored_urls(db) == [served.url("bells.html")]


def test_a_canonical_that_moves_between_hosts_and_schemes_is_one_row(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    db = f"sqlite:///{tmp_path / 'store.sqlite'}"
    first = "https://www.quarryledger.example/film/quarry-bells-review"
    with serve_directory(site) as served:
        for canonical in (first, "https://m.quarryledger.example/film/quarry-bells-review/",
                          "http://quarryledger.example/film/quarry-bells-review"):
            (site / "bells.html").write_text(page(canonical), encoding="utf-8")
            crawl(served.url("bells.html"), db)
        assert stored_urls(db) == [first]
