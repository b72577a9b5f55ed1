"""Critics: JSON-LD authors, the critic named in the text, comparison keys, identity evidence.

Fictional people and outlets only; the real material is measured in tests/test_identity_sets.py.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aggregator import identity as names
from aggregator.identity.critic_identity import (
    CriticEvidence,
    critic_evidence,
    explain_same_critic,
    group_critics,
    profile_key,
    same_critic,
)
from aggregator.identity.critic_text import (
    REASONS,
    critic_from_text,
    explain_critic_from_text,
    find_critics,
)
from aggregator.identity.critics import (
    Author,
    author_names,
    authors,
    canonical_person_name,
    person_key,
    preferred_spelling,
)

OUTLET = ["The Daily Fictional", "dailyfictional.example"]

# ------------------------------------------------------------------ the critic in the text


@pytest.mark.parametrize(
    ("text", "critic", "reason"),
    [
        ("Jane Doe reviews the latest from Fictional Studios.", "Jane Doe", "lead"),
        ("Jane Doe looks back at a forgotten classic", "Jane Doe", "lead"),
        ("Jane Doe looks back on thirty years of the franchise", "Jane Doe", "lead"),
        ("Jane Doe gives her verdict on the sequel", "Jane Doe", "lead"),
        ("Jane Doe casts a critical eye over the remake", "Jane Doe", "lead"),
        ("Jane Doe, our chief film critic, assesses the damage", "Jane Doe", "lead"),
        ("Our critic Jane Doe finds much to admire", "Jane Doe", "lead"),
        ("Film critic Q.R. HALLORAN revisits a cult oddity", "Q. R. Halloran", "lead"),
        ("JANE DOE reviews the week's releases", "Jane Doe", "lead"),
        ("Inès de la Fuente gives her verdict on the sequel", "Inès de la Fuente", "lead"),
        ("Rory McAlister is not impressed by the sequel", "Rory McAlister", "lead"),
        ("<p><strong>Broadway review by Jane Doe&nbsp;</strong></p><p>It opens…</p>",
         "Jane Doe", "review_by"),
        ("Theatre Review by <a href='x'>Marc Fennimore</a> - October 29, 2031",
         "Marc Fennimore", "review_by"),
        ("Reviewed by: Edna T Marwood\n\nThe film opens…", "Edna T. Marwood", "review_by"),
        ("A review by Jane Doe.\n\nThe film opens…", "Jane Doe", "review_by"),
        ("The film is long.\n\nIt is also good.\n\n— Jane Doe", "Jane Doe", "signature"),
        ("The film is long.\n\nBy Jane Doe", "Jane Doe", "signature"),
        ("The film is long.\n\nJane Doe is a Fictional Tribune critic.", "Jane Doe", "signature"),
        ("Body.\n\nJane Doe is a contributing film critic.", "Jane Doe", "signature"),
        # two places agreeing on one person is one critic
        ("Jane Doe reviews it.\n\nBody.\n\n— JANE DOE", "Jane Doe", "lead"),
    ],
)
def test_critic_from_text_finds(text, critic, reason):
    assert explain_critic_from_text(text, OUTLET) == (critic, reason)
    assert critic_from_text(text, OUTLET) == critic


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # people who are not the critic: cast, director, screenwriter, another critic
        ("Tom Fictional returns as the grizzled detective", "none"),
        ("Greta Fictional revisits the novel that made her name", "none"),
        ("Tom Fictional finds himself in trouble again", "none"),
        ("Written by Jane Doe and directed by John Roe, the film sprawls.", "none"),
        ("Words by Jane Doe, music by John Roe.", "none"),
        ("The original was reviewed by Jane Doe in 1990.", "none"),
        ("A film about grief.\n\nIt was reviewed by John Roe for our sister title.", "none"),
        ("Intro.\n\nTom Fictional is a revelation as the critic.", "none"),
        ("Intro.\n\nTom Fictional is a struggling writer.", "none"),
        (("Intro.\n\nTom Fictional is a jaded critic whose life unravels in a comedy about a "
          "man who cannot stop reviewing his own life."), "none"),
        ("Film critic Tom Fictional finds love in a comedy about reviewing", "none"),
        ("Film critic Tom Fictional is a man adrift", "none"),
        ("Our critic Jane Doe finds herself won over", "none"),
        ("Tom Fictional reviews himself in this mockumentary", "none"),
        # no person
        ("The Glass Orchard reviews the family saga", "none"),
        ("The Daily Fictional reviews the week's releases", "none"),
        ("Daily Fictional Film reviews the week's releases", "none"),
        ("Staff Writer reviews the film", "none"),
        ("Jane reviews it", "none"),
        ("jane doe reviews it", "none"),
        ("Review: The Glass Orchard\n\nA fine film.", "none"),
        ("", "none"),
        ("   \n\n  ", "none"),
        # two people: no guess
        ("Jane Doe reviews it.\n\nMore text.\n\n— John Roe", "conflict"),
        ("Review by Jane Doe\n\nBody.\n\nJohn Roe is a film critic.", "conflict"),
    ],
)
def test_critic_from_text_stores_no_critic_rather_than_a_wrong_one(text, reason):
    assert explain_critic_from_text(text, OUTLET) == (None, reason)


@pytest.mark.parametrize("bad", [None, 42, ["Jane Doe reviews"], b"Jane Doe reviews it"])
def test_critic_from_text_non_text(bad):
    assert explain_critic_from_text(bad) == (None, "not_text")
    assert critic_from_text(bad) is None


def test_critic_from_text_reasons_are_declared():
    for text in ("Jane Doe reviews it", "", "Jane Doe reviews it.\n\n— John Roe", None):
        assert explain_critic_from_text(text)[1] in REASONS


def test_critic_from_text_reads_only_the_start_of_a_huge_body_and_is_fast():
    body = "Jane Doe reviews it.\n\n" + ("A sentence of body text. " * 40 + "\n\n") * 2000
    start = time.perf_counter()
    assert critic_from_text(body) == "Jane Doe"
    assert critic_from_text("A " * 100_000) is None
    assert critic_from_text(("Jane " * 5000) + "reviews") is None
    assert time.perf_counter() - start < 2


def test_critic_from_text_reads_the_end_of_a_long_body():
    middle = ("A sentence of body text. " * 40 + "\n\n") * 100
    assert explain_critic_from_text("Intro.\n\n" + middle + "— Jane Doe") == ("Jane Doe",
                                                                             "signature")
    # an attribution deep inside the body is not a signature
    assert critic_from_text("Intro.\n\n" + middle + "— John Roe\n\n" + middle) is None


def test_find_critics_prefers_bylines_then_text():
    found = find_critics(["By JANE DOE"], "John Roe reviews it.", OUTLET)
    assert (found.critics, found.source) == (["Jane Doe"], "byline")
    found = find_critics(["Staff", "The Daily Fictional"], "John Roe reviews it.", OUTLET)
    assert found.critics == ["John Roe"]
    assert found.dropped == ["Staff", "The Daily Fictional"]
    assert found.source == "text:lead"
    found = find_critics(["Staff"], "Tom Fictional returns as the detective.", OUTLET)
    assert (found.critics, found.source) == ([], "none:none")
    assert find_critics([], None).source == "none:not_text"


# ------------------------------------------------------------------ JSON-LD author values


def test_authors_from_json_ld_shapes():
    value = [
        {"@type": "Person", "name": "Jane Doe", "sameAs": "https://dailyfictional.example/profile/jane-doe"},
        {"@type": "Organization", "name": "The Daily Fictional"},
        "By JOHN ROE and Mary Major",
        {"@id": "https://dailyfictional.example/#person-7"},  # unresolved: nobody
        {"@type": "Person", "givenName": "Ada", "familyName": "Quillfeather"},
        "https://dailyfictional.example/profile/someone",
        {"@type": ["Person"], "name": ["Q.R. HALLORAN"], "url": "https://dailyfictional.example/by/qrh"},
        {"@type": "Person", "name": "Jane Doe", "url": "https://other.example/critics/jane-doe"},
    ]
    assert authors(value) == [
        Author("Jane Doe", ("https://dailyfictional.example/profile/jane-doe",
                            "https://other.example/critics/jane-doe")),
        Author("John Roe"), Author("Mary Major"), Author("Ada Quillfeather"),
        Author("Q. R. Halloran", ("https://dailyfictional.example/by/qrh",)),
    ]
    assert author_names(value) == ["Jane Doe", "John Roe", "Mary Major", "Ada Quillfeather",
                                   "Q. R. Halloran"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Jane Doe", ["Jane Doe"]),
        ({"name": "JANE DOE"}, ["Jane Doe"]),
        ({"@type": "Person", "name": "The Daily Fictional"}, []),  # the outlet posing as a person
        ({"@type": "Person", "name": "Staff"}, []),
        ({"@type": "NewsMediaOrganization", "name": "Jane Doe Media"}, []),
        ({"@type": "Person", "givenName": "Jane"}, []),  # half a name is no name
        ({"@type": "Person", "name": "https://dailyfictional.example/profile/jane-doe"}, []),
        ({"@id": "#jane"}, []),
        ([], []),
        (None, []),
        (42, []),
        ([[[[[["Jane Doe"]]]]]], []),  # nesting beyond what any page writes is ignored
        ({"name": {"@value": "Jane Doe"}}, []),
    ],
)
def test_author_names_edge_cases(value, expected):
    assert author_names(value, OUTLET) == expected


# ------------------------------------------------------------------ keys and spellings


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("MARY-KATE O'NEILL-MCCARTHY", "Mary-Kate O'Neill-McCarthy"),
        ("LEONARDO DA SILVA", "Leonardo da Silva"),
        ("ÅSA VON SYDOWSKI", "Åsa von Sydowski"),
        ("DA SILVA", "Da Silva"),  # a particle that opens the name is capitalised
        ("JOHN MCDONALD JR.", "John McDonald Jr."),
        ("DE'ANDRE JONES", "De'Andre Jones"),
        ("LA'SHAWN DOE", "La'Shawn Doe"),
        ("ROSA'S", "Rosa's"),
        ("RORY MACALISTER", "Rory Macalister"),  # "Mac" + capital cannot be told: see the doc
        ("J.R.R. QUILLFEATHER", "J. R. R. Quillfeather"),
        ("E. J. Quill", "E. J. Quill"),
        ("E J Quill", "E. J. Quill"),
    ],
)
def test_canonical_forms(raw, canonical):
    assert canonical_person_name(raw) == canonical


@pytest.mark.parametrize(
    ("a", "b"),
    [("A. O. Quill", "A.O. QUILL"), ("A. O. Quill", "AO Quill"),
     ("Inès de la Fuente", "INES DE LA FUENTE"), ("Maeve O'Donnell", "Maeve O’Donnell"),
     ("Rory MacAlister", "RORY MACALISTER")],
)
def test_person_key_folds_spellings(a, b):
    assert person_key(a) == person_key(b) != ""


def test_person_key_keeps_names_apart_and_rejects_non_strings():
    assert person_key("Jane Doe") != person_key("Jane Dow")
    assert person_key(None) == person_key(3) == person_key("  .  ") == ""


def test_preferred_spelling_takes_the_mixed_case_print():
    spellings = ["RORY MACALISTER", "Rory MacAlister", "RORY MACALISTER"]
    assert preferred_spelling(spellings) == "Rory MacAlister"
    assert preferred_spelling(["RORY MACALISTER"]) == "Rory Macalister"
    assert preferred_spelling(["A.O. Quill", "A. O. Quill", "A.O. QUILL"]) == "A. O. Quill"
    assert preferred_spelling(["Staff Writer", None, 5]) is None
    assert preferred_spelling([]) is None


_NAME_PART = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèçñø", min_size=2, max_size=10)


@given(st.lists(_NAME_PART, min_size=2, max_size=4))
def test_canonical_name_of_all_caps_is_stable_and_keyed_like_the_mixed_case(words):
    mixed = " ".join(w.capitalize() for w in words)
    upper = mixed.upper()
    restored = canonical_person_name(upper)
    assert canonical_person_name(restored) == restored
    assert person_key(restored) == person_key(mixed)
    assert not restored.isupper()


# ------------------------------------------------------------------ identity evidence


@pytest.mark.parametrize(
    ("url", "base", "key"),
    [
        ("https://www.dailyfictional.example/profile/jane-doe/", None,
         "dailyfictional.example/profiles/jane-doe"),
        ("http://dailyfictional.example/profile/Jane-Doe?utm_source=x#bio", None,
         "dailyfictional.example/profiles/jane-doe"),
        # a site's singular and plural people folders are one page (RT: /critic/x → /critics/x)
        ("https://www.aggregator.example/critic/jane-doe", None, "aggregator.example/critics/jane-doe"),
        ("https://dailyfictional.example/author/jane-doe/", None, "dailyfictional.example/authors/jane-doe"),
        ("https://dailyfictional.example/critic", None, None),
        ("http://web.archive.org/web/20310101000000/https://dailyfictional.example/by/jane-doe",
         None, "dailyfictional.example/by/jane-doe"),
        ("/critics/jane-doe", "https://www.aggregator.example",
         "aggregator.example/critics/jane-doe"),
        ("https://www.fictionalwrap.example/?post_type=profile&p=7383593", None,
         "fictionalwrap.example/?post_type=profile&p=7383593"),
        # name nobody: a listing, the root, not a URL
        ("https://dailyfictional.example/author/", None, None),
        ("https://dailyfictional.example/", None, None),
        ("https://dailyfictional.example/critics/", None, None),
        ("/critics/jane-doe", None, None),
        ("mailto:jane@example.com", None, None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_profile_key(url, base, key):
    assert profile_key(url, base) == key


@pytest.mark.parametrize(
    ("key", "folded"),
    [
        ("aggregator.example/critic/jane-doe", "aggregator.example/critics/jane-doe"),
        ("aggregator.example/critics/jane-doe", "aggregator.example/critics/jane-doe"),
        ("dailyfictional.example/person/jane-doe?id=4", "dailyfictional.example/people/jane-doe?id=4"),
        # only the first folder, and only a folder with something under it
        ("dailyfictional.example/reviews/critic/jane-doe", "dailyfictional.example/reviews/critic/jane-doe"),
        ("dailyfictional.example/critic", "dailyfictional.example/critic"),
        ("dailyfictional.example/jane-doe", "dailyfictional.example/jane-doe"),
    ],
)
def test_fold_profile_key_puts_the_first_people_folder_in_the_plural(key, folded):
    from aggregator.identity.critic_identity import fold_profile_key

    assert fold_profile_key(key) == folded


def test_singular_and_plural_folder_urls_are_one_profile_page():
    from aggregator.identity.critic_identity import CriticEvidence, same_critic

    old_layout = critic_evidence("Jane Doe", ["https://aggregator.example/critic/jane-doe"])
    new_layout = critic_evidence("Jane Doe", ["https://www.aggregator.example/critics/jane-doe/"])
    assert old_layout.profiles == new_layout.profiles == {"aggregator.example/critics/jane-doe"}
    assert same_critic(old_layout, new_layout) is True
    other = CriticEvidence("Jane Doe", frozenset({"aggregator.example/critics/jane-doe-2"}))
    assert same_critic(old_layout, other) is False


def evidence(name, *urls, outlets=()):
    return critic_evidence(name, urls, outlets)


JANE_LEDGER = evidence("Jane Doe", "https://ledger.example/profile/jane-doe")
JANE_LANTERN = evidence("JANE DOE", "https://lantern.example/author/jane-doe/")
JANE_BARE = evidence("Jane Doe")
JANE_AGG = evidence("Jane Doe", "https://agg.example/critics/jane-doe")
JANE_AGG_2 = evidence("Jane Doe", "https://agg.example/critics/jane-doe1")


@pytest.mark.parametrize(
    ("a", "b", "answer", "rule"),
    [
        # 1. a shared page is one person, whatever the spelling
        (JANE_LEDGER, evidence("J. Doe", "http://www.ledger.example/profile/jane-doe/"), True,
         "shared_profile"),
        (JANE_LEDGER, evidence("Jane Doe", "https://ledger.example/profile/jane-doe",
                               "https://www.wikidata.org/wiki/Q1"), True, "shared_profile"),
        # 2. two pages on one host are two people, even of one name
        (JANE_AGG, JANE_AGG_2, False, "different_profiles_same_host"),
        (evidence("Jane Doe", "https://agg.example/critics/jane-doe",
                  "https://ledger.example/profile/jane-doe"),
         evidence("Jane Doe", "https://agg.example/critics/jane-doe1",
                  "https://ledger.example/profile/jane-doe"), True, "shared_profile"),
        # 3. different names without a shared page
        (JANE_LEDGER, evidence("John Roe", "https://lantern.example/author/john-roe"), False,
         "different_names"),
        (JANE_BARE, evidence("Jane Dow"), False, "different_names"),
        # 4. one name with a profile on both outlets
        (JANE_LEDGER, JANE_LANTERN, True, "same_name_with_profiles"),
        (JANE_LEDGER, evidence("Jane Doe", outlets=["lantern"]), True, "same_name_with_profiles"),
        (evidence("Jane Doe", outlets=["ledger"]), evidence("Jane Doe", outlets=["lantern"]), True,
         "same_name_with_profiles"),
        # 5. one name without that evidence: unknown, never merged
        (JANE_LEDGER, JANE_BARE, None, "no_evidence"),
        (JANE_BARE, evidence("JANE DOE"), None, "no_evidence"),
        (JANE_LEDGER, evidence("Jane Doe", "https://ledger.example/author/"), None, "no_evidence"),
    ],
)
def test_same_critic_rules(a, b, answer, rule):
    assert explain_same_critic(a, b) == (answer, rule)
    assert explain_same_critic(b, a) == (answer, rule)  # symmetric
    assert same_critic(a, b) is answer


def test_critic_evidence_builds_canonical_records():
    record = critic_evidence("A.O. QUILL", ["https://www.x.example/by/ao-quill/", "not a url",
                                            "https://x.example/author/"], ["ledger", "", None])
    assert record == CriticEvidence("A. O. Quill", frozenset({"x.example/by/ao-quill"}),
                                    frozenset({"ledger"}))
    assert record.key == "aoquill" and record.hosts == {"x.example"} and record.has_profile
    for bad in ("", "  ", ".", None, 7):
        with pytest.raises(ValueError, match="person's name"):
            critic_evidence(bad)


def test_group_critics_merges_on_evidence_and_never_across_a_conflict():
    records = [
        JANE_AGG,                                                          # 0
        JANE_AGG_2,                                                        # 1: another Jane Doe
        evidence("Jane Doe", "https://ledger.example/profile/jane-doe"),  # 2: same name, profiles
        JANE_BARE,                                                         # 3: unknown
        evidence("J. A. Doe", "https://agg.example/critics/jane-doe"),    # 4: alias by shared page
        evidence("John Roe", "https://agg.example/critics/john-roe"),     # 5
        # 6 would chain 0 and 1 together through a shared ledger page: refused
        evidence("Jane Doe", "https://lantern.example/jane", "https://agg.example/critics/jane-doe1"),
    ]
    groups = group_critics(records)
    assert sorted(i for g in groups for i in g) == list(range(len(records)))
    assert [0, 2, 4] in groups
    assert [3] in groups and [5] in groups
    page_of = {0: "jane-doe", 1: "jane-doe1", 4: "jane-doe", 6: "jane-doe1"}
    for group in groups:
        assert len({page_of[i] for i in group if i in page_of}) <= 1


def test_group_critics_empty():
    assert group_critics([]) == []


def test_names_module_re_exports_the_identity_api():
    for name in ("critic_from_text", "author_names", "same_critic", "CriticEvidence",
                 "film_from_raw", "external_ids", "choose_film", "split_byline", "film_key"):
        assert hasattr(names, name), name
    assert set(names.__all__) <= set(dir(names))


def test_a_login_handle_made_from_the_name():
    from aggregator.identity.critics import name_fits_handle
    assert name_fits_handle("Tobiah Quennell", "tobquennell")
    assert name_fits_handle("Jane Smith", "jsmith") and name_fits_handle("Jane Smith", "smithj")
    assert not name_fits_handle("Jane Smith", "filmfan88")
    assert not name_fits_handle("Jane Smith", "bobsmith")
    assert not name_fits_handle("Smith", "smith")
