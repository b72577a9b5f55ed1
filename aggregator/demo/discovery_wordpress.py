"""The WordPress fixture site: the REST API (`/wp-json/wp/v2/posts` with `search`,
`categories`, `_embed`, `page`, `per_page`, `after`, `modified_after`, `orderby` and the
X-WP-Total / X-WP-TotalPages headers; a 401 when the site's `rest_api` is off, as security
plugins answer), the RSS feed (`/feed/`), the core sitemaps (`/wp-sitemap.xml`), the HTML
search (`/?s=`) and HTML posts with Yoast-style JSON-LD. Pure: no I/O, no clock."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .discovery_formats import (
    Rendered,
    esc,
    latest,
    link_list,
    matches_search,
    plain_text,
    rss_feed,
    sitemap_index,
    urlset,
    utc,
    w3c,
)

WP_API = "/wp-json/wp/v2"


def wp_post_path(post: dict) -> str:
    day = post["date"][:10].replace("-", "/")
    return f"/{day}/{post['slug']}/"


def _wp_content(post: dict) -> str:
    return "\n".join(f"<p>{p}</p>" for p in post["content"])


def _wp_post_json(site: dict, host: str, post: dict, embed: bool) -> dict:
    base = f"http://{host}"
    data: dict[str, Any] = {
        "id": post["id"],
        "date": post["date"], "date_gmt": post["date"],
        "modified": post["modified"], "modified_gmt": post["modified"],
        "slug": post["slug"], "status": "publish", "type": "post",
        "link": base + wp_post_path(post),
        "title": {"rendered": post["title"]},
        "content": {"rendered": _wp_content(post), "protected": False},
        "excerpt": {"rendered": f"<p>{post['excerpt']}</p>\n", "protected": False},
        "author": post["author"], "categories": post["categories"], "tags": post["tags"],
        "_links": {"self": [{"href": f"{base}{WP_API}/posts/{post['id']}"}]},
    }
    if embed:
        user = site["users"][str(post["author"])]
        terms = [[{"id": int(i), "name": site["categories"][str(i)]["name"],
                   "slug": site["categories"][str(i)]["slug"], "taxonomy": "category"}
                  for i in post["categories"]],
                 [{"id": int(i), "name": site["tags"][str(i)]["name"],
                   "slug": site["tags"][str(i)]["slug"], "taxonomy": "post_tag"}
                  for i in post["tags"]]]
        data["_embedded"] = {
            "author": [{"id": post["author"], "name": user["name"], "slug": user["slug"],
                        "link": f"{base}/author/{user['slug']}/"}],
            "wp:term": terms,
        }
    return data


def _wp_error(status: int, code: str, message: str) -> Rendered:
    body = json.dumps({"code": code, "message": message, "data": {"status": status}})
    return Rendered(status, "application/json; charset=UTF-8", body)


def _wp_posts(site: dict, host: str, query: dict[str, str]) -> Rendered:
    posts = sorted(site["posts"], key=lambda p: p["date"], reverse=True)
    if query.get("orderby") == "modified":
        posts = sorted(posts, key=lambda p: p["modified"], reverse=True)
    if "search" in query:
        posts = [p for p in posts if matches_search(query["search"], p["title"], p["excerpt"],
                                              " ".join(p["content"]))]
    if query.get("categories"):
        wanted = {int(c) for c in query["categories"].split(",") if c.strip().isdigit()}
        posts = [p for p in posts if wanted & set(p["categories"])]
    for name, field in (("after", "date"), ("modified_after", "modified")):
        if query.get(name):
            try:
                bound = utc(query[name].replace("Z", "").split("+")[0])
            except ValueError:
                return _wp_error(400, "rest_invalid_param", f"Invalid parameter(s): {name}")
            posts = [p for p in posts if utc(p[field]) > bound]
    try:
        per_page = int(query.get("per_page", "10"))
        page = int(query.get("page", "1"))
    except ValueError:
        return _wp_error(400, "rest_invalid_param", "Invalid parameter(s): page, per_page")
    if not 1 <= per_page <= 100 or page < 1:
        return _wp_error(400, "rest_invalid_param", "Invalid parameter(s): page, per_page")
    total = len(posts)
    pages = max(1, math.ceil(total / per_page))
    if page > pages:
        return _wp_error(400, "rest_post_invalid_page_number",
                         "The page number requested is larger than the number of pages available.")
    chunk = posts[(page - 1) * per_page: page * per_page]
    embed = "_embed" in query
    body = json.dumps([_wp_post_json(site, host, p, embed) for p in chunk])
    return Rendered(200, "application/json; charset=UTF-8", body,
                    latest([p["modified"] for p in chunk]),
                    {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)})


def _wp_rest(site: dict, host: str, path: str, query: dict[str, str]) -> Rendered | None:
    if not site.get("rest_api", True):
        # What a "disable REST API" plugin answers: the crawler must fall back to HTML.
        return _wp_error(401, "rest_cannot_access", "Only authenticated users can access the REST API.")
    if path in ("/wp-json/", "/wp-json"):
        return Rendered(200, "application/json; charset=UTF-8",
                        json.dumps({"name": site["name"], "url": f"http://{host}", "namespaces": ["wp/v2"]}))
    if path == f"{WP_API}/posts":
        return _wp_posts(site, host, query)
    match = re.fullmatch(re.escape(WP_API) + r"/posts/(\d+)", path)
    if match:
        post = next((p for p in site["posts"] if p["id"] == int(match.group(1))), None)
        if post is None:
            return _wp_error(404, "rest_post_invalid_id", "Invalid post ID.")
        return Rendered(200, "application/json; charset=UTF-8",
                        json.dumps(_wp_post_json(site, host, post, "_embed" in query)),
                        utc(post["modified"]))
    if path == f"{WP_API}/categories":
        rows = [{"id": int(i), "name": c["name"], "slug": c["slug"]} for i, c in site["categories"].items()]
        return Rendered(200, "application/json; charset=UTF-8", json.dumps(rows))
    return _wp_error(404, "rest_no_route", "No route was found matching the URL and request method.")


def _wp_post_page(site: dict, host: str, post: dict) -> Rendered:
    base = f"http://{host}"
    url = base + wp_post_path(post)
    user = site["users"][str(post["author"])]
    title = plain_text(post["title"])
    graph = {"@context": "https://schema.org", "@graph": [
        {"@type": "Article", "@id": url + "#article", "headline": title,
         "author": {"@id": f"{base}/#/schema/person/{user['slug']}"},
         "datePublished": w3c(post["date"]), "dateModified": w3c(post["modified"]),
         "mainEntityOfPage": {"@id": url}, "publisher": {"@id": f"{base}/#organization"},
         "keywords": [site["tags"][str(t)]["name"] for t in post["tags"]],
         "articleSection": [site["categories"][str(c)]["name"] for c in post["categories"]],
         "inLanguage": site["language"]},
        {"@type": "WebPage", "@id": url, "url": url, "name": f"{title} - {site['name']}"},
        {"@type": "Organization", "@id": f"{base}/#organization", "name": site["name"], "url": base + "/"},
        {"@type": "Person", "@id": f"{base}/#/schema/person/{user['slug']}", "name": user["name"],
         "url": f"{base}/author/{user['slug']}/"},
    ]}
    body = f"""<!doctype html>
<html lang="{site['language']}">
<head>
<meta charset="UTF-8">
<title>{esc(title)} - {esc(site['name'])}</title>
<meta name="description" content="{esc(post['excerpt'])}">
<link rel="canonical" href="{url}">
<meta property="og:type" content="article">
<meta property="og:title" content="{esc(title)}">
<meta property="og:url" content="{url}">
<meta property="og:site_name" content="{esc(site['name'])}">
<meta property="article:published_time" content="{w3c(post['date'])}">
<meta property="article:modified_time" content="{w3c(post['modified'])}">
<script type="application/ld+json">{json.dumps(graph)}</script>
<link rel="alternate" type="application/rss+xml" href="{base}/feed/">
<link rel="alternate" type="application/json" href="{base}{WP_API}/posts/{post['id']}">
</head>
<body class="single single-post postid-{post['id']}">
<header class="site-header"><p class="site-title"><a href="{base}/">{esc(site['name'])}</a></p></header>
<main id="primary">
<article id="post-{post['id']}">
<header class="entry-header"><h1 class="entry-title">{post['title']}</h1>
<span class="byline">by <a class="url fn n" href="{base}/author/{user['slug']}/">{esc(user['name'])}</a></span>
<time class="entry-date published" datetime="{w3c(post['date'])}"></time></header>
<div class="entry-content">
{_wp_content(post)}
</div>
</article>
</main>
</body>
</html>
"""
    return Rendered(200, "text/html; charset=utf-8", body, utc(post["modified"]))


def wordpress_answer(site: dict, host: str, path: str, query: dict[str, str]) -> Rendered | None:
    base = f"http://{host}"
    if path.startswith("/wp-json"):
        return _wp_rest(site, host, path, query)
    posts = sorted(site["posts"], key=lambda p: p["date"], reverse=True)
    if path == "/" and "s" in query:
        found = [p for p in posts if matches_search(query["s"], p["title"], p["excerpt"], " ".join(p["content"]))]
        return link_list(site, f"Search results for “{query['s']}”",
                          [(base + wp_post_path(p), p["title"]) for p in found], "search search-results")
    if path == "/":
        return link_list(site, site["name"], [(base + wp_post_path(p), p["title"]) for p in posts], "home blog")
    if path == "/feed/":
        entries = [{"title": p["title"], "link": base + wp_post_path(p), "guid": f"{base}/?p={p['id']}",
                    "date": p["date"], "modified": p["modified"], "summary": p["excerpt"],
                    "author": site["users"][str(p["author"])]["name"], "content": _wp_content(p),
                    "categories": [site["categories"][str(c)]["name"] for c in p["categories"]]
                    + [site["tags"][str(t)]["name"] for t in p["tags"]]} for p in posts]
        return rss_feed(site, host, entries)
    if path == "/wp-sitemap.xml":
        return sitemap_index(host, [("/wp-sitemap-posts-post-1.xml", None)])
    if path == "/wp-sitemap-posts-post-1.xml":
        return urlset([(base + wp_post_path(p), p["modified"]) for p in posts])
    if path == "/robots.txt":
        return Rendered(200, "text/plain; charset=utf-8",
                        f"User-agent: *\nDisallow: /wp-admin/\n\nSitemap: {base}/wp-sitemap.xml\n")
    post = next((p for p in posts if wp_post_path(p) == path), None)
    return _wp_post_page(site, host, post) if post else None
