"""The publication registry: the packaged file, user files, validation and resolution."""

from __future__ import annotations

import csv
import os
import re
from collections import defaultdict
from pathlib import Path

import pytest

from aggregator.identity.publications import (
    ENV_VAR,
    Publication,
    Registry,
    RegistryError,
    default_registry,
    load_registry,
    name_key,
    variant_key,
)
from aggregator.ratings.scales import SCALES

FICTIONAL = """
[publications.daily-fictional]
name = "The Daily Fictional"
aliases = ["Daily Fictional (UK)", "DF"]
domains = ["dailyfictional.example"]
country = "GB"
language = "en"
scale = "stars/5"
weight = 2.5
spider = "structured_data"
start_urls = ["https://dailyfictional.example/film/reviews"]
"""


def write(tmp_path: Path, text: str, name: str = "extra.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def no_user_registry(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    default_registry.cache_clear()
    yield
    default_registry.cache_clear()


@pytest.fixture
def registry() -> Registry:
    return load_registry(include_env=False)


# ------------------------------------------------------------------ the packaged registry


def test_packaged_registry_loads_and_is_valid(registry):
    assert 15 <= len(registry) <= 40
    for publication in registry:
        assert isinstance(publication, Publication)
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", publication.key)
        assert publication.domains and publication.country and publication.language
        assert publication.scale is None or publication.scale in SCALES
        assert 0 < publication.weight <= 5
        assert publication.provisional is False


def test_packaged_registry_known_scales(registry):
    assert registry.get("guardian").scale == "stars/5"
    assert registry.get("timeout").scale == "stars/5"
    assert registry.get("ew").scale == "letter"
    assert registry.get("rogerebert").scale == "stars/4"
    for unscored in ("nytimes", "variety", "hollywoodreporter"):
        assert registry.get(unscored).scale is None


def test_publication_is_frozen(registry):
    with pytest.raises(AttributeError):
        registry.get("guardian").name = "Other"


def test_registry_protocol(registry):
    keys = [p.key for p in registry]
    assert len(keys) == len(set(keys)) == len(registry)
    assert "guardian" in registry and "nope" not in registry
    assert registry.get("nope") is None


def test_default_registry_is_cached_and_clearable(tmp_path, monkeypatch):
    first = default_registry()
    assert default_registry() is first
    monkeypatch.setenv(ENV_VAR, str(write(tmp_path, FICTIONAL)))
    assert default_registry() is first
    default_registry.cache_clear()
    assert default_registry().get("daily-fictional") is not None


# --------------------------------------------------------------------------- resolution


@pytest.mark.parametrize(
    ("name", "url", "key"),
    [
        (None, "https://www.theguardian.com/film/2031/jan/01/x-review", "guardian"),
        (None, "https://amp.theguardian.com/film/x", "guardian"),
        (None, "https://www.guardian.co.uk/film/x", "guardian"),
        (None, "http://web.archive.org/web/20250101/https://nypost.com/2024/x", "nypost"),
        (None, "https://www.bbc.co.uk/culture/x", "bbc"),
        (None, "https://www.bbc.com/culture/x", "bbc"),
        ("The Guardian", None, "guardian"),
        ("the Guardian", None, "guardian"),
        ("Guardian", None, "guardian"),
        ("GUARDIAN", None, "guardian"),
        ("Guardian (UK)", None, "guardian"),
        ("Guardian [UK]", None, "guardian"),
        ("theguardian.com", None, "guardian"),
        ("https://www.theguardian.com/", None, "guardian"),
        ("Daily Telegraph (UK)", None, "telegraph"),
        ("The A.V. Club", None, "avclub"),
        ("AV Club", None, "avclub"),
        ("A.V. Club", None, "avclub"),
        ("indieWire", None, "indiewire"),
        ("Hollywood Reporter", None, "hollywoodreporter"),
        ("BBC.com", None, "bbc"),
        ("NPR.org", None, "npr"),
        ("New York Magazine/Vulture", None, "vulture"),
        ("Empire Magazine", None, "empire"),
        ("Times (UK)", None, "thetimes"),
        ("Chicago Sun Times", None, "chicagosuntimes"),
        # the URL wins over a conflicting name
        ("Variety", "https://www.theguardian.com/x", "guardian"),
        # an unknown URL falls back to the name
        ("Variety", "https://unknown.example/x", "variety"),
    ],
)
def test_resolve(registry, name, url, key):
    found = registry.resolve(name=name, url=url)
    assert found is not None and found.key == key


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("Daily Telegraph (Australia)", None),  # same name, another country's paper
        ("Sunday Times (Australia)", None),
        ("Observer (UK)", None),
        ("Empire Magazine Australasia", None),
        ("Time Out Chicago", None),  # an edition is not the parent outlet, without evidence
        ("Guardians", None),
        ("", None),
        ("   ", None),
        (None, None),
        (None, "https://example-film-blog.example/x"),
        (None, "not a url"),
        (None, "https://theguardian.com.evil.example/x"),
        (None, "https://nottheguardian.com/x"),
    ],
)
def test_resolve_unknown(registry, name, url):
    assert registry.resolve(name=name, url=url) is None


@pytest.mark.parametrize(
    "name",
    ["The Guardian", "Guardian", "theguardian.com", "Guardian (UK)", "the guardian",
     "THE GUARDIAN", "www.theguardian.com", "https://www.theguardian.com/", "guardian.co.uk",
     "Guardian [UK]", "The Guardian (London)", "theguardian", "TheGuardian"],
)
def test_name_variants_resolve_to_one_entry(registry, name):
    assert registry.resolve(name=name).key == "guardian"
    assert registry.group_key(name) == "guardian"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("nytimes", "nytimes"),  # a domain's first label counts as a name
        ("washingtonpost", "washingtonpost"),
        ("Deadline Hollywood Daily", "deadline"),
        ("New York Observer", "observer"),
        ("Observer", "observer"),
        ("Village Voice", "villagevoice"),
        ("Victoria Film Weekly (B.C., Canada)", None),
    ],
)
def test_more_spellings(registry, name, key):
    assert getattr(registry.resolve(name=name), "key", None) == key


@pytest.mark.parametrize(
    "name",
    ["Guardian (Nigeria)", "Observer (UK)", "Variety (Spain)", "New York Post (Costa Rica)",
     "Variety (Victoria, B.C., Canada)", "The Independent (Davenport, IA)"],
)
def test_a_qualifier_naming_another_country_keeps_namesakes_apart(registry, name):
    assert registry.resolve(name=name) is None


def test_domain_labels_shared_by_two_entries_name_neither(tmp_path):
    extra = write(tmp_path, """
[publications.fictional-a]
name = "Fictional A"
domains = ["samelabel.example"]
country = "US"
language = "en"

[publications.fictional-b]
name = "Fictional B"
domains = ["samelabel.test"]
country = "GB"
language = "en"
""")
    registry = load_registry([extra], include_env=False)
    assert registry.resolve(name="samelabel") is None
    assert registry.resolve(name="samelabel.example").key == "fictional-a"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Fictional Weekly", "fictionalweekly"),
        ("The Fictional Weekly", "fictionalweekly"),
        ("FictionalWeekly.com", "fictionalweekly"),
        ("https://www.fictionalweekly.com/", "fictionalweekly"),
        ("Fictional Weekly (UK)", "fictionalweekly@GB"),
        ("Fictional Weekly (Australia)", "fictionalweekly@AU"),
        ("Fictional Weekly (Cleveland, OH)", "fictionalweekly@US"),
        ("Fictional Weekly (B.C., Canada)", "fictionalweekly@CA"),
        ("Fictional Weekly (YouTube)", "fictionalweekly(youtube)"),
        ("Fictional Weekly (AU, NZ, UK)", "fictionalweekly(aunzuk)"),
        ("", ""), ("   ", ""), (None, ""), (5, ""),
    ],
)
def test_variant_key(name, key):
    assert variant_key(name) == key


def test_group_key(registry):
    assert registry.group_key("NPR") == registry.group_key("NPR.org") == "npr"
    assert registry.group_key("Fictional Weekly") == registry.group_key("fictionalweekly.com")
    assert registry.group_key("Fictional Weekly") != registry.group_key("Fictional Weekly (UK)")
    assert registry.group_key(None, "https://www.fictional-weekly.example/x") == "?fictionalweekly"
    assert registry.group_key("Anything", "https://www.theguardian.com/x") == "guardian"
    assert registry.group_key(None, None) is None
    assert registry.group_key("!!!") is None


def test_name_key():
    assert name_key("The A.V. Club") == name_key("AV Club") == "avclub"
    assert name_key("Moth & Ember Weekly") == name_key("Moth and Ember Weekly")
    assert name_key("Le Cinéma") == "lecinema"
    assert name_key("The") == "the"


def test_more_specific_domain_wins(tmp_path):
    extra = write(tmp_path, """
[publications.fictional-parent]
name = "Fictional Parent"
domains = ["parent.example"]
country = "US"
language = "en"

[publications.fictional-section]
name = "Fictional Section"
domains = ["film.parent.example"]
country = "US"
language = "en"
""")
    registry = load_registry([extra], include_env=False)
    assert registry.resolve(url="https://www.parent.example/x").key == "fictional-parent"
    assert registry.resolve(url="https://film.parent.example/x").key == "fictional-section"
    assert registry.resolve(url="https://a.film.parent.example/x").key == "fictional-section"


def test_provisional(registry):
    entry = registry.provisional("Example Film Blog", "https://www.example-film-blog.com/2031/x")
    assert entry.key == "example-film-blog-com"
    assert entry.name == "Example Film Blog"
    assert entry.domains == ("example-film-blog.com",)
    assert entry.provisional is True
    assert entry.scale is None and entry.country is None and entry.weight == 1.0
    assert registry.get(entry.key) is None  # not added


def test_provisional_from_domain_only(registry):
    entry = registry.provisional(None, "https://reelnotes.substack.com/p/x")
    assert (entry.key, entry.name, entry.domains) == (
        "reelnotes-substack-com", "reelnotes.substack.com", ("reelnotes.substack.com",))
    assert registry.provisional("  ", "http://127.0.0.1:8000/x").key == "127-0-0-1"


def test_provisional_from_name_only(registry):
    entry = registry.provisional("Ciné Notes!", None)
    assert (entry.key, entry.domains, entry.provisional) == ("cine-notes", (), True)


@pytest.mark.parametrize(("name", "url"), [(None, None), ("", ""), ("  ", "not a url"),
                                           ("!!!", None)])
def test_provisional_needs_a_name_or_a_host(registry, name, url):
    with pytest.raises(ValueError):
        registry.provisional(name, url)


# ------------------------------------------------------------------ user files, overrides


def test_extra_file_adds_entries(tmp_path):
    registry = load_registry([write(tmp_path, FICTIONAL)], include_env=False)
    entry = registry.get("daily-fictional")
    assert entry == Publication(
        key="daily-fictional", name="The Daily Fictional",
        aliases=("Daily Fictional (UK)", "DF"), domains=("dailyfictional.example",),
        country="GB", language="en", scale="stars/5", weight=2.5, spider="structured_data",
        start_urls=("https://dailyfictional.example/film/reviews",),
    )
    assert registry.resolve("DF").key == "daily-fictional"
    assert registry.resolve("Daily Fictional").key == "daily-fictional"
    assert registry.get("guardian") is not None


def test_later_files_override_whole_entries(tmp_path):
    override = write(tmp_path, """
[publications.guardian]
name = "The Guardian"
domains = ["theguardian.com"]
country = "GB"
language = "en"
weight = 3
""")
    registry = load_registry([override], include_env=False)
    guardian = registry.get("guardian")
    assert guardian.weight == 3.0
    assert guardian.scale is None  # the whole entry was replaced, not merged
    assert guardian.aliases == ()
    assert registry.resolve(url="https://www.guardian.co.uk/x") is None


def test_env_var_files_then_extra_paths(tmp_path, monkeypatch):
    first = write(tmp_path, FICTIONAL, "first.toml")
    second = write(tmp_path, FICTIONAL.replace("weight = 2.5", "weight = 4"), "second.toml")
    third = write(tmp_path, FICTIONAL.replace("weight = 2.5", "weight = 0.5"), "third.toml")
    monkeypatch.setenv(ENV_VAR, os.pathsep.join([str(first), "", str(second)]))
    assert load_registry().get("daily-fictional").weight == 4.0
    assert load_registry([third]).get("daily-fictional").weight == 0.5
    assert load_registry(include_env=False).get("daily-fictional") is None


def test_missing_user_file_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "missing.toml"))
    with pytest.raises(RegistryError, match="missing.toml.*cannot read"):
        load_registry()


# ---------------------------------------------------------------------- known-bad files


ENTRY = {
    "name": '"Fictional Weekly"',
    "domains": '["fictionalweekly.example"]',
    "country": '"US"',
    "language": '"en"',
}


def entry(key: str = "fictional-weekly", drop: tuple[str, ...] = (), **fields: str) -> str:
    values = {k: v for k, v in {**ENTRY, **fields}.items() if k not in drop}
    return f"[publications.{key}]\n" + "".join(f"{k} = {v}\n" for k, v in values.items())


@pytest.mark.parametrize(
    ("text", "key", "field", "message"),
    [
        ("[publications.x\nname = 1", None, None, "invalid TOML"),
        ("name = \"x\"\n", None, "name", "unknown top-level"),
        ("publications = 3\n", None, "publications", "table of tables"),
        (entry(key="Fictional_Weekly"), "Fictional_Weekly", None, "slug"),
        (entry(rating="\"stars\""), "fictional-weekly", "rating", "unknown field"),
        (entry(provisional="true"), "fictional-weekly", "provisional", "unknown field"),
        (entry(drop=("name",)), "fictional-weekly", "name", "required"),
        (entry(drop=("domains",)), "fictional-weekly", "domains", "required"),
        (entry(drop=("country",)), "fictional-weekly", "country", "required"),
        (entry(drop=("language",)), "fictional-weekly", "language", "required"),
        (entry(name='""'), "fictional-weekly", "name", "non-empty"),
        (entry(name="3"), "fictional-weekly", "name", "non-empty"),
        (entry(domains="[]"), "fictional-weekly", "domains", "at least one"),
        (entry(domains='"fictionalweekly.example"'), "fictional-weekly", "domains", "list"),
        (entry(domains='["https://fictionalweekly.example"]'), "fictional-weekly", "domains",
         "host name"),
        (entry(domains='["fictionalweekly.example/film"]'), "fictional-weekly", "domains",
         "host name"),
        (entry(domains='["FictionalWeekly.example"]'), "fictional-weekly", "domains", "lower-case"),
        (entry(domains='["localhost"]'), "fictional-weekly", "domains", "host name"),
        (entry(aliases='"Weekly"'), "fictional-weekly", "aliases", "list"),
        (entry(aliases='["Weekly", ""]'), "fictional-weekly", "aliases", "list"),
        (entry(country='"UK"'), "fictional-weekly", "country", "ISO 3166-1"),
        (entry(country='"us"'), "fictional-weekly", "country", "ISO 3166-1"),
        (entry(country='"USA"'), "fictional-weekly", "country", "ISO 3166-1"),
        (entry(language='"EN"'), "fictional-weekly", "language", "ISO 639-1"),
        (entry(language='"eng"'), "fictional-weekly", "language", "ISO 639-1"),
        (entry(language='"xx"'), "fictional-weekly", "language", "ISO 639-1"),
        (entry(scale='"stars/7"'), "fictional-weekly", "scale", "not one of"),
        (entry(scale='"5 stars"'), "fictional-weekly", "scale", "not one of"),
        (entry(scale='""'), "fictional-weekly", "scale", "not one of"),
        (entry(weight="0"), "fictional-weekly", "weight", "0 < weight <= 5"),
        (entry(weight="-1"), "fictional-weekly", "weight", "0 < weight <= 5"),
        (entry(weight="5.5"), "fictional-weekly", "weight", "0 < weight <= 5"),
        (entry(weight='"1"'), "fictional-weekly", "weight", "0 < weight <= 5"),
        (entry(weight="true"), "fictional-weekly", "weight", "0 < weight <= 5"),
        (entry(weight="nan"), "fictional-weekly", "weight", "0 < weight <= 5"),
        (entry(weight="inf"), "fictional-weekly", "weight", "0 < weight <= 5"),
        (entry(spider='"Structured Data"'), "fictional-weekly", "spider", "spider name"),
        (entry(start_urls='["/film/reviews"]'), "fictional-weekly", "start_urls", "absolute"),
        (entry(start_urls='"https://fictionalweekly.example/"'), "fictional-weekly",
         "start_urls", "list"),
        (entry() + entry(key="fictional-monthly", name='"Fictional Monthly"'),
         "fictional-monthly", "domains", "already claimed by [publications.fictional-weekly]"),
        (entry() + entry(key="fictional-monthly", domains='["fictionalmonthly.example"]',
                         aliases='["The Fictional Weekly"]'),
         "fictional-monthly", "aliases", "also names [publications.fictional-weekly]"),
        (entry(key="variety-copy", domains='["variety.com"]'), "variety-copy", "domains",
         "already claimed by [publications.variety]"),
    ],
)
def test_bad_registry_files(tmp_path, text, key, field, message):
    path = write(tmp_path, text, "bad.toml")
    with pytest.raises(RegistryError) as caught:
        load_registry([path], include_env=False)
    error = caught.value
    assert str(path) in str(error) and error.path == str(path)
    assert (error.key, error.field) == (key, field)
    assert message in str(error)
    if key is not None:
        assert f"[publications.{key}]" in str(error)
    if field is not None:
        assert field in str(error)


def test_registry_error_is_a_value_error():
    assert issubclass(RegistryError, ValueError)


def test_duplicate_table_in_one_file_is_invalid_toml(tmp_path):
    path = write(tmp_path, entry() + entry())
    with pytest.raises(RegistryError, match="invalid TOML"):
        load_registry([path], include_env=False)


def test_non_utf8_file(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(entry(name='"Caf\xe9"').encode("latin-1"))
    with pytest.raises(RegistryError, match="cannot read"):
        load_registry([path], include_env=False)


# ------------------------------------------------------------ real material (../shared)


def test_rotten_tomatoes_publication_names(shared_dir, registry):
    """How the registry meets the 1,047 outlet spellings of the Rotten Tomatoes sample."""
    path = shared_dir / "scores" / "rt-critic-reviews" / "critic_reviews.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    names = {row["publicationName"] for row in rows}
    assert len(names) == 1047
    resolved: dict[str, list[str]] = defaultdict(list)
    for name in sorted(names):
        found = registry.resolve(name=name)
        if found is not None:
            resolved[found.key].append(name)
    # most registry outlets appear; the qualifier rule keeps other countries' papers apart
    assert len(resolved) >= 25
    assert resolved["telegraph"] == ["Daily Telegraph (UK)"]
    assert sorted(resolved["npr"]) == ["NPR", "NPR.org"]
    for foreign in ("Daily Telegraph (Australia)", "Sunday Times (Australia)", "Observer (UK)",
                    "Empire Magazine Australasia", "Time Out Sydney", "Independent Online "
                    "(South Africa)"):
        assert foreign in names and registry.resolve(name=foreign) is None


def test_publication_snippet_urls_resolve(shared_dir, registry):
    """Canonical links in the archived review pages (many Wayback-rewritten) find their outlet."""
    expected = {"guardian", "variety", "hollywoodreporter", "deadline", "nytimes", "nypost",
                "chicagotribune", "timeout", "ew", "thewrap", "usatoday", "vulture",
                "washingtonpost", "wsj"}
    for outlet in sorted(expected):
        text = (shared_dir / "publications" / outlet / "snippets.html").read_text()
        links = re.findall(r'<link rel="canonical" href="([^"]+)"', text)
        links += re.findall(r'property="og:url" content="([^"]+)"', text)
        assert links, outlet
        keys = {getattr(registry.resolve(url=link), "key", None) for link in links}
        assert outlet in keys, (outlet, links)
