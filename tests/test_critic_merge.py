"""Merging stored critics on evidence (aggregator.db.critic_merge, `aggregator critic merge`,
`aggregator critic show`, the store's merge when evidence arrives), on SQLite and PostgreSQL.

All outlets and critics here are fictional.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from aggregator.cli.common import EXIT_NOT_FOUND, EXIT_REFUSED, EXIT_USAGE
from aggregator.cli.main import main
from aggregator.db.critic_merge import (
    CriticNotFound,
    MergeRefused,
    ProfilesConflict,
    SameCriticTwice,
    load_critics,
    merge_critics,
    merge_stored_critics,
)
from aggregator.db.models import CriticProfile, Review, ReviewCritic
from aggregator.identity.critic_identity import CriticEvidence, plan_critic_merges
from tests.factories import outlet
from tests.test_identity_store import GAZETTE, authors_of, critics_of, item, save

THIRD = outlet("third-eye", "Third Eye", ("third.example",))


def url_of(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def add_profile(engine, critic_id: int, key: str, outlet_key: str) -> None:
    """A profile row as a store without this module's merge left it (or as migration 0002's
    split critics get when evidence arrives for each of them)."""
    with Session(engine) as session:
        session.execute(text("INSERT INTO critic_profiles (profile_key, critic_id, outlet)"
                             " VALUES (:k, :c, :o)"), {"k": key, "c": critic_id, "o": outlet_key})
        session.commit()


def critic_ids(engine) -> list[int]:
    with Session(engine) as session:
        return [c.id for c in load_critics(session)]


def critic_id(engine, name: str, outlet_key: str) -> int:
    """The id of the critic met as `name` on `outlet_key` (ids follow creation order, which
    within a batch is the order of the critics' uids)."""
    with Session(engine) as session:
        [found] = [c.id for c in load_critics(session)
                   if any(s == name and o == outlet_key for s, _, o in c.aliases)]
    return found


# --- the pure plan ---------------------------------------------------------------------------


def evidence(name, profiles=(), outlets=(), bylines=()):
    return CriticEvidence(name, frozenset(profiles), frozenset(outlets), frozenset(bylines))


def test_plan_joins_on_profiles_and_on_a_shared_byline_and_says_why():
    records = [
        evidence("Wren Halloway", {"lantern.example/author/wren"}, {"daily-lantern"},
                 {("wrenhalloway", "daily-lantern")}),
        evidence("Wren Halloway", (), (), {("wrenhalloway", "reel-gazette")}),
        evidence("Wren Halloway", {"gazette.example/critics/wren"}, {"reel-gazette"},
                 {("wrenhalloway", "reel-gazette")}),
        evidence("Wren Halloway", (), (), {("wrenhalloway", "third-eye")}),  # no evidence
    ]
    [(members, joins)] = plan_critic_merges(records)
    assert members == [0, 1, 2]
    assert [(j.into, j.other, j.rule) for j in joins] == [
        (0, 2, "same_name_with_profiles"), (2, 1, "same_name_same_outlet")]


def test_plan_never_joins_a_shared_byline_that_two_profiles_tell_apart():
    records = [
        evidence("Wren Halloway", {"lantern.example/author/wren"}, {"daily-lantern"},
                 {("wrenhalloway", "daily-lantern")}),
        evidence("Wren Halloway", {"lantern.example/author/wren-2"}, {"daily-lantern"},
                 {("wrenhalloway", "daily-lantern")}),
        evidence("Wren Halloway", (), (), {("wrenhalloway", "daily-lantern")}),
    ]
    assert plan_critic_merges(records) == []  # the profile-less one could be either


def test_plan_with_a_focus_only_looks_at_joins_of_those_records():
    shared = ("wrenhalloway", "daily-lantern")
    records = [evidence("Wren Halloway", bylines={shared}) for _ in range(2)] + [
        evidence("Ida Moss", bylines={("idamoss", "o")}), evidence("Ida Moss", bylines={("idamoss", "o")})]
    assert [m for m, _ in plan_critic_merges(records)] == [[0, 1], [2, 3]]
    assert [m for m, _ in plan_critic_merges(records, focus=[3])] == [[2, 3]]


def test_plan_is_empty_for_namesakes_without_evidence():
    records = [evidence("Wren Halloway", bylines={("wrenhalloway", o)}) for o in ("a", "b")]
    assert plan_critic_merges(records) == []


# --- the command on stored rows --------------------------------------------------------------


def test_merge_command_merges_namesakes_whose_evidence_arrived_after_they_were_stored(
        db_engine, capsys):
    save(db_engine, item(1), item(2, GAZETTE), item(3, THIRD, publication="third-eye"))
    lantern, gazette, third = critic_ids(db_engine)
    add_profile(db_engine, lantern, "lantern.example/authors/wren-halloway", "daily-lantern")
    add_profile(db_engine, gazette, "gazette.example/critics/whalloway", "reel-gazette")
    url = url_of(db_engine)

    assert main(["critic", "merge", "--dry-run", "--db", url]) == 0
    out = capsys.readouterr().out
    assert f"critic {lantern} 'Wren Halloway' <- {gazette} 'Wren Halloway'" in out
    assert "same_name_with_profiles" in out and "would merge 1 critic row into 1" in out
    assert critic_ids(db_engine) == [lantern, gazette, third]  # the dry run wrote nothing

    assert main(["critic", "merge", "--db", url]) == 0
    assert "merged 1 critic row into 1" in capsys.readouterr().out
    assert critics_of(db_engine) == [
        ("Wren Halloway", [("Wren Halloway", "daily-lantern"), ("Wren Halloway", "reel-gazette")]),
        ("Wren Halloway", [("Wren Halloway", "third-eye")]),  # no profile: never merged
    ]
    assert authors_of(db_engine, item(2, GAZETTE).url) == [lantern]
    with Session(db_engine) as session:
        assert sorted(session.execute(select(CriticProfile.profile_key, CriticProfile.critic_id))
                      .all()) == [("gazette.example/critics/whalloway", lantern),
                                  ("lantern.example/authors/wren-halloway", lantern)]
    assert main(["critic", "merge", "--db", url]) == 0  # idempotent
    assert "merged 0 critic rows into 0" in capsys.readouterr().out
    # later crawls of the merged outlet's reviews find the kept critic
    save(db_engine, item(4, GAZETTE))
    assert authors_of(db_engine, item(4, GAZETTE).url) == [lantern]
    assert len(critics_of(db_engine)) == 2


def test_merge_never_joins_profiles_that_differ_on_one_site(db_engine):
    save(db_engine, item(1), item(2, GAZETTE))
    lantern, gazette = critic_ids(db_engine)
    add_profile(db_engine, lantern, "critics.example/people/wren-halloway", "daily-lantern")
    add_profile(db_engine, gazette, "critics.example/people/wren-halloway-2", "reel-gazette")
    with Session(db_engine) as session:
        assert merge_stored_critics(session) == []
        session.commit()
    assert critic_ids(db_engine) == [lantern, gazette]


def test_a_review_linked_to_both_merged_critics_keeps_one_link(db_engine):
    save(db_engine, item(1, critics=["Wren Halloway", "Ida Moss"]), item(2, GAZETTE))
    wren, ida = critic_id(db_engine, "Wren Halloway", "daily-lantern"), critic_id(
        db_engine, "Ida Moss", "daily-lantern")
    gazette = critic_id(db_engine, "Wren Halloway", "reel-gazette")
    with Session(db_engine) as session:  # the Gazette's Wren also signed Lantern review 1
        review_id = session.scalar(select(Review.id).where(Review.url == item(1).url))
        session.execute(text("INSERT INTO review_critics (review_id, critic_id, position)"
                             " VALUES (:r, :c, 2)"), {"r": review_id, "c": gazette})
        session.commit()
    assert main(["critic", "merge", str(gazette), str(wren), "--db", url_of(db_engine)]) == 0
    assert authors_of(db_engine, item(1).url) == [wren, ida]
    assert authors_of(db_engine, item(2, GAZETTE).url) == [wren]
    with Session(db_engine) as session:
        assert session.scalar(select(func.count()).select_from(ReviewCritic)) == 3


def test_merge_by_hand_refuses_two_people_unless_forced(db_engine, capsys):
    save(db_engine, item(1), item(2, GAZETTE, critics=["W. T. Halloway"]),
         item(3, THIRD, publication="third-eye"))
    lantern = critic_id(db_engine, "Wren Halloway", "daily-lantern")
    gazette = critic_id(db_engine, "W. T. Halloway", "reel-gazette")
    third = critic_id(db_engine, "Wren Halloway", "third-eye")
    add_profile(db_engine, lantern, "critics.example/people/wren-halloway", "daily-lantern")
    add_profile(db_engine, third, "critics.example/people/wren-halloway-2", "third-eye")
    url = url_of(db_engine)

    assert main(["critic", "merge", str(lantern), "999999", "--db", url]) == 2
    assert main(["critic", "merge", str(lantern), "--db", url]) == 2  # one id: a usage error
    assert main(["critic", "merge", str(lantern), str(third), "--db", url]) == 1
    assert "two people; --force" in capsys.readouterr().err
    assert len(critic_ids(db_engine)) == 3
    # different spellings are a person's call: allowed by hand
    assert main(["critic", "merge", str(gazette), str(lantern), "--db", url]) == 0
    assert "by_hand" in capsys.readouterr().out
    assert critics_of(db_engine)[0] == ("Wren Halloway", [
        ("W. T. Halloway", "reel-gazette"), ("Wren Halloway", "daily-lantern")])
    assert main(["critic", "merge", str(lantern), str(third), "--force", "--db", url]) == 0
    assert "forced" in capsys.readouterr().out
    assert critic_ids(db_engine) == [min(lantern, gazette, third)]


def test_merge_by_hand_raises_one_exception_type_per_refusal(db_engine):
    save(db_engine, item(1), item(3, THIRD, publication="third-eye"))
    lantern = critic_id(db_engine, "Wren Halloway", "daily-lantern")
    third = critic_id(db_engine, "Wren Halloway", "third-eye")
    add_profile(db_engine, lantern, "critics.example/people/wren-halloway", "daily-lantern")
    add_profile(db_engine, third, "critics.example/people/wren-halloway-2", "third-eye")
    with Session(db_engine) as session:
        with pytest.raises(CriticNotFound, match="no critic with id 999999"):
            merge_critics(session, lantern, 999999)
        with pytest.raises(SameCriticTwice, match="is the same critic"):
            merge_critics(session, lantern, lantern)
        with pytest.raises(ProfilesConflict, match="two people; --force"):
            merge_critics(session, lantern, third)
    for refusal in (CriticNotFound, SameCriticTwice, ProfilesConflict):
        assert issubclass(refusal, MergeRefused)  # callers catching MergeRefused catch all three
    assert len(critic_ids(db_engine)) == 2


def test_merge_by_hand_exit_codes_and_messages(db_engine, capsys):
    save(db_engine, item(1), item(3, THIRD, publication="third-eye"))
    lantern = critic_id(db_engine, "Wren Halloway", "daily-lantern")
    third = critic_id(db_engine, "Wren Halloway", "third-eye")
    add_profile(db_engine, lantern, "critics.example/people/wren-halloway", "daily-lantern")
    add_profile(db_engine, third, "critics.example/people/wren-halloway-2", "third-eye")
    url = url_of(db_engine)
    capsys.readouterr()

    assert main(["critic", "merge", str(lantern), "999999", "--db", url]) == EXIT_NOT_FOUND
    assert capsys.readouterr().err == "aggregator critic merge: no critic with id 999999\n"
    assert main(["critic", "merge", str(lantern), str(lantern), "--db", url]) == EXIT_USAGE
    assert capsys.readouterr().err == f"aggregator critic merge: critic {lantern} is the same critic\n"
    assert main(["critic", "merge", str(lantern), str(third), "--db", url]) == EXIT_REFUSED
    assert "different profile pages on one site" in capsys.readouterr().err
    assert len(critic_ids(db_engine)) == 2


@pytest.mark.parametrize(("refusal", "message", "code"), [
    # each message worded like another kind of refusal: the type decides, not the text
    (ProfilesConflict, "no critic with id 7", EXIT_REFUSED),
    (CriticNotFound, "different profile pages on one site: two people", EXIT_NOT_FOUND),
    (SameCriticTwice, "no critic with id 7", EXIT_USAGE),
])
def test_merge_exit_code_follows_the_refusal_type_not_its_wording(
        db_engine, capsys, monkeypatch, refusal, message, code):
    import aggregator.db.critic_merge as critic_merge

    def refuse(*args, **kwargs):
        raise refusal(message)

    monkeypatch.setattr(critic_merge, "merge_critics", refuse)
    assert main(["critic", "merge", "1", "2", "--db", url_of(db_engine)]) == code
    assert capsys.readouterr().err == f"aggregator critic merge: {message}\n"


def test_critic_show_lists_outlets_profiles_aliases_and_reviews(db_engine, capsys):
    save(db_engine, item(1, profiles={"Wren Halloway": ["https://lantern.example/author/wren"]}),
         item(2, critics=["WREN HALLOWAY"]), item(3, GAZETTE))
    url = url_of(db_engine)
    assert main(["critic", "show", "wren halloway", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "2 critics are named 'wren halloway'" in out
    assert "outlets  daily-lantern\n  reviews  2\n  profile  lantern.example/authors/wren" in out
    assert "alias    WREN HALLOWAY (daily-lantern)" in out
    assert "outlets  reel-gazette\n  reviews  1" in out
    first = critic_ids(db_engine)[0]
    assert main(["critic", "show", str(first), "--db", url]) == 0
    assert capsys.readouterr().out.startswith(f"critic {first}: Wren Halloway\n")
    assert main(["critic", "show", "Nobody Here", "--db", url]) == 2
    assert "aggregator critic show: no critic 'Nobody Here' in the database" in capsys.readouterr().err


# --- the store merges when the evidence arrives ------------------------------------------------


def test_store_merges_a_profile_less_namesake_once_its_outlet_gives_a_profile(db_engine):
    save(db_engine, item(1), item(2, GAZETTE))  # no evidence yet: two critics
    lantern, gazette = critic_ids(db_engine)
    save(db_engine, item(3, profiles={"Wren Halloway": ["https://lantern.example/author/wren"]}))
    assert critic_ids(db_engine) == [lantern, gazette]  # a profile on one side is no evidence
    # The Gazette now gives a profile too: the same name with a profile on both outlets. The
    # new review joins the Lantern's critic by that rule, and the Gazette's earlier row (the
    # same byline on the same outlet) is merged into it.
    save(db_engine, item(4, GAZETTE, profiles={"Wren Halloway": ["https://gazette.example/c/wren"]}))
    assert critic_ids(db_engine) == [lantern]
    assert {u: authors_of(db_engine, u) for u in (item(2, GAZETTE).url, item(4, GAZETTE).url)} \
        == {item(2, GAZETTE).url: [lantern], item(4, GAZETTE).url: [lantern]}
    with Session(db_engine) as session:
        assert merge_stored_critics(session, dry_run=True) == []


def test_store_keeps_namesakes_apart_without_evidence(db_engine):
    save(db_engine, item(1, profiles={"Wren Halloway": ["https://lantern.example/author/wren"]}),
         item(2, GAZETTE))
    save(db_engine, item(3, GAZETTE), item(4, THIRD, publication="third-eye"))
    assert len(critic_ids(db_engine)) == 3


def test_a_dry_run_does_not_migrate_an_old_database(empty_db_url, capsys):
    from aggregator.db.session import current_revisions, make_engine, upgrade

    engine = make_engine(empty_db_url)
    upgrade(engine, "0006")
    assert main(["critic", "merge", "--dry-run", "--db", empty_db_url]) == 2
    assert "aggregator db upgrade" in capsys.readouterr().err
    assert current_revisions(engine) == frozenset({"0006"})
    engine.dispose()


def test_singular_and_plural_people_folders_are_one_profile_page(db_engine):
    # Rotten Tomatoes' 2021 layout links /critic/<slug>, its 2024 layout /critics/<slug>.
    save(db_engine, item(1, profiles={"Wren Halloway": ["https://lantern.example/author/wren"]}))
    save(db_engine, item(2, profiles={"Wren Halloway": ["https://lantern.example/authors/wren"]}))
    assert len(critic_ids(db_engine)) == 1
    with Session(db_engine) as session:
        assert session.scalars(select(CriticProfile.profile_key)).all() == ["lantern.example/authors/wren"]
