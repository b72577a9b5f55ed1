"""benchmarks.verdicts: the evaluation command runs on a small subsample of the real quotes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `pytest` run without `python -m` from the checkout
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.verdicts import (  # noqa: E402
    MODELS,
    WITH_CONSENSUS,
    WITH_PRIORS,
    Quote,
    evaluate,
    film_folds,
    load_quotes,
    main,
    subsample,
)


@pytest.fixture(scope="module")
def real_quotes(shared_dir):
    return load_quotes(shared_dir / "scores" / "rt-critic-reviews" / "critic_reviews.csv")


@pytest.mark.shared
def test_the_quotes_and_their_calls_are_read(real_quotes):
    quotes, left_out = real_quotes
    assert len({quote.film for quote in quotes}) == 46
    assert len(quotes) + sum(left_out.values()) == 7409
    assert left_out["no_quote"] == 51
    assert all(quote.text.strip() for quote in quotes)
    assert not any("&#39;" in quote.text or "&quot;" in quote.text for quote in quotes)  # entities decoded


@pytest.mark.shared
def test_the_quotes_carry_their_outlet_and_critic(real_quotes):
    quotes, _ = real_quotes
    assert all(quote.publication for quote in quotes)
    assert sum(not quote.critic for quote in quotes) < 50  # a few quotes name no critic
    assert len({quote.critic for quote in quotes}) > 1000


def test_only_the_rates_rows_are_given_the_keys_and_only_the_last_the_consensus():
    # each trainer records whether it was handed the training quotes' outlet/critic keys
    seen = {}

    def recorder(name):
        def train(texts, labels, seed, keys=None):
            seen[name] = keys
            return None
        return train

    quotes = [Quote(f"film{n % 4}", "text", n % 3 > 0, f"outlet {n % 5}", f"critic {n % 7}", (n % 3, 9))
              for n in range(40)]  # fmt: skip
    names = ("text only", WITH_PRIORS, WITH_CONSENSUS)
    evaluate(quotes, {name: recorder(name) for name in names}, folds=2)
    assert seen["text only"] is None
    assert set(seen[WITH_PRIORS]) == {"publication", "critic"}
    assert len(seen[WITH_PRIORS]["critic"]) == 20 and seen[WITH_PRIORS]["critic"][0].startswith("critic ")
    assert set(seen[WITH_CONSENSUS]) == {"publication", "critic", "film"}
    assert all(tally[1] == 9 for tally in seen[WITH_CONSENSUS]["film"])


def test_the_film_consensus_counts_the_films_other_scores_never_a_label(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text(
        "movieId,quote,scoreSentiment,originalScore,publicationName,criticName\n"
        "kites,Warm and witty.,POSITIVE,3/4,The Heron Quarterly,Ada Quill\n"
        "kites,A slog.,NEGATIVE,1/4,The Gull Review,Bo Pike\n"
        "kites,Fine.,NEGATIVE,,The Gull Review,Cy Reed\n"  # no score: counts in no tally
        "salt,Grand.,POSITIVE,A-,The Heron Quarterly,Ada Quill\n",
        encoding="utf-8",
    )
    quotes, _ = load_quotes(path)
    assert [quote.consensus for quote in quotes] == [(0, 1), (1, 1), (1, 2), (0, 0)]


@pytest.mark.shared
def test_most_real_quotes_read_a_consensus(real_quotes):
    quotes, _ = real_quotes
    assert all(quote.consensus is not None for quote in quotes)
    assert sum(quote.consensus[1] >= 20 for quote in quotes) > 0.9 * len(quotes)


def test_folds_hold_out_whole_films():
    quotes = [Quote(f"film{n % 7}", "text", n % 2 == 0) for n in range(70)]
    folds = film_folds(quotes, 3, seed=0)
    assert set().union(*folds) == {f"film{n}" for n in range(7)}
    assert sum(len(fold) for fold in folds) == 7  # each film held out exactly once


@pytest.mark.shared
def test_the_benchmark_runs_on_a_subsample(real_quotes):
    quotes = subsample(real_quotes[0], films=12)
    results = evaluate(quotes, MODELS, folds=3)
    always, lexicon, trained, with_rates, with_consensus = (results[name] for name in MODELS)
    share_fresh = sum(q.fresh for q in quotes) / len(quotes)
    assert len(always.accuracy) == 3
    assert sum(always.accuracy) / 3 == pytest.approx(share_fresh, abs=0.05)
    assert lexicon.name.startswith("lexicon@") and trained.name.startswith("tfidf-linear@")
    assert with_rates.name.startswith("tfidf-linear@") and with_consensus.name.startswith("tfidf-linear@")
    for scores in (lexicon, trained, with_rates, with_consensus):
        assert all(0.0 <= value <= 1.0 for value in scores.accuracy + scores.macro_f1)
        assert len(scores.speed) == 3 and min(scores.speed) > 0
    # a model that reads the text must tell rotten from fresh better than always-positive does
    assert sum(trained.macro_f1) / 3 > sum(always.macro_f1) / 3 + 0.1


@pytest.mark.shared
def test_the_command_prints_the_table(shared_dir, capsys):
    csv_path = shared_dir / "scores" / "rt-critic-reviews" / "critic_reviews.csv"
    assert main(["--csv", str(csv_path), "--sample", "8", "--folds", "2"]) == 0
    out = capsys.readouterr().out
    for row in ("always positive", "lexicon fallback", "trained model (shipped)", WITH_PRIORS, WITH_CONSENSUS,
                "goals for the trained model"):
        assert row in out


def test_a_missing_csv_is_a_clear_error(tmp_path, capsys):
    assert main(["--csv", str(tmp_path / "absent.csv")]) == 2
    assert "critic reviews not found" in capsys.readouterr().err


@pytest.mark.shared
def test_ratings_rule_d_trains_its_text_model_on_the_training_films_only(shared_dir):
    from benchmarks.ratings import (
        DECIDE,
        DECIDE_MODEL,
        TextModels,
        called_quotes,
        fresh_agreement,
        labelled_reviews,
        load_rows,
    )
    from benchmarks.ratings import film_folds as rating_folds

    rows = load_rows(shared_dir / "scores" / "rt-critic-reviews" / "critic_reviews.csv")
    reviews, _ = labelled_reviews(rows)
    models = TextModels(called_quotes(rows))
    result = fresh_agreement(reviews, folds=5, seed=0, only_folds=1, text_models=models)
    held_out = rating_folds(reviews, 5, 0)[0]
    model = models.for_fold(0, 0, held_out)
    assert model is models.for_fold(0, 0, held_out)  # trained once per (seed, fold)
    training = [q for q in models.quotes if q.film not in held_out]
    assert model.trained_on == len(training) < len(models.quotes)
    assert 0.9 < result.share(DECIDE_MODEL) <= 1.0
    assert abs(result.share(DECIDE_MODEL) - result.share(DECIDE)) < 0.02  # it only moves borderline calls
