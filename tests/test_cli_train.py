"""`aggregator train-verdicts`: from a labelled CSV and from the database's own reviews."""

from __future__ import annotations

import csv

import pytest

from aggregator.cli.main import main
from aggregator.db.session import session_factory
from aggregator.db.upsert import save_reviews
from aggregator.db.verdict_models import load_verdict_model, stored_versions
from aggregator.items import ReviewItem
from aggregator.verdicts.text.model import MIN_TRAINING, fallback_model
from tests.factories import outlet
from tests.verdict_examples import HELD_OUT, labelled_sentences

OUTLET = outlet("owl-review", "The Owl Review", ("owl.example",), scale="stars/5")


def write_csv(path, count: int, labels=("POSITIVE", "NEGATIVE")) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["film", "blurb", "call"])
        for number, (text, label) in enumerate(labelled_sentences(count, labels=labels)):
            writer.writerow([f"film {number % 20}", text, label])


def test_training_from_a_csv(db_engine, tmp_path, capsys):
    url = db_engine.url.render_as_string(hide_password=False)
    write_csv(tmp_path / "labelled.csv", 260)
    arguments = ["train-verdicts", "--db", url, "--csv", str(tmp_path / "labelled.csv"),
                 "--text", "blurb", "--label", "call", "--group", "film"]  # fmt: skip
    assert main(arguments) == 0
    out = capsys.readouterr().out
    assert "labelled examples from" in out and "examples used: 260 (skipped: none)" in out
    assert "held out (" in out and "accuracy" in out and "macro-F1" in out
    assert "stored tfidf-linear@1 in the database" in out
    model = load_verdict_model(db_engine)
    assert (model.version, model.trained_on, model.is_fallback) == (1, 260, False)
    assert model.metrics["examples"] == 260 and 0.9 <= model.metrics["accuracy"] <= 1.0
    assert [model.infer(text).fresh for text, _ in HELD_OUT] == [fresh for _, fresh in HELD_OUT]

    assert main(arguments + ["--dir", str(tmp_path / "models")]) == 0
    assert "stored tfidf-linear@2 in the database and" in capsys.readouterr().out
    assert [version for _, version, _, _ in stored_versions(db_engine)] == [1, 2]
    assert (tmp_path / "models" / "tfidf-linear-v2.json.gz").is_file()


def test_too_few_labelled_rows_are_refused(tmp_path, capsys):
    write_csv(tmp_path / "few.csv", MIN_TRAINING - 10)
    database = tmp_path / "db.sqlite"
    code = main(["train-verdicts", "--db", str(database), "--csv", str(tmp_path / "few.csv"),
                 "--text", "blurb", "--label", "call"])  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert f"not trained: {MIN_TRAINING - 10} usable labelled reviews, {MIN_TRAINING} needed" in err
    assert "lexicon fallback stays in use" in err
    from aggregator.db.session import make_engine

    assert load_verdict_model(make_engine(f"sqlite:///{database}")) is fallback_model()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--text", "quote", "--label", "call"], "no column 'quote'"),
        (["--text", "blurb"], "--csv needs --text COLUMN and --label COLUMN"),
    ],
)
def test_bad_csv_arguments_are_usage_errors(tmp_path, capsys, extra, message):
    write_csv(tmp_path / "labelled.csv", 20)
    code = main(["train-verdicts", "--db", str(tmp_path / "db.sqlite"), "--csv", str(tmp_path / "labelled.csv"), *extra])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "db.sqlite").exists()  # refused before any database is created


CRITICS = ("Wren Halloway", "Corvin Ashdown")


def _review(number: int, text: str | None, fresh: bool | None, source: str, verdict: str | None = None) -> ReviewItem:
    verdict = verdict or ("positive" if fresh else "negative")
    return ReviewItem(
        url=f"https://owl.example/r/{number}", publication="owl-review", critics=[CRITICS[number % 2]],
        film_title=f"Film {number % 25}", film_key=f"film {number % 25}", text=text,
        verdict=verdict, fresh=fresh, verdict_source=source, confidence=1.0 if source != "inferred" else 0.55,
    )  # fmt: skip


def test_training_from_the_database(db_engine, capsys):
    url = db_engine.url.render_as_string(hide_password=False)
    pairs = labelled_sentences(240)
    items = [_review(n, text, label == "Fresh", "label") for n, (text, label) in enumerate(pairs)]
    items += [
        _review(500, "A warm delight.", None, "manual", verdict="positive"),  # no fresh call: its verdict
        _review(501, None, True, "rating"),  # no text: nothing to learn
        _review(502, "   ", False, "rating"),
        # a model's own guesses are never training data
        *(_review(600 + n, "An inferred guess.", True, "inferred") for n in range(30)),
    ]  # fmt: skip
    with session_factory(db_engine).begin() as session:
        save_reviews(session, items, {"owl-review": OUTLET})

    assert main(["train-verdicts", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "labelled examples from the database's reviews with a rating, label or manual verdict: 241" in out
    assert "examples used: 241" in out and "stored tfidf-linear@1" in out
    model = load_verdict_model(db_engine)
    assert model.trained_on == 241
    assert model.infer(HELD_OUT[0][0]).fresh and not model.infer(HELD_OUT[3][0]).fresh
    # it learnt the outlet's and each critic's fresh rate from the same reviews, under the keys
    # the crawl passes to decide (Publication.key, critic_key of the byline)
    # … and how much each film's consensus (its other reviews' given calls) weighs
    assert model.uses_priors and [rates.kind for rates in model.priors] == ["publication", "critic", "film"]
    outlet_rates, critic_rates, film_consensus = model.priors
    assert model.uses_consensus and film_consensus.counts == {}  # tallies come from the database
    fresh_by_critic = {key: [0, 0] for key in ("wren halloway", "corvin ashdown")}
    for number, (_, label) in enumerate(pairs):
        tally = fresh_by_critic["wren halloway" if number % 2 == 0 else "corvin ashdown"]
        tally[0] += label == "Fresh"
        tally[1] += 1
    fresh_by_critic["wren halloway"][0] += 1  # review 500: a manual positive verdict
    fresh_by_critic["wren halloway"][1] += 1
    assert critic_rates.counts == fresh_by_critic
    assert outlet_rates.counts == {"owl-review": [sum(t[0] for t in fresh_by_critic.values()), 241]}


def test_an_empty_database_is_refused(db_engine, capsys):
    url = db_engine.url.render_as_string(hide_password=False)
    assert main(["train-verdicts", "--db", url]) == 1
    assert "0 usable labelled reviews, 200 needed" in capsys.readouterr().err
    assert load_verdict_model(db_engine) is fallback_model()


def test_a_csv_with_outlet_and_critic_columns_teaches_their_fresh_rates(db_engine, tmp_path, capsys):
    from aggregator.db.models import critic_key
    from aggregator.identity.publications import Registry

    path = tmp_path / "labelled.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["film", "blurb", "call", "outlet", "critic"])
        for number, (text, label) in enumerate(labelled_sentences(260)):
            writer.writerow([f"film {number % 20}", text, label,
                             "Owl Review" if number % 2 else "Heron Weekly", "MIRA OKAFOR-LUND"])
    from aggregator.verdicts.text.training import labelled_from_csv

    data = labelled_from_csv(path, "blurb", "call", "film", "outlet", "critic",
                             registry=Registry([OUTLET]))
    # the keys a crawl gives: the registry's key, a provisional key for an unknown outlet, and
    # the critic's matching key of the canonical name
    assert set(data.publications) == {"owl-review", Registry([OUTLET]).provisional("Heron Weekly", None).key}
    assert set(data.critics) == {critic_key("Mira Okafor-Lund")}
    url = db_engine.url.render_as_string(hide_password=False)
    assert main(["train-verdicts", "--db", url, "--csv", str(path), "--text", "blurb", "--label", "call",
                 "--group", "film", "--publication", "outlet", "--critic", "critic"]) == 0
    model = load_verdict_model(db_engine)
    assert model.uses_priors and model.uses_consensus  # --group names the film: its consensus too
    outlet_rates, critic_rates, _ = model.priors
    assert set(critic_rates.counts) == {critic_key("Mira Okafor-Lund")}
    assert sum(count[1] for count in critic_rates.counts.values()) == 260
    assert main(["train-verdicts", "--db", url, "--critic", "critic"]) == 2
    assert "go with --csv" in capsys.readouterr().err
