"""Shared pieces of the discovery fixture sites' answers: the answer itself, dates in the
formats each document uses, WordPress-like search matching, link lists, RSS, Atom and sitemaps.
Pure: no I/O, no clock."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime


@dataclass
class Rendered:
    status: int
    content_type: str
    body: str
    modified: datetime | None = None
    """When the content last changed (Last-Modified); None for pages with no such date."""
    headers: dict[str, str] | None = None


def utc(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=timezone.utc)


def w3c(value: str) -> str:
    return utc(value).isoformat()


def rfc822(value: str) -> str:
    return format_datetime(utc(value), usegmt=True)


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def plain_text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def latest(values: list[str]) -> datetime | None:
    return max((utc(v) for v in values), default=None)


def search_words(text: str) -> list[str]:
    return re.findall(r"\w+", html.unescape(text).casefold().replace("’", "'"))


def matches_search(query: str, *texts: str) -> bool:
    """WordPress search semantics: every word of the query appears in one of the texts."""
    haystack = set(search_words(" ".join(texts)))
    return all(word in haystack for word in search_words(query))


def link_list(site: dict, title: str, links: list[tuple[str, str]], kind: str) -> Rendered:
    items = "\n".join(f'<li><a href="{esc(href)}">{esc(plain_text(text))}</a></li>' for href, text in links)
    body = f"""<!doctype html>
<html lang="{site['language']}"><head><meta charset="UTF-8"><title>{esc(title)} - {esc(site['name'])}</title></head>
<body class="{kind}"><main><h1>{esc(title)}</h1>
<ul class="results">
{items}
</ul></main></body></html>
"""
    return Rendered(200, "text/html; charset=utf-8", body)


def rss_feed(site: dict, host: str, entries: list[dict]) -> Rendered:
    items = []
    for entry in entries:
        categories = "".join(f"<category><![CDATA[{c}]]></category>" for c in entry["categories"])
        content = (f"<content:encoded><![CDATA[{entry['content']}]]></content:encoded>"
                   if entry.get("content") else "")
        items.append(
            f"<item><title>{esc(plain_text(entry['title']))}</title><link>{entry['link']}</link>"
            f"<dc:creator><![CDATA[{entry['author']}]]></dc:creator>"
            f"<pubDate>{rfc822(entry['date'])}</pubDate>{categories}"
            f"<guid isPermaLink=\"false\">{entry['guid']}</guid>"
            f"<description><![CDATA[{entry['summary']}]]></description>{content}</item>")
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>{esc(site['name'])}</title><link>http://{host}/</link>"
        f"<description>{esc(site['name'])}</description>"
        f"<lastBuildDate>{rfc822(max(e['modified'] for e in entries))}</lastBuildDate>"
        + "".join(items) + "</channel></rss>\n")
    return Rendered(200, "application/rss+xml; charset=UTF-8", body,
                    latest([e["modified"] for e in entries]))


def atom_feed(site: dict, host: str, entries: list[dict]) -> Rendered:
    parts = []
    for entry in entries:
        parts.append(
            f"<entry><title>{esc(plain_text(entry['title']))}</title>"
            f'<link rel="alternate" type="text/html" href="{entry["link"]}"/>'
            f"<id>{entry['guid']}</id><published>{w3c(entry['date'])}</published>"
            f"<updated>{w3c(entry['modified'])}</updated>"
            f"<author><name>{esc(entry['author'])}</name></author>"
            f"<summary>{esc(entry['summary'])}</summary></entry>")
    body = (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{esc(site['name'])}</title><id>http://{host}/</id>"
        f'<link rel="self" href="http://{host}/atom.xml"/>'
        f"<updated>{w3c(max(e['modified'] for e in entries))}</updated>"
        + "".join(parts) + "</feed>\n")
    return Rendered(200, "application/atom+xml; charset=utf-8", body,
                    latest([e["modified"] for e in entries]))


def urlset(urls: list[tuple[str, str]], news: list[tuple[str, str, str]] | None = None,
            publication: str = "") -> Rendered:
    if news is None:
        rows = "".join(f"<url><loc>{esc(loc)}</loc><lastmod>{w3c(mod)}</lastmod></url>" for loc, mod in urls)
        head = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        dates = [mod for _, mod in urls]
    else:
        rows = "".join(
            f"<url><loc>{esc(loc)}</loc><news:news><news:publication><news:name>{esc(publication)}"
            f"</news:name><news:language>en</news:language></news:publication>"
            f"<news:publication_date>{w3c(date)}</news:publication_date>"
            f"<news:title>{esc(title)}</news:title></news:news></url>" for loc, date, title in news)
        head = ('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">')
        dates = [date for _, date, _ in news]
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n{head}{rows}</urlset>\n'
    return Rendered(200, "application/xml; charset=utf-8", body, latest(dates))


def sitemap_index(host: str, children: list[tuple[str, str | None]]) -> Rendered:
    rows = "".join(
        f"<sitemap><loc>http://{host}{path}</loc>" + (f"<lastmod>{w3c(mod)}</lastmod>" if mod else "")
        + "</sitemap>" for path, mod in children)
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</sitemapindex>\n')
    return Rendered(200, "application/xml; charset=utf-8", body)
