"""`aggregator rating TEXT [--scale S] [--json]`: how a rating string is read, and why not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from aggregator.cli.main import main
from aggregator.ratings import REASON_TEXT, REASONS


def reading(capsys, *args: str) -> tuple[int, dict[str, str]]:
    code = main(["rating", *args])
    lines = capsys.readouterr().out.splitlines()
    fields = dict(line.split(None, 1) for line in lines[1:])
    return code, fields


def test_a_rating_on_a_given_scale(capsys):
    code, fields = reading(capsys, "3 1/2 stars", "--scale", "stars/4")
    assert code == 0
    assert fields == {
        "value": "3.5", "best": "4", "worst": "0", "scale": "stars/4",
        "score": "87.5", "verdict": "positive", "fresh": "yes",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "scale", "score", "verdict", "fresh"),
    [
        ("★★★½", "stars/5", "70", "positive", "yes"),
        ("★★☆☆", None, "50", "mixed", "no"),
        ("B+/A-", None, "87", "positive", "yes"),
        ("low +2 out of -4..+4", None, "75", "positive", "yes"),
        ("9.1421/10", None, "91.421", "positive", "yes"),
        ("2.5/4", None, "62.5", "positive", "yes"),
        ("1", "binary", "-", "positive", "yes"),  # a fresh flag carries no score
    ],
)
def test_readings(capsys, text, scale, score, verdict, fresh):
    code, fields = reading(capsys, text, *(["--scale", scale] if scale else []))
    assert code == 0
    assert (fields["score"], fields["verdict"], fields["fresh"]) == (
        score,
        verdict,
        fresh,
    )


@pytest.mark.parametrize(
    ("text", "scale", "reason"),
    [
        ("3 1/2 stars", None, "unknown_scale"),
        ("3", None, "unknown_scale"),
        ("3/7", None, "unknown_scale"),
        ("11/10", None, "out_of_range"),
        ("6 out of 5", None, "out_of_range"),
        ("-1 stars", "stars/5", "out_of_range"),
        ("5", "stars/4", "out_of_range"),
        ("a gorgeous mess", None, "not_a_rating"),
        ("   ", None, "empty"),
        ("", None, "empty"),
    ],
)
def test_a_rejected_rating_exits_1_with_its_reason(capsys, text, scale, reason):
    assert main(["rating", text, *(["--scale", scale] if scale else [])]) == 1
    out = capsys.readouterr().out
    assert f"rejected ({reason}): {REASON_TEXT[reason]}" in out


def test_json_output(capsys):
    assert main(["rating", "B+", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer == {
        "input": "B+", "scale_given": None, "reason": "ok", "explanation": REASON_TEXT["ok"],
        "rating": {"raw": "B+", "value": 83.0, "best": 100.0, "worst": 0.0, "scale": "letter",
                   "score": 83.0, "verdict": "positive", "fresh": True},
    }  # fmt: skip
    assert main(["rating", "3", "--json"]) == 1
    answer = json.loads(capsys.readouterr().out)
    assert (answer["reason"], answer["rating"]) == ("unknown_scale", None)
    assert main(["rating", "3", "--json", "--scale", "stars/4"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert (answer["scale_given"], answer["rating"]["score"]) == ("stars/4", 75.0)


def test_an_unknown_scale_option_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["rating", "3", "--scale", "stars/7"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_every_reason_is_explained():
    assert set(REASON_TEXT) == set(REASONS)


def test_the_installed_command():
    command = Path(sys.executable).parent / "aggregator"
    result = subprocess.run(
        [str(command), "rating", "3 out of 4"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and "score    75" in result.stdout
    result = subprocess.run(
        [str(command), "rating", "3 stars", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (
        result.returncode == 1
        and json.loads(result.stdout)["reason"] == "unknown_scale"
    )
