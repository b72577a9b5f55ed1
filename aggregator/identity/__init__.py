"""Who wrote it, about which film: the identity normalisers and the outlets' registry.

- critics.py: bylines to canonical people, site accounts, JSON-LD authors, critic keys;
- critic_text.py: the critic named in a standfirst or body when the byline is an account;
- critic_identity.py: when two critic records are one person (evidence rules);
- films.py: headline titles, "(2031)" years, film keys;
- film_identity.py: a review's film from all its raw fields, external ids, and the choice
  among same-title films;
- publications.py (+ publications.toml, the registry) and publication_discovery.py: the
  outlets, their domains, scales, weights and how their reviews are discovered.

The person and film functions are re-exported here (`from aggregator.identity import
split_byline`); the registry is imported from its module.
"""

from __future__ import annotations

# Where each re-exported name lives: imported on first use (PEP 562), so that a module that
# needs one identity rule (the store's models need critic_key) does not load them all.
_HOMES = {
    "aggregator.identity.critic_identity": (
        "CriticEvidence", "critic_evidence", "explain_same_critic", "group_critics", "profile_key",
        "same_critic"),
    "aggregator.identity.critic_text": ("CriticsFound", "critic_from_text", "explain_critic_from_text",
                                        "find_critics"),
    "aggregator.identity.critics": (
        "Author", "author_names", "authors", "canonical_person_name", "critics_from_raw",
        "is_site_account", "person_key", "preferred_spelling", "split_byline"),
    "aggregator.identity.film_identity": (
        "FilmCandidate", "FilmGuess", "choose_film", "clean_title", "explain_film_choice", "external_ids",
        "film_from_raw", "review_window"),
    "aggregator.identity.films": ("film_key", "film_title_from_headline", "year_from_text"),
}  # fmt: skip
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str):
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "Author", "CriticEvidence", "CriticsFound", "FilmCandidate", "FilmGuess", "author_names",
    "authors", "canonical_person_name", "choose_film", "clean_title", "critic_evidence",
    "critic_from_text", "critics_from_raw", "explain_critic_from_text", "explain_film_choice",
    "explain_same_critic", "external_ids", "film_from_raw", "film_key",
    "film_title_from_headline", "find_critics", "group_critics", "is_site_account",
    "person_key", "preferred_spelling", "profile_key", "review_window", "same_critic",
    "split_byline", "year_from_text",
]


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME_OF})
