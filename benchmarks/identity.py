"""Critics, films and publications identity (issue 4), measured on real and project data.

    python -m benchmarks.identity [--shared DIR] [--set DIR] [--verbose]

Prints:
1. Rotten Tomatoes' critic_reviews.csv (../shared/fixtures/real/scores/rt-critic-reviews, or
   under $AGGREGATOR_SHARED_DIR): how many of its 1,047 publication names resolve to registry
   entries, which names group together, which namesakes a country qualifier keeps apart; and
   the proof that no two distinct `criticPageUrl`s are merged: every pair of records with one
   canonical name but different page URLs is judged by `same_critic`, and all of them are
   grouped by `group_critics`.
2. Bylines of the New York Times API archives (upper and mixed case) and of the archived review
   pages in publications/*/snippets.html: each to the right person. The truth is independent
   of the byline reader: for the API, the letters of the byline and an independent mixed-case
   spelling of the same name (the other archive, or Rotten Tomatoes' criticName); for the
   pages, the author's profile slug on the same page ("/profile/jane-doe").
3. The project's own test set (tests/fixtures/identity/, fictional): precision and recall of
   film titles, years, the choice among same-title films, and critics.
4. Stored critics merged on evidence (benchmarks.identity_merge): critic_reviews.csv stored
   through the store, how many rows `aggregator critic merge` and the store merge, and that
   no critic ends up with the reviews of two distinct criticPageUrls. Skipped by --quick.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from itertools import combinations
from pathlib import Path

from aggregator.identity.critic_identity import (
    critic_evidence,
    explain_same_critic,
    group_critics,
)
from aggregator.identity.critic_text import find_critics
from aggregator.identity.critics import authors, person_key, split_byline
from aggregator.identity.film_identity import FilmCandidate, choose_film, film_from_raw
from aggregator.identity.films import film_key
from aggregator.identity.publications import Registry, load_registry, variant_key

# Loading and scoring live in benchmarks.identity_data; the names callers (tests,
# benchmarks.identity_merge) import from here stay importable from here.
from benchmarks.identity_data import (
    SET_DIR,
    BenchmarkError,
    Score,
    load_rt_rows,
    load_set,
    name_letters,
    page_bylines,
    shared_real_dir,
    snippet_pages,
)

RT_BASE = "https://www.rottentomatoes.com"
DAILY_FICTIONAL = ["The Daily Fictional", "dailyfictional.example"]


# --- 1. Rotten Tomatoes critic_reviews.csv --------------------------------------------------


def rt_publications(rows: list[dict[str, str]], registry: Registry) -> dict:
    names = sorted({row["publicationName"] for row in rows if row["publicationName"]})
    groups: dict[str, list[str]] = defaultdict(list)
    for name in names:
        groups[registry.group_key(name) or "?"].append(name)
    resolved = {k: v for k, v in groups.items() if not k.startswith("?")}
    by_base: dict[str, set[str]] = defaultdict(set)
    for name in names:
        by_base[re.sub(r"[@(].*$", "", variant_key(name))].add(registry.group_key(name) or "?")
    apart = sorted(base for base, keys in by_base.items() if len(keys) > 1)
    return {
        "names": len(names),
        "resolved_names": sum(len(v) for v in resolved.values()),
        "entries_met": len(resolved),
        "registry_entries": len(registry),
        "groups": len(groups),
        "grouped": {k: v for k, v in groups.items() if len(v) > 1},
        "kept_apart": {base: sorted(n for n in names if re.sub(r"[@(].*$", "", variant_key(n))
                                    == base) for base in apart},
    }


def rt_critics(rows: list[dict[str, str]]) -> dict:
    records: dict[tuple[str, str], object] = {}
    for row in rows:
        name, page = row["criticName"].strip(), row["criticPageUrl"].strip()
        if name and (name, page) not in records:
            records[(name, page)] = critic_evidence(name, [page] if page else [], base=RT_BASE)
    evidence = list(records.values())
    pages = [page for _, page in records]
    by_key: dict[str, list[int]] = defaultdict(list)
    for index, record in enumerate(evidence):
        by_key[record.key].append(index)
    same_name_pairs, verdicts = [], defaultdict(int)
    for indexes in by_key.values():
        for i, j in combinations(indexes, 2):
            if pages[i] and pages[j] and pages[i] != pages[j]:
                answer, rule = explain_same_critic(evidence[i], evidence[j])
                same_name_pairs.append((evidence[i].name, pages[i], pages[j], answer, rule))
                verdicts[answer] += 1
    no_page = [i for i, page in enumerate(pages) if not page]
    unknown = sum(1 for i in no_page for j in by_key[evidence[i].key]
                  if j != i and explain_same_critic(evidence[i], evidence[j])[0] is None)
    groups = group_critics(evidence)
    merged = [g for g in groups if len({pages[i] for i in g if pages[i]}) > 1]
    return {
        "records": len(evidence), "page_urls": len({p for p in pages if p}),
        "names": len(by_key), "same_name_pairs": same_name_pairs, "verdicts": dict(verdicts),
        "no_page_records": len(no_page), "no_page_unknown_pairs": unknown,
        "groups": len(groups), "merged_distinct_pages": merged,
    }


# --- 2. real bylines ------------------------------------------------------------------------


def nyt_bylines(real: Path, rt_rows: list[dict[str, str]] = ()) -> dict:
    results = []
    for path in sorted((real / "api" / "nyt").glob("*.json")):
        data = json.loads(path.read_text("utf-8"))
        results += [(path.name, result["byline"]) for result in data["results"]]
    if not results:
        raise BenchmarkError(f"no NYT API archives in {real / 'api' / 'nyt'}")
    canonical = {raw: split_byline(raw) for _, raw in results}
    # independent mixed-case spellings of each name, by source: each archive, and RT's names
    mixed: dict[str, dict[str, str]] = defaultdict(dict)
    spellings = results + [("rotten tomatoes", r["criticName"]) for r in rt_rows]
    for source, raw in spellings:
        if raw and not raw.isupper():
            for person in split_byline(raw):
                mixed[person_key(person)][source] = person
    score, confirmed = Score(), 0
    for source, raw in results:
        people = canonical[raw]
        score.expected += 1
        score.predicted += bool(people)
        person = people[0] if len(people) == 1 else None
        others = {s: p for s, p in mixed.get(person_key(person or ""), {}).items() if s != source}
        right = (person is not None and name_letters(person) == name_letters(raw)
                 and not (raw.isupper() and person.isupper())
                 and all(spelling == person for spelling in others.values()))
        if right:
            score.correct += 1
            confirmed += bool(others)
        else:
            elsewhere = sorted(set(others.values()))
            score.wrong.append(f"{source}: {raw!r} -> {people} (elsewhere {elsewhere})")
    return {"score": score, "upper": sum(raw.isupper() for _, raw in results),
            "confirmed": confirmed}


def snippet_bylines(real: Path) -> dict:
    checked, unverified, nobody, score = [], [], 0, Score()
    pages = snippet_pages(real)
    agreeing = defaultdict(set)
    for (outlet, page), data in sorted(pages.items()):
        truth = {re.sub(r"[^a-z]", "", slug) for slug in data["slugs"]}
        for source, people in page_bylines(data["text"]):
            if not people:
                nobody += 1
                continue
            if not truth:
                unverified.append(f"{outlet} {page}: {source} -> {people}")
                agreeing[(outlet, page)] |= {person_key(p) for p in people}
                continue
            score.expected += 1
            score.predicted += 1
            if len(people) == 1 and name_letters(people[0]) in truth:
                score.correct += 1
                checked.append((outlet, people[0]))
            else:
                score.wrong.append(f"{outlet} {page}: {source} -> {people} (slugs {sorted(truth)})")
    return {"score": score, "people": sorted(set(checked)), "unverified": unverified,
            "unverified_pages": len(agreeing),
            "unverified_pages_agreeing": sum(len(keys) == 1 for keys in agreeing.values()),
            "no_person": nobody, "pages": len(pages)}


# --- 3. the project's own set ---------------------------------------------------------------


def evaluate_titles(cases: Iterable[dict]) -> dict[str, Score]:
    titles, years, films, ids = Score(), Score(), Score(), Score()
    for case in cases:
        guess = film_from_raw(case.get("item_reviewed"), headline=case.get("headline"),
                              title_tag=case.get("title_tag"), keywords=case.get("keywords", ()),
                              standfirst=case.get("standfirst"))
        label = case.get("headline") or case.get("title_tag")
        want_title, want_year = case.get("title"), case.get("year")
        right_title = guess.title is not None and want_title is not None and (
            guess.key == film_key(want_title))
        for score, got, want, right in (
            (titles, guess.title, want_title, right_title),
            (years, guess.year, want_year, guess.year is not None and guess.year == want_year),
            (films, guess.title, want_title, right_title and guess.year == want_year),
        ):
            score.predicted += got is not None
            score.expected += want is not None
            score.correct += right
            if got is not None and not right:
                score.wrong.append(
                    f"{label!r}: {guess.title!r} {guess.year} != {want_title!r} {want_year}")
            elif got is None and want is not None:
                score.missed.append(f"{label!r}: expected {want_title!r} {want_year}")
        want_ids = case.get("ids") or {}
        ids.predicted += len(guess.ids)
        ids.expected += len(want_ids)
        ids.correct += sum(1 for k, v in guess.ids.items() if want_ids.get(k) == v)
        ids.wrong += [f"{label!r}: {k} {v}" for k, v in guess.ids.items() if want_ids.get(k) != v]
    return {"titles": titles, "years": years, "title+year": films, "external ids": ids}


def evaluate_choices(cases: Iterable[dict]) -> Score:
    score = Score()
    for case in cases:
        candidates = [FilmCandidate(c[0], {"imdb": c[1]} if c[1] else {}) if isinstance(c, list)
                      else FilmCandidate(c) for c in case["candidates"]]
        published = date.fromisoformat(case["published"]) if case.get("published") else None
        chosen = choose_film(candidates, published, year=case.get("year"), ids=case.get("ids"))
        got, want = (chosen.year if chosen else None), case.get("expected")
        score.predicted += got is not None
        score.expected += want is not None
        score.correct += got is not None and got == want
        label = f"{[c.year for c in candidates]} published {case.get('published')}"
        if got is not None and got != want:
            score.wrong.append(f"{label}: chose {got}, expected {want}")
        elif got is None and want is not None:
            score.missed.append(f"{label}: expected {want}")
    return score


def evaluate_critics(cases: Iterable[dict]) -> Score:
    score = Score()
    for case in cases:
        bylines = list(case.get("bylines", []))
        if "author_json" in case:
            bylines += [a.name for a in authors(case["author_json"], DAILY_FICTIONAL)]
        got = find_critics(bylines, case.get("text"), DAILY_FICTIONAL).critics
        want = case["critics"]
        score.predicted += len(got)
        score.expected += len(want)
        score.correct += len(set(got) & set(want))
        label = bylines or case.get("author_json")
        label = f"{label} / {case.get('text', '')[:50]!r}"
        score.wrong += [f"{label}: {person!r}" for person in got if person not in want]
        score.missed += [f"{label}: {person!r}" for person in want if person not in got]
    return score


# --- report ---------------------------------------------------------------------------------


def _listing(lines: Iterable[str], indent: str = "    ") -> str:
    return "\n".join(indent + line for line in lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.identity",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--shared",
                        help="the shared/ folder (default: $AGGREGATOR_SHARED_DIR or ../shared)")
    parser.add_argument("--set", default=str(SET_DIR),
                        help="the project's identity test set folder")
    parser.add_argument("--verbose", action="store_true", help="list every group, pair and person")
    parser.add_argument("--quick", action="store_true",
                        help="leave out part 4 (it stores the CSV into SQLite twice: ~30 s)")
    args = parser.parse_args(argv)
    try:
        real = shared_real_dir(args.shared)
        rows = load_rt_rows(real)
        own = load_set(Path(args.set))
        nyt, snippets = nyt_bylines(real, rows), snippet_bylines(real)
    except BenchmarkError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    pubs, critics = rt_publications(rows, load_registry(include_env=False)), rt_critics(rows)

    print("1. Rotten Tomatoes critic_reviews.csv")
    print(f"  publication names: {pubs['names']}; {pubs['resolved_names']} resolve to "
          f"{pubs['entries_met']} of the {pubs['registry_entries']} registry entries; "
          f"{pubs['groups']} groups in all")
    print("  names that group together ('?': an outlet the registry does not know, grouped by"
          " spelling only: a suggestion to review, not a merge):")
    print(_listing(f"{key}: {names}" for key, names in sorted(pubs["grouped"].items())))
    print(f"  namesakes kept apart by a qualifier: {len(pubs['kept_apart'])} sets")
    print(_listing(f"{names}" for names in pubs["kept_apart"].values()))
    print(f"  critics: {critics['records']} (name, page) records, {critics['page_urls']} distinct "
          f"criticPageUrls, {critics['names']} distinct canonical names")
    print(f"  same canonical name, different criticPageUrl: {len(critics['same_name_pairs'])} "
          f"pairs -> same_critic {critics['verdicts']}")
    print(_listing(f"{name}: {a} vs {b} -> {answer} ({rule})"
                   for name, a, b, answer, rule in critics["same_name_pairs"]))
    print(f"  records without a page URL: {critics['no_page_records']}; pairs with a namesake "
          f"judged unknown (never merged): {critics['no_page_unknown_pairs']}")
    print(f"  group_critics over all records: {critics['groups']} people; groups holding two "
          f"distinct criticPageUrls: {len(critics['merged_distinct_pages'])}")

    print("\n2. Real bylines to the right person")
    print(f"  NYT API archives: {nyt['score'].correct}/{nyt['score'].expected} right "
          f"({nyt['upper']} in upper case; {nyt['confirmed']} confirmed by an independent "
          f"mixed-case spelling)")
    print(_listing(nyt["score"].wrong) or "    wrong: none")
    snip = snippets["score"]
    print(f"  publication snippets ({snippets['pages']} archived pages): {snip.correct}/"
          f"{snip.expected} bylines checked against the page's profile slug are right")
    print(_listing(snip.wrong) or "    wrong: none")
    print(f"    people: {[p for _, p in snippets['people']]}")
    print(f"    values naming no person (profile URLs, unresolved @id): {snippets['no_person']}")
    print(f"    on pages with no profile slug (unverified): {len(snippets['unverified'])} "
          f"values on {snippets['unverified_pages']} pages; pages whose values all name one "
          f"person: {snippets['unverified_pages_agreeing']}")
    if args.verbose or snippets["unverified"]:
        print(_listing(snippets["unverified"], "      "))

    print("\n3. The project's identity test set (tests/fixtures/identity, fictional)")
    titles = evaluate_titles(own["titles"])
    for label, score in titles.items():
        print(score.line(label))
    choices, people = evaluate_choices(own["choices"]), evaluate_critics(own["critics"])
    print(choices.line("same-title choice"))
    print(people.line("critics"))
    for label, score in [*titles.items(), ("same-title choice", choices), ("critics", people)]:
        if score.wrong:
            print(f"  WRONG {label}:\n" + _listing(score.wrong))
        if score.missed and (args.verbose or label in ("titles", "critics")):
            print(f"  missed {label}:\n" + _listing(score.missed))
    if not args.quick:
        from benchmarks.identity_merge import measure, report

        print("\n4. Stored critics merged on evidence (critic_reviews.csv through the store)")
        print("\n".join(report(measure(rows))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
