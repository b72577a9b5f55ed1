"""The named outlets on their real markup fragments, read from ../shared at test time.

Each archived page of ../shared/fixtures/real/publications/<outlet>/snippets.html is put back
together from its fragments (benchmarks/outlet_pages.py, which also holds the facts each page
states) and read by the default generic spider, whose outlet readings (spiders/outlets) are
chosen by the page's host, then normalised by the pipelines' own functions. The fragments stay
in ../shared: nothing of them is copied here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `pytest` run without `python -m` from the checkout
    sys.path.insert(0, str(REPO_ROOT))

from aggregator.demo.server import serve_directory  # noqa: E402
from aggregator.urls import canonical_url  # noqa: E402
from benchmarks.outlet_pages import OUTLETS, PAGES, assemble, page_fragments  # noqa: E402
from benchmarks.outlets import OUTLET_PAGE_KINDS, crawl_page, main  # noqa: E402

REVIEW_PAGES = [page for page in PAGES if page.facts is not None]
OTHER_PAGES = [page for page in PAGES if page.facts is None]
THEATRE_ONLY = {"theatermania", "talkinbroadway"}
"""Folders of theatre-only sites: not film outlets, not in the registry, not read here."""
BY_ID = {page.id: page for page in PAGES}


@pytest.mark.parametrize("page", REVIEW_PAGES, ids=lambda p: p.id)
def test_review_page_gives_exactly_its_facts(shared_dir, page):
    items, stats = crawl_page(page.url, assemble(shared_dir, page), kinds=OUTLET_PAGE_KINDS)
    assert len(items) == 1, stats
    item, facts = items[0], page.facts
    assert item.url == canonical_url(page.url)
    assert "web.archive.org" not in item.url
    assert item.publication == page.outlet
    assert tuple(item.critics) == facts.critics
    assert item.film_title == facts.film
    assert item.published == date.fromisoformat(facts.date)
    assert (item.rating_raw, item.score) == (facts.rating_raw, facts.score)
    assert item.label_raw == facts.label
    assert item.verdict_source == facts.source


@pytest.mark.parametrize("page", OTHER_PAGES, ids=lambda p: p.id)
def test_404s_roundups_and_other_outlets_pages_yield_nothing(shared_dir, page):
    items, stats = crawl_page(page.url, assemble(shared_dir, page), kinds=OUTLET_PAGE_KINDS)
    assert items == []
    reasons = [key for key in stats if key.startswith("aggregator/no_review/")]
    assert len(reasons) == 1, stats


def test_every_outlet_folder_is_measured_or_said_to_be_out_of_scope(shared_dir):
    folders = {path.name for path in (shared_dir / "publications").iterdir() if path.is_dir()}
    assert folders == set(OUTLETS) | THEATRE_ONLY
    outlets_with_reviews = {page.outlet for page in REVIEW_PAGES}
    assert set(OUTLETS) - outlets_with_reviews == {"ap"}, "AP: no review markup was captured"


def test_guardian_counts_the_headline_stars_not_a_related_cards(shared_dir):
    page = BY_ID["guardian/stereophonic"]
    html = assemble(shared_dir, page)
    assert html.count("m14.381") == 2, "the page holds a related-story card rated 3/5"
    items, stats = crawl_page(page.url, html, kinds=OUTLET_PAGE_KINDS)
    assert (items[0].rating_raw, items[0].score) == ("5/5", 100.0)
    assert stats["aggregator/outlet/rating/guardian"] == 1

    # Without the headline's row, the card's stars are still not taken for the review's.
    headless = replace(page, skip=page.skip + ("HEADER:",))
    items, _ = crawl_page(page.url, assemble(shared_dir, headless), kinds=OUTLET_PAGE_KINDS)
    assert len(items) == 1
    assert (items[0].rating_raw, items[0].score, items[0].verdict_source) == (None, None, None)


def test_guardian_empty_stars_are_told_apart_from_filled_by_their_shape(shared_dir):
    page = BY_ID["guardian/the-outsiders"]
    items, _ = crawl_page(page.url, assemble(shared_dir, page), kinds=OUTLET_PAGE_KINDS)
    assert items[0].rating_raw == "3/5"
    assert items[0].rating_value == 3.0 and items[0].rating_best == 5.0


def test_new_york_times_critics_pick_is_the_outlets_own_call(shared_dir):
    pick, other = BY_ID["nytimes/stereophonic"], BY_ID["nytimes/the-outsiders"]
    items, stats = crawl_page(pick.url, assemble(shared_dir, pick), kinds=OUTLET_PAGE_KINDS)
    assert (items[0].verdict, items[0].fresh, items[0].confidence) == ("positive", True, 1.0)
    assert stats["aggregator/outlet/label/nytimes"] == 1
    items, stats = crawl_page(other.url, assemble(shared_dir, other), kinds=OUTLET_PAGE_KINDS)
    assert items[0].label_raw is None and items[0].verdict is None
    assert "aggregator/outlet/label/nytimes" not in stats


def test_new_york_times_pick_is_read_from_the_page_data_without_the_visible_badge(shared_dir):
    page = BY_ID["nytimes/stereophonic"]
    no_badge = replace(page, also=())
    assert not any("BADGE" in label for label, _ in page_fragments(shared_dir, no_badge))
    items, _ = crawl_page(page.url, assemble(shared_dir, no_badge), kinds=OUTLET_PAGE_KINDS)
    assert items[0].label_raw == "Critic’s Pick"


def test_time_out_prefers_the_stated_scale_and_keeps_the_recommended_badge(shared_dir):
    page = BY_ID["timeout/maybe-happy-ending"]
    items, _ = crawl_page(page.url, assemble(shared_dir, page), kinds=OUTLET_PAGE_KINDS)
    item = items[0]
    assert (item.rating_raw, item.scale, item.score) == ("5 out of 5 stars", "stars/5", 100.0)
    assert (item.label_raw, item.fresh) == ("Recommended", True)


def test_entertainment_weekly_grade_comes_from_the_text_it_closes(shared_dir):
    page = BY_ID["ew/maybe-happy-ending"]
    items, _ = crawl_page(page.url, assemble(shared_dir, page), kinds=OUTLET_PAGE_KINDS)
    item = items[0]
    assert (item.scale, item.rating_raw, item.score, item.verdict_source) == ("letter", "B", 75.0, "text")
    assert item.text.rstrip().endswith("Grade: B")


@pytest.mark.parametrize("page_id", ["guardian/stereophonic", "nytimes/stereophonic", "variety/stereophonic"])
def test_a_default_crawl_refuses_the_stage_reviews_as_not_film(shared_dir, page_id):
    """The pages are theatre reviews: the films-only default counts them, stores nothing."""
    page = BY_ID[page_id]
    items, stats = crawl_page(page.url, assemble(shared_dir, page))
    assert items == []
    assert stats["aggregator/no_review/not_a_film_review"] == 1
    assert stats["aggregator/no_review/not_a_film_review/stage"] == 1


def test_wayback_captures_are_keyed_on_the_outlets_own_url(shared_dir):
    page = BY_ID["nytimes/stereophonic"]
    html = assemble(shared_dir, page)
    assert "web.archive.org/web/" in html
    capture = "http://web.archive.org/web/20251010005347/" + page.url
    items, stats = crawl_page(capture, html, kinds=OUTLET_PAGE_KINDS)
    assert items[0].url == page.url
    assert stats["aggregator/outlet/label/nytimes"] == 1


def test_benchmark_prints_the_table_with_every_outlet(shared_dir, capsys, monkeypatch):
    monkeypatch.setenv("AGGREGATOR_SHARED_DIR", str(shared_dir.parent.parent))
    assert main([]) == 0
    out = capsys.readouterr().out
    for outlet in OUTLETS:
        assert f"| {outlet} |" in out
    fields = 5 * len(REVIEW_PAGES)
    assert f"| **all** | **{len(REVIEW_PAGES)}/{len(REVIEW_PAGES)}** |" in out
    assert f"**{fields}/{fields}**" in out
    assert "wrong" not in out
    assert "yielding no review: 8/8" in out


def test_crawl_of_an_outlet_url_with_the_default_spider_reads_the_outlet(shared_dir, tmp_path):
    """`aggregator crawl --url` (default spider, real HTTP, pipelines, SQLite): the page is
    served from loopback, so the outlet is known only by the page's canonical link, which the
    crawl is told to trust (the loopback host mirrors those outlets: AGGREGATOR_MIRRORED_DOMAINS)."""
    site = tmp_path / "site"
    site.mkdir()
    pages = {"guardian.html": BY_ID["guardian/stereophonic"], "nyt.html": BY_ID["nytimes/stereophonic"],
             "nypost.html": BY_ID["nypost/stereophonic"]}
    for name, page in pages.items():
        (site / name).write_text(assemble(shared_dir, page), encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'outlets.sqlite'}"
    binary = Path(sys.executable).parent / "aggregator"
    env = {**os.environ, "AGGREGATOR_LOG_LEVEL": "WARNING"}
    with serve_directory(site) as served:
        for name in pages:
            crawl = subprocess.run([str(binary), "crawl", "--url", served.url(name), "--db", db,
                                    "-a", f"kinds={OUTLET_PAGE_KINDS}",
                                    "-s", "AGGREGATOR_MIRRORED_DOMAINS=theguardian.com,nytimes.com,nypost.com"],
                                   cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=180)
            assert crawl.returncode == 0, crawl.stdout + crawl.stderr
    export = subprocess.run([str(binary), "export", "--format", "json", "--db", db],
                            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert export.returncode == 0, export.stderr
    records = {record["url"]: record for record in json.loads(export.stdout)}
    assert set(records) == {page.url for page in pages.values()}
    for page in pages.values():
        record, facts = records[page.url], page.facts
        assert record["publication"]["key"] == page.outlet
        assert record["critics"] == list(facts.critics)
        assert record["film"]["title"] == facts.film
        assert (record["rating_raw"], record["score"]) == (facts.rating_raw, facts.score)
        assert record["verdict_source"] == facts.source
        assert record["published"] == facts.date
