"""Pages from outlets nobody wrote a rule for, read as a crawl reads them (issue 14).

    python -m benchmarks.pages [--verbose] [--set tuning|held_out|fresh|real] [--libraries]

Three sets of pages, each read by the default generic spider (`structured_data`, films only)
and normalised by the pipelines' functions (benchmarks.outlets.crawl_page):

- tuning: the project's own labelled pages (tests/fixtures/pages/tuning/), written before the
  rules and used to write them;
- held_out: more of the project's own pages (tests/fixtures/pages/held_out/), written after
  the rules were frozen and never tuned on: the honest figure;
- fresh: a third batch (tests/fixtures/pages/fresh/), written by people who read none of the
  code nor the other pages, after the held-out misses had been fixed: measured once as it
  came, the honest figure of the rules as they stand (docs/unknown-outlets.md);
- real: the real pages of ../shared/fixtures/real/pages/ read as if from an outlet with no
  rule: the film blog's review pages (truth from the site's own build data, page-data.json),
  the radio station's WordPress review post, the eight real articles that are not reviews,
  and the named outlets' theatre reviews (benchmarks/outlet_pages.py), which a films-only
  crawl must refuse.

Each labelled page has `<case>.expected.json` (url, kind, critics, title, year, date, score,
publication). Printed per set and field: right / wrong / missing. "review" is whether the
page's review was stored (a film review stored is right; a film review not stored is missing;
anything stored from a page that holds no film review is wrong). The other fields are scored
on the film reviews: a value where the page states none (an invented year, a critic on an
unsigned post) is wrong; no value where the page states one is missing.

`--libraries` adds the same reviews' critic, date and site name as trafilatura's metadata
reader gives them (not a dependency: install trafilatura and lxml_html_clean to compare).
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from benchmarks.outlets import crawl_page, shared_real_dir

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "pages"
FIELDS = ("review", "critic", "title", "year", "date", "rating", "publication")
SETS = ("tuning", "held_out", "fresh", "real")
FRANKS_HOST = "https://www.film-log.example/reviews/"
"""The film blog's pages are served from an unknown host: its own spider and registry entry
(spiders/franksmovielog.py) are not what is measured here."""
FRANKS_STARS = {"A": 5, "B": 4, "C": 3, "D": 2, "F": 1}
"""The blog's own "How I Grade" page: the letter behind the stars it shows (A± = 5 … F = 1)."""


@dataclass(frozen=True)
class Case:
    name: str
    url: str
    html: str
    kind: str
    critics: tuple[str, ...] = ()
    title: str | None = None
    year: int | None = None
    date: str | None = None
    score: float | None = None
    publication: str | None = None


@dataclass
class Tally:
    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    wrong: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    missing: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    pages: int = 0
    film_reviews: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, case: str, name: str, outcome: str, detail: str = "") -> None:
        getattr(self, outcome)[name] += 1
        if outcome != "right":
            self.misses.append(f"{case}: {name} {outcome} {detail}".rstrip())


# --- the cases --------------------------------------------------------------------------------


def labelled_cases(folder: Path) -> Iterator[Case]:
    for expected_path in sorted(folder.glob("*.expected.json")):
        name = expected_path.name.removesuffix(".expected.json")
        want = json.loads(expected_path.read_text(encoding="utf-8"))
        html = (folder / f"{name}.html").read_text(encoding="utf-8")
        yield Case(name, want["url"], html, want["kind"], tuple(want.get("critics") or ()), want.get("title"),
                   want.get("year"), want.get("date"), want.get("score"), want.get("publication"))


def real_cases(real: Path) -> Iterator[Case]:
    from aggregator.ratings import parse_rating

    pages = real / "pages"
    for data_path in sorted((pages / "franksmovielog").glob("*.page-data.json")):
        slug = data_path.name.removesuffix(".page-data.json")
        review = json.loads(data_path.read_text(encoding="utf-8"))["result"]["data"]["review"]
        stars = FRANKS_STARS[review["grade"][0]]
        yield Case(f"film-blog/{slug}", f"{FRANKS_HOST}{slug}/",
                   (pages / "franksmovielog" / f"{slug}.html").read_text(encoding="utf-8"), "film",
                   (), review["movie"]["title"], review["movie"]["year"], review["date"][:10],
                   parse_rating(f"{stars}/5").score, "Frank's Movie Log")
    grading = pages / "franksmovielog" / "how-i-grade.html"
    if grading.exists():
        yield Case("film-blog/how-i-grade", f"{FRANKS_HOST.removesuffix('reviews/')}how-i-grade/",
                   grading.read_text(encoding="utf-8"), "not_review")
    kusp = pages / "wordpress" / "kusp-filmgang-stand-up-guys-2013.html"
    if kusp.exists():
        # Read off the page: the post names its critic ("the review by …") and its tags.
        yield Case("wordpress/radio-film-blog", "http://blogs.kusp.org/filmgang/2013/02/08/stand-up-guys/",
                   kusp.read_bytes().decode("utf-8", "replace"), "film", ("Dennis Morton",), "Stand Up Guys",
                   None, "2013-02-08", None, "The Film Gang")
    for path in sorted((pages / "not-reviews").glob("*.html")):
        yield Case(f"not-reviews/{path.stem}", f"https://news.example/{path.name}",
                   path.read_bytes().decode("utf-8", "replace"), "not_review")
    from benchmarks.outlet_pages import PAGES, assemble

    for page in PAGES:
        yield Case(f"outlets/{page.id}", page.url, assemble(real, page),
                   "stage" if page.facts is not None else "not_review")


# --- scoring ----------------------------------------------------------------------------------


def _fold(text: str | None) -> str | None:
    if text is None:
        return None
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("‘", "'")
    return " ".join(text.casefold().split())


def _publication(item) -> str | None:
    from aggregator.identity.publications import default_registry

    if item.publication:
        entry = default_registry().get(item.publication)
        if entry is not None:
            return entry.name
    return item.publication_raw


def _compare(tally: Tally, case: str, name: str, want, got) -> None:
    if want == got:
        tally.add(case, name, "right")
    elif got in (None, (), ""):
        tally.add(case, name, "missing", f"(expected {want!r})")
    else:
        tally.add(case, name, "wrong", f"{got!r}, expected {want!r}")


def score_case(case: Case, tally: Tally) -> None:
    items, stats = crawl_page(case.url, case.html)
    tally.pages += 1
    if case.kind != "film":
        if items:
            tally.add(case.name, "review", "wrong", f"stored {items[0].film_title!r} from a {case.kind} page")
        else:
            tally.add(case.name, "review", "right")
        return
    tally.film_reviews += 1
    if len(items) != 1:
        reasons = sorted(k.removeprefix("aggregator/no_review/") for k in stats if "/no_review/" in k)
        tally.add(case.name, "review", "missing" if not items else "wrong",
                  f"({len(items)} items; {', '.join(reasons) or 'no reason'})")
        for name in FIELDS[1:]:
            tally.add(case.name, name, "missing", "(no review)")
        return
    item = items[0]
    tally.add(case.name, "review", "right")
    _compare(tally, case.name, "critic", tuple(sorted(map(_fold, case.critics))),
             tuple(sorted(map(_fold, item.critics))))
    _compare(tally, case.name, "title", _fold(case.title), _fold(item.film_title))
    _compare(tally, case.name, "year", case.year, item.film_year)
    published = item.published.isoformat() if isinstance(item.published, date) else None
    _compare(tally, case.name, "date", case.date, published)
    score = round(item.score) if item.score is not None else None
    _compare(tally, case.name, "rating", round(case.score) if case.score is not None else None, score)
    _compare(tally, case.name, "publication", _fold(case.publication), _fold(_publication(item)))


def cases_of(name: str) -> list[Case]:
    if name == "real":
        real = shared_real_dir()
        if not real.is_dir():
            raise SystemExit(f"no real fixtures at {real} (set AGGREGATOR_SHARED_DIR)")
        return list(real_cases(real))
    return list(labelled_cases(CORPUS / name))


def evaluate(sets: tuple[str, ...] = SETS) -> dict[str, Tally]:
    tallies = {}
    for name in sets:
        tally = Tally()
        for case in cases_of(name):
            score_case(case, tally)
        tallies[name] = tally
    return tallies


def library_tallies(sets: tuple[str, ...] = SETS) -> dict[str, Tally]:
    """The same film reviews' critic, date and site name as trafilatura's metadata reader
    (and htmldate, which it uses for dates) gives them: what a well-kept extraction library
    would do in place of spiders/base/visible_page.py. Neither decides whether a page is a
    review nor which film it is about, so those fields are not scored."""
    try:
        from trafilatura import extract_metadata
    except ImportError as error:
        raise SystemExit(f"--libraries needs trafilatura (pip install trafilatura lxml_html_clean): {error}")
    from aggregator.identity.critics import critics_from_raw

    tallies = {}
    for name in sets:
        tally = Tally()
        for case in cases_of(name):
            if case.kind != "film":
                continue
            tally.pages += 1
            tally.film_reviews += 1
            meta = extract_metadata(case.html, default_url=case.url)
            authors = (meta.author or "").split(";") if meta and meta.author else []
            critics, _ = critics_from_raw([a.strip() for a in authors], [meta.sitename] if meta and meta.sitename else [])
            _compare(tally, case.name, "critic", tuple(sorted(map(_fold, case.critics))), tuple(sorted(map(_fold, critics))))
            _compare(tally, case.name, "date", case.date, meta.date if meta else None)
            _compare(tally, case.name, "publication", _fold(case.publication), _fold(meta.sitename if meta else None))
        tallies[name] = tally
    return tallies


def library_table(tallies: dict[str, Tally]) -> str:
    fields = ("critic", "date", "publication")
    lines = ["| set | film reviews | " + " | ".join(fields) + " |", "|" + "---|" * (len(fields) + 2)]
    for name, tally in tallies.items():
        cells = [f"{tally.right[f]} / {tally.wrong[f]} / {tally.missing[f]}" for f in fields]
        lines.append(f"| {name} (trafilatura) | {tally.film_reviews} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def table(tallies: dict[str, Tally]) -> str:
    header = "| set | pages | film reviews | " + " | ".join(FIELDS) + " |"
    lines = [header, "|" + "---|" * (len(FIELDS) + 3),
             "| | | | " + " | ".join("right / wrong / missing" for _ in FIELDS) + " |"]
    for name, tally in tallies.items():
        cells = [f"{tally.right[f]} / {tally.wrong[f]} / {tally.missing[f]}" for f in FIELDS]
        lines.append(f"| {name} | {tally.pages} | {tally.film_reviews} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verbose", action="store_true", help="list every wrong or missing field")
    parser.add_argument("--set", choices=SETS, action="append", help="only these sets (default: all)")
    parser.add_argument("--libraries", action="store_true",
                        help="also score trafilatura's metadata on the same reviews (needs trafilatura installed)")
    args = parser.parse_args(argv)
    tallies = evaluate(tuple(args.set or SETS))
    print(table(tallies))
    if args.libraries:
        print()
        print(library_table(library_tallies(tuple(args.set or SETS))))
    if args.verbose:
        for name, tally in tallies.items():
            for miss in tally.misses:
                print(f"  [{name}] {miss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
