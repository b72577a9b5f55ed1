"""Rotten Tomatoes film pages (both layouts, read from ../shared at test time): every critic card
becomes a review of its outlet, keyed on the original review's URL; and the store's rule for a
review seen both on a listing and on its outlet's page (aggregator.db.listings), both orders."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from aggregator.spiders.rottentomatoes import RottenTomatoesSpider
from sqlalchemy import select

from aggregator.db.models import Review, ReviewRevision
from aggregator.db.session import session_factory
from aggregator.db.upsert import save_reviews
from aggregator.identity.publications import Registry, default_registry
from aggregator.importers.chain import ImportPublications, normalise_item
from aggregator.items import ReviewItem
from tests.factories import outlet
from tests.spider_harness import make_spider, parse_page, response_for, stat

RT = "https://www.rottentomatoes.com"
HOST = ("/m/host_2020", "host_2020.rt_movie_page.movie.html")
HP = ("/m/harry_potter_and_the_deathly_hallows_part_2",
      "harry_potter_and_the_deathly_hallows_part_2.rt_movie_page.html")


def crawl(shared_dir, page):
    path, name = page
    return parse_page(RT + path, shared_dir / "pages" / "rottentomatoes" / name, RottenTomatoesSpider)


def card_facts(item: ReviewItem) -> dict:
    return {"url": item.url, "critic_raw": item.critic_raw, "critic_urls": item.critic_urls,
            "publication_raw": item.publication_raw, "rating_raw": item.rating_raw,
            "label_raw": item.label_raw, "top_critic": item.top_critic,
            "published_raw": item.published_raw, "film_raw": item.film_raw,
            "film_year_raw": item.film_year_raw, "listed_at": item.listed_at}


# --- the 2024 layout --------------------------------------------------------------------------


def test_2024_layout_every_critic_card_is_a_review_and_audience_reviews_are_not(shared_dir):
    items, requests, spider = crawl(shared_dir, HP)
    assert len(items) == 12 and requests == []  # 12 critic cards; the page's 4 audience reviews are not critics'
    assert stat(spider, "aggregator/rottentomatoes/cards") == 12
    assert len({i.url for i in items}) == 12
    film_page = RT + HP[0]
    assert card_facts(items[0]) == {
        "url": "http://www.thetimes.co.uk/tto/arts/film/reviews/article3087435.ece",
        "critic_raw": ["Kate Muir"], "critic_urls": [f"{RT}/critics/kate-muir"],
        "publication_raw": "Times (UK)", "rating_raw": "4/5", "label_raw": "Fresh", "top_critic": True,
        "published_raw": "November 18, 2014",
        "film_raw": "Harry Potter and the Deathly Hallows: Part 2", "film_year_raw": "2011",
        "listed_at": film_page,
    }
    # No link to the original review: keyed on the card's place on the film page, not invented.
    assert card_facts(items[1]) == {
        "url": f"{film_page}#/critics/christopher-kelly",
        "critic_raw": ["Christopher Kelly"], "critic_urls": [f"{RT}/critics/christopher-kelly"],
        "publication_raw": "Fort Worth Star-Telegram/DFW.com", "rating_raw": "4/5", "label_raw": "Fresh",
        "top_critic": True, "published_raw": "November 18, 2014",
        "film_raw": "Harry Potter and the Deathly Hallows: Part 2", "film_year_raw": "2011",
        "listed_at": film_page,
    }
    by_critic = {i.critic_raw[0]: i for i in items}
    assert by_critic["Rafer Guzman"].rating_raw == "2.5/4"
    assert by_critic["Ryan Gilbey"].rating_raw is None  # the card shows no score
    assert by_critic["Richard Propes"].url == "https://theindependentcritic.com/harry_potter_and_the_deathly_hallows_2"
    assert (by_critic["Richard Propes"].rating_raw, by_critic["Richard Propes"].top_critic) == ("3.5/4.0", False)
    assert Counter(i.top_critic for i in items) == {True: 6, False: 6}
    assert sum(1 for i in items if i.url.startswith(film_page + "#")) == 2
    assert Counter(i.rating_raw for i in items) == {
        "3.5/4": 3, "4/5": 2, None: 3, "3/5": 1, "2.5/4": 1, "8/10": 1, "3.5/4.0": 1}


# --- the 2021 layout --------------------------------------------------------------------------


def test_2021_layout_json_ld_reviews_get_the_cards_scores_and_top_critic_flags(shared_dir):
    items, _, spider = crawl(shared_dir, HOST)
    assert len(items) == 24  # 24 JSON-LD reviews, the first 12 also shown as cards
    assert stat(spider, "aggregator/rottentomatoes/cards") == 12
    assert card_facts(items[0]) == {
        "url": "https://www.mercurynews.com/2020/08/12/streaming-movie-picks-host-is-the-freakout-for-our-times/",
        "critic_raw": ["Randy Myers"], "critic_urls": [f"{RT}/critic/randy-myers"],
        "publication_raw": "San Jose Mercury News", "rating_raw": "3/4", "label_raw": "Fresh",
        "top_critic": True, "published_raw": "2021-02-07T00:33:11-08:00",
        "film_raw": "Host", "film_year_raw": "2020", "listed_at": f"{RT}/m/host_2020",
    }
    scores = [i.rating_raw for i in items[:12]]
    assert scores == ["3/4", None, "4/5", "3/5", "3/5", "3/5", "8.5/10", None, "9.5/10", "4/5", "4.5/5", "B"]
    assert [i.top_critic for i in items[:12]] == [True] * 6 + [False] * 6
    for item in items[12:]:  # not shown as cards: the JSON-LD's fresh flag is the critic's call
        assert (item.top_critic, item.rating_raw, item.rating_parts, item.label_raw) == (None, None, None, "Fresh")
    assert items[-1].critic_raw == ["Víctor López G."] and items[-1].publication_raw == "Espinof"
    assert not any("rottentomatoes.com" in i.url for i in items)


def test_a_wayback_machine_capture_gives_the_same_keys_and_critic_pages(shared_dir):
    raw = (shared_dir / "pages" / "rottentomatoes" / HP[1]).read_text(encoding="utf-8")
    stamp = "/web/20240301000000"
    captured = raw.replace('href="http://www.thetimes.co.uk/', f'href="{stamp}/http://www.thetimes.co.uk/')
    captured = captured.replace('href="/critics/', f'href="{stamp}/https://www.rottentomatoes.com/critics/')
    assert captured.count(stamp) >= 1 + 12 * 2  # a review link, each card's critic and outlet links
    url = f"https://web.archive.org{stamp}/https://www.rottentomatoes.com{HP[0]}"
    captured_items, _, _ = parse_page(url, captured, RottenTomatoesSpider)
    live_items, _, _ = crawl(shared_dir, HP)
    assert [card_facts(i) for i in captured_items] == [card_facts(i) for i in live_items]
    assert captured_items[0].url == "http://www.thetimes.co.uk/tto/arts/film/reviews/article3087435.ece"


def test_a_page_without_critic_cards_yields_nothing():  # no ../shared needed: runs everywhere
    spider = make_spider(RottenTomatoesSpider, url=RT + "/m/no_such_film")
    page = "<html><head><title>404 - Not Found | Rotten Tomatoes</title></head><body><h1>404</h1></body></html>"
    assert list(spider.parse(response_for(RT + "/m/no_such_film", page))) == []
    assert stat(spider, "aggregator/no_review/no_critic_cards") == 1


# --- through the normalisers ------------------------------------------------------------------


def test_cards_resolve_to_their_outlets_never_to_rotten_tomatoes(shared_dir):
    items, _, _ = crawl(shared_dir, HP)
    publications = ImportPublications(default_registry())
    for item in items:
        assert normalise_item(item, publications) == [], item.url
    by_critic = {i.critics[0]: i for i in items}
    assert by_critic["Kate Muir"].publication == "thetimes"
    assert by_critic["Christopher Kelly"].publication == "fort-worth-star-telegram-dfw-com"
    assert not any("rottentomatoes" in i.publication for i in items)
    guzman = by_critic["Rafer Guzman"]  # 2.5/4, called fresh by the critic: the own call stands
    assert (guzman.score, guzman.fresh, guzman.verdict_source) == (62.5, True, "rating")
    assert all(i.fresh is True for i in items)
    assert {(i.film_title, i.film_year) for i in items} == {("Harry Potter and the Deathly Hallows: Part 2", 2011)}
    assert by_critic["Kate Muir"].published == date(2014, 11, 18)
    assert by_critic["Kate Muir"].critic_profiles == {"Kate Muir": [f"{RT}/critics/kate-muir"]}


# --- one review on a listing and on its outlet's page: the store's rule -------------------------
# Fictional outlet, critic and film: the rule, not real reviews, is under test.

PUBLICATIONS = {"daily-lantern": outlet("daily-lantern", "The Daily Lantern", ("lantern.example",), scale="stars/5")}
URL = "https://lantern.example/reviews/the-glass-orchard"
LISTING_PAGE = "https://aggregator.example/m/the_glass_orchard"


def listing(**changes) -> ReviewItem:
    item = ReviewItem(url=URL, page_url=LISTING_PAGE, spider="rottentomatoes", listed_at=LISTING_PAGE,
                      top_critic=True, publication_raw="Daily Lantern", critic_raw=["Ada Fenwick"],
                      film_raw="The Glass Orchard", film_year_raw="2031", rating_raw="2.5/4",
                      label_raw="Rotten", published_raw="March 3, 2025", text="Listing quote.")
    for name, value in changes.items():
        setattr(item, name, value)
    return item


def outlet_page(**changes) -> ReviewItem:
    item = ReviewItem(url=URL, page_url=URL, spider="structured_data", publication_raw="The Daily Lantern",
                      critic_raw=["Ada Fenwick"], film_raw="The Glass Orchard", film_year_raw="2031",
                      rating_raw="3/5", headline="The Glass Orchard review", text="Outlet page text.",
                      published_raw="2025-03-02", language="en")
    for name, value in changes.items():
        setattr(item, name, value)
    return item


def store(engine, item: ReviewItem):
    publications = ImportPublications(Registry(list(PUBLICATIONS.values())))
    assert normalise_item(item, publications) == []
    with session_factory(engine).begin() as session:
        return save_reviews(session, [item], PUBLICATIONS)


STEADY = ("url", "page_url", "spider", "publication_id", "film_id", "rating_raw", "rating_parts",
          "rating_value", "rating_best", "rating_worst", "scale", "score", "verdict", "fresh",
          "verdict_source", "confidence", "label_raw", "headline", "text", "published", "published_raw",
          "content_hash", "listed_at", "top_critic", "critic_call", "listing", "listing_only", "critic_raw")


def stored_row(engine) -> dict:
    with session_factory(engine)() as session:
        review = session.scalars(select(Review)).one()
        row = {name: getattr(review, name) for name in STEADY}
        row["critics"] = review.critic_names
        row["revisions"] = len(session.scalars(select(ReviewRevision)).all())
        return row


@pytest.mark.parametrize("order", ["listing_first", "page_first"])
def test_outlet_page_wins_for_text_and_rating_and_the_critics_own_call_is_kept(db_engine, order):
    first, second = (listing(), outlet_page()) if order == "listing_first" else (outlet_page(), listing())
    assert store(db_engine, first).new == 1
    assert store(db_engine, second).updated == 1
    row = stored_row(db_engine)
    assert (row["rating_raw"], row["score"], row["text"], row["headline"]) == (
        "3/5", 60.0, "Outlet page text.", "The Glass Orchard review")
    assert (row["fresh"], row["critic_call"], row["label_raw"]) == (False, "rotten", "Rotten")
    assert row["verdict"] == "mixed" and row["verdict_source"] == "rating"  # 3/5: the page's rating
    assert (row["top_critic"], row["listed_at"], row["listing_only"]) == (True, LISTING_PAGE, False)
    assert (row["page_url"], row["spider"], row["published"]) == (URL, "structured_data", date(2025, 3, 2))
    assert row["critics"] == ["Ada Fenwick"]
    assert row["listing"]["filled"] == ["label"]
    # Re-crawling either side changes nothing.
    assert store(db_engine, outlet_page()).unchanged == 1
    assert store(db_engine, listing()).unchanged == 1
    assert stored_row(db_engine) == row


def test_both_orders_end_in_the_same_row(db_engine):
    other = "https://lantern.example/reviews/the-glass-orchard-again"
    for make in (listing, outlet_page):
        store(db_engine, make())
    for make in (outlet_page, listing):
        store(db_engine, make(url=other, page_url=other if make is outlet_page else LISTING_PAGE))
    with session_factory(db_engine)() as session:
        reviews = session.scalars(select(Review).order_by(Review.url)).all()
        rows = [{name: getattr(r, name) for name in STEADY if name not in ("url", "page_url")} for r in reviews]
        assert [r.critic_names for r in reviews] == [["Ada Fenwick"], ["Ada Fenwick"]]
    assert rows[0] == rows[1]


@pytest.mark.parametrize("order", ["listing_first", "page_first"])
def test_a_page_without_a_rating_keeps_the_listings_whole_rating(db_engine, order):
    page = outlet_page(rating_raw=None)
    first, second = (listing(), page) if order == "listing_first" else (page, listing())
    store(db_engine, first)
    store(db_engine, second)
    row = stored_row(db_engine)
    assert (row["rating_raw"], row["score"], row["scale"]) == ("2.5/4", 62.5, "stars/4")
    assert (row["fresh"], row["text"]) == (False, "Outlet page text.")
    assert row["listing"]["filled"] == ["rating", "label", "verdict"]
    # The listing changes its score: what it filled in follows; the page's text stays.
    store(db_engine, listing(rating_raw="2/4"))
    assert stored_row(db_engine)["rating_raw"] == "2/4"
    assert stored_row(db_engine)["text"] == "Outlet page text."


def test_a_listing_alone_is_stored_as_listed_and_flagged(db_engine):
    store(db_engine, listing())
    row = stored_row(db_engine)
    assert (row["rating_raw"], row["text"], row["fresh"], row["top_critic"]) == ("2.5/4", "Listing quote.", False, True)
    assert (row["listing_only"], row["critic_call"], row["spider"]) == (True, "rotten", "rottentomatoes")


def test_the_measurement_finds_every_card_page_and_record_with_its_facts(shared_dir):
    """benchmarks/outlets_rt.py, the table of docs/outlets.md: kept true."""
    from benchmarks import outlets_rt

    publications = ImportPublications(default_registry())
    rows = [outlets_rt.measure_rottentomatoes(shared_dir, publications),
            outlets_rt.measure_franksmovielog(shared_dir, publications),
            outlets_rt.measure_nyt_api(shared_dir, publications)]
    assert [(r.reviews_found, r.reviews_expected) for r in rows] == [(36, 36), (10, 10), (40, 40)]
    assert [sum(r.expected.values()) for r in rows] == [252, 40, 200]
    assert [r.misses for r in rows] == [[], [], []]
    assert [(r.silent, r.not_reviews) for r in rows] == [(8, 8), (9, 9), (0, 0)]


def test_migration_0004_keeps_stored_reviews_on_both_backends(empty_db_url):
    """0003 → 0004 on a database holding a review (and its critic link), and back."""
    from alembic import command
    from sqlalchemy import text

    from aggregator.db.session import alembic_config, make_engine

    engine = make_engine(empty_db_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0003")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO publications (id, key, name, weight, provisional) "
                                "VALUES (1, 'daily-lantern', 'The Daily Lantern', 1.0, false)"))
        connection.execute(text("INSERT INTO critics (id, name, key, uid) VALUES (1, 'Ada Fenwick', 'ada fenwick', 'n:x')"))
        connection.execute(text(
            "INSERT INTO reviews (id, url, publication_id, film_link_manual, content_hash, first_seen, last_seen, updated_at) "
            f"VALUES (1, '{URL}', 1, false, 'h', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        connection.execute(text("INSERT INTO review_critics (review_id, critic_id, position) VALUES (1, 1, 0)"))
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0004")
    with engine.connect() as connection:
        row = connection.execute(text("SELECT url, listing_only, top_critic, listed_at FROM reviews")).one()
        assert (row[0], bool(row[1]), row[2], row[3]) == (URL, False, None, None)
        assert connection.execute(text("SELECT count(*) FROM review_critics")).scalar() == 1
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0003")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM review_critics")).scalar() == 1
    engine.dispose()


def test_a_listing_and_its_page_in_one_batch_give_the_row_of_two_batches(db_engine):
    other = "https://lantern.example/reviews/the-glass-orchard-again"
    for make in (outlet_page, listing):
        store(db_engine, make())
    both = [listing(url=other), outlet_page(url=other, page_url=other)]
    publications = ImportPublications(Registry(list(PUBLICATIONS.values())))
    assert all(normalise_item(item, publications) == [] for item in both)
    with session_factory(db_engine).begin() as session:
        counts = save_reviews(session, both, PUBLICATIONS)
    assert (counts.new, counts.updated, counts.unchanged) == (1, 0, 0)
    with session_factory(db_engine)() as session:
        reviews = session.scalars(select(Review).order_by(Review.url)).all()
        rows = [{name: getattr(r, name) for name in STEADY if name not in ("url", "page_url")} for r in reviews]
    assert rows[0] == rows[1]
