"""The named outlets' real markup fragments as pages, and the facts each page must give.

`../shared/fixtures/real/publications/<outlet>/snippets.html` holds verbatim fragments of
archived review pages (theatre reviews of 2026; the outlets use the same article templates for
film), each under a header `<!-- ===== label ===== -->`. Fragments of one archived page are
put back together here into a minimal page (`assemble`): fragments are kept as they are, in
the file's order, with only what a cut left broken mended so that one fragment cannot swallow
the next (a tag cut at the end dropped, an unclosed <script>/<style>/<title>/comment closed, a
fragment starting inside a tag started at its next tag, inline-script text put back inside
<script>). Nothing is completed: a JSON-LD block cut in the middle stays unreadable.

`PAGES` lists each archived page (by the labels of its fragments) with the facts it states:
critic, reviewed title, publication date, rating, label and where the verdict comes from, or
None for a page that is no review (a 404, a roundup, another outlet's page). The facts were
read off the fragments by hand; only facts are held here, never the fragments' text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

HEADER = re.compile(r"<!-- ===== (.*?) ===== -->\n?", re.DOTALL)
RAW_TEXT_TAGS = ("script", "style", "title", "textarea")


@dataclass(frozen=True)
class Facts:
    """What one review page states, as the aggregator should store it."""

    critics: tuple[str, ...]
    film: str
    date: str
    """ISO date, by aggregator.dates' rule (the calendar date in the timestamp's own offset)."""
    rating_raw: str | None = None
    score: float | None = None
    label: str | None = None
    source: str | None = None
    """Where the verdict comes from: "rating", "label", "text", or None (the page states none)."""


@dataclass(frozen=True)
class FragmentPage:
    outlet: str
    """The folder under publications/ (and, for the outlets in the registry, its key)."""
    name: str
    url: str
    """The page's own URL (where the outlet published it; the site's root where the
    fragments do not say); the crawl's response URL."""
    first: str
    """Text in the label of the page's first fragment; the page runs to the next page's."""
    facts: Facts | None
    """None: not a review; the spider must yield nothing."""
    also: tuple[str, ...] = ()
    """Labels of fragments of this page stored elsewhere in the file."""
    skip: tuple[str, ...] = ()
    """Labels of fragments that repeat another of the page (a tail a fuller fragment holds)."""
    note: str = ""

    @property
    def id(self) -> str:
        return f"{self.outlet}/{self.name}"


def fragments(real: Path, outlet: str) -> list[tuple[str, str]]:
    """(label, markup) of each fragment in the outlet's snippets.html, in file order."""
    text = (real / "publications" / outlet / "snippets.html").read_text(encoding="utf-8")
    parts = HEADER.split(text)
    return [(parts[i], parts[i + 1]) for i in range(1, len(parts) - 1, 2)]


def as_markup(fragment: str) -> str:
    """A fragment mended only where its cut would break the page (module docstring)."""
    text = fragment.strip()
    first_tag = text.find("<")
    lead = text if first_tag < 0 else text[:first_tag]
    if ">" in lead:  # cut inside a tag: start at the next one
        text = text[lead.rfind(">") + 1:].lstrip()
    elif lead.strip():  # inline-script text (JSON, assignments) lifted out of its <script>
        return "<script>" + text.replace("</script", "<\\/script") + "</script>"
    if text.rfind("<") > text.rfind(">"):  # a tag cut at the end
        text = text[: text.rfind("<")]
    if text.rfind("<!--") > text.rfind("-->"):
        text += "-->"
    lowered = text.lower()
    for tag in RAW_TEXT_TAGS:
        if lowered.rfind("<" + tag) > lowered.rfind("</" + tag):
            text += f"</{tag}>"
    return text


def page_fragments(real: Path, page: FragmentPage) -> list[tuple[str, str]]:
    """The fragments of `page`: from its first to the next page's first, plus `also`."""
    all_fragments = fragments(real, page.outlet)
    starts = [p.first for p in PAGES if p.outlet == page.outlet and p is not page]
    chosen, inside = [], False
    for label, markup in all_fragments:
        if page.first in label:
            inside = True
        elif inside and any(start in label for start in starts):
            inside = False
        if (inside or any(a in label for a in page.also)) and not any(s in label for s in page.skip):
            chosen.append((label, markup))
    if not chosen:
        raise LookupError(f"{page.id}: no fragment labelled {page.first!r} in "
                          f"publications/{page.outlet}/snippets.html")
    return chosen


def assemble(real: Path, page: FragmentPage) -> str:
    """A minimal HTML page holding `page`'s fragments."""
    body = "\n".join(as_markup(markup) for _, markup in page_fragments(real, page))
    return f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n{body}\n</body></html>\n"


def _f(critic: str, film: str, date: str, **rest) -> Facts:
    return Facts((critic,), film, date, **rest)


STEREO, OUTSIDERS, MAYBE = "Stereophonic", "The Outsiders", "Maybe Happy Ending"

PAGES: tuple[FragmentPage, ...] = (
    FragmentPage("guardian", "stereophonic",
                 "https://www.theguardian.com/stage/2024/apr/19/stereophonic-play-review-broadway",
                 "title/description/canonical",
                 _f("Gloria Oladipo", STEREO, "2024-04-20", rating_raw="5/5", score=100.0,
                    source="rating"),
                 skip=("star rating block TAIL",),
                 note="5 filled stars in the headline; a related-story card below holds 3/5"),
    FragmentPage("guardian", "404", "https://www.theguardian.com/", "CAVEAT: oh-mary", None),
    FragmentPage("guardian", "the-outsiders",
                 "https://www.theguardian.com/stage/2024/apr/11/the-outsiders-broadway-review",
                 "SECOND PAGE (stability check)",
                 _f("Adrian Horton", OUTSIDERS, "2024-04-11", rating_raw="3/5", score=60.0,
                    source="rating"),
                 note="no readable JSON-LD in the fragments: critic and date (EDT) from the "
                      "byline and dateline; 3 filled and 2 empty stars"),
    FragmentPage("nytimes", "stereophonic",
                 "https://www.nytimes.com/2023/10/29/theater/stereophonic-review-david-adjmi-will-butler.html",
                 "title + description + og/twitter",
                 _f("Jesse Green", STEREO, "2023-10-30", label="Critic’s Pick", source="label"),
                 also=("VISIBLE CRITIC'S PICK BADGE",)),
    FragmentPage("nytimes", "the-outsiders",
                 "https://www.nytimes.com/2024/04/11/theater/review-outsiders-musical.html",
                 "SECOND PAGE (stability check)", _f("Jesse Green", OUTSIDERS, "2024-04-12"),
                 skip=("VISIBLE CRITIC'S PICK BADGE",), note="not a Critic's Pick"),
    FragmentPage("timeout", "404", "https://www.timeout.com/", "CAVEAT: stereophonic", None),
    FragmentPage("timeout", "maybe-happy-ending",
                 "https://www.timeout.com/newyork/theater/maybe-happy-ending-broadway-musical-review-darren-criss-helen-shen-robots",
                 "title, description, canonical, meta author",
                 _f("Adam Feldman", MAYBE, "2024-11-12", rating_raw="5 out of 5 stars",
                    score=100.0, label="Recommended", source="rating")),
    FragmentPage("timeout", "news-tiles", "https://www.timeout.com/", "CAVEAT: data/archives",
                 None, note="a capture showing news tiles, not the review"),
    FragmentPage("timeout", "the-outsiders",
                 "https://www.timeout.com/newyork/theater/the-outsiders-broadway-musical-review",
                 "SECOND PAGE (stability check)",
                 _f("Adam Feldman", OUTSIDERS, "2024-04-11", rating_raw="★★★", score=60.0,
                    source="rating"),
                 note="head only: the rating is the (★★★) closing og:title"),
    FragmentPage("nypost", "stereophonic",
                 "https://nypost.com/2024/04/20/entertainment/stereophonic-review-broadway-play-goes-behind-the-music/",
                 "title -- data/archives",
                 _f("Johnny Oleksinski", STEREO, "2024-04-20", rating_raw="3/4", score=75.0,
                    source="rating")),
    FragmentPage("nypost", "the-outsiders",
                 "https://nypost.com/2024/04/11/entertainment/the-outsiders-broadway-review-warring-teens-tug-at-the-heart-in-one-of-the-seasons-best-new-musicals/",
                 "SECOND PAGE (stability check)",
                 _f("Johnny Oleksinski", OUTSIDERS, "2024-04-12"),
                 note="head only: its star module was not captured"),
    FragmentPage("ew", "404", "https://ew.com/404", "CAVEAT: stereophonic EW", None),
    FragmentPage("ew", "maybe-happy-ending",
                 "https://ew.com/maybe-happy-ending-review-broadway-darren-criss-brings-charm-robot-love-story-8743079",
                 "canonical, title, description, parsely",
                 _f("Shania Russell", MAYBE, "2024-11-12", rating_raw="B", score=75.0,
                    source="text"),
                 note="no JSON-LD captured: byline and date from the mntl attribution block"),
    FragmentPage("variety", "stereophonic",
                 "https://variety.com/2024/legit/reviews/stereophonic-review-broadway-1235976418/",
                 "title + description", _f("Frank Rizzo", STEREO, "2024-04-20")),
    FragmentPage("hollywoodreporter", "stereophonic",
                 "https://www.hollywoodreporter.com/lifestyle/arts/stereophonic-review-theater-david-adjmi-broadway-1235877998/",
                 "title + description", _f("David Rooney", STEREO, "2024-04-20")),
    FragmentPage("deadline", "roundup", "https://deadline.com/", "CAVEAT: stereophonic Deadline",
                 None, note="a multi-show roundup"),
    FragmentPage("deadline", "broadway-news", "https://www.broadwaynews.com/",
                 "CAVEAT: data/archives/reviews/maybe-happy-ending-2024/deadline", None,
                 note="another outlet's page filed as Deadline's"),
    FragmentPage("deadline", "maybe-happy-ending",
                 "https://deadline.com/2024/11/maybe-happy-ending-broadway-review-1236172693/",
                 "GOOD single review", _f("Greg Evans", MAYBE, "2024-11-12"),
                 note="one of its two JSON-LD blocks is cut: the other is read"),
    FragmentPage("vulture", "stereophonic",
                 "https://www.vulture.com/article/theater-review-stereophonic-broadway.html",
                 "parsely-tags", _f("Sara Holdren", STEREO, "2024-04-20")),
    FragmentPage("thewrap", "stereophonic", "https://www.thewrap.com/stereophonic-broadway-review/",
                 "Yoast meta block", _f("Robert Hofler", STEREO, "2024-04-20")),
    FragmentPage("washingtonpost", "maybe-happy-ending",
                 "https://www.washingtonpost.com/entertainment/theater/2024/11/12/maybe-happy-ending-broadway-review/",
                 "title + description", _f("Naveen Kumar", MAYBE, "2024-11-12")),
    FragmentPage("observer", "stereophonic",
                 "https://observer.com/2023/10/review-stereophonic-has-the-vinyl-word-on-70s-rock-drama/",
                 "title + description", _f("David Cote", STEREO, "2023-10-30")),
    FragmentPage("chicagotribune", "stereophonic",
                 "https://www.chicagotribune.com/2024/04/19/review-stereophonic-about-the-end-of-a-band-is-a-broadway-show-not-to-be-missed/",
                 "mrf:authors", _f("Chris Jones", STEREO, "2024-04-20")),
    FragmentPage("usatoday", "other-story",
                 "https://www.usatoday.com/story/news/healthcare/2024/04/23/where-to-dispose-unused-prescription-drugs-lane-county/73362737007/",
                 "CAVEAT: stereophonic USA Today", None, note="an unrelated Gannett story"),
    FragmentPage("usatoday", "maybe-happy-ending",
                 "https://www.usatoday.com/story/entertainment/music/2024/11/12/maybe-happy-ending-review-broadway-darren-criss/76193072007/",
                 "GOOD review page", _f("Patrick Ryan", MAYBE, "2024-11-12"),
                 note="no JSON-LD captured: byline and date from the gnt_ar header"),
    FragmentPage("wsj", "the-outsiders",
                 "https://www.wsj.com/articles/the-outsiders-review-the-greasers-go-to-broadway-danya-taymor-musical-jamestown-revival-2e20f5ca",
                 "WSJ the-outsiders", _f("Charles Isherwood", OUTSIDERS, "2024-04-12"),
                 note="no JSON-LD captured: the date from meta article.published"),
    FragmentPage("ap", "unavailable", "https://apnews.com/", "CAVEAT: stereophonic AP", None,
                 note="AP's \"Page unavailable\": the only AP markup captured"),
)
"""Every archived page of the named outlets' fragments. TheaterMania and Talkin' Broadway,
also in the folder, are theatre-only sites outside the registry and are not listed."""

OUTLETS: tuple[str, ...] = tuple(dict.fromkeys(page.outlet for page in PAGES))
