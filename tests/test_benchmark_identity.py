"""benchmarks.identity after its split: loading and scoring in benchmarks.identity_data, the
measurements and the report in benchmarks.identity. All page fragments here are fictional."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `pytest` run without `python -m` from the checkout
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks import identity, identity_data  # noqa: E402

# What benchmarks.identity_merge and tests/test_identity_sets.py import from benchmarks.identity.
_NAMES_CALLERS_IMPORT = (
    "BenchmarkError", "evaluate_choices", "evaluate_critics", "evaluate_titles", "load_rt_rows",
    "load_set", "main", "nyt_bylines", "rt_critics", "rt_publications", "shared_real_dir",
    "snippet_bylines",
)  # fmt: skip


def test_callers_names_stay_importable_from_benchmarks_identity():
    assert [name for name in _NAMES_CALLERS_IMPORT if not hasattr(identity, name)] == []
    assert identity.BenchmarkError is identity_data.BenchmarkError
    assert identity.load_rt_rows is identity_data.load_rt_rows


def test_identity_data_does_not_import_the_report():
    # A fresh interpreter: the helper module must stand alone (no import cycle back).
    code = ("import sys, benchmarks.identity_data; "
            "assert 'benchmarks.identity' not in sys.modules; import benchmarks.identity")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO_ROOT)


def test_page_bylines_reads_each_kind_of_byline_value():
    fragment = """
    <script type="application/ld+json">{"@type": "Review", "author": {"@type": "Person",
      "name": "Wren Halloway"}}</script>
    <meta name="author" content="Ida Moss">
    <a rel="author" href="/profile/tobin-vale">Tobin Vale</a>
    """
    found = identity_data.page_bylines(fragment)
    assert ("json-ld author", ["Wren Halloway"]) in found
    assert ("meta author", ["Ida Moss"]) in found
    assert ("visible", ["Tobin Vale"]) in found


def test_score_line_and_letters():
    score = identity_data.Score(predicted=4, expected=5, correct=3)
    assert score.line("critics") == ("  critics              precision 0.750 (3/4)"
                                     "   recall 0.600 (3/5)")
    assert identity_data.Score().line("none").count("n/a") == 2
    assert identity_data.name_letters("Wren  Hallo-way") == identity_data.name_letters("wren halloway")


def test_missing_material_is_a_benchmark_error(tmp_path):
    with pytest.raises(identity_data.BenchmarkError, match="cannot read the identity test set"):
        identity_data.load_set(tmp_path)
    with pytest.raises(identity_data.BenchmarkError, match="critic_reviews.csv not found"):
        identity_data.load_rt_rows(tmp_path)
