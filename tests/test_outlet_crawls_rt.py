"""Real HTTP crawls through Scrapy (in their own processes, as a user runs them) of the real
Rotten Tomatoes and Frank's Movie Log pages, served on loopback from a temporary directory built
at test time from ../shared (never copied into the repository), into a real database."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from aggregator.demo.server import serve_directory

BIN = Path(sys.executable).parent
RT_PAGES = {
    "m/host_2020/index.html": "host_2020.rt_movie_page.movie.html",
    "m/harry_potter_and_the_deathly_hallows_part_2/index.html":
        "harry_potter_and_the_deathly_hallows_part_2.rt_movie_page.html",
}


def aggregator(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "AGGREGATOR_LOG_LEVEL": "WARNING"}
    return subprocess.run([str(BIN / "aggregator"), *args], capture_output=True, text=True, timeout=300, env=env)


def exported(db_url: str) -> dict[str, dict]:
    result = aggregator("export", "--format", "json", "--db", db_url)
    assert result.returncode == 0, result.stderr
    return {record["url"]: record for record in json.loads(result.stdout)}


def site(tmp_path: Path, shared_dir: Path) -> Path:
    root = tmp_path / "site"
    for target, name in RT_PAGES.items():
        (root / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared_dir / "pages" / "rottentomatoes" / name, root / target)
    for page in (shared_dir / "pages" / "franksmovielog").glob("*.html"):
        folder = root / ("how-i-grade" if page.stem == "how-i-grade" else f"reviews/{page.stem}")
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(page, folder / "index.html")
    return root


def test_rotten_tomatoes_crawl_stores_every_card_under_its_outlet(shared_dir, tmp_path, empty_db_url):
    with serve_directory(site(tmp_path, shared_dir)) as served:
        starts = ",".join(served.url(t.removesuffix("index.html")) for t in RT_PAGES) + "," + served.url("m/no_such_film/")
        result = aggregator("crawl", "--spider", "rottentomatoes", "--start-urls", starts, "--db", empty_db_url)
        again = aggregator("crawl", "--spider", "rottentomatoes", "--start-urls", starts, "--db", empty_db_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "reviews new 36, updated 0, unchanged 0" in result.stdout  # 24 + 12 cards; the 404 yields none
    assert "reviews new 0, updated 0, unchanged 36" in again.stdout
    rows = exported(empty_db_url)
    assert len(rows) == 36
    muir = rows["http://www.thetimes.co.uk/tto/arts/film/reviews/article3087435.ece"]
    assert (muir["publication"]["key"], muir["critics"], muir["rating_raw"], muir["score"], muir["fresh"]) == (
        "thetimes", ["Kate Muir"], "4/5", 80.0, True)
    assert (muir["film"]["title"], muir["film"]["year"]) == ("Harry Potter and the Deathly Hallows: Part 2", 2011)
    assert Counter(r["publication"]["key"] for r in rows.values())["lwlies"] == 1
    assert not any(r["publication"]["key"].startswith("rottentomatoes") for r in rows.values())
    assert sum(1 for r in rows.values() if r["fresh"] is True) == 36
    assert (muir["top_critic"], muir["critic_call"]) == (True, "fresh")
    assert muir["listed_at"] == "https://www.rottentomatoes.com/m/harry_potter_and_the_deathly_hallows_part_2"
    assert Counter(r["top_critic"] for r in rows.values()) == {True: 12, False: 12, None: 12}


def test_franksmovielog_crawl_stores_one_review_per_review_page(shared_dir, tmp_path, empty_db_url):
    with serve_directory(site(tmp_path, shared_dir)) as served:
        slugs = sorted(p.stem for p in (shared_dir / "pages" / "franksmovielog").glob("*-[0-9][0-9][0-9][0-9].html"))
        starts = [served.url(f"reviews/{slug}/") for slug in slugs] + [served.url("how-i-grade/")]
        result = aggregator("crawl", "--spider", "franksmovielog", "--start-urls", ",".join(starts),
                            "--db", empty_db_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "reviews new 10, updated 0, unchanged 0" in result.stdout
    rows = exported(empty_db_url)
    assert sorted(r["film"]["title"] for r in rows.values())[:3] == [
        "A Girl Walks Home Alone at Night", "A Walk Among the Tombstones", "And Now the Screaming Starts!"]
    casablanca = next(r for r in rows.values() if r["film"]["title"] == "Casablanca")
    assert (casablanca["rating_raw"], casablanca["score"], casablanca["published"], casablanca["critics"]) == (
        "5 stars (out of 5)", 100.0, "2017-06-05", ["Frank Showalter"])
    assert casablanca["film"]["year"] == 1942
    assert {r["publication"]["key"] for r in rows.values()} == {"franksmovielog"}
