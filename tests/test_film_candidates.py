"""The film's title chosen from the page's candidates (aggregator.identity.film_candidates)."""

from __future__ import annotations

import pytest

from aggregator.identity.film_candidates import choose_title
from aggregator.identity.films import film_title_from_headline


def test_a_title_several_sources_carry_beats_the_headline_pattern():
    choice = choose_title(headline="Review: Another Look at The Salt Orchard",
                          tags=["Reviews", "Drama", "The Salt Orchard"],
                          standfirst="Nell Arden revisits <em>The Salt Orchard</em> a year on",
                          url_path="/2026/04/review-another-look-at-the-salt-orchard/")
    assert choice.title == "The Salt Orchard"
    assert choice.reason == "agreed:headline+standfirst+tags+url"


def test_the_subject_of_a_sentence_headline_when_the_slug_agrees():
    choice = choose_title(headline="Review: Copperhead Lane is a thunderous portrait of a town",
                          url_path="/culture/review-copperhead-lane/")
    assert (choice.title, choice.sources) == ("Copperhead Lane", ("headline", "url"))


def test_a_quoted_title_in_a_headline_that_is_not_a_review_pattern():
    choice = choose_title(headline="'Harrow Lights' makes a case for quiet horror",
                          url_path="/article/harrow-lights-review/")
    assert choice.title == "Harrow Lights"


@pytest.mark.parametrize("headline, title", [
    ("Cannes Film Review: 'The Marsh Bell'", "The Marsh Bell"),
    ("Sundance Review: “Low Water”", "Low Water"),
])
def test_a_festival_prefix_is_not_the_film(headline, title):
    assert film_title_from_headline(headline) == title
    assert choose_title(headline=headline).title == title


def test_a_headline_that_is_only_the_title_needs_a_second_source():
    assert choose_title(headline="Quarry Bells").title is None
    assert choose_title(headline="Quarry Bells", url_path="/quarry-bells/").title == "Quarry Bells"


def test_og_title_repeating_the_headline_is_not_a_second_vote():
    assert choose_title(headline="A quiet, devastating debut", og_title="A quiet, devastating debut").title is None


def test_a_film_tag_names_the_film_when_the_headline_does_not():
    choice = choose_title(headline="A quiet, devastating debut", tags=["Harrow Vale (2026 film)"],
                          url_path="/reviews/a-quiet-devastating-debut/")
    assert choice.title == "Harrow Vale"


def test_the_site_name_and_generic_tags_are_never_titles():
    choice = choose_title(headline="Reviews", title_tag="The Reel Lantern", tags=["Film", "Reviews", "Drama"],
                          url_path="/reviews/", site_names=("The Reel Lantern",))
    assert choice.title is None


def test_a_title_and_its_year_alone_name_the_film_and_state_its_year():
    choice = choose_title(headline="Marrowbone Station (2024)")
    assert (choice.title, choice.year, choice.reason) == ("Marrowbone Station", "2024", "only:headline")
    assert choose_title(headline="Best films of 2024").year is None


def test_an_old_file_name_that_runs_the_title_together_is_the_url_agreeing():
    choice = choose_title(title_tag="Gravel Saints (2005) - The Celluloid Porch",
                          url_path="/reviews/2005/gravelsaints.html", site_names=("The Celluloid Porch",))
    assert (choice.title, choice.reason, choice.year) == ("Gravel Saints", "agreed:headline+url", "2005")
    assert choose_title(headline="Quarry Bells", url_path="/qb.html").title is None
