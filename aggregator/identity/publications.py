"""The publication registry: which outlet a page belongs to, and how that outlet rates.

Entries come from `aggregator/identity/publications.toml` (its header documents the format), then from
each file in the environment variable AGGREGATOR_PUBLICATIONS (os.pathsep-separated), then
from `extra_paths`; a later file replaces a whole entry of the same key. Validation is strict:
an unknown field, a country that is not ISO 3166-1 alpha-2, a language that is not ISO 639-1,
a scale outside `aggregator.ratings.scales.SCALES`, a weight outside (0, 5], a domain claimed by two
entries or a name claimed by two entries raises RegistryError naming file, key and field.

Resolution (`Registry.resolve`): by the URL's host first (the host, then each parent domain,
so "film.example.com" finds an entry for "example.com" unless one names that host), then by
name: case, punctuation, diacritics, "&"/"and" and a leading "The" do not matter, and a
parenthesised qualifier is ignored ("Guardian (UK)") unless it names a country other than the
entry's ("Daily Telegraph (Australia)" is not the British Telegraph). A name that is a domain
("BBC.com") is resolved as one. Failing all that, the first label of an entry's domain
counts as a name ("theguardian", "nytimes"), unless two entries share that label.

Grouping (`Registry.group_key`): names that resolve share the entry's key; an outlet the
registry does not know is grouped by `variant_key`, so that its spellings still meet
("Fictional Weekly", "fictionalweekly.com", "Fictional Weekly (UK)") while a qualifier naming
a country keeps another country's namesake apart ("Fictional Weekly (Australia)").
"""

from __future__ import annotations

import os
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from aggregator.identity.publication_discovery import DISCOVERY_FIELDS, NO_DISCOVERY, Discovery, read_discovery
from aggregator.ratings.scales import SCALES
from aggregator.urls import host_of, registered_domain

ENV_VAR = "AGGREGATOR_PUBLICATIONS"

COUNTRIES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
""".split())
"""ISO 3166-1 alpha-2 (the 249 assigned codes)."""

LANGUAGES = frozenset("""
aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da
de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz
ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln
lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi
pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti
tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
""".split())
"""ISO 639-1 (the 184 two-letter codes)."""

# Qualifiers seen after outlet names ("Independent (UK)") mapped to ISO countries.
_QUALIFIER_COUNTRIES = {
    "uk": "GB", "gb": "GB", "britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
    "northern ireland": "GB", "united kingdom": "GB", "us": "US", "u.s.": "US", "usa": "US",
    "united states": "US", "australia": "AU", "au": "AU", "ireland": "IE", "canada": "CA",
    "singapore": "SG", "south africa": "ZA", "india": "IN", "new zealand": "NZ", "nz": "NZ",
    "spain": "ES", "mexico": "MX", "méxico": "MX", "mx": "MX", "argentina": "AR",
    "costa rica": "CR", "puerto rico": "PR", "pakistan": "PK", "kenya": "KE", "malaysia": "MY",
    "uae": "AE", "united arab emirates": "AE", "france": "FR", "germany": "DE", "italy": "IT",
    "brazil": "BR", "chile": "CL", "colombia": "CO", "ecuador": "EC", "peru": "PE",
    "uruguay": "UY", "japan": "JP", "china": "CN", "hong kong": "HK", "philippines": "PH",
    "nigeria": "NG", "netherlands": "NL", "belgium": "BE", "sweden": "SE", "norway": "NO",
    "denmark": "DK", "finland": "FI", "poland": "PL", "portugal": "PT", "croatia": "HR",
    "malta": "MT", "israel": "IL", "egypt": "EG", "turkey": "TR", "south korea": "KR",
    "korea": "KR",
}
_US_STATE_SUFFIX = re.compile(  # "(Davenport, IA)"; not "(AU, NZ, UK)"
    r",\s*(?:A[KLRZ]|C[AOT]|D[CE]|FL|GA|HI|I[ADLN]|K[SY]|LA|M[ADEINOST]|N[CDEHJMVY]|O[HKR]|PA|"
    r"RI|S[CD]|T[NX]|UT|V[AT]|W[AIVY])$")
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_HOST = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_SPIDER = re.compile(r"^[a-z][a-z0-9_]*$")
_FIELDS = {"name", "aliases", "domains", "country", "language", "scale", "weight", "spider",
           "start_urls", *DISCOVERY_FIELDS}
_REQUIRED = ("name", "domains", "country", "language")


@dataclass(frozen=True)
class Publication:
    key: str
    name: str
    aliases: tuple[str, ...]
    domains: tuple[str, ...]
    country: str | None
    language: str | None
    scale: str | None
    weight: float
    spider: str | None
    start_urls: tuple[str, ...]
    provisional: bool = False
    discovery: Discovery = NO_DISCOVERY
    """Where new reviews are found: platform, API root, feeds, sitemaps, search URL."""

    @property
    def names(self) -> tuple[str, ...]:
        """Every spelling that names this outlet: name, aliases and domains."""
        return (self.name, *self.aliases, *self.domains)


class RegistryError(ValueError):
    """A registry file that cannot be used; the message names the file, the key and the field."""

    def __init__(self, path: str | os.PathLike, key: str | None, field: str | None, problem: str):
        self.path, self.key, self.field, self.problem = str(path), key, field, problem
        where = self.path
        if key is not None:
            where += f": [publications.{key}]"
        if field is not None:
            where += f" {field}"
        super().__init__(f"{where}: {problem}")


def name_key(name: str) -> str:
    """The comparison form of an outlet name: "The A.V. Club" and "AV Club" -> "avclub"."""
    text = unicodedata.normalize("NFKD", name).casefold().replace("&", " and ")
    text = "".join(c for c in text if not unicodedata.combining(c))
    words = re.findall(r"\w+", re.sub(r"(?<=\w)['’.](?=\w)", "", text))
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return "".join(words)


_DOMAIN_NAME = re.compile(r"^(?:https?://)?(?:www\.)?([\w-]+)(?:\.[\w-]+)*\.[a-z]{2,24}/?$",
                          re.IGNORECASE)


def variant_key(name: str) -> str:
    """The grouping form of an outlet name the registry does not know: `name_key` of the
    name without its qualifier and, for a domain-like name, of its first label only
    ("Fictional Weekly", "FictionalWeekly.com" -> "fictionalweekly"). A qualifier is kept:
    a country as its code ("Fictional Weekly (Australia)" -> "fictionalweekly@AU"), anything
    else as written ("Fictional Weekly (YouTube)" -> "fictionalweekly(youtube)"), since the
    registry alone can say that a qualified name is the plain one. "" when none."""
    if not isinstance(name, str) or not name.strip():
        return ""
    base, country = _split_qualifier(name.strip())
    domain = _DOMAIN_NAME.match(base.strip())
    key = name_key(domain.group(1) if domain else base)
    if key and country:
        return f"{key}@{country}"
    if key and base != name.strip():  # "(YouTube)", "(Davenport, IA)": another outlet, maybe
        return f"{key}({name_key(name.strip()[len(base):])})"
    return key


def provisional_group_keys(name: str | None, domain: str | None) -> frozenset[str]:
    """The keys under which spellings of an outlet the registry does not know meet (what
    `Registry.group_key` gives for it, without the "?"): the name's `variant_key` and its
    registered domain's, so "Film Blog X" (og:site_name) and "filmblogx.com" (a page without
    one) are one outlet. Used by the store to keep one provisional row per outlet."""
    keys = {variant_key(name) if isinstance(name, str) else ""}
    if isinstance(domain, str) and domain.strip():
        keys.add(variant_key(registered_domain(domain.strip())))
    return frozenset(key for key in keys if key)


def _split_qualifier(name: str) -> tuple[str, str | None]:
    """("Daily Telegraph", "AU") from "Daily Telegraph (Australia)"; the country is None when
    the qualifier names none."""
    match = re.match(r"^(.*?)\s*[(\[]([^()\[\]]*)[)\]]\s*$", name)
    if not match or not match.group(1).strip():
        return name, None
    base, qualifier = match.group(1), match.group(2).strip()
    country = _QUALIFIER_COUNTRIES.get(qualifier.casefold())
    parts = [part.strip().casefold() for part in qualifier.split(",")]
    if country is None and len(parts) > 1 and all(
            p not in _QUALIFIER_COUNTRIES for p in parts[:-1]):
        country = _QUALIFIER_COUNTRIES.get(parts[-1])  # "(Victoria, B.C., Canada)"
    if country is None and _US_STATE_SUFFIX.search(qualifier):
        country = "US"
    return base, country


def _string_list(value, path, key, field) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise RegistryError(path, key, field, "must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _publication(path, key: str, table) -> Publication:
    if not _KEY.match(key):
        raise RegistryError(path, key, None, "key must be a lowercase slug [a-z0-9-]")
    if not isinstance(table, dict):
        raise RegistryError(path, key, None, "must be a table")
    unknown = sorted(set(table) - _FIELDS)
    if unknown:
        raise RegistryError(path, key, unknown[0], f"unknown field (allowed: {sorted(_FIELDS)})")
    for field in _REQUIRED:
        if field not in table:
            raise RegistryError(path, key, field, "is required")
    name = table["name"]
    if not isinstance(name, str) or not name.strip():
        raise RegistryError(path, key, "name", "must be a non-empty string")
    domains = _string_list(table["domains"], path, key, "domains")
    if not domains:
        raise RegistryError(path, key, "domains", "must list at least one domain")
    for domain in domains:
        if not _HOST.match(domain):
            raise RegistryError(path, key, "domains",
                                f"{domain!r} is not a lower-case host name (no scheme, no path)")
    country, language = table["country"], table["language"]
    if country not in COUNTRIES:
        raise RegistryError(path, key, "country", f"{country!r} is not ISO 3166-1 alpha-2 "
                            "(upper case, e.g. 'GB' for the United Kingdom)")
    if language not in LANGUAGES:
        raise RegistryError(path, key, "language", f"{language!r} is not ISO 639-1 (e.g. 'en')")
    scale = table.get("scale")
    if scale is not None and scale not in SCALES:
        raise RegistryError(path, key, "scale", f"{scale!r} is not one of {sorted(SCALES)}")
    weight = table.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight <= 5:
        raise RegistryError(path, key, "weight", f"{weight!r} must be a number, 0 < weight <= 5")
    spider = table.get("spider")
    if spider is not None and (not isinstance(spider, str) or not _SPIDER.match(spider)):
        raise RegistryError(path, key, "spider", f"{spider!r} is not a spider name [a-z0-9_]")
    start_urls = _string_list(table.get("start_urls", []), path, key, "start_urls")
    for url in start_urls:
        if not re.match(r"^https?://[^/\s]+", url):
            raise RegistryError(path, key, "start_urls", f"{url!r} is not an absolute http(s) URL")
    return Publication(
        key=key, name=name.strip(), aliases=_string_list(table.get("aliases", []), path, key,
                                                          "aliases"),
        domains=domains, country=country, language=language, scale=scale, weight=float(weight),
        spider=spider, start_urls=start_urls,
        discovery=read_discovery(table, lambda field, problem: RegistryError(path, key, field, problem)),
    )


def _read(path, text: str) -> dict[str, Publication]:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RegistryError(path, None, None, f"invalid TOML: {error}") from None
    extra = sorted(set(document) - {"publications"})
    if extra:
        raise RegistryError(path, None, extra[0], "unknown top-level table (only [publications.*])")
    tables = document.get("publications", {})
    if not isinstance(tables, dict):
        raise RegistryError(path, None, "publications", "must be a table of tables")
    return {key: _publication(path, key, table) for key, table in tables.items()}


class Registry:
    """Loaded, validated publications with lookups by key, domain and name."""

    def __init__(self, publications: Iterable[Publication], sources: dict[str, str] | None = None):
        self._by_key: dict[str, Publication] = {}
        self._by_domain: dict[str, str] = {}
        self._by_name: dict[str, str] = {}
        self._by_label: dict[str, str | None] = {}
        self._claims_refused: dict[tuple[str | None, str], bool] = {}
        """name_claim_refused by (name, host): a crawl meets the same few outlets again and again."""
        sources = sources or {}
        for publication in publications:
            source = sources.get(publication.key, "<registry>")
            self._by_key[publication.key] = publication
            for domain in publication.domains:
                other = self._by_domain.setdefault(domain, publication.key)
                if other != publication.key:
                    raise RegistryError(source, publication.key, "domains",
                                        f"{domain!r} is already claimed by [publications.{other}]")
            for spelling in (publication.name, *publication.aliases):
                key = name_key(_split_qualifier(spelling)[0])
                other = self._by_name.setdefault(key, publication.key) if key else publication.key
                if other != publication.key:
                    raise RegistryError(source, publication.key, "aliases",
                                        f"{spelling!r} also names [publications.{other}]")
            for domain in publication.domains:
                label = name_key(domain.split(".")[0])
                if self._by_label.setdefault(label, publication.key) != publication.key:
                    self._by_label[label] = None  # two entries' label: names neither

    def __iter__(self) -> Iterator[Publication]:
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def get(self, key: str) -> Publication | None:
        return self._by_key.get(key)

    def by_domain(self, url_or_host: str | None) -> Publication | None:
        host = host_of(url_or_host or "")
        if not host:
            return None
        while "." in host:
            if host in self._by_domain:
                return self._by_key[self._by_domain[host]]
            host = host.split(".", 1)[1]
        return None

    def by_name(self, name: str | None) -> Publication | None:
        if not isinstance(name, str) or not name.strip():
            return None
        base, country = _split_qualifier(name.strip())
        key = self._by_name.get(name_key(base)) or self._by_label.get(name_key(base))
        if key is None:
            return None
        publication = self._by_key[key]
        if country is not None and publication.country not in (None, country):
            return None
        return publication

    def resolve(self, name: str | None = None, url: str | None = None) -> Publication | None:
        """The registry entry for a page's outlet: by URL domain first, then by name (rules in
        the module docstring); None when neither matches."""
        found = self.by_domain(url) if url else None
        if found is None and isinstance(name, str):
            text = name.strip()
            if re.fullmatch(r"(?:https?://)?[\w.-]+\.[a-z]{2,63}/?", text, re.IGNORECASE):
                found = self.by_domain(text)
            found = found or self.by_name(text)
        return found

    def name_claim_refused(self, name: str | None, url: str | None) -> bool:
        """True when a page names a registered outlet that its URL's site is not: a page on
        spoof.example with og:site_name "The New York Times" is not the Times' review. An
        outlet without domains, or a page with no host, cannot be checked and is not refused."""
        if not url:
            return False
        if not (name is None or isinstance(name, str)):
            return self._claim_refused(name, url)
        key = (name, host_of(url))  # the URL is read only through its host_of
        if key not in self._claims_refused:
            if len(self._claims_refused) >= 10_000:  # a crawl of very many sites: start again
                self._claims_refused.clear()
            self._claims_refused[key] = self._claim_refused(name, url)
        return self._claims_refused[key]

    def _claim_refused(self, name, url: str) -> bool:
        if not registered_domain(url) or self.by_domain(url) is not None:
            return False
        found = self.resolve(name=name)
        return found is not None and bool(found.domains)

    def group_key(self, name: str | None = None, url: str | None = None) -> str | None:
        """The key that spellings of one outlet share: the registry key when `resolve` finds
        the entry, else "?" + `variant_key(name)` (or "?" + the URL's registered domain);
        None when there is nothing to key."""
        found = self.resolve(name, url)
        if found is not None:
            return found.key
        key = variant_key(name) if isinstance(name, str) else ""
        if not key and isinstance(url, str):
            key = variant_key(registered_domain(url))
        return "?" + key if key else None

    def provisional(self, name: str | None, url: str | None) -> Publication:
        """An entry for an outlet not in the registry, flagged `provisional=True` for review:
        named by og:site_name (`name`) or else its domain, keyed by its registered domain
        ("https://www.example-film-blog.com/x" -> "example-film-blog-com"). Not added to the
        registry. Raises ValueError when neither a name nor a URL with a host is given."""
        domain = registered_domain(url) if isinstance(url, str) else ""
        clean_name = re.sub(r"\s+", " ", name).strip() if isinstance(name, str) else ""
        if not domain and not clean_name:
            raise ValueError("a provisional publication needs a site name or a URL with a host")
        key = _slug(domain or clean_name)
        if not key:
            raise ValueError(f"cannot make a registry key from {name!r} / {url!r}")
        return Publication(
            key=key, name=clean_name or domain, aliases=(), domains=(domain,) if domain else (),
            country=None, language=None, scale=None, weight=1.0, spider=None, start_urls=(),
            provisional=True,
        )


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).casefold()
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def _registry_paths(extra_paths: Iterable, include_env: bool) -> list[Path]:
    paths: list[Path] = []
    if include_env:
        paths += [Path(p) for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p.strip()]
    paths += [Path(p) for p in extra_paths]
    return paths


def load_registry(extra_paths: Iterable[str | os.PathLike] = (), *,
                  include_env: bool = True) -> Registry:
    """The packaged registry, then each file of $AGGREGATOR_PUBLICATIONS (when `include_env`),
    then `extra_paths`; later files replace whole entries by key. Raises RegistryError."""
    packaged = resources.files("aggregator.identity").joinpath("publications.toml")
    entries = _read(f"aggregator/{packaged.name}", packaged.read_text(encoding="utf-8"))
    sources = {key: "aggregator/identity/publications.toml" for key in entries}
    for path in _registry_paths(extra_paths, include_env):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise RegistryError(path, None, None, f"cannot read registry file: {error}") from None
        for key, publication in _read(path, text).items():
            entries[key] = publication
            sources[key] = str(path)
    return Registry(entries.values(), sources)


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The registry as configured (packaged + environment), loaded once; tests may call
    `default_registry.cache_clear()` after changing AGGREGATOR_PUBLICATIONS."""
    return load_registry()
