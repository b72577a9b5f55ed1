"""The identity measurements of benchmarks.identity, asserted.

On the project's own set (tests/fixtures/identity, fictional): precision 1.0 for titles,
years, external ids, the same-title choice and critics, and recall above stated floors. On the
real material (through `shared_dir`): zero distinct Rotten Tomatoes critic pages merged, every
NYT API byline and every checkable archived-page byline to the right person.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `pytest` run without `python -m` from the checkout
    sys.path.insert(0, str(REPO_ROOT))

from aggregator.identity.publications import load_registry  # noqa: E402
from benchmarks.identity import (  # noqa: E402
    BenchmarkError,
    evaluate_choices,
    evaluate_critics,
    evaluate_titles,
    load_rt_rows,
    load_set,
    main,
    nyt_bylines,
    rt_critics,
    rt_publications,
    snippet_bylines,
)

TITLE_RECALL_FLOOR = 0.95
CRITIC_RECALL_FLOOR = 0.90
CHOICE_RECALL_FLOOR = 1.0


@pytest.fixture(scope="module")
def own_set():
    return load_set()


def test_the_set_is_big_enough_and_covers_the_hard_cases(own_set):
    titles, choices, critics = own_set["titles"], own_set["choices"], own_set["critics"]
    assert len(titles) >= 40 and len(choices) >= 15 and len(critics) >= 35
    assert sum(case["title"] is None for case in titles) >= 5  # headlines naming no film
    remade = [case["title"] for case in titles if case.get("year")]
    assert len(remade) > len(set(remade))  # one title, two years
    assert sum(bool(case.get("text")) and case.get("critics") == [] for case in critics) >= 5
    accounts = (["Staff"], ["Editorial"], ["Admin"], ["Guest"])
    assert sum(case.get("bylines") in accounts for case in critics) >= 5


def test_titles_precision_and_recall(own_set):
    scores = evaluate_titles(own_set["titles"])
    for label, score in scores.items():
        assert score.wrong == [] and score.precision == 1.0, label
    assert scores["titles"].recall >= TITLE_RECALL_FLOOR
    assert scores["title+year"].recall >= TITLE_RECALL_FLOOR
    assert scores["years"].recall == 1.0
    assert len(scores["titles"].missed) == sum(bool(c.get("miss")) for c in own_set["titles"])


def test_same_title_choice_precision_and_recall(own_set):
    score = evaluate_choices(own_set["choices"])
    assert score.wrong == [] and score.precision == 1.0
    assert score.recall >= CHOICE_RECALL_FLOOR


def test_critics_precision_and_recall(own_set):
    score = evaluate_critics(own_set["critics"])
    assert score.wrong == [] and score.precision == 1.0
    assert score.recall >= CRITIC_RECALL_FLOOR
    assert len(score.missed) == sum(bool(c.get("miss")) for c in own_set["critics"])


def test_evaluation_catches_a_wrong_answer():
    """A check that cannot fail is a defect: a wrong expectation must lower precision."""
    titles = evaluate_titles([{"headline": "The Glass Orchard review – x", "title": "Glass House",
                               "year": None}])
    assert titles["titles"].precision == 0.0 and titles["titles"].wrong
    critics = evaluate_critics([{"bylines": ["By Jane Doe"], "critics": ["John Roe"]}])
    assert critics.precision == 0.0 and critics.recall == 0.0
    choices = evaluate_choices([{"candidates": [1931, 2031], "published": "2031-01-01",
                                 "expected": 1931}])
    assert choices.precision == 0.0


def test_missing_set_is_a_clear_error(tmp_path):
    with pytest.raises(BenchmarkError, match="identity test set"):
        load_set(tmp_path)


# ------------------------------------------------------------------- real material


@pytest.fixture(scope="module")
def rt_rows(shared_dir):
    return load_rt_rows(shared_dir)


def test_rt_no_two_critic_pages_are_merged(rt_rows):
    report = rt_critics(rt_rows)
    assert report["page_urls"] == 1705
    # namesakes with their own pages: each pair judged not the same, none merged
    assert len(report["same_name_pairs"]) >= 2
    assert all(answer is False for *_, answer, _ in report["same_name_pairs"])
    assert {name for name, *_ in report["same_name_pairs"]} >= {"Brian Gibson", "Josh Terry"}
    assert report["merged_distinct_pages"] == []
    assert report["groups"] == report["records"]  # RT gives one page per critic: no merge at all


def test_rt_publication_names(rt_rows):
    report = rt_publications(rt_rows, load_registry(include_env=False))
    assert report["names"] == 1047
    assert report["entries_met"] >= 30  # most registry entries meet their RT spelling
    assert report["grouped"]["npr"] == ["NPR", "NPR.org"]
    # unknown outlets never group across a country or other qualifier
    assert not any(key.startswith("?") and any("(" in n for n in names)
                   for key, names in report["grouped"].items())
    assert ["Daily Telegraph (Australia)", "Daily Telegraph (UK)"] in report["kept_apart"].values()
    assert ["Observer", "Observer (UK)"] in report["kept_apart"].values()


def test_nyt_bylines_all_to_the_right_person(shared_dir, rt_rows):
    report = nyt_bylines(shared_dir, rt_rows)
    score = report["score"]
    assert score.expected == 40 and report["upper"] == 20
    assert score.wrong == [] and score.correct == 40
    assert report["confirmed"] >= 30


def test_snippet_bylines_all_to_the_right_person(shared_dir):
    report = snippet_bylines(shared_dir)
    score = report["score"]
    assert score.wrong == [] and score.correct == score.expected >= 60
    assert len({person for _, person in report["people"]}) >= 15
    assert report["unverified_pages_agreeing"] == report["unverified_pages"]


def test_benchmark_command_runs(shared_dir, capsys, monkeypatch):
    monkeypatch.setenv("AGGREGATOR_SHARED_DIR", str(shared_dir.parent.parent))
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "groups holding two distinct criticPageUrls: 0" in out
    assert "NYT API archives: 40/40 right" in out
    assert "WRONG" not in out


def test_benchmark_command_without_data(tmp_path, capsys):
    assert main(["--shared", str(tmp_path)]) == 2
    assert "not found" in capsys.readouterr().err
