"""What a reader sees on a review page, read from its markup: the fallback and cross-check of
structured data on outlets nobody wrote a rule for.

Each function takes the parsed page (an lxml element, `response.selector.root`) and returns
raw strings as printed; the critic, film, date and rating readers of `aggregator/` make sense
of them. Everything is read from the article, never from the parts around it that describe
other pages: related-story cards, sidebars, navigation, footers and comments
(`_is_chrome`).

- `article_headline`: the article's own headline, not the masthead (an <h1> that only links
  to the home page) nor a card's: the article's <h1>, a CMS's entry/post title, the first
  <h1> outside header chrome, a classic WordPress single post's bookmark <h2>.
- `visible_bylines`: byline markup (`<meta name="byl">`, itemprop/rel/class author and byline
  elements, "By …", "Reviewed by …", "Posted by …" lines), as printed: "By" prefixes, roles
  and "for Outlet" are trimmed by aggregator.identity.critics.split_byline.
- `visible_dates`: the publication date where templates put it: date metas of older CMSs
  (`pdate`, `DISPLAYDATE`, …), `<time>` and itemprop datePublished in the article, a dated
  element (post-date, entry-date, date-header), a date opening the text ("SEP 22, 2014—").
- `tag_links`: the post's tags (`rel="tag"` links, tag-list links).
- `masthead_name`: the site's name as its masthead prints it (a home-page-link <h1>, the
  site-title element), for a page whose metadata names no site;
- `stated_film_year`: a film's year where a facts line states it with the running time
  ("2013 | 90 mins.") or a fact box has a "Year" entry;
- `rating_labels`: a rating printed only in an image's alt text or an element's aria-label
  or title ("4 stars (out of 5)").
"""

from __future__ import annotations

import re
from functools import lru_cache

from lxml import etree

_CHROME_WORDS = ("related", "comment", "sidebar", "promo", "recommend", "more-stories",
                 "newsletter", "card", "teaser", "rail", "trending", "popular")
_CHROME_TAGS = frozenset({"aside", "nav", "footer"})
_CHROME_IDS = ("related", "comment", "sidebar", "secondary")
"""The parts around the article: aside, nav and footer elements, these ids, and a class token
beginning with one of the words (`related-posts`, `sidebar`, `card__title`), not one merely
holding it (WordPress puts `has-sidebar` on the page's wrapper)."""

HEADLINE_XPATHS = (
    "//article//h1",
    "(//h1 | //h2)[@class or @itemprop][contains(@class, 'entry-title') or contains(@class, 'post-title')"
    " or contains(@class, 'article-title') or contains(@class, 'articleHeadline')"
    " or contains(@class, 'headline') or @itemprop='headline']",
    "//main//h1",
    "//h1[not(ancestor::header)]",
    "//h1",
    "//h2[a[@rel][contains(concat(' ', normalize-space(@rel), ' '), ' bookmark ')]]",
)
MAX_HEADLINE = 300

BYLINE_XPATHS = (
    "//*[@itemprop='author']",
    "//a[@rel][contains(concat(' ', normalize-space(@rel), ' '), ' author ')]",
    "//*[@class][contains(@class, 'byline') or contains(@class, 'author') or contains(@class, 'posted-by')"
    " or contains(@class, 'contributor')][not(self::img or self::a[contains(@href, '#comment')])]",
)
BYLINE_LINE = re.compile(r"^\s*(?:reviewed|posted|written|words|review)\s+by\s+\S|^\s*by\s+[A-Z]", re.I)
LINE_XPATH = ("//text()[contains(., 'by ') or contains(., 'By ') or contains(., 'bY ') or contains(., 'BY ')]/parent::*"
              "[self::p or self::span or self::div or self::em or self::strong or self::li or self::small]")
SIGN_OFF = re.compile(r"^\s*(?:[—–]|--?)\s*([A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){1,3})\s*$")
"""An old page signs its review at the end: "— Cuthbert Vanderhook"."""
SIGN_OFF_XPATH = ("//text()[starts-with(normalize-space(.), '—') or starts-with(normalize-space(.), '–')"
                  " or starts-with(normalize-space(.), '-')]/parent::*")


def _has_by(text: str) -> bool:
    """LINE_XPATH's text condition."""
    return "by " in text or "By " in text or "bY " in text or "BY " in text


def _opens_with_dash(text: str) -> bool:
    """SIGN_OFF_XPATH's text condition (normalize-space strips only the XML white space)."""
    return text.lstrip(" \t\r\n").startswith(("—", "–", "-"))


MAX_BYLINE = 120

DATE_METAS = (
    "article:published_time", "og:published_time", "article:published", "datepublished",
    "publish-date", "publishdate", "pubdate", "pdate", "displaydate", "article.published",
    "parsely-pub-date", "sailthru.date", "dcterms.created", "dcterms.date", "dc.date.issued",
    "dc.date", "date",
)
DATE_CLASS_XPATH = (
    "//*[@class][contains(@class, 'post-date') or contains(@class, 'entry-date')"
    " or contains(@class, 'date-header') or contains(@class, 'published') or contains(@class, 'dateline')"
    " or contains(@class, 'pubdate') or contains(@class, 'timestamp') or @class='date'"
    " or contains(@class, 'article-date') or contains(@class, 'meta-date')]"
)
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
OPENING_DATE = re.compile(
    r"^\s*((?:[A-Za-z]{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})|(?:\d{1,2}\s+[A-Za-z]{3,9}\.?\s+\d{4}))"
    r"\s*[—–-]")
DATED_LINE = re.compile(
    r"^\s*(?:reviewed|posted|published|first\s+published|written)(?:\s+on)?\s*:?\s*(.{6,40}?)\s*$", re.I)
"""A line that dates the review in words: "Reviewed October 14, 2005", "Posted on 3rd March 2025"."""
DATED_LINE_WORDS = ("Reviewed", "reviewed", "REVIEWED", "Posted", "posted", "POSTED",
                    "Published", "published", "PUBLISHED", "Written", "written")
DATED_LINE_XPATH = "//body//text()[string-length(.) < 60 and (%s)]" % " or ".join(
    f"contains(., '{word}')" for word in DATED_LINE_WORDS)
_DATED_LINE_WORD = re.compile("|".join(DATED_LINE_WORDS))
"""DATED_LINE_XPATH's words, to test a short text node in Python first."""
MAX_DATE = 80

TAG_XPATHS = (
    "//a[@rel][contains(concat(' ', normalize-space(@rel), ' '), ' tag ')]",
    "//*[@class][contains(@class, 'tags') or contains(@class, 'tag-list') or contains(@class, 'post-tag')"
    " or contains(@class, 'tag-links')]//a",
)
MAX_TAG = 80

RATING_LABEL = re.compile(
    r"^\s*(?:rating:?\s*|rated\s+)?\d+(?:[.,]\d+)?\s*(?:½\s*)?(?:stars?\s*)?(?:\(?\s*(?:out\s+of|of|/)\s*\d+\s*(?:stars?)?\s*\)?)\s*$"
    r"|^\s*\d+(?:[.,]\d+)?\s*(?:½\s*)?stars?\s*$",
    re.I)


def _text(element) -> str:
    return " ".join(" ".join(element.xpath(".//text()[not(ancestor::style or ancestor::script)]")).split())


_chrome_of: list = [None, frozenset()]
"""(the page last read, its chrome elements): the reader functions of one page share it (a
crawl reads one page at a time), so the chrome is found once per page."""


def _is_chrome(element) -> bool:
    if element.tag in _CHROME_TAGS:
        # an article's own footer holds its tags and byline; the page's footer is chrome
        return not (element.tag == "footer" and any(a.tag == "article" for a in element.iterancestors()))
    classes = element.get("class")
    if classes and any(token.lower().startswith(_CHROME_WORDS) for token in classes.split()):
        return True
    return (element.get("id") or "").startswith(_CHROME_IDS)


_CHROME_CANDIDATES = "descendant-or-self::*[@class or @id or self::aside or self::nav or self::footer]"
"""The only elements `_is_chrome` can accept: asking libxml2 for them spares a Python test of
every other element of the page."""


def _chrome(root) -> frozenset:
    """The page's chrome elements (CHROME_*), found in one pass over the tree."""
    if _chrome_of[0] is not root:
        _chrome_of[:] = [root, frozenset(e for e in root.xpath(_CHROME_CANDIDATES)
                                         if e.tag not in ("html", "body") and _is_chrome(e))]
    return _chrome_of[1]


_texts_of: list = [None, []]
"""(the page last read, the words of its text nodes): shared like the chrome."""
_ALL_TEXT = etree.XPath("//text()", smart_strings=False)


def _texts(root) -> list[str]:
    """The words of every text node of the page, in document order, as plain strings. The
    readers looking for words in text nodes test them here in Python first: an XPath string
    function (contains, translate, normalize-space) copies every text node it is given, the
    page's inline scripts included, once per reader."""
    if _texts_of[0] is not root:
        _texts_of[:] = [root, _ALL_TEXT(root)]
    return _texts_of[1]


def _if_any_text(root, xpath: str, test) -> list:
    """`_nodes(root, xpath)` for an `xpath` that selects by a text node's words, run only when
    some text node passes `test` (the same condition, in Python): most pages have none."""
    return _nodes(root, xpath) if any(test(t) for t in _texts(root)) else []


@lru_cache(maxsize=256)
def _compiled(xpath: str) -> etree.XPath:
    """An XPath parsed once for the crawl, not once per page."""
    return etree.XPath(xpath)


def _in_chrome(element, chrome: frozenset) -> bool:
    while element is not None:
        if element in chrome:
            return True
        element = element.getparent()
    return False


def _nodes(root, xpath: str) -> list:
    """The elements `xpath` finds in the article, none from the chrome around it."""
    chrome = _chrome(root)
    try:
        found = _compiled(xpath)(root)
    except etree.XPathError:
        return []
    return [e for e in found if not _in_chrome(e, chrome)]


def _is_masthead(element, site_names: tuple[str, ...]) -> bool:
    """An <h1> that holds only a link to the site's home page, or the site's name: the logo."""
    links = element.xpath(".//a[@href]")
    text = _text(element)
    if links and len(links) == 1 and _text(links[0]) == text:
        href = links[0].get("href", "")
        path = re.sub(r"^https?://[^/]+", "", href).rstrip("/")
        if path.count("/") <= 1 and "-" not in path and "?" not in path:
            return True
    return bool(text) and text.casefold() in {n.casefold() for n in site_names if n}


def article_headline(root, site_names: tuple[str, ...] = ()) -> str | None:
    for xpath in HEADLINE_XPATHS:
        for element in _nodes(root, xpath):
            text = _text(element)
            if text and len(text) <= MAX_HEADLINE and not _is_masthead(element, site_names):
                return text
    return None


def visible_bylines(root, meta: dict[str, list[str]]) -> list[str]:
    found = [value for value in meta.get("byl", []) if value.strip()]
    for xpath in BYLINE_XPATHS:
        for element in _nodes(root, xpath):
            names = element.xpath(".//*[@itemprop='name']")
            text = _text(names[0]) if names else _text(element)
            if element.tag == "meta":
                text = element.get("content", "")
            if text and len(text) <= MAX_BYLINE:
                found.append(text)
    for element in _if_any_text(root, LINE_XPATH, _has_by)[:200]:
        text = _text(element)
        if text and len(text) <= 60 and BYLINE_LINE.match(text):
            found.append(text)
    return list(dict.fromkeys(found))[:10]


def sign_off(root) -> str | None:
    """The name signing the article at its foot ("— Cuthbert Vanderhook"), as old static pages
    credit their critic: the last such line."""
    signed = _if_any_text(root, SIGN_OFF_XPATH, _opens_with_dash)
    names = [m.group(1) for e in signed[-20:] if (m := SIGN_OFF.match(_text(e)))]
    return names[-1] if names else None


SELF_INTRODUCTION = re.compile(r"\b(?:I['’]m|I\s+am|[Mm]y\s+name\s+is)\s+([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){1,2})")


def _introduces(text: str) -> bool:
    """A text node that may introduce its author."""
    return "I’m " in text or "I'm " in text or "I am " in text or "name is " in text


def introduced_names(root) -> list[str]:
    """Names a page's author gives themselves ("I'm Tobiah Quennell", an About widget): the
    person behind a login-handle byline (aggregator.identity.critics.name_fits_handle)."""
    names = []
    introducing = [t for t in _texts(root) if _introduces(t)]
    for text_node in introducing[:20]:  # an About widget is chrome: read it all the same
        names += SELF_INTRODUCTION.findall(str(text_node))
    return list(dict.fromkeys(names))[:5]


def visible_dates(root, paragraphs: list[str]) -> list[str]:
    """Dates the page shows (its date metas are read with the other metas: DATE_METAS)."""
    found = [v for v in _values(root, "//*[@itemprop='datePublished']", "content", "datetime", "title")]
    found += [v for v in _values(root, "//time[@datetime]", "datetime")]
    for element in _nodes(root, DATE_CLASS_XPATH)[:5]:
        text = element.get("datetime") or element.get("content") or _text(element)
        if text and len(text) <= MAX_DATE and _YEAR.search(text):  # not a bare "9:47 PM"
            found.append(text)
    for paragraph in paragraphs[:2]:
        if match := OPENING_DATE.match(paragraph):
            found.append(match.group(1))
    dated = _if_any_text(root, DATED_LINE_XPATH, lambda text: len(text) < 60 and _DATED_LINE_WORD.search(text))
    for text_node in dated[:10]:
        if (match := DATED_LINE.match(str(text_node))) and _YEAR.search(match.group(1)):
            found.append(match.group(1))
    return list(dict.fromkeys(found))[:10]


def _values(root, xpath: str, *attributes: str) -> list[str]:
    values = []
    for element in _nodes(root, xpath)[:5]:
        for attribute in attributes:
            value = (element.get(attribute) or "").strip()
            if value:
                values.append(value)
                break
    return values


def tag_links(root) -> list[str]:
    tags = []
    for xpath in TAG_XPATHS:
        for element in _nodes(root, xpath)[:40]:
            text = _text(element).lstrip("#").strip()
            if text and len(text) <= MAX_TAG:
                tags.append(text)
    return list(dict.fromkeys(tags))


def rating_labels(root) -> list[str]:
    labels = []
    for xpath, attribute in (("//img[@alt]", "alt"), ("//*[@aria-label]", "aria-label"),
                             ("//*[@title][not(self::a)]", "title")):
        for element in _nodes(root, xpath)[:200]:
            value = " ".join((element.get(attribute) or "").split())
            if value and RATING_LABEL.match(value):
                labels.append(value)
    labels = list(dict.fromkeys(labels))
    # several different ratings are a legend or a list ("How I grade", a top ten), not a verdict
    return labels if len(labels) == 1 else []


MASTHEAD_XPATH = ("//*[@class][contains(@class, 'site-title') or contains(@class, 'site-name')"
                  " or contains(@class, 'blog-title') or contains(@class, 'masthead-title')]")
MAX_SITE_NAME = 60


def masthead_name(root) -> str | None:
    for element in root.xpath(MASTHEAD_XPATH)[:3]:
        text = _text(element)
        if text and len(text) <= MAX_SITE_NAME:
            return text
    for element in root.xpath("//h1")[:3]:
        text = _text(element)
        if text and len(text) <= MAX_SITE_NAME and _is_masthead(element, ()):
            return text
    for link in root.xpath("//a[@href][img[@alt]]")[:5]:  # the logo linking home
        alt = " ".join(link.xpath("img/@alt")[0].split())
        if _is_home(link.get("href", "")) and alt and len(alt) <= MAX_SITE_NAME and "logo" not in alt.casefold():
            return alt
    return _title_site_name(root)


_TITLE_PARTS = re.compile(r"\s+[|–—-]\s+|\s*::\s*")


def _title_site_name(root) -> str | None:
    """The <title>'s last part ("Gravel Saints (2005) - The Celluloid Porch") when the page
    also prints it whole, as its masthead does: a plain-text masthead has no class to find."""
    titles = root.xpath("//head/title")
    parts = _TITLE_PARTS.split(_text(titles[0])) if titles else []
    if len(parts) < 2 or not (2 < len(parts[-1]) <= MAX_SITE_NAME) or "review" in parts[-1].casefold():
        return None
    name = parts[-1]
    printed = root.xpath("//body//text()[contains(., $name)]", name=name)
    return name if any(" ".join(str(t).split()) == name for t in printed) else None


def _is_home(href: str) -> bool:
    path = re.sub(r"^(?:https?:)?//[^/]+", "", href).split("?")[0].rstrip("/")
    return path in ("", "/index.html", "/index.php")


RUNTIME_XPATH = "//text()[contains(., 'min')]/parent::*"
YEAR_RUNTIME = re.compile(r"^\s*((?:18|19|20)\d{2})\s*[|·•,/]\s*\d{2,3}\s*(?:min|mins|minutes)\b\.?", re.I)


FACT_YEAR_XPATH = ("(//dt | //th | //strong | //b)"
                   "[translate(normalize-space(translate(., ':', '')), 'YEARLSODF', 'yearlsodf')"
                   " = 'year' or translate(normalize-space(translate(., ':', '')), 'YEARLSODF', 'yearlsodf')"
                   " = 'release year' or translate(normalize-space(translate(., ':', '')), 'YEARLSODF',"
                   " 'yearlsodf') = 'year of release']")
_ONLY_YEAR = re.compile(r"^\s*:?\s*((?:18|19|20)\d{2})\s*$")


def stated_film_year(root) -> str | None:
    """A film's year a facts line or box states: "2013 | 90 mins.", or a "Year" entry of a
    fact box (<dt>Year</dt><dd>2026</dd>, a table row, "<strong>Year:</strong> 2026")."""
    for element in _if_any_text(root, RUNTIME_XPATH, lambda text: "min" in text)[:200]:
        text = _text(element)
        if len(text) <= 40 and (match := YEAR_RUNTIME.match(text)):
            return match.group(1)
    for label in root.xpath(FACT_YEAR_XPATH)[:3]:  # a fact box is often an <aside>: chrome is not skipped
        value = label.getnext()
        text = _text(value) if value is not None else (label.tail or "")
        if value is not None and label.tail and label.tail.strip():
            text = label.tail
        if match := _ONLY_YEAR.match(text or ""):
            return match.group(1)
    return None
