"""What the pipelines cost a crawl: the bare spider against the full chain into SQLite.

Serves generated review pages (~100 KB each, fictional) from a separate process on loopback,
then crawls them in fresh processes, alternating: the generic spider with no pipelines, and the
same spider with every pipeline storing into a new SQLite file. Same settings, no throttling
(loopback only). Prints pages/s of each and the ratio full/bare (the goal is ≥ 0.90): the
median of the rounds' ratios (each round a bare crawl then a full one, so a busy spell of the
machine weighs on both sides of a round), with the lowest and highest.

    python -m benchmarks.crawl [--pages 2000] [--rounds 2] [--profile DIR]

`--profile DIR` runs one more crawl of each kind under cProfile (the reactor's thread: the
store's writer thread is not in it) and writes DIR/bare.prof and DIR/full.prof, for
`python -m pstats` or snakeviz.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import statistics
import subprocess
import sys
import tempfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PAGE_BYTES = 100_000
LINKS_PER_LISTING = 100
WORDS = (
    "lantern orchard harbour brine ledger quiet amber cinder vellum thistle meridian copper "
    "gull fathom quarry hollow tallow wicker marrow signal drift ember").split()


def review_page(n: int) -> bytes:
    rng = random.Random(n)
    title = " ".join(rng.choice(WORDS).capitalize() for _ in range(3))
    critic = f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS).capitalize()}son"
    stars = rng.randint(1, 5)
    data = {
        "@context": "https://schema.org",
        "@type": "Review",
        "url": f"https://bench{n % 7}.example/reviews/{n}/",
        "author": {"@type": "Person", "name": critic},
        "publisher": {"@type": "Organization", "name": f"Bench Outlet {n % 7}"},
        "itemReviewed": {"@type": "Movie", "name": f"{title} {n}", "dateCreated": str(2000 + n % 25)},
        "reviewRating": {"@type": "Rating", "ratingValue": str(stars), "bestRating": "5", "worstRating": "1"},
        "datePublished": f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}",
        "headline": f"{title} {n} review",
    }
    # Shaped like a real review page: ~1,200 words of review in the article, and the rest of
    # the ~100 KB in what surrounds it (navigation, related stories, inline scripts, footer).
    paragraphs = "".join(
        "<p>" + " ".join(rng.choice(WORDS) for _ in range(60)).capitalize() + ".</p>" for _ in range(20)
    )
    navigation = "".join(f"<li><a href='/section/{i}/'>{rng.choice(WORDS)} {i}</a></li>" for i in range(300))
    related = "".join(
        f"<div class='card'><a href='/other/{n}-{i}/'><h3>{rng.choice(WORDS)} {rng.choice(WORDS)}</h3></a>"
        f"<p>{' '.join(rng.choice(WORDS) for _ in range(25))}</p></div>" for i in range(40)
    )
    page = (
        f"<!doctype html><html lang='en'><head><title>{title} {n} review</title>"
        f"<link rel='canonical' href='{data['url']}'>"
        f"<script type='application/ld+json'>{json.dumps(data)}</script>"
        f"<meta property='og:site_name' content='Bench Outlet {n % 7}'></head>"
        f"<body><header><nav><ul>{navigation}</ul></nav></header>"
        f"<article><h1>{title} {n} review</h1>{paragraphs}</article>"
        f"<aside class='related'>{related}</aside>"
    )
    script = "var config = " + json.dumps({f"k{i}": " ".join(rng.choice(WORDS) for _ in range(8)) for i in range(400)}) + ";"
    filler = "<script>" + script * max(1, -(-(PAGE_BYTES - len(page)) // len(script))) + "</script>"
    return (page + filler + "<footer><p>Bench footer</p></footer></body></html>").encode()


def listing_page(index: int, pages: int) -> bytes:
    first = index * LINKS_PER_LISTING
    links = "".join(f"<li><a href='/r/{n}.html'>{n}</a></li>" for n in range(first, min(first + LINKS_PER_LISTING, pages)))
    return f"<!doctype html><html><head><title>Listing {index}</title></head><body><ul>{links}</ul></body></html>".encode()


def serve(pages: int, port_queue) -> None:
    cache: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 (http.server's name)
            body = cache.get(self.path)
            if body is None:
                if self.path.startswith("/r/"):
                    body = review_page(int(self.path[3:].removesuffix(".html")))
                elif self.path.startswith("/list/"):
                    body = listing_page(int(self.path[6:].removesuffix(".html")), pages)
                else:
                    self.send_error(404)
                    return
                cache[self.path] = body
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_queue.put(server.server_address[1])
    server.serve_forever()


def crawl_worker(mode: str, base_url: str, listings: int, db_url: str, profile: str | None = None) -> dict:
    """One crawl in this process (Twisted's reactor runs once per process); with `profile`,
    under cProfile, its statistics written to that file."""
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        try:
            return profiler.runcall(crawl_worker, mode, base_url, listings, db_url)
        finally:
            profiler.dump_stats(profile)
    from aggregator.crawl.crawling import run_crawl

    start_urls = [f"{base_url}list/{i}.html" for i in range(listings)]
    settings = {"LOG_LEVEL": "ERROR", "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16}
    if mode == "bare":
        settings["ITEM_PIPELINES"] = {}
    result = run_crawl("structured_data", database_url=db_url, start_urls=start_urls, settings=settings,
                       spider_args={"start_urls": ",".join(start_urls), "follow": "1"})
    stats = result.stats
    return {
        "mode": mode,
        "pages": stats.get("response_received_count", 0),
        "items": stats.get("item_scraped_count", 0),
        "seconds": stats.get("elapsed_time_seconds"),
        "stored": result.count("new") + result.count("updated") + result.count("unchanged"),
    }


def run_worker(mode: str, base_url: str, listings: int, profile: str | None = None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.crawl", "--worker", mode, "--base", base_url,
             "--listings", str(listings), "--db", db_url, *(["--profile", profile] if profile else [])],
            check=True, capture_output=True, text=True,
        ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--worker", choices=("bare", "full"))
    parser.add_argument("--base")
    parser.add_argument("--listings", type=int)
    parser.add_argument("--db")
    parser.add_argument("--profile", metavar="DIR", help="also profile one crawl of each kind into DIR")
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(crawl_worker(args.worker, args.base, args.listings, args.db, args.profile)))
        return 0

    listings = -(-args.pages // LINKS_PER_LISTING)
    ports = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(args.pages, ports), daemon=True)
    server.start()
    base_url = f"http://127.0.0.1:{ports.get(timeout=10)}/"
    try:
        run_worker("bare", base_url, listings)  # warm the server's page cache: both modes then read the same
        rates: dict[str, list[float]] = {"bare": [], "full": []}
        for _ in range(args.rounds):
            for mode in ("bare", "full"):
                result = run_worker(mode, base_url, listings)
                rate = result["pages"] / result["seconds"]
                rates[mode].append(rate)
                print(f"{mode:4}: {result['pages']} pages, {result['items']} items, "
                      f"{result['stored']} stored, {result['seconds']:.1f} s, {rate:.0f} pages/s")
        if args.profile:
            Path(args.profile).mkdir(parents=True, exist_ok=True)
            for mode in ("bare", "full"):
                run_worker(mode, base_url, listings, str(Path(args.profile) / f"{mode}.prof"))
            print(f"profiles of one crawl of each kind in {args.profile}/bare.prof and full.prof")
    finally:
        server.terminate()
    ratios = [full / bare for bare, full in zip(rates["bare"], rates["full"], strict=True)]
    print(f"bare spider {_spread(rates['bare'])} pages/s, full chain into SQLite {_spread(rates['full'])} pages/s, "
          f"ratio {_spread(ratios, '.2f')} (median [min–max] of {len(ratios)} rounds; goal ≥ 0.90)")
    return 0


def _spread(values: list[float], form: str = ".0f") -> str:
    return f"{statistics.median(values):{form}} [{min(values):{form}}–{max(values):{form}}]"


if __name__ == "__main__":
    sys.exit(main())
