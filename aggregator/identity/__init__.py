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

from aggregator.identity.critic_identity import (
    CriticEvidence,
    critic_evidence,
    explain_same_critic,
    group_critics,
    profile_key,
    same_critic,
)
from aggregator.identity.critic_text import (
    CriticsFound,
    critic_from_text,
    explain_critic_from_text,
    find_critics,
)
from aggregator.identity.critics import (
    Author,
    author_names,
    authors,
    canonical_person_name,
    critics_from_raw,
    is_site_account,
    person_key,
    preferred_spelling,
    split_byline,
)
from aggregator.identity.film_identity import (
    FilmCandidate,
    FilmGuess,
    choose_film,
    clean_title,
    explain_film_choice,
    external_ids,
    film_from_raw,
    review_window,
)
from aggregator.identity.films import film_key, film_title_from_headline, year_from_text

__all__ = [
    "Author", "CriticEvidence", "CriticsFound", "FilmCandidate", "FilmGuess", "author_names",
    "authors", "canonical_person_name", "choose_film", "clean_title", "critic_evidence",
    "critic_from_text", "critics_from_raw", "explain_critic_from_text", "explain_film_choice",
    "explain_same_critic", "external_ids", "film_from_raw", "film_key",
    "film_title_from_headline", "find_critics", "group_critics", "is_site_account",
    "person_key", "preferred_spelling", "profile_key", "review_window", "same_critic",
    "split_byline", "year_from_text",
]
