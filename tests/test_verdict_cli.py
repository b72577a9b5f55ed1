"""`aggregator verdict set/clear/review` (aggregator/cli/verdicts.py, aggregator/db/verdict_store.py)
on SQLite and PostgreSQL: a manual verdict survives re-crawls and `aggregator renormalise`.
Outlets, critics and films here are fictional."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from aggregator.cli.main import main
from aggregator.db.models import Review, ReviewRevision
from aggregator.db.session import session_factory
from aggregator.db.upsert import UpsertCounts, save_reviews
from aggregator.items import ReviewItem
from aggregator.normalise import clean_fields, date_review, identify_film, normalise_critics, rate_review
from aggregator.verdicts.text.model import fallback_model
from tests.factories import outlet

HERON = outlet("heron-quarterly", "The Heron Quarterly", ("heronquarterly.example",), scale="letter")
WREN = outlet("wren-weekly", "Wren Weekly", ("wrenweekly.example",))
PUBLICATIONS = {entry.key: entry for entry in (HERON, WREN)}

PRAISE = ("A warm, witty and beautifully acted comedy. The jokes are clever, the photography is "
          "gorgeous and the finale is thrilling: a wonderful film.")  # fmt: skip
PAN = "A tedious, overlong thriller. The plot is predictable and the twist is silly: a dull slog."
SHRUG = "The film is about a ferry. It runs for ninety minutes and opens on Friday."


def crawled(n: int, entry=HERON, **raw) -> ReviewItem:
    """An item as the pipelines leave it, the verdict read with the lexicon fallback."""
    values = {"url": f"https://{entry.domains[0]}/reviews/{n}/", "spider": "test",
              "publication_raw": entry.name, "critic_raw": ["By Odile Marchetti-Sowande"],
              "film_raw": f"Paper Kites {n}", "film_year_raw": "2026", "published_raw": "10 April 2026",
              "headline": f"Paper Kites {n} review", "text": PRAISE, "language": "en", **raw}  # fmt: skip
    item = ReviewItem(publication=entry.key, **values)
    clean_fields(item)
    normalise_critics(item, (entry.name, *entry.domains))
    identify_film(item)
    rate_review(item, entry, model=fallback_model())
    date_review(item)
    return item


def store(engine, *items: ReviewItem) -> UpsertCounts:
    with session_factory(engine).begin() as session:
        return save_reviews(session, list(items), PUBLICATIONS)


def stored(engine, url: str) -> dict:
    with session_factory(engine)() as session:
        review = session.scalars(select(Review).where(Review.url == url)).one()
        return {name: getattr(review, name) for name in
                ("verdict", "fresh", "verdict_source", "confidence", "text", "content_hash", "score")}


def cli(capsys, engine, *args: str) -> tuple[int, str, str]:
    code = main([*args, "--db", engine.url.render_as_string(hide_password=False)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


MANUAL_NEGATIVE = {"verdict": "negative", "fresh": False, "verdict_source": "manual", "confidence": 1.0}


def test_a_manual_verdict_survives_recrawls_and_renormalise(db_engine, capsys):
    item = crawled(1)
    assert (item.verdict, item.verdict_source) == ("positive", "inferred")
    store(db_engine, item)
    before = stored(db_engine, item.url)

    code, out, _ = cli(capsys, db_engine, "verdict", "set", item.url, "negative")
    assert code == 0 and "negative (manual; was positive (inferred))" in out
    after = stored(db_engine, item.url)
    assert {k: after[k] for k in MANUAL_NEGATIVE} == MANUAL_NEGATIVE
    assert after["content_hash"] == before["content_hash"]  # the crawl's hash: unchanged page stays unchanged
    with session_factory(db_engine)() as session:
        revision = session.execute(select(ReviewRevision.verdict)).scalars().all()
    assert revision == ["positive"]  # the replaced verdict is kept

    # the same page again: unchanged, verdict kept
    assert store(db_engine, crawled(1)) == UpsertCounts(unchanged=1)
    assert {k: stored(db_engine, item.url)[k] for k in MANUAL_NEGATIVE} == MANUAL_NEGATIVE
    # the page changed: its text is rewritten, the verdict still kept
    assert store(db_engine, crawled(1, text=PRAISE + " I recommend it.")) == UpsertCounts(updated=1)
    row = stored(db_engine, item.url)
    assert row["text"].endswith("I recommend it.")
    assert {k: row[k] for k in MANUAL_NEGATIVE} == MANUAL_NEGATIVE

    code, out, _ = cli(capsys, db_engine, "renormalise")
    assert code == 0 and "(1 manual verdicts kept)" in out
    assert {k: stored(db_engine, item.url)[k] for k in MANUAL_NEGATIVE} == MANUAL_NEGATIVE

    # cleared: decided again from what the review states (here, inferred from its text)
    code, out, _ = cli(capsys, db_engine, "verdict", "clear", item.url)
    assert code == 0 and "manual verdict cleared; decided again: positive (inferred" in out
    row = stored(db_engine, item.url)
    assert (row["verdict"], row["verdict_source"]) == ("positive", "inferred")
    assert 0.5 <= row["confidence"] < 1.0
    # and the next crawl of the same page finds it unchanged
    assert store(db_engine, crawled(1, text=PRAISE + " I recommend it.")) == UpsertCounts(unchanged=1)
    code, out, _ = cli(capsys, db_engine, "verdict", "clear", item.url)
    assert code == 0 and "no manual verdict to clear" in out


def test_a_manual_verdict_on_a_rated_review_keeps_its_score(db_engine, capsys):
    rated = crawled(2, rating_raw="B+")
    store(db_engine, rated)
    assert cli(capsys, db_engine, "verdict", "set", rated.url, "mixed")[0] == 0
    assert cli(capsys, db_engine, "renormalise")[0] == 0
    row = stored(db_engine, rated.url)
    assert (row["score"], row["verdict"], row["fresh"], row["verdict_source"]) == (83.0, "mixed", False, "manual")
    code, out, _ = cli(capsys, db_engine, "verdict", "clear", rated.url)
    assert code == 0 and "positive (rating, confidence 1.00)" in out


def test_a_pasted_url_with_tracking_parameters_finds_its_review(db_engine, capsys):
    item = crawled(3)
    store(db_engine, item)
    code, out, _ = cli(capsys, db_engine, "verdict", "set", item.url + "?utm_source=feed", "positive")
    assert code == 0 and out.startswith(item.url + ":")
    assert stored(db_engine, item.url)["verdict_source"] == "manual"


@pytest.mark.parametrize("command", [["set", "positive"], ["clear"]])
def test_an_unknown_url_is_a_clear_error(db_engine, capsys, command):
    store(db_engine, crawled(4))
    args = ["verdict", command[0], "https://heronquarterly.example/reviews/404/", *command[1:]]
    code, out, err = cli(capsys, db_engine, *args)
    assert code == 2 and out == ""
    assert "no review with url 'https://heronquarterly.example/reviews/404/'" in err
    with session_factory(db_engine)() as session:
        assert session.scalar(select(func.count()).where(Review.verdict_source == "manual")) == 0


def test_an_unknown_verdict_is_a_usage_error(db_engine, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli(capsys, db_engine, "verdict", "set", crawled(5).url, "fresh")
    assert exit_.value.code == 2
    assert "invalid choice: 'fresh'" in capsys.readouterr().err


def test_review_lists_low_confidence_verdicts_inferred_first(db_engine, capsys):
    shrug, praise, pan = crawled(6, text=SHRUG), crawled(7), crawled(8, entry=WREN, text=PAN)
    rated = crawled(9, rating_raw="C")
    store(db_engine, shrug, praise, pan, rated)
    assert shrug.verdict_source == "inferred" and shrug.confidence < 0.8 < pan.confidence < praise.confidence

    code, out, _ = cli(capsys, db_engine, "verdict", "review", "--below", "0.8")
    assert code == 0
    assert shrug.url in out and pan.url not in out and praise.url not in out and rated.url not in out
    assert "The Heron Quarterly; film Paper Kites 6 (2026); verdict" in out
    assert f"(inferred, confidence {shrug.confidence:.2f})" in out
    assert "opens on Friday." in out  # the excerpt: the text's closing words
    assert out.rstrip().endswith("settle one with `aggregator verdict set URL positive|mixed|negative`")

    code, out, _ = cli(capsys, db_engine, "verdict", "review", "--below", "1.0")
    urls = [line for line in out.splitlines() if line.startswith("https://")]
    assert urls == [shrug.url, pan.url, praise.url]  # inferred, least sure first; rated (1.0) not listed
    code, out, _ = cli(capsys, db_engine, "verdict", "review", "--below", "1.0", "--limit", "1")
    assert [line for line in out.splitlines() if line.startswith("https://")] == [shrug.url]
    code, out, _ = cli(capsys, db_engine, "verdict", "review", "--below", "1.0", "--publication", "wren-weekly")
    assert [line for line in out.splitlines() if line.startswith("https://")] == [pan.url]

    # a manual verdict is settled: never listed
    cli(capsys, db_engine, "verdict", "set", shrug.url, "mixed")
    code, out, _ = cli(capsys, db_engine, "verdict", "review", "--below", "0.8")
    assert code == 0 and out == "no verdict with a confidence below 0.8 to check\n"


def test_review_rejects_an_unknown_publication_and_bad_bounds(db_engine, capsys):
    store(db_engine, crawled(10))
    code, _, err = cli(capsys, db_engine, "verdict", "review", "--publication", "no-such-outlet")
    assert code == 2 and "no publication 'no-such-outlet'" in err
    code, _, err = cli(capsys, db_engine, "verdict", "review", "--below", "0")
    assert code == 2 and "--below must be in (0, 1]" in err
