"""What a page says about the reviews on it, and the written rule for "this page is a review".

The rule (tested in tests/test_review_page.py):

1. A structured review: a schema.org Review / CriticReview / ReviewNewsArticle node (JSON-LD
   or microdata) whose reviewed title is known (its `itemReviewed` name, or the name of the
   creative work, or the Product a film site marks its film as, that holds it in a `review`
   property) is a review. A page may hold several (a film page listing critics' reviews):
   each becomes an item keyed on its own URL.
2. Otherwise, an article (schema.org Article/NewsArticle/BlogPosting…, og:type "article", a
   named outlet's own article markup, `Page.outlet_article`, or a page that shows an article's
   headline over paragraphs with no metadata at all, `Page.visible_article`) is a review when
   it has BOTH
   - a reviewed title: the one the page's sources agree on (headline, og:title and <title>,
     standfirst, tags, URL slug: aggregator.identity.film_candidates), kept with the reason
     (`film_reason`); and
   - a review signal: a review headline pattern ("X review – …", "Review: X", "'X' review",
     "X (2023) review", …), a rating (structured, visible, in an image's alt text, or a
     "Grade: B-" the text states), a section, tag or keyword naming reviews, or a URL path
     segment naming reviews. A page with no "review" word is a review when it has a title
     and a verdict.
3. Anything else is not a review, with the reason: "no_structured_data" (nor a visible
   article), "listing_page" (a CollectionPage / SearchResultsPage / ProfilePage with no
   article: archives, indexes), "not_an_article", "no_review_signal", "no_reviewed_title", or
   "not_a_film_review" (with the kind: aggregator.identity.review_kind). Before the headline
   patterns are tried, a trailing " | Site Name" is cut: a site name may itself end in "Review".

Where structured data is silent, what the visible page shows (spiders/base/visible_page.py)
fills in: the article's own headline (not the masthead's nor a card's), its byline (used
when structured data names nobody or only a site account), its date (old CMS metas, <time>,
dated elements, a date opening the text), its tags, the site's name from its masthead, a
film year stated with the running time.

A named outlet's reading (spiders/outlets) may add to the page before the rule runs: its rating
(in `visible_ratings`), its verdict label (`label_raw`), and a visible byline and date used only
where structured data names no author and gives no date.

A site account or organisation as author is kept out of `critic_raw` here (the critic pipeline
also drops site accounts that pose as people). Each structured author is also kept with its own
profile URLs in `authors_raw`, so a co-written review does not mix its authors' pages.

For the critic and film pipelines the item also carries, as given, the page's standfirst
(`standfirst_raw`: the node's description, else og:description / description), its <title>
(`title_raw`) and its tags and keywords (`keywords_raw`). An embedded review (its own URL on a
film page listing several) takes none of these from the page: they describe the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aggregator.identity import film_title_from_headline
from aggregator.identity.critics import is_site_account, name_fits_handle, split_byline
from aggregator.identity.film_candidates import choose_title, without_site_name
from aggregator.identity.review_kind import FILM_ONLY, ReviewKind, review_kind
from aggregator.items import ReviewItem
from aggregator.ratings import Rating
from aggregator.urls import ClaimCheck, canonical_url
from aggregator.verdicts import stated_in_text

from .schema_org import (
    ARTICLE_TYPES,
    CREATIVE_WORK_TYPES,
    LISTING_TYPES,
    ORGANIZATION_TYPES,
    REVIEW_TYPES,
    Graph,
    is_a,
    strings,
    text_of,
)
from .visible_page import DATE_METAS

# A film site may mark the film up as a Product holding its critic's review.
REVIEW_HOLDER_TYPES = CREATIVE_WORK_TYPES | {"Product"}
REVIEW_WORD = re.compile(r"\breviews?\b", re.IGNORECASE)
REVIEW_PATH_SEGMENT = re.compile(r"/(?:[\w-]*-)?reviews?(?:-[\w-]*)?/", re.IGNORECASE)
MIN_UNHEADED_PARAGRAPHS = 3
"""Paragraphs a page with no <h1> and no metadata shows before its <title> is taken for an
article's headline: fewer is a form, an index or a splash page."""

NO_REVIEW_REASONS = (
    "no_structured_data", "listing_page", "not_an_article", "list_article", "no_review_signal",
    "no_reviewed_title", "not_a_film_review",
)
LIST_HEADLINE = re.compile(
    r"^\W*(?:the\s+)?(?:top\s+)?\d{1,3}\s+(?:best|worst|greatest|favou?rite|essential|most|great|underrated)\b"
    r"|\b(?:best|worst|top)\s+(?:\w+\s+){0,2}(?:films|movies)\s+(?:of|in|from)\s+(?:the\s+)?(?:year|decade|\d{4})",
    re.IGNORECASE)
"""A ranked list's headline ("The 10 Best Films of 2025", "Top 5 horror movies of 2024"): an
article about many films, not a review of one."""


@dataclass
class Page:
    """The parts of a fetched page the review rule reads, gathered once by the spider."""

    url: str
    canonical: str
    graph: Graph
    meta: dict[str, list[str]] = field(default_factory=dict)
    title: str | None = None
    h1: str | None = None
    visible_ratings: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    visible_dates: list[str] = field(default_factory=list)
    """Dates where the template shows them (<time>, dated elements, the text's opening)."""
    language: str | None = None
    # What an outlet's own reading found (spiders/outlets), beyond structured data:
    label: str | None = None
    """The outlet's verdict label as shown ("Critic’s Pick", "Recommended")."""
    bylines: list[str] = field(default_factory=list)
    """The critic as the visible byline names them, used when structured data names nobody."""
    outlet_date: str | None = None
    """The publication date where the outlet puts it, used when structured data gives none."""
    outlet_article: bool = False
    """The outlet's article headline markup is on the page: an article even without
    structured data (a page whose JSON-LD is missing or unreadable)."""
    visible_bylines: list[str] = field(default_factory=list)
    """Byline markup and "By …" lines as printed (spiders/base/visible_page.py), used when
    structured data names nobody, or only a site account."""
    sign_off: str | None = None
    """The name signing the article at its foot ("— Name"): the critic of a page that names no
    author anywhere else (an old hand-written page)."""
    introduced_names: list[str] = field(default_factory=list)
    """Names the author gives themselves ("I'm Tobiah Quennell"): who a login-handle byline is."""
    tags: list[str] = field(default_factory=list)
    """The post's tag links (rel="tag", tag lists)."""
    masthead: str | None = None
    """The site's name as its masthead prints it, for a page whose metadata names no site."""
    film_year: str | None = None
    """A film's year a facts line states with its running time ("2013 | 90 mins.")."""
    claims: ClaimCheck | None = None
    """Which URLs the page may give as a review's identity (aggregator.urls.ClaimCheck): a
    JSON-LD review `url` on another site is refused, and counted by the spider."""
    standfirst_markup: str | None = None
    """The visible standfirst's words with its emphasis kept as <em>/<i>/<cite> tags, when it
    has any: the first emphasised title names the film (aggregator.identity.film_identity)."""

    def meta_first(self, *names: str) -> str | None:
        for name in names:
            for value in self.meta.get(name, ()):
                if value and value.strip():
                    return value.strip()
        return None

    @property
    def has_structured_data(self) -> bool:
        return (bool(self.graph.top_nodes) or any(k.startswith("og:") for k in self.meta)
                or self.outlet_article)

    @property
    def visible_article(self) -> bool:
        """The page shows an article: its own headline and paragraphs under it, marked up or not.
        An old hand-written page may have no <h1>: its <title> heads several paragraphs."""
        return bool(self.h1 and self.paragraphs) or bool(self.title and len(self.paragraphs) >= MIN_UNHEADED_PARAGRAPHS)


@dataclass
class PageVerdict:
    items: list[ReviewItem]
    reason: str
    """"ok", or the NO_REVIEW_REASONS code saying why the page holds no review."""
    kind: str | None = None
    """With "not_a_film_review": what the page reviews instead ("game", "book", …)."""

    @property
    def stat_keys(self) -> list[str]:
        """The counters a page without a review adds to: its reason, and the kind with it."""
        keys = [f"aggregator/no_review/{self.reason}"]
        return keys + [f"{keys[0]}/{self.kind}"] if self.kind else keys

    def __str__(self) -> str:
        return f"{self.reason} ({self.kind})" if self.kind else self.reason


def reviews_on_page(page: Page, kinds: frozenset[str] = FILM_ONLY) -> PageVerdict:
    """The reviews on the page, of the kinds asked for (films only unless told: a crawl that
    also wants the stage says so, `-a kinds=film,stage`)."""
    structured, other_kind = _structured_reviews(page, kinds)
    if structured:
        return PageVerdict(structured, "ok")
    if other_kind:
        return PageVerdict([], "not_a_film_review", other_kind)
    if not page.has_structured_data and not page.visible_article:
        return PageVerdict([], "no_structured_data")
    article = _main_article(page)
    if article is None and page.graph.of_type(LISTING_TYPES):
        return PageVerdict([], "listing_page")
    if article is None and page.meta_first("og:type") != "article" and not page.outlet_article \
            and not page.visible_article:
        return PageVerdict([], "not_an_article")
    return _article_review(page, article or {}, kinds)


# --- 1. structured reviews -------------------------------------------------------------------


def _structured_reviews(page: Page, kinds: frozenset[str]) -> tuple[list[ReviewItem], str | None]:
    """The page's structured film reviews, and the kind of the other reviews it skipped."""
    graph = page.graph
    reviews: list[tuple[dict, dict | None]] = []
    seen: set[int] = set()
    for node in graph.nodes():
        if is_a(node, REVIEW_HOLDER_TYPES):
            for review in graph.get(node, "review"):
                if is_a(review, REVIEW_TYPES) and id(review) not in seen:
                    seen.add(id(review))
                    reviews.append((review, node))
    for node in graph.of_type(REVIEW_TYPES):
        if id(node) not in seen:
            seen.add(id(node))
            reviews.append((node, None))

    items: dict[str, ReviewItem] = {}
    other_kind = None
    for review, holder in reviews:
        work = graph.first(review, "itemReviewed") or holder
        title = text_of(work)
        if not title:
            continue
        item = _review_item(page, review, work if isinstance(work, dict) else {}, title, holder)
        if item is None:
            continue
        kind = _kind_of(page, item, work if isinstance(work, dict) else {}, item.url != page.canonical)
        if kind.kind not in kinds:
            other_kind = other_kind or kind.kind
            continue
        # One review marked up twice (JSON-LD and microdata) is one review: the first wins.
        items.setdefault(item.url, item)
    return list(items.values()), other_kind


def _kind_of(page: Page, item: ReviewItem, work: dict, embedded: bool, sections: list[str] = ()) -> ReviewKind:
    """What a review is of: its work's schema.org type, else (for the page's own review) the
    page's sections, URL, headline and text (aggregator.identity.review_kind)."""
    declared = work.get("@type")
    types = [t for t in (declared if isinstance(declared, list) else [declared]) if isinstance(t, str)]
    if embedded:
        return review_kind(reviewed_types=types)
    sections = [*sections, *page.meta.get("article:section", []), *page.meta.get("article:tag", []),
                *item.keywords_raw]  # fmt: skip
    return review_kind(reviewed_types=types, sections=sections, url_path=urlsplit(page.canonical).path,
                       headline=item.headline, text=item.text)  # fmt: skip


def _review_item(page: Page, review: dict, work: dict, title: str, listed_on: dict | None) -> ReviewItem | None:
    graph = page.graph
    own_url = text_of(review.get("url"))
    url = canonical_url(own_url) if own_url and own_url.startswith("http") else page.canonical
    # Another site's review as this page tells it: the page's own review keyed on the page; one
    # of several it lists, a listing on a registered outlet, else refused.
    foreign = url != page.canonical and page.claims is not None and not page.claims.vouches(url)
    if foreign and (listed_on is None or not page.claims.listings_trusted):
        page.claims.refused.append(url)
        if listed_on is not None:
            return None
        url, foreign = page.canonical, False
    embedded = url != page.canonical
    item = ReviewItem(url=url, page_url=page.url, source_format=review.get("_format", "json-ld"),
                      listed_at=page.canonical if foreign else None)
    item.film_raw = title
    item.film_year_raw = _work_year(work)
    item.film_ids_raw = strings(graph.get(work, "sameAs"))
    _set_authors(item, graph, review)
    publisher = text_of(graph.first(review, "publisher"))
    item.publication_raw = publisher or (None if embedded else _site_name(page))
    item.published_raw = _first_date(text_of(graph.first(review, "datePublished")),
                                     text_of(graph.first(review, "dateCreated")))
    if not item.published_raw and not embedded:
        item.published_raw = _first_date(page.outlet_date, *_page_dates(page))
    item.headline = text_of(review.get("headline")) or text_of(review.get("name"))
    if not item.headline and not embedded:
        item.headline = _page_headline(page)
    item.text = text_of(review.get("reviewBody")) or text_of(review.get("description"))
    item.standfirst_raw = text_of(review.get("description"))
    item.keywords_raw = _keywords(strings(graph.get(review, "keywords")))
    if not embedded:
        _add_visible_bylines(item, page)
        item.label_raw = page.label
        item.text = _page_text(page) or item.text
        item.language = page.language
        item.standfirst_raw = with_emphasis(item.standfirst_raw or _page_standfirst(page), page)
        item.title_raw = page.title
        item.keywords_raw = list(dict.fromkeys(item.keywords_raw + _page_keywords(page)))
    _set_rating(item, graph.first(review, "reviewRating"))
    if item.rating_raw is None and item.rating_parts is None and not embedded:
        item.rating_raw = page.visible_ratings[0] if page.visible_ratings else None
    return item


def _work_year(work: dict) -> str | None:
    for key in ("datePublished", "dateCreated", "copyrightYear", "releasedEvent"):
        value = text_of(work.get(key)) if isinstance(work, dict) else None
        if value:
            return value
    return None


def _set_rating(item: ReviewItem, rating: Any) -> None:
    if isinstance(rating, dict):
        raw_value = rating.get("ratingValue")
        if isinstance(raw_value, list) and len({str(v) for v in raw_value}) > 1:
            return  # several values are no one rating: nothing to read the verdict from
        value = text_of(raw_value)
        if value is None:
            return
        best = text_of(rating.get("bestRating"))
        # Shown as the page would print it ("3/4"); the parts keep the scale's ends for the reader.
        item.rating_raw = f"{value}/{best}" if best and "/" not in value else value
        item.rating_parts = {"value": value, "best": best, "worst": text_of(rating.get("worstRating"))}
    elif text_of(rating):
        item.rating_raw = text_of(rating)


def _set_authors(item: ReviewItem, graph: Graph, node: dict) -> None:
    for author in graph.get(node, "author") + graph.get(node, "creator"):
        if is_a(author, ORGANIZATION_TYPES):
            continue
        name = text_of(author)
        if name and not name.startswith("http"):
            item.critic_raw.append(name)
            urls: list[str] = []
            if isinstance(author, dict):
                urls = strings(graph.get(author, "url")) + strings(graph.get(author, "sameAs"))
                item.critic_urls.extend(urls)
            profile_urls = [u for u in dict.fromkeys(urls) if u.startswith(("http://", "https://"))]
            item.authors_raw.append({"name": name, "urls": profile_urls})


# --- 2. articles that are reviews ------------------------------------------------------------


def _main_article(page: Page) -> dict | None:
    articles = page.graph.of_type(ARTICLE_TYPES)
    for article in articles:
        url = text_of(article.get("url")) or text_of(article.get("mainEntityOfPage"))
        if url and url.startswith("http") and canonical_url(url) == page.canonical:
            return article
    return articles[0] if articles else None


def _article_review(page: Page, article: dict, kinds: frozenset[str]) -> PageVerdict:
    graph = page.graph
    headline = text_of(article.get("headline")) or _page_headline(page)
    sections = strings(graph.get(article, "articleSection")) + strings(graph.get(article, "keywords"))
    sections += page.meta.get("article:section", []) + page.meta.get("article:tag", [])
    sections += page.meta.get("keywords", []) + page.tags
    section_signal = any(REVIEW_WORD.search(s) for s in sections)
    url_signal = bool(REVIEW_PATH_SEGMENT.search(page.canonical + "/"))
    rating = graph.first(article, "reviewRating") or graph.first(article, "contentRating")
    text = text_of(article.get("articleBody")) or _page_text(page)
    has_rating = (bool(page.visible_ratings) or isinstance(rating, dict)
                  or isinstance(stated_in_text(text), Rating))
    keywords = list(dict.fromkeys(_keywords(strings(graph.get(article, "keywords"))) + _page_keywords(page)))
    standfirst = with_emphasis(text_of(article.get("description")) or _page_standfirst(page), page)
    choice = choose_title(
        headline=headline, og_title=page.meta_first("og:title"), title_tag=page.title,
        standfirst=page.standfirst_markup or standfirst, tags=keywords,
        url_path=urlsplit(page.canonical).path, site_names=tuple(filter(None, (_site_name(page),))))
    pattern = any(film_title_from_headline(without_site_name(c, _site_name(page)) or "")
                  for c in (headline, page.meta_first("og:title"), page.title) if c)
    # A review headline ("X review", "Review: X") is a signal itself; a title without one needs
    # a verdict or a review section: a grade, stars, a rating in the text, a reviews folder.
    # A film blog's "Title (2024)" post about the film its text names is a review as well.
    titled = choice.year is not None and choice.title is not None and choice.title.casefold() in (text or "").casefold()
    if headline and LIST_HEADLINE.search(headline):
        return PageVerdict([], "list_article")
    if not (section_signal or url_signal or has_rating or pattern or titled):
        return PageVerdict([], "no_review_signal")
    if choice.title is None:
        return PageVerdict([], "no_reviewed_title")

    item = ReviewItem(url=page.canonical, page_url=page.url,
                      source_format="json-ld" if article else "opengraph" if page.has_structured_data else "html")
    item.film_raw = choice.title
    item.film_reason = choice.reason
    item.film_year_raw = page.film_year or choice.year
    _set_authors(item, graph, article)
    _add_visible_bylines(item, page)
    item.publication_raw = text_of(graph.first(article, "publisher")) or _site_name(page)
    item.published_raw = _first_date(text_of(article.get("datePublished")), page.outlet_date, *_page_dates(page))
    item.label_raw = page.label
    item.headline = headline
    item.text = text
    item.language = page.language
    item.standfirst_raw = standfirst
    item.title_raw = page.title
    item.keywords_raw = keywords
    _set_rating(item, rating)
    if item.rating_raw is None and page.visible_ratings:
        item.rating_raw = page.visible_ratings[0]
    kind = _kind_of(page, item, {}, embedded=False, sections=strings(graph.get(article, "articleSection")))
    if kind.kind not in kinds:
        return PageVerdict([], "not_a_film_review", kind.kind)
    return PageVerdict([item], "ok")


def _add_visible_bylines(item: ReviewItem, page: Page) -> None:
    """The byline the page shows, where structured data names nobody or only a site account
    ("admin", the outlet): the outlet reading's, else the first visible byline that names a
    person, else the author metas."""
    site = tuple(filter(None, (_site_name(page),)))
    if any(not is_site_account(name, site) for name in item.critic_raw):
        return
    if not item.critic_raw and not page.visible_bylines and not page.bylines and page.sign_off:
        item.critic_raw.append(page.sign_off)
        return
    if page.bylines:
        item.critic_raw += list(page.bylines)
        return
    for byline in page.visible_bylines:
        if any(not is_site_account(name, site) for name in split_byline(byline)):
            item.critic_raw.append(byline)
            return
    metas = page.meta.get("author", [])[:3] + page.meta.get("article:author", [])[:3]
    handles = item.critic_raw + page.visible_bylines + metas
    for name in page.introduced_names:
        if any(name_fits_handle(name, handle) for handle in handles):
            item.critic_raw.append(name)
            return
    item.critic_raw += [a for a in metas if a and not a.startswith("http")]


# --- page-level fallbacks --------------------------------------------------------------------


def _site_name(page: Page) -> str | None:
    return page.meta_first("og:site_name", "application-name", "publisher") or page.masthead


_YEAR_IN_DATE = re.compile(r"(?<!\d)(?:1[89]|20)\d{2}(?!\d)")


def _first_date(*values: str | None) -> str | None:
    """The first value that names a day with its year: a microdata datePublished read from a
    Blogger timestamp's text is "9:47 PM", the date being in another element."""
    return next((v for v in values if v and _YEAR_IN_DATE.search(v)), None)


def _page_dates(page: Page) -> list[str]:
    """The page's publication dates, best first: its date metas, then where the template
    shows one (`Page.visible_dates`)."""
    return [v for name in DATE_METAS for v in page.meta.get(name, ()) if v and v.strip()] + page.visible_dates


def _page_headline(page: Page) -> str | None:
    return page.h1 or page.meta_first("og:title", "twitter:title") or page.title


def _page_standfirst(page: Page) -> str | None:
    return page.meta_first("og:description", "description", "twitter:description")


_EMPHASIS_TAG = re.compile(r"</?(?:em|i|cite)>")


def with_emphasis(standfirst: str | None, page: Page) -> str | None:
    """The standfirst as given, with the emphasis the visible standfirst puts on the same
    words (`Page.standfirst_markup`); the visible one alone when the page has no description.
    A description in other words is kept as it is."""
    markup = page.standfirst_markup
    if not markup or (standfirst and _EMPHASIS_TAG.search(standfirst)):
        return standfirst
    if standfirst is None or " ".join(_EMPHASIS_TAG.sub("", markup).split()).casefold() == \
            " ".join(standfirst.split()).casefold():
        return markup
    return standfirst


def _page_keywords(page: Page) -> list[str]:
    """Meta keywords is one comma-separated list; article:tag is one tag a tag on some sites
    ("Stereophonic (Play)", whose title may hold a comma) and a list on others
    ("Documentary,Film,Culture"): a tag with a parenthesis is read as one tag."""
    tags = []
    for tag in page.meta.get("article:tag", []):
        tags += [tag.strip()] if "(" in tag else _keywords([tag])
    return list(dict.fromkeys(t for t in tags + _keywords(page.meta.get("keywords", [])) if t))


def _keywords(values: list[str]) -> list[str]:
    """One entry per keyword: schema.org and meta keywords are comma-separated strings."""
    tags = (part.strip() for value in values if isinstance(value, str) for part in value.split(","))
    return list(dict.fromkeys(tag for tag in tags if tag))


def _page_text(page: Page) -> str | None:
    return "\n\n".join(page.paragraphs) or page.meta_first("og:description", "description")
