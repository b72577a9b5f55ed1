"""The bad-input corpus (issue 15): hostile and broken pages, each with what must come of it.

`BAD` pages hold no review the store may take: each says the counter its reason goes to (a
Scrapy stat key: `aggregator/no_review/<reason>`, an HTTP error, a refused claim). `GOOD` are
ten plain film reviews. `DEGRADED` pages hold a review with one broken part: the review is
stored, the broken part is not (a NaN rating is no rating, a script in a name is text).
`HostileSite` serves them all over HTTP on loopback, with their status, headers and bytes.
"""

from __future__ import annotations

import gzip
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Case:
    name: str
    body: bytes
    reason: str = ""
    """The stat key the page's outcome is counted under ("" for a good page)."""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    expect: dict = field(default_factory=dict)
    """For DEGRADED: the stored review's normalised fields that must hold these values."""

    @property
    def path(self) -> str:
        return f"/{self.name}.html"


def html(head: str = "", body: str = "") -> bytes:
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>".encode()


def jsonld(*blocks) -> str:
    # "</" escaped as pages escape it, so a name holding "</script>" does not end the block
    texts = (b if isinstance(b, str) else json.dumps(b).replace("</", "<\\/") for b in blocks)
    return "".join(f'<script type="application/ld+json">{text}</script>' for text in texts)


def review(title="The Glass Lighthouse", critic="Mirela Castellanos-Ford", rating=(3, 4), **extra) -> dict:
    node = {"@context": "https://schema.org", "@type": "Review",
            "itemReviewed": {"@type": "Movie", "name": title},
            "author": {"@type": "Person", "name": critic}, "datePublished": "2026-04-02",
            "reviewBody": f"{title} is a careful, moving film."}
    if rating is not None:
        node["reviewRating"] = {"@type": "Rating", "ratingValue": rating[0], "bestRating": rating[1]}
    node.update(extra)
    return node


def review_page(node, headline="The Glass Lighthouse review") -> bytes:
    return html(f"<title>{headline}</title>{jsonld(node)}",
                f"<article><h1>{headline}</h1><p>A careful, moving film.</p></article>")


GOOD_TITLES = ("The Glass Lighthouse", "Ashgrove Tide", "A Quiet Foundry", "Lanterns of Kell", "The Copper Orchard",
               "Saltmarsh Radio", "Winter at Halden", "The Ninth Ferry", "Marigold Static", "Under the Weir")
GOOD = [Case(f"good-{n}", review_page(review(title, f"Critic Number{chr(65 + n)}"), f"{title} review"))
        for n, title in enumerate(GOOD_TITLES)]

NO_DATA = "aggregator/no_review/no_structured_data"
NOT_HTML = "aggregator/no_review/not_html"
NOT_FILM = "aggregator/no_review/not_a_film_review"
NO_TITLE = "aggregator/no_review/no_reviewed_title"
NOT_ARTICLE = "aggregator/no_review/not_an_article"
LISTING = "aggregator/no_review/listing_page"
NO_SIGNAL = "aggregator/no_review/no_review_signal"
BAD_JSON = "aggregator/structured/bad_json_ld"
FOREIGN = "aggregator/refused/foreign_claim"

_not_html = [
    Case("json-review", json.dumps(review()).encode(), NOT_HTML, content_type="application/json"),
    Case("ld-json-review", json.dumps(review()).encode(), NOT_HTML, content_type="application/ld+json"),
    Case("plain-text", b"The Glass Lighthouse review. Rating: 3/4.", NOT_HTML, content_type="text/plain"),
    Case("png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, NOT_HTML, content_type="image/png"),
    Case("pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n" * 20, NOT_HTML, content_type="application/pdf"),
    Case("octets", bytes((n * 37) % 256 for n in range(4096)), NOT_HTML, content_type="application/octet-stream"),
    Case("csv", b"title,rating\nThe Glass Lighthouse,3/4\n", NOT_HTML, content_type="text/csv"),
    Case("javascript", b"document.write('<h1>The Glass Lighthouse review</h1>')", NOT_HTML,
         content_type="application/javascript"),
]
_no_data = [
    Case("empty-body", b"", NO_DATA),
    Case("empty-html", b"<html></html>", NO_DATA),
    Case("garbage-as-html", bytes((n * 91 + 7) % 256 for n in range(8192)), NO_DATA),
    Case("only-scripts", html("<script>var a = '<h1>x</h1>';</script>", "<script>alert(1)</script>"), NO_DATA),
    Case("only-comments", html("", "<!-- <h1>The Glass Lighthouse review</h1><p>x</p> -->"), NO_DATA),
    Case("deep-divs", html("<title>x</title>", "<div>" * 5000 + "deep" + "</div>" * 5000), NO_DATA),
    Case("huge-empty-markup", html("<title>x</title>", "<span></span>" * 50_000), NO_DATA),
    Case("login-form", html("<title>Sign in</title>", '<form><input name="u"><input type="password"></form>'),
         NO_DATA),
    Case("frameset", b"<html><frameset><frame src='/a'></frameset></html>", NO_DATA),
    Case("unknown-charset", b"<html><head><meta charset='x-nonsense'></head><body>\xff\xfe\xfa</body></html>",
         NO_DATA, content_type="text/html; charset=x-nonsense"),
]
_other_kinds = [
    Case(f"kind-{kind.lower()}", review_page({**review(), "itemReviewed": {"@type": kind, "name": "The Glass Lighthouse"}},
                                              "The Glass Lighthouse review"), f"{NOT_FILM}")
    for kind in ("Book", "VideoGame", "MusicAlbum", "TVSeries", "TVEpisode", "Restaurant", "TheaterEvent",
                 "SoftwareApplication", "MusicRecording", "Game", "Hotel", "PodcastEpisode", "Course",
                 "BookSeries")
]
_no_title = [
    Case(f"title-{name}", review_page({**review(), "itemReviewed": value}, "A careful, moving film"), reason)
    for name, value, reason in (
        ("missing-name", {"@type": "Movie"}, NO_SIGNAL), ("empty-name", {"@type": "Movie", "name": ""}, NO_SIGNAL),
        ("null-name", {"@type": "Movie", "name": None}, NO_SIGNAL), ("list-empty", [], NO_SIGNAL),
        ("null", None, NO_SIGNAL), ("bool", {"@type": "Movie", "name": True}, NO_SIGNAL),
        ("nested-empty", {"@type": "Movie", "name": {"name": {"name": ""}}}, NO_SIGNAL),
        ("whitespace", {"@type": "Movie", "name": " \u200b\t "}, NO_TITLE),
        ("dict-no-name", {"@type": "Movie", "alternateName": 7}, NO_SIGNAL),
        ("list-of-nulls", [None, None], NO_SIGNAL),
    )
]
_articles = [
    Case("box-office-news", review_page({"@context": "https://schema.org", "@type": "NewsArticle",
                                          "headline": "Weekend box office: sequels lead again"},
                                         "Weekend box office: sequels lead again"), NO_SIGNAL),
    Case("item-list", review_page({"@context": "https://schema.org", "@type": "ItemList",
                                    "itemListElement": [{"@type": "ListItem", "position": 1, "name": "x"}]},
                                   "The 10 best films of 2026"), "aggregator/no_review/list_article"),
    Case("collection-page", review_page({"@context": "https://schema.org", "@type": "CollectionPage",
                                          "name": "Film reviews"}, "Film reviews"), LISTING),
    Case("website", review_page({"@context": "https://schema.org", "@type": "WebSite", "name": "The Kell Post"},
                                 "The Kell Post"), NO_SIGNAL),
    Case("person", review_page({"@context": "https://schema.org", "@type": "Person", "name": "Mirela Castellanos"},
                                "Mirela Castellanos"), NO_SIGNAL),
    Case("recipe", review_page({"@context": "https://schema.org", "@type": "Recipe", "name": "Lighthouse pie"},
                                "Lighthouse pie"), NO_SIGNAL),
    Case("event", review_page({"@context": "https://schema.org", "@type": "Event", "name": "Screening night"},
                               "Screening night"), NO_SIGNAL),
    Case("job", review_page({"@context": "https://schema.org", "@type": "JobPosting", "title": "Film critic"},
                             "We are hiring a film critic"), NO_SIGNAL),
    Case("faq", review_page({"@context": "https://schema.org", "@type": "FAQPage"}, "Questions"), NO_SIGNAL),
    Case("interview", review_page({"@context": "https://schema.org", "@type": "NewsArticle",
                                    "headline": "Director Ines Varga on her first feature"},
                                   "Director Ines Varga on her first feature"), NO_SIGNAL),
]
_bad_json = [
    Case(f"json-{name}", html(f'<title>x</title><script type="application/ld+json">{text}</script>'), reason)
    for name, text, reason in (
        ("truncated", '{"@type": "Review", "itemReviewed": {"name": "x"', BAD_JSON),
        ("not-json", "this is not json", BAD_JSON),
        ("trailing-garbage", '{"@type": "Review"} }}}', BAD_JSON),
        ("too-deep", '{"@type":"Thing","about":' * 1500 + "{}" + "}" * 1500, BAD_JSON),
        ("numbers", "[1, 2, 3]", NO_DATA),
        ("null", "null", NO_DATA),
        ("string", '"Review"', NO_DATA),
        ("empty-block", "", NO_DATA),
        ("only-context", '{"@context": "https://schema.org"}', NOT_ARTICLE),
        ("type-number", '{"@type": 42, "name": "x"}', NOT_ARTICLE),
        ("graph-string", '{"@context": "https://schema.org", "@graph": "nothing"}', NOT_ARTICLE),
        ("nan-literal", '{"@type": "Review", "reviewRating": {"ratingValue": NaN}}', NOT_ARTICLE),
        ("huge-array", "[" + ",".join(["{}"] * 100_000) + "]", NOT_ARTICLE),
        ("two-objects", json.dumps(review()) + json.dumps(review()), BAD_JSON),
        ("self-reference", '{"@id": "#a", "@type": "Review", "itemReviewed": {"@id": "#a"}}', NOT_ARTICLE),
    )
]
_foreign = [
    Case(f"foreign-listing-{n}", review_page({"@context": "https://schema.org", "@type": "Movie", "name": "The Glass Lighthouse",
                                               "review": [review(url=f"https://www.nytimes.com/r/{n}-{i}.html")
                                                          for i in range(count)]}, "The Glass Lighthouse"), FOREIGN)
    for n, count in enumerate((1, 5, 50, 500, 2000))
]
_http = [
    Case("status-404", html("<title>Not found</title>"), "downloader/response_status_count/404", status=404),
    Case("status-410", html("<title>Gone</title>"), "downloader/response_status_count/410", status=410),
    Case("status-403", html("<title>Forbidden</title>"), "downloader/response_status_count/403", status=403),
    Case("status-500", html("<title>Error</title>"), "downloader/response_status_count/500", status=500),
    Case("status-503", html("<title>Busy</title>"), "downloader/response_status_count/503", status=503),
    Case("redirect-loop", b"", "downloader/response_status_count/302", status=302,
         headers=(("Location", "/redirect-loop.html"),)),
    Case("redirect-ftp", b"", "downloader/response_status_count/301", status=301,
         headers=(("Location", "ftp://127.0.0.1/x"),)),
    Case("redirect-nowhere", b"", "aggregator/refused/hostless_redirect", status=302,
         headers=(("Location", "http://"),)),
    Case("gzip-bomb", gzip.compress(b"<html>" + b" " * 40_000_000 + b"</html>"), "downloader/response_count",
         headers=(("Content-Encoding", "gzip"),)),
    Case("status-200-with-error-page", html("<title>500 Internal Server Error</title>", "<h1>Error</h1>"),
         NO_DATA),
]

BAD = _not_html + _no_data + _other_kinds + _no_title + _articles + _bad_json + _foreign + _http
"""Pages that must store nothing (81)."""


def _degraded(name: str, node: dict, expect: dict, headline: str = "The Glass Lighthouse review") -> Case:
    return Case(f"degraded-{name}", review_page(node, headline), expect=expect)


DEGRADED = [
    _degraded("nan-rating", review(rating=("NaN", 4)), {"score": None}),
    _degraded("infinite-rating", review(rating=("Infinity", 4)), {"score": None}),
    _degraded("negative-rating", review(rating=(-3, 4)), {"score": None}),
    _degraded("over-best-rating", review(rating=(11, 10)), {"score": None}),
    _degraded("empty-rating", review(rating=("", 4)), {"score": None}),
    _degraded("list-rating", review(rating=([1, 2], 4)), {"score": None}),
    _degraded("zero-best", review(rating=(3, 0)), {"score": None}),
    _degraded("script-critic", review(critic="<script>alert(1)</script>"), {"film_title": "The Glass Lighthouse"}),
    _degraded("sql-critic", review(critic="Robert'); DROP TABLE reviews;--"), {"film_title": "The Glass Lighthouse"}),
    _degraded("number-author", {**review(), "author": 12345}, {"critics": []}),
    _degraded("bad-date", {**review(), "datePublished": "the other day"}, {"published": None}),
    _degraded("absurd-date", {**review(), "datePublished": "99999-99-99"}, {"published": None}),
    _degraded("javascript-url", {**review(), "url": "javascript:alert(1)"}, {"film_title": "The Glass Lighthouse"}),
    _degraded("ansi-title", review(title="\x1b[31mThe Glass Lighthouse\x1b[0m"), {}),
    _degraded("huge-title", review(title="Lighthouse " * 20_000), {}),
    *(Case(f"degraded-jsonld-{name}", html(f'<title>x</title><script type="application/ld+json">{text}</script>'),
           expect={"film_title": "The Glass Lighthouse"})
      for name, text in (("byte-order-mark", "\ufeff" + json.dumps(review())),
                         ("comment-wrapped", "<!--\n" + json.dumps(review()) + "\n-->"),
                         ("unclosed-comment", "<!--" + json.dumps(review())),
                         ("cdata-wrapped", "//<![CDATA[\n" + json.dumps(review()) + "\n//]]>"))),
]


class HostileSite:
    """The cases served over HTTP on 127.0.0.1 (`with HostileSite(cases) as site: site.url(case)`)."""

    def __init__(self, cases: list[Case]):
        routes = {case.path: case for case in cases}
        routes["/robots.txt"] = Case("robots", b"User-agent: *\nAllow: /\n", content_type="text/plain")

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                case = routes.get(self.path.split("?")[0])
                if case is None:
                    self.send_error(404)
                    return
                self.send_response(case.status)
                self.send_header("Content-Type", case.content_type)
                for name, value in case.headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(case.body)))
                self.end_headers()
                self.wfile.write(case.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, case: Case) -> str:
        return self.base + case.path

    def __enter__(self) -> HostileSite:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
