"""The review record that flows from a spider through the pipelines to the store.

A spider fills only the RAW fields, exactly as the page gave them. Each pipeline fills the
normalised twin of one concern; the store keeps both, so a better normaliser can be re-run
over stored raw values without a re-crawl (`aggregator renormalise`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

VERDICTS = ("positive", "mixed", "negative")
VERDICT_SOURCES = ("rating", "text", "label", "inferred", "manual")
"""Where a verdict came from: a rating on the page, a rating stated in the text, the outlet's
or critic's own label, a model reading the text, a person."""
RUN_STATUSES = ("running", "ok", "empty", "failed", "interrupted", "killed")


@dataclass
class ReviewItem:
    # --- identity -------------------------------------------------------------------------
    url: str | None = None
    """Canonical URL of the review: the review's identity (see aggregator.urls)."""
    page_url: str | None = None
    """The URL the page was fetched from (differs from `url` for embedded reviews)."""
    spider: str | None = None

    # --- raw, as scraped ------------------------------------------------------------------
    publication_raw: str | None = None
    """Outlet as the page names it: og:site_name, JSON-LD publisher name."""
    critic_raw: list[str] = field(default_factory=list)
    """Byline strings or author names, one entry per source string, unsplit."""
    critic_urls: list[str] = field(default_factory=list)
    """Author profile URLs given by the page (JSON-LD author.url / sameAs), all authors'."""
    authors_raw: list[dict[str, Any]] = field(default_factory=list)
    """Structured authors as given: [{"name": str, "urls": [profile URL, …]}], so that each
    author's profile pages stay tied to that author on a co-written review."""
    film_raw: str | None = None
    """Reviewed title as given: itemReviewed.name, else the headline."""
    film_reason: str | None = None
    """How the title was chosen from the page's candidates, where it was: the sources that
    agreed ("agreed:headline+tags+url", aggregator.identity.film_candidates)."""
    film_year_raw: str | None = None
    film_ids_raw: list[str] = field(default_factory=list)
    """sameAs / external links of the reviewed film (IMDb, TMDb, Wikidata URLs)."""
    standfirst_raw: str | None = None
    """The review's standfirst as given (its description, else og:description): where an outlet
    posting under a site account names the critic ("Jane Doe reviews …"), and a film title."""
    title_raw: str | None = None
    """The page's <title> tag, a headline pattern's second chance for the film title."""
    keywords_raw: list[str] = field(default_factory=list)
    """Tags and keywords, one entry each ("The Salt Cartographer (Movie)", "Reviews")."""
    rating_raw: str | None = None
    """A rating string as shown ("3½/5", "B+", "★★★★☆") ..."""
    rating_parts: dict[str, Any] | None = None
    """... or structured parts (schema.org reviewRating: value, best, worst)."""
    label_raw: str | None = None
    """The outlet's own verdict word: "Critic's Pick", "Recommended", "Fresh"."""
    published_raw: str | None = None
    headline: str | None = None
    text: str | None = None
    """Review body, or the description where the page gives no body."""
    language: str | None = None
    source_format: str | None = None
    """Where the review was read from: "json-ld", "microdata", "opengraph"."""
    listed_at: str | None = None
    """Set only on a review read from an aggregator's listing (a Rotten Tomatoes film page's
    critic card): that page's URL. The outlet's own page, crawled later or earlier, is the
    same review (same `url`) and wins for text and rating (aggregator.db.listings)."""
    top_critic: bool | None = None
    """The listing's top-critic flag (Rotten Tomatoes); None where the listing gives none."""

    @property
    def outlet_url(self) -> str | None:
        """The URL whose host tells the outlet: `url`, except for a listing's card that has no
        link to the original review and is keyed on the listing page (that host is not the
        outlet's)."""
        if self.listed_at and self.url and urlsplit(self.url).netloc == urlsplit(self.listed_at).netloc:
            return None
        return self.url

    # --- normalised -----------------------------------------------------------------------
    publication: str | None = None
    """Registry key of the outlet."""
    critics: list[str] = field(default_factory=list)
    """Canonical critic names (site accounts and "Staff" removed)."""
    critic_profiles: dict[str, list[str]] = field(default_factory=dict)
    """Canonical critic name → that critic's profile URLs (the evidence of who they are)."""
    film_title: str | None = None
    film_year: int | None = None
    film_key: str | None = None
    film_ids: dict[str, str] = field(default_factory=dict)
    """External ids the page gives for the film: {"imdb": "tt…", "tmdb": "…", "wikidata": "Q…"}."""
    rating_value: float | None = None
    rating_best: float | None = None
    rating_worst: float | None = None
    scale: str | None = None
    score: float | None = None
    verdict: str | None = None
    """"positive" | "mixed" | "negative" | None"""
    fresh: bool | None = None
    verdict_source: str | None = None
    """"rating" | "text" | "label" | "inferred" | "manual" | None"""
    confidence: float | None = None
    published: date | None = None
