"""The bundled demo corpus and the loopback server that serves it.

Everything is fetched over real HTTP from `serve_directory`, as the demo crawl will see it. The
corpus checks keep the pages, `publications.toml` and `fixtures/demo_expected.json` consistent
with each other, so that a wrong crawl result can only mean a wrong crawler.
"""

from __future__ import annotations

import json
import re
import tomllib
import urllib.error
import urllib.request
import urllib.robotparser
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import extruct
import pytest
from parsel import Selector

from aggregator.demo.server import (
    DEMO_PUBLICATIONS,
    DEMO_SITE,
    RequestLog,
    demo_start_urls,
    serve_directory,
)
from aggregator.ratings.scales import SCALES

EXPECTED_PATH = Path(__file__).parent / "fixtures" / "demo_expected.json"
EXPECTED: dict[str, Any] = json.loads(EXPECTED_PATH.read_text(encoding="utf-8"))
REVIEWS: dict[str, dict[str, Any]] = EXPECTED["reviews"]

LETTER_SCORES = {
    "A+": 100, "A": 100, "A-": 91, "B+": 83, "B": 75, "B-": 67, "C+": 58, "C": 50,
    "C-": 42, "D+": 33, "D": 25, "D-": 16, "F": 0,
}
# Absolute URLs on the pages may point at the fictional outlets or at vocabularies and tool
# vendors that real markup names; anything else would be a real site slipping into the corpus.
ALLOWED_REAL_HOSTS = {"schema.org", "gmpg.org", "yoast.com"}


# --- helpers --------------------------------------------------------------------------------


def _url_path_of(file: Path) -> str:
    rel = file.relative_to(DEMO_SITE).as_posix()
    if rel == "index.html":
        return "/"
    if rel.endswith("/index.html"):
        return "/" + rel[: -len("index.html")]
    return "/" + rel


HTML_PATHS = sorted(_url_path_of(f) for f in DEMO_SITE.rglob("*.html"))


@dataclass
class Page:
    path: str
    html: str
    sel: Selector
    jsonld: list[Any] = field(default_factory=list)

    @property
    def canonicals(self) -> list[str]:
        return self.sel.css('link[rel="canonical"]::attr(href)').getall()

    @property
    def canonical(self) -> str:
        return self.canonicals[0]

    def meta(self, key: str) -> list[str]:
        return self.sel.xpath(
            f'//meta[@property="{key}" or @name="{key}"]/@content'
        ).getall()

    def links(self) -> list[str]:
        return self.sel.css("a::attr(href)").getall()

    def jsonld_nodes(self) -> list[dict[str, Any]]:
        """Every JSON-LD object on the page, flattening arrays and @graph."""
        nodes: list[dict[str, Any]] = []

        def walk(value: Any) -> None:
            if isinstance(value, list):
                for v in value:
                    walk(v)
            elif isinstance(value, dict):
                if "@graph" in value:
                    walk(value["@graph"])
                else:
                    nodes.append(value)

        walk(self.jsonld)
        return nodes

    def nodes_of_type(self, *types: str) -> list[dict[str, Any]]:
        return [n for n in self.jsonld_nodes() if set(_types(n)) & set(types)]

    def microdata(self) -> list[dict[str, Any]]:
        return extruct.extract(
            self.html, base_url="http://demo.invalid/", syntaxes=["microdata"], uniform=False
        )["microdata"]


def _types(node: dict[str, Any]) -> list[str]:
    t = node.get("@type", [])
    return t if isinstance(t, list) else [t]


def _fetch(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read().decode("utf-8")
            return response.status, response.headers.get("Content-Type", ""), body
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), ""


def _score_of(rating_raw: str | None) -> float | None:
    if rating_raw is None:
        return None
    if rating_raw in LETTER_SCORES:
        return float(LETTER_SCORES[rating_raw])
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(?:/| out of )(\d+)(?: stars)?", rating_raw)
    assert match, f"rating_raw {rating_raw!r} fits none of the demo's rating shapes"
    value, best = float(match[1]), float(match[2])
    assert best in (4, 5), f"demo ratings are out of 4 or 5, not {best}"
    return value * (100 / best)


def _verdict_of(score: float | None) -> str | None:
    if score is None:
        return None
    return "positive" if score >= 61 else "mixed" if score >= 40 else "negative"


def _visible_text(page: Page) -> str:
    return " ".join(" ".join(page.sel.xpath("//body//text()").getall()).split())


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site():
    with serve_directory(DEMO_SITE) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def pages(site) -> dict[str, Page]:
    fetched: dict[str, Page] = {}
    for path in HTML_PATHS:
        status, content_type, html = _fetch(site.url(path))
        assert status == 200, f"{path}: HTTP {status}"
        assert content_type == "text/html; charset=utf-8", f"{path}: {content_type}"
        sel = Selector(text=html)
        blocks = []
        for raw in sel.xpath('//script[@type="application/ld+json"]/text()').getall():
            try:
                blocks.append(json.loads(raw))
            except json.JSONDecodeError as error:  # pragma: no cover - the failure message
                pytest.fail(f"{path}: JSON-LD block does not parse: {error}")
        fetched[path] = Page(path=path, html=html, sel=sel, jsonld=blocks)
    return fetched


@pytest.fixture(scope="module")
def publications() -> dict[str, dict[str, Any]]:
    return tomllib.loads(DEMO_PUBLICATIONS.read_text(encoding="utf-8"))["publications"]


# --- the server -----------------------------------------------------------------------------


def test_server_serves_files_and_answers_404_for_missing_ones(site):
    status, content_type, body = _fetch(site.url("/robots.txt"))
    assert status == 200 and "Disallow: /private/" in body
    assert content_type.startswith("text/plain")
    assert _fetch(site.url("/no-such-page.html"))[0] == 404
    assert _fetch(site.url("/lantern/2099/"))[0] == 404


def test_server_never_lists_a_directory(site):
    # /lantern/2025/ exists on disk but has no index.html: a listing would expose every file.
    assert (DEMO_SITE / "lantern" / "2025").is_dir()
    status, _, body = _fetch(site.url("/lantern/2025/"))
    assert status == 404
    assert "the-glass-orchard-review" not in body


def test_server_binds_loopback_on_an_ephemeral_port(site):
    parts = urlsplit(site)
    assert parts.scheme == "http" and parts.hostname == "127.0.0.1"
    assert parts.port and parts.port > 0
    assert site.endswith("/")


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "10.0.0.1", "::", "demo.example"])
def test_server_refuses_to_bind_anything_but_loopback(host):
    with pytest.raises(ValueError, match="loopback"):
        with serve_directory(DEMO_SITE, host=host):
            pass  # pragma: no cover


def test_server_refuses_a_missing_root(tmp_path):
    with pytest.raises(FileNotFoundError):
        with serve_directory(tmp_path / "nowhere"):
            pass  # pragma: no cover


def test_request_log_counts_per_path_ignoring_query_strings(tmp_path):
    (tmp_path / "a.html").write_text("<p>a</p>", encoding="utf-8")
    with serve_directory(tmp_path) as base:
        for suffix in ("", "?utm_source=x", "?utm_source=y#frag"):
            assert _fetch(base.url("a.html" + suffix))[0] == 200
        assert _fetch(base.url("missing.html"))[0] == 404
        log = base.request_log
        assert isinstance(log, RequestLog)
        assert log.count("/a.html") == 3
        assert log.count("/missing.html") == 1
        assert log.statuses("/missing.html") == {404: 1}
        assert log.paths() == ["/a.html", "/missing.html"]
        assert log.requested_under("/a") == ["/a.html"]
        assert log.total == 4
        assert any(ua.startswith("Python-urllib") for ua in log.user_agents())


def test_server_is_quiet_unless_asked(tmp_path, capfd):
    (tmp_path / "a.html").write_text("<p>a</p>", encoding="utf-8")
    with serve_directory(tmp_path) as base:
        _fetch(base.url("a.html"))
        _fetch(base.url("missing.html"))
    assert capfd.readouterr().err == ""
    with serve_directory(tmp_path, log_requests=True) as base:
        _fetch(base.url("a.html"))
    assert '"GET /a.html HTTP/1.1" 200' in capfd.readouterr().err


def test_server_stops_when_the_block_ends(tmp_path):
    (tmp_path / "a.html").write_text("<p>a</p>", encoding="utf-8")
    with serve_directory(tmp_path) as base:
        url = base.url("a.html")
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=2)


def test_demo_start_urls_is_the_index_page(site):
    start = demo_start_urls(site)
    assert start == [str(site)]
    status, _, html = _fetch(start[0])
    assert status == 200 and "Demo newsstand" in html


# --- the corpus: every page -------------------------------------------------------------------


@pytest.mark.parametrize("path", HTML_PATHS)
def test_every_page_has_one_canonical_on_an_example_domain(pages, path):
    page = pages[path]
    assert len(page.canonicals) == 1, f"{path}: {page.canonicals}"
    parts = urlsplit(page.canonical)
    assert parts.scheme == "https"
    assert parts.hostname and parts.hostname.endswith(".example")
    for og_url in page.meta("og:url"):
        assert og_url == page.canonical, f"{path}: og:url differs from the canonical"


@pytest.mark.parametrize("path", HTML_PATHS)
def test_every_page_declares_utf8_and_a_language(pages, path):
    page = pages[path]
    assert page.sel.xpath("//meta[@charset]/@charset").get().lower() == "utf-8"
    assert page.sel.xpath("/html/@lang").get()


def test_canonicals_are_unique(pages):
    counts = Counter(p.canonical for p in pages.values())
    assert [c for c, n in counts.items() if n > 1] == []


def test_pages_name_no_real_site(pages):
    attribute_urls = re.compile(r'(?:href|src|content)=["\'](https?://[^"\']+)')
    for page in pages.values():
        hosts = {urlsplit(u).hostname for u in attribute_urls.findall(page.html)}
        for node in page.jsonld_nodes():
            hosts |= {urlsplit(u).hostname for u in re.findall(r'https?://[^"\s]+', json.dumps(node))}
        real = {h for h in hosts if not h.endswith(".example") and h not in ALLOWED_REAL_HOSTS}
        assert real == set(), f"{page.path} names real hosts {real}"


def test_every_internal_link_resolves_and_every_page_is_reachable(site, pages):
    start = demo_start_urls(site)[0]
    seen: set[str] = set()
    queue = [start]
    while queue:
        url = queue.pop()
        path = urlsplit(url).path
        if path in seen:
            continue
        seen.add(path)
        assert path in pages, f"link to {path} leads nowhere (HTTP {_fetch(url)[0]})"
        for href in pages[path].links():
            target = urljoin(url, href)
            if urlsplit(target).netloc == urlsplit(start).netloc:
                queue.append(target.split("#")[0])
    assert sorted(seen) == HTML_PATHS, "pages no link reaches"


# --- the corpus: what it must contain ---------------------------------------------------------


def test_counts_meet_the_minimums(pages):
    outlets = {r["publication"] for r in REVIEWS.values()}
    films = {(r["film_title"], r["film_year"]) for r in REVIEWS.values()}
    titles = {r["film_title"] for r in REVIEWS.values()}
    assert len(outlets) >= 4
    assert len(titles) >= 3
    assert len(REVIEWS) >= 12
    # Identity: one title shared by two films of different years.
    years_by_title: dict[str, set[int]] = {}
    for title, year in films:
        if year is not None:
            years_by_title.setdefault(title, set()).add(year)
    assert any(len(years) >= 2 for years in years_by_title.values())
    # Each outlet in its own folder, linked from the index.
    index_links = set(pages["/"].links())
    for folder in ("lantern/", "ledger/", "reelhouse/", "secondreel/", "tidewater/"):
        assert folder in index_links
        assert f"/{folder}" in pages


def test_robots_txt_disallows_private_and_allows_the_rest(site):
    robots = urllib.robotparser.RobotFileParser(site.url("/robots.txt"))
    robots.read()
    for agent in ("*", "critics-aggregator"):
        assert not robots.can_fetch(agent, site.url("/private/the-glass-orchard-embargoed.html"))
        for review in REVIEWS.values():
            assert robots.can_fetch(agent, site.url(review["page"]))


def test_private_page_looks_like_a_review_and_is_linked_from_a_listing(pages):
    private = pages["/private/the-glass-orchard-embargoed.html"]
    [review] = private.nodes_of_type("Review")
    assert review["reviewRating"]["ratingValue"]
    linking = [p.path for p in pages.values() if any(h.startswith("/private/") for h in p.links())]
    assert linking == ["/reelhouse/"]


def test_listings_link_reviews_relatively_some_with_tracking_parameters(pages):
    listings = [n["page"] for n in EXPECTED["no_review"] if n["kind"] == "listing"]
    linked: dict[str, str] = {}
    for listing in listings:
        for href in pages[listing].links():
            if urlsplit(href).scheme:
                continue
            target = urlsplit(urljoin("http://h" + listing, href))
            linked.setdefault(target.path, href)
            if target.query:
                linked[target.path] = href
    for review in REVIEWS.values():
        assert review["page"] in linked, f"no listing links {review['page']}"
    tracked = [h for h in linked.values() if "utm_source=" in h]
    assert len(tracked) >= 5


def test_wordpress_yoast_graph_shape(pages):
    page = pages["/lantern/2025/10/03/the-glass-orchard-review/"]
    [block] = page.jsonld
    graph = block["@graph"]
    by_id = {n["@id"]: n for n in graph if "@id" in n}
    assert {"WebPage", "Article", "Person", "Organization", "WebSite"} <= {
        t for n in graph for t in _types(n)
    }
    [article] = [n for n in graph if "Article" in _types(n)]
    assert set(article["author"]) == {"@id"}, "author must be a bare @id reference"
    assert "Person" in _types(by_id[article["author"]["@id"]])
    assert "Organization" in _types(by_id[article["publisher"]["@id"]])
    assert article["articleSection"] == ["Film Reviews"]
    assert article["keywords"]
    assert "&#8216;" in article["headline"], "Yoast writes curly quotes as entities"
    assert "reviewRating" not in json.dumps(graph)
    assert "Rating: 3.5/5" in _visible_text(page)


def test_every_id_reference_in_a_graph_resolves(pages):
    for page in pages.values():
        for block in page.jsonld:
            if not isinstance(block, dict) or "@graph" not in block:
                continue
            defined, referenced = _ids_in(block)
            assert referenced, f"{page.path}: a graph without references exercises nothing"
            assert referenced <= defined, f"{page.path}: dangling {referenced - defined}"


def _ids_in(value: Any) -> tuple[set[str], set[str]]:
    """(@ids that a node defines, @ids that a bare {"@id": ...} reference points at)."""
    defined: set[str] = set()
    referenced: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, list):
            for item in v:
                walk(item)
        elif isinstance(v, dict):
            if "@id" in v:
                (referenced if set(v) == {"@id"} else defined).add(v["@id"])
            for item in v.values():
                walk(item)

    walk(value)
    return defined, referenced


def test_news_site_shape_with_co_written_review_and_visible_stars(pages):
    page = pages["/ledger/film/2025/oct/10/the-glass-orchard-review.html"]
    [article] = page.nodes_of_type("NewsArticle")
    assert [a["@type"] for a in article["author"]] == ["Person", "Person"]
    assert " review – " in article["headline"]
    stars = page.sel.css('[data-gu-name="headline"] span.stars')
    assert stars.attrib["aria-label"] == "4 out of 5 stars"
    assert stars.css("::text").get() == "★★★★☆"


def test_schema_review_shape(pages):
    page = pages["/reelhouse/reviews/the-glass-orchard-2025.html"]
    [review] = page.nodes_of_type("Review")
    movie = review["itemReviewed"]
    assert _types(movie) == ["Movie"]
    assert {"name", "dateCreated", "director"} <= set(movie)
    assert {"ratingValue", "bestRating", "worstRating"} <= set(review["reviewRating"])


def test_letter_grade_microdata_and_text_grade(pages):
    [item] = pages["/secondreel/2025/10/the-glass-orchard.html"].microdata()
    assert item["type"] == "https://schema.org/Review"
    assert item["properties"]["reviewRating"]["properties"]["ratingValue"] == "C+"
    assert item["properties"]["itemReviewed"]["properties"]["name"] == "The Glass Orchard"

    text_graded = pages["/secondreel/2026/02/nightjar-crossing.html"]
    [item] = text_graded.microdata()
    assert "reviewRating" not in item["properties"]
    paragraphs = text_graded.sel.css('[itemprop="reviewBody"] p::text').getall()
    assert paragraphs[-1].strip() == "Grade: A-"
    assert sum("Grade: A-" in p for p in paragraphs) == 1


def test_normalisation_traps_are_present(pages):
    authors = [
        item["properties"]["author"]["properties"]["name"]
        for p in pages.values()
        for item in (p.microdata() if "secondreel" in p.path else [])
        if "author" in item["properties"]
    ]
    assert "PRIYA VANTERPOOL" in authors, "an all-caps byline"
    names = [
        a["name"]
        for p in pages.values()
        for n in p.nodes_of_type("NewsArticle")
        for a in (n.get("author") if isinstance(n.get("author"), list) else [n.get("author")])
        if a
    ]
    assert any(re.fullmatch(r"By \S.* and \S.*", name) for name in names), "a 'By X and Y' byline"
    assert "Staff" in names, "a site-account byline"
    headlines = [n.get("headline", "") for p in pages.values() for n in p.jsonld_nodes()]
    assert any("‘" in h and "’" in h for h in headlines), "a title in curly quotes"
    assert pages["/ledger/"].meta("og:site_name") == ["the Morning Ledger"]


def test_non_review_article_is_a_news_article_without_review_signals(pages):
    for entry in EXPECTED["no_review"]:
        if entry["kind"] not in ("interview", "news"):
            continue
        page = pages[entry["page"]]
        [article] = page.nodes_of_type("NewsArticle")
        assert "review" not in article["headline"].lower()
        assert "review" not in " ".join(page.meta("article:section")).lower()
        assert not page.sel.css(".stars")
        assert "Rating:" not in page.html and "Grade:" not in page.html


def test_dates_spread_over_2025_and_2026():
    years = {r["published"][:4] for r in REVIEWS.values()}
    assert years == {"2025", "2026"}


# --- expectations consistent with the pages ---------------------------------------------------


def test_every_page_is_either_an_expected_review_or_an_expected_non_review(pages):
    review_pages = [r["page"] for r in REVIEWS.values()]
    other_pages = [n["page"] for n in EXPECTED["no_review"]]
    assert sorted(review_pages + other_pages) == HTML_PATHS


@pytest.mark.parametrize("canonical", sorted(REVIEWS))
def test_expected_review_matches_its_page(pages, publications, canonical):
    _check_expected_review(pages, publications, canonical, REVIEWS[canonical])


KNOWN_BAD_EXPECTATIONS = [
    ("score", 80.0),
    ("verdict", "mixed"),
    ("verdict_source", "rating"),
    ("verdict_source", "inferred"),  # a scored review's verdict is never the model's
    ("rating_raw", "4/5"),
    ("rating_from", "json-ld"),
    ("critics", ["Marguerite Okonjo-Hallers"]),
    ("film_title", "The Glass Orchid"),
    ("film_year", 1987),
    ("published", "2025-10-04"),
    ("page", "/lantern/2026/02/06/nightjar-crossing-review/"),
    ("publication", "reelhouse"),
]


@pytest.mark.parametrize(("field_name", "bad_value"), KNOWN_BAD_EXPECTATIONS)
def test_the_consistency_check_catches_a_wrong_expectation(
    pages, publications, field_name, bad_value
):
    canonical = "https://www.lanternreview.example/2025/10/03/the-glass-orchard-review/"
    wrong = {**REVIEWS[canonical], field_name: bad_value}
    with pytest.raises(AssertionError):
        _check_expected_review(pages, publications, canonical, wrong)


@pytest.mark.parametrize("rating_raw", ["7/10", "3 stars", "B++", "4/5/6"])
def test_the_score_rules_reject_ratings_outside_the_demo_shapes(rating_raw):
    with pytest.raises(AssertionError):
        _score_of(rating_raw)


def _check_expected_review(
    pages: dict[str, Page],
    publications: dict[str, dict[str, Any]],
    canonical: str,
    expected: dict[str, Any],
) -> None:
    owners = [p.path for p in pages.values() if canonical in p.canonicals]
    assert owners == [expected["page"]], "the canonical of exactly one page"
    page = pages[expected["page"]]

    publication = publications[expected["publication"]]
    host = urlsplit(canonical).hostname
    assert any(host == d or host.endswith("." + d) for d in publication["domains"])

    text = _visible_text(page)
    searchable = (page.html + " " + text).lower()
    for critic in expected["critics"]:
        assert critic.lower() in searchable, f"critic {critic} not on the page"
    assert expected["film_title"] in text or expected["film_title"] in page.html
    if expected["film_year"] is not None:
        assert str(expected["film_year"]) in page.html

    dates = (
        page.meta("article:published_time")
        + [n.get("datePublished", "") for n in page.jsonld_nodes()]
        + page.sel.css('[itemprop="datePublished"]::attr(datetime)').getall()
    )
    assert any(d.startswith(expected["published"]) for d in dates), dates

    score = _score_of(expected["rating_raw"])
    assert expected["score"] == score
    if expected["verdict_source"] == "inferred":  # unscored: the model's reading of the prose
        assert score is None and expected["rating_from"] is None
        assert expected["verdict"] in ("positive", "mixed", "negative")
    else:
        assert expected["verdict"] == _verdict_of(score)
        source = {None: None, "body-text": "text"}.get(expected["rating_from"], "rating")
        assert expected["verdict_source"] == source
    _assert_rating_is_where_expected(page, expected)


def _assert_rating_is_where_expected(page: Page, expected: dict[str, Any]) -> None:
    raw, where = expected["rating_raw"], expected["rating_from"]
    if where is None:
        assert raw is None
        assert not page.sel.css(".stars") and "reviewRating" not in page.html
        assert not re.search(r"\b(Rating|Grade):", _visible_text(page))
    elif where == "json-ld":
        [review] = page.nodes_of_type("Review")
        rating = review["reviewRating"]
        assert f"{rating['ratingValue']}/{rating['bestRating']}" == raw
    elif where == "microdata":
        [item] = page.microdata()
        assert item["properties"]["reviewRating"]["properties"]["ratingValue"] == raw
    elif where == "visible-stars":
        assert page.sel.css("span.stars::attr(aria-label)").getall() == [raw]
    elif where == "body-text":
        assert re.search(rf"\b(Rating|Grade): {re.escape(raw)}(?!\S)", _visible_text(page))
        assert "reviewRating" not in page.html
    else:  # pragma: no cover - a typo in the fixture
        pytest.fail(f"unknown rating_from {where!r}")


def test_expected_non_reviews_match_their_pages(pages):
    for entry in EXPECTED["no_review"]:
        page = pages[entry["page"]]
        assert page.canonical == entry["canonical"]
        assert entry["canonical"] not in REVIEWS
        assert entry["fetched"] == (not entry["page"].startswith("/private/"))


def test_expected_films_group_every_review_once():
    grouped = Counter(url for film in EXPECTED["films"] for url in film["reviews"])
    assert set(grouped) == set(REVIEWS) and set(grouped.values()) == {1}
    for film in EXPECTED["films"]:
        reviews = [REVIEWS[u] for u in film["reviews"]]
        assert {r["film_title"] for r in reviews} == {film["title"]}
        assert {r["film_year"] for r in reviews} <= {film["year"], None}
        scores = [r["score"] for r in reviews if r["score"] is not None]
        verdicts = Counter(r["verdict"] or "unscored" for r in reviews)
        sources = Counter(r["verdict_source"] or "none" for r in reviews)
        summary = film["summary"]
        assert summary["reviews"] == len(reviews)
        assert summary["scored"] == len(scores)
        assert summary["average_score"] == (sum(scores) / len(scores) if scores else None)
        assert summary["by_verdict"] == {
            k: verdicts.get(k, 0) for k in ("positive", "mixed", "negative", "unscored")
        }
        assert summary["by_verdict_source"] == {
            k: sources.get(k, 0) for k in ("rating", "text", "inferred", "none")
        }


def test_verdict_boundaries_are_exercised():
    scores = {r["score"] for r in REVIEWS.values()}
    assert {40.0, 60.0, 62.5} <= scores, "both sides of 40 and 61"
    verdicts = Counter(r["verdict"] for r in REVIEWS.values() if r["score"] is not None)
    assert all(verdicts[v] for v in ("positive", "mixed", "negative"))
    assert any(r["score"] is None for r in REVIEWS.values()), "an unscored review"


# --- the registry entries --------------------------------------------------------------------

REQUIRED_PUBLICATION_FIELDS = {"name", "aliases", "domains", "country", "language", "weight"}


def test_publications_toml_entries_are_complete(publications):
    assert len(publications) >= 4
    for key, entry in publications.items():
        assert REQUIRED_PUBLICATION_FIELDS <= set(entry), key
        assert set(entry) <= REQUIRED_PUBLICATION_FIELDS | {"scale"}, key
        assert all(d.endswith(".example") for d in entry["domains"]), key
        assert re.fullmatch(r"[A-Z]{2}", entry["country"]) and entry["language"] == "en"
        assert isinstance(entry["weight"], float) and entry["weight"] > 0
        if "scale" in entry:
            assert entry["scale"] in SCALES, f"{key}: {entry['scale']} is not in the vocabulary"


def test_publications_scale_matches_the_outlet_ratings(publications):
    scored = {r["publication"] for r in REVIEWS.values() if r["score"] is not None}
    for key, entry in publications.items():
        assert ("scale" in entry) == (key in scored), key
    assert publications["second-reel"]["scale"] == "letter"
    assert publications["reelhouse"]["scale"] == "stars/4"


def test_every_outlet_page_maps_to_exactly_one_publication(pages, publications):
    for page in pages.values():
        host = urlsplit(page.canonical).hostname
        owners = [
            k for k, e in publications.items()
            if any(host == d or host.endswith("." + d) for d in e["domains"])
        ]
        if page.path == "/":
            assert owners == []
            continue
        assert len(owners) == 1, f"{page.path}: {owners}"
        entry = publications[owners[0]]
        names = {entry["name"].lower(), *(a.lower() for a in entry["aliases"])}
        for site_name in page.meta("og:site_name"):
            assert site_name.lower() in names, f"{page.path}: og:site_name {site_name!r}"
