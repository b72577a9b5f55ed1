"""What the discovery fixture sites answer, rendered from one data file (discovery/sites.json).

Three kinds of page a discovery crawl meets on the web, each written the way the platforms
write them (shapes only; every outlet, critic and film is invented):

- a WordPress site: the REST API (`/wp-json/wp/v2/posts` with `search`, `categories`,
  `_embed`, `page`, `per_page`, `modified_after`, and the X-WP-Total / X-WP-TotalPages
  headers), its RSS feed (`/feed/`), its core sitemaps (`/wp-sitemap.xml`), the HTML search
  (`/?s=`) and HTML posts with Yoast-style JSON-LD (the fallback when the API is off);
- static sites: schema.org Review pages or plain articles, an Atom or RSS feed, a sitemap
  index with a news sitemap, and a search page.

`render(site_data, host, path, query)` returns a `Rendered` (status, content type, body, the
date it last changed) or None for a path the site does not have. Pure: no I/O, no clock.
"""

from __future__ import annotations

import json

from .discovery_formats import (
    Rendered,
    atom_feed,
    esc,
    link_list,
    matches_search,
    rss_feed,
    sitemap_index,
    urlset,
    utc,
    w3c,
)
from .discovery_wordpress import wordpress_answer


def _static_page(site: dict, host: str, page: dict) -> Rendered:
    base = f"http://{host}"
    url = base + page["path"]
    author = {"@type": "Person", "name": page["critic"], "url": f"{base}/people/{page['critic_slug']}/"}
    if page["kind"] == "review":
        node = {"@context": "https://schema.org", "@type": "Review", "url": url,
                "headline": page["headline"], "description": page["summary"], "author": author,
                "datePublished": w3c(page["date"]), "dateModified": w3c(page["modified"]),
                "publisher": {"@type": "Organization", "name": site["name"]},
                "itemReviewed": {"@type": "Movie", "name": page["film"], "dateCreated": str(page["film_year"])},
                "reviewRating": {"@type": "Rating", "ratingValue": page["rating"], "bestRating": page["best"]}}
    else:
        node = {"@context": "https://schema.org", "@type": "NewsArticle", "url": url,
                "headline": page["headline"], "description": page["summary"], "author": author,
                "datePublished": w3c(page["date"]), "dateModified": w3c(page["modified"]),
                "articleSection": page["section"],
                "publisher": {"@type": "Organization", "name": site["name"]}}
    paragraphs = "\n".join(f"<p>{esc(p)}</p>" for p in page["body"])
    body = f"""<!doctype html>
<html lang="{site['language']}">
<head>
<meta charset="utf-8">
<title>{esc(page['headline'])} | {esc(site['name'])}</title>
<link rel="canonical" href="{url}">
<meta property="og:type" content="article">
<meta property="og:title" content="{esc(page['headline'])}">
<meta property="og:site_name" content="{esc(site['name'])}">
<meta property="og:description" content="{esc(page['summary'])}">
<script type="application/ld+json">{json.dumps(node)}</script>
</head>
<body>
<main><article>
<h1>{esc(page['headline'])}</h1>
<p class="byline">By <a href="{base}/people/{page['critic_slug']}/">{esc(page['critic'])}</a></p>
{paragraphs}
</article></main>
</body>
</html>
"""
    return Rendered(200, "text/html; charset=utf-8", body, utc(page["modified"]))


def _static(site: dict, host: str, path: str, query: dict[str, str]) -> Rendered | None:
    base = f"http://{host}"
    pages = sorted(site["pages"], key=lambda p: p["date"], reverse=True)
    if path == "/":
        return link_list(site, site["name"], [(base + p["path"], p["headline"]) for p in pages], "home")
    if site.get("search_path") and path == site["search_path"]:
        words = query.get("q", "")
        found = [p for p in pages if words.strip() and matches_search(words, p["headline"], p["summary"])]
        return link_list(site, f"Search: {words}", [(base + p["path"], p["headline"]) for p in found],
                          "search-results")
    feed_kind = site.get("feeds", {}).get(path)
    if feed_kind:
        entries = [{"title": p["headline"], "link": base + p["path"], "guid": base + p["path"],
                    "date": p["date"], "modified": p["modified"], "summary": p["summary"],
                    "author": p["critic"], "categories": [p.get("section", "Reviews")]} for p in pages]
        return (atom_feed if feed_kind == "atom" else rss_feed)(site, host, entries)
    if site.get("dated_sitemaps"):
        dated = _dated_sitemaps(site, host, path, pages)
        if dated is not None:
            return dated
    if site.get("sitemap_index") and path == site["sitemap_index"]:
        children = [("/sitemap-reviews.xml", max(p["modified"] for p in pages))]
        if site.get("news_sitemap"):
            children.append((site["news_sitemap"], None))
        return sitemap_index(host, children)
    if site.get("sitemap_index") and path == "/sitemap-reviews.xml":
        # "listed_modified": a CMS that bumps lastmod without changing the page (a comment).
        return urlset([(base + p["path"], p.get("listed_modified", p["modified"])) for p in pages])
    if site.get("news_sitemap") and path == site["news_sitemap"]:
        recent = [p for p in pages if p["kind"] == "review"][:2]
        return urlset([], [(base + p["path"], p["date"], p["headline"]) for p in recent], site["name"])
    if path == "/robots.txt":
        lines = "User-agent: *\nDisallow: /drafts/\n"
        if site.get("sitemap_index"):
            lines += f"\nSitemap: {base}{site['sitemap_index']}\n"
        return Rendered(200, "text/plain; charset=utf-8", lines)
    page = next((p for p in pages if p["path"] == path), None)
    return _static_page(site, host, page) if page else None


def _sitemap_period(site: dict, page: dict) -> str:
    """The dated sitemap a page is listed in: its day ("2026-11-29"), or its month
    ("2026-10") for pages older than the site's `dated_sitemaps.monthly_before` (an archive)."""
    day = page["date"][:10]
    return day[:7] if day < site["dated_sitemaps"]["monthly_before"] else day


def _dated_sitemaps(site: dict, host: str, path: str, pages: list[dict]) -> Rendered | None:
    """A news site's sitemaps: an index of dated children (/sitemaps/2026-11-29.xml, monthly
    ones for the archive) that state no lastmod, as many large sites publish them."""
    base = f"http://{host}"
    periods = sorted({_sitemap_period(site, p) for p in pages}, reverse=True)
    if path == site["sitemap_index"]:
        return sitemap_index(host, [(f"/sitemaps/{period}.xml", None) for period in periods])
    for period in periods:
        if path == f"/sitemaps/{period}.xml":
            return urlset([(base + p["path"], p.get("listed_modified", p["modified"]))
                           for p in pages if _sitemap_period(site, p) == period])
    return None


def render(site: dict, host: str, path: str, query: dict[str, str]) -> Rendered | None:
    """The answer of fixture site `site` (its entry in sites.json) at `host` for `path`."""
    if site["kind"] == "wordpress":
        return wordpress_answer(site, host, path, query)
    return _static(site, host, path, query)
