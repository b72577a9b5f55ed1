"""When two critic records are one person: the evidence rules, as pure functions.

A record is a `CriticEvidence`: the canonical name, the profile URLs the pages gave for that
name (the outlet's critic page, JSON-LD author url / sameAs, an aggregator's critic page) and
the outlets (registry keys) where the name has a profile. `same_critic(a, b)` answers:

1. True when they share a profile URL (compared by `profile_key`: scheme, "www.", a trailing
   slash, tracking parameters, case and Wayback prefixes do not matter). A shared page is
   one person whatever the spellings ("Tony Doe" and "A. T. Doe" may be aliases).
2. False when both have a profile on the same host and those profiles differ: one outlet
   (or one aggregator) with two pages has two people, even of one name
   ("/critics/jane-doe" and "/critics/jane-doe1").
3. False when the names differ (`person_key`): aliases are only joined by a shared page.
4. True when the names are equal and both have a profile (a URL, or an outlet recorded as
   holding one): the same name with a critic page on both outlets.
5. None (unknown) otherwise: the same name without that evidence is never merged.

Stored critics (`plan_critic_merges`, for `aggregator critic merge` and the store) add one
rule that needs what the store remembers, the bylines met on each outlet:
6. Records that share a byline (the same person key met on the same outlet) are one person:
   an outlet does not employ two critics of one name without telling them apart. It joins
   all the records sharing that byline, or none of them when two of those have different
   profiles on one host (the outlet did tell them apart, and a record without a profile
   could be either).

A profile URL must name someone: a site's root or a generic listing ("/author/",
"/profile", "/critics/") is not a profile (a page giving "https://site/author/" for every
writer would otherwise join them all) and is dropped by `profile_key`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import combinations
from urllib.parse import urljoin, urlsplit

from aggregator.identity.critics import canonical_person_name, person_key
from aggregator.urls import canonical_url

_GENERIC_SEGMENTS = {
    "author", "authors", "by", "profile", "profiles", "people", "person", "staff", "contributor",
    "contributors", "critic", "critics", "writer", "writers", "user", "users", "u", "team",
    "about", "journalist", "journalists", "columnist", "columnists", "reviewer", "reviewers",
    "index.html", "index.php", "index", "home", "en", "us", "uk",
}
# One site's people pages under a singular or a plural folder are one person's page: Rotten
# Tomatoes moved critic pages from /critic/<slug> (2021 layout) to /critics/<slug> (2024).
# No site files two people as /author/x and /authors/x, so keys use the plural folder.
# Stored keys are in this form (migration 0008 folded older ones, with a frozen copy of this
# table): a change here needs a migration of `critic_profiles` too.
FOLDER_PLURALS = {
    "critic": "critics", "author": "authors", "profile": "profiles", "contributor": "contributors",
    "writer": "writers", "reviewer": "reviewers", "columnist": "columnists",
    "journalist": "journalists", "user": "users", "person": "people",
}


def fold_profile_key(key: str) -> str:
    """`key` with its first folder in the plural ("site/critic/x" → "site/critics/x"), as
    `profile_key` makes every key (stored keys from before the folding were rewritten by
    migration 0008)."""
    host, _, path = key.partition("/")
    folder, slash, rest = path.partition("/")
    if rest and folder in FOLDER_PLURALS:
        return f"{host}/{FOLDER_PLURALS[folder]}{slash}{rest}"
    return key


def profile_key(url: str, base: str | None = None) -> str | None:
    """The comparison form of a profile URL: "host/path[?query]" in lower case, without
    scheme, "www.", trailing slash, fragment, tracking parameters or Wayback prefix. A
    relative URL ("/critics/jane-doe") needs `base`. None for anything that names nobody:
    not an http(s) URL, a site root, or a path made only of generic words ("/author/")."""
    if not isinstance(url, str) or not url.strip():
        return None
    absolute = urljoin(base, url.strip()) if base else url.strip()
    try:
        canonical = canonical_url(absolute)
    except ValueError:
        return None
    parts = urlsplit(canonical)
    host = (parts.hostname or "").removeprefix("www.")
    segments = [s for s in parts.path.lower().split("/") if s]
    if not segments and parts.query:
        segments = []  # "/?post_type=profile&p=7" names someone by its query
    elif not segments or all(s in _GENERIC_SEGMENTS for s in segments):
        return None
    key = fold_profile_key(host + "/" + "/".join(segments))
    return key + ("?" + parts.query.lower() if parts.query else "")


@dataclass(frozen=True)
class CriticEvidence:
    """What is known about one critic record (see the module docstring)."""

    name: str
    """Canonical name (aggregator.identity.critics.canonical_person_name)."""
    profiles: frozenset[str] = frozenset()
    """Profile keys (`profile_key`, so folded) of the critic's pages and sameAs links."""
    outlets: frozenset[str] = frozenset()
    """Registry keys of outlets where this name has a profile page."""
    bylines: frozenset[tuple[str, str]] = frozenset()
    """(person key, outlet) of every byline met for this record; only `plan_critic_merges`
    uses them (rule 6), `same_critic` does not."""

    @cached_property
    def key(self) -> str:
        return person_key(self.name)

    @property
    def hosts(self) -> frozenset[str]:
        return frozenset(p.split("/", 1)[0].split("?", 1)[0] for p in self.profiles)

    @property
    def has_profile(self) -> bool:
        return bool(self.profiles or self.outlets)


def critic_evidence(
    name: str, urls: Iterable[str] = (), outlets: Iterable[str] = (), base: str | None = None
) -> CriticEvidence:
    """A `CriticEvidence` from raw values: the name made canonical, URLs made profile keys
    (those that name nobody are dropped), outlets kept as given. Raises ValueError when the
    name has no person in it."""
    canonical = canonical_person_name(name) if isinstance(name, str) else ""
    if not person_key(canonical):
        raise ValueError(f"critic evidence needs a person's name, not {name!r}")
    profiles = {key for url in urls or () if (key := profile_key(url, base))}
    return CriticEvidence(canonical, frozenset(profiles),
                          frozenset(o for o in outlets or () if isinstance(o, str) and o))


def _profiles_conflict(a: CriticEvidence, b: CriticEvidence) -> bool:
    for host in a.hosts & b.hosts:
        if {p for p in a.profiles if p.startswith(host + "/")} != {
                p for p in b.profiles if p.startswith(host + "/")}:
            return True
    return False


def explain_same_critic(a: CriticEvidence, b: CriticEvidence) -> tuple[bool | None, str]:
    """(`same_critic` answer, the rule that gave it): "shared_profile", "different_names",
    "different_profiles_same_host", "same_name_with_profiles" or "no_evidence"."""
    if a.profiles & b.profiles:
        return True, "shared_profile"
    if _profiles_conflict(a, b):
        return False, "different_profiles_same_host"
    if a.key != b.key:
        return False, "different_names"
    if a.has_profile and b.has_profile:
        return True, "same_name_with_profiles"
    return None, "no_evidence"


def profiles_conflict(a: CriticEvidence, b: CriticEvidence) -> bool:
    """True when `a` and `b` have profiles on one host and those differ (rule 2)."""
    return _profiles_conflict(a, b)


def same_critic(a: CriticEvidence, b: CriticEvidence) -> bool | None:
    """True (one person), False (two people) or None (unknown: never merged); the rules are
    in the module docstring."""
    return explain_same_critic(a, b)[0]


def group_critics(records: Sequence[CriticEvidence]) -> list[list[int]]:
    """Indexes of `records` grouped into people: two records join when `same_critic` is
    True, and a join is refused when it would put two records with different profiles on one
    host (rule 2) in one group, so no chain of matches merges two people an outlet keeps
    apart. Different names alone do not block a chain: "A. T. Doe" sharing a page with
    "Tony Doe" joins Tony Doe's group. Groups and members keep input order; every record is in
    exactly one group."""
    parent = list(range(len(records)))
    members: dict[int, list[int]] = {i: [i] for i in range(len(records))}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    buckets: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        for token in {"name:" + record.key, *("url:" + p for p in record.profiles)}:
            buckets.setdefault(token, []).append(index)
    pairs = sorted({pair for indexes in buckets.values() for pair in combinations(indexes, 2)})
    for i, j in pairs:
        ri, rj = root(i), root(j)
        if ri == rj or same_critic(records[i], records[j]) is not True:
            continue
        if any(_profiles_conflict(records[x], records[y])
               for x in members[ri] for y in members[rj]):
            continue
        keep, gone = min(ri, rj), max(ri, rj)
        parent[gone] = keep
        members[keep] = sorted(members[keep] + members.pop(gone))
    return [members[r] for r in sorted(members)]


@dataclass(frozen=True)
class CriticJoin:
    """One step of `plan_critic_merges`: record `other` joined the group of record `into`
    by `rule` (an `explain_same_critic` rule, or "same_name_same_outlet" for rule 6)."""

    into: int
    other: int
    rule: str


def plan_critic_merges(records: Sequence[CriticEvidence], focus: Iterable[int] | None = None,
                       ) -> list[tuple[list[int], list[CriticJoin]]]:
    """The groups of two or more `records` that are one person, each with the joins that made
    it: `group_critics`' joins (rules 1-4), then rule 6 (shared bylines). A join is refused
    when it would put two records with different profiles on one host in one group. Groups
    and members keep input order (the first member is the one to keep). With `focus` (record
    indexes), only joins involving one of those records are looked for (the store: the
    critics a batch touched; other pairs were judged when their own evidence arrived)."""
    focused = None if focus is None else set(focus)
    parent = list(range(len(records)))
    members: dict[int, list[int]] = {i: [i] for i in range(len(records))}
    joins: dict[int, list[CriticJoin]] = {i: [] for i in range(len(records))}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def joinable(roots: Sequence[int]) -> bool:
        return not any(_profiles_conflict(records[x], records[y])
                       for a, b in combinations(roots, 2) for x in members[a] for y in members[b])

    def unite(roots: Sequence[int], steps: list[CriticJoin]) -> None:
        keep = min(roots)
        for gone in sorted(set(roots) - {keep}):
            parent[gone] = keep
            members[keep] = sorted(members[keep] + members.pop(gone))
            joins[keep] += joins.pop(gone)
        joins[keep] += steps

    buckets: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        for token in {"name:" + record.key, *("url:" + p for p in record.profiles)}:
            buckets.setdefault(token, []).append(index)
    pairs = {pair for indexes in buckets.values() for pair in combinations(indexes, 2)
             if focused is None or pair[0] in focused or pair[1] in focused}
    for i, j in sorted(pairs):
        ri, rj = root(i), root(j)
        if ri == rj:
            continue
        answer, rule = explain_same_critic(records[i], records[j])
        if answer is True and joinable([ri, rj]):
            unite([ri, rj], [CriticJoin(i, j, rule)])

    by_byline: dict[tuple[str, str], list[int]] = {}
    for index, record in enumerate(records):
        for byline in record.bylines:
            by_byline.setdefault(byline, []).append(index)
    for byline in sorted(by_byline):
        indexes = by_byline[byline]
        if focused is not None and focused.isdisjoint(indexes):
            continue
        roots = sorted({root(i) for i in indexes})
        if len(roots) > 1 and joinable(roots):
            first = {root(i): i for i in reversed(indexes)}  # each group's first record
            unite(roots, [CriticJoin(first[roots[0]], first[r], "same_name_same_outlet")
                          for r in roots[1:]])
    return [(members[r], joins[r]) for r in sorted(members) if len(members[r]) > 1]
