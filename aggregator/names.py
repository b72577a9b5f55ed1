"""Who wrote it, about which film: one import for the identity normalisers.

The functions live in
- aggregator.critics: bylines to canonical people, site accounts, JSON-LD authors;
- aggregator.critic_text: the critic named in a standfirst or body when the byline is an account;
- aggregator.critic_identity: when two critic records are one person (evidence rules);
- aggregator.films: headline titles, "(2031)" years, film keys;
- aggregator.film_identity: a review's film from all its raw fields, external ids, and the
  choice among same-title films;
and are re-exported here so that `from aggregator.names import …` keeps working.
"""

from __future__ import annotations

from aggregator.critic_identity import (
    CriticEvidence,
    critic_evidence,
    explain_same_critic,
    group_critics,
    profile_key,
    same_critic,
)
from aggregator.critic_text import (
    CriticsFound,
    critic_from_text,
    explain_critic_from_text,
    find_critics,
)
from aggregator.critics import (
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
from aggregator.film_identity import (
    FilmCandidate,
    FilmGuess,
    choose_film,
    clean_title,
    explain_film_choice,
    external_ids,
    film_from_raw,
    review_window,
)
from aggregator.films import film_key, film_title_from_headline, year_from_text

__all__ = [
    "Author", "CriticEvidence", "CriticsFound", "FilmCandidate", "FilmGuess", "author_names",
    "authors", "canonical_person_name", "choose_film", "clean_title", "critic_evidence",
    "critic_from_text", "critics_from_raw", "explain_critic_from_text", "explain_film_choice",
    "explain_same_critic", "external_ids", "film_from_raw", "film_key",
    "film_title_from_headline", "find_critics", "group_critics", "is_site_account",
    "person_key", "preferred_spelling", "profile_key", "review_window", "same_critic",
    "split_byline", "year_from_text",
]
