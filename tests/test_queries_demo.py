"""Every query command of issue 17 on the demo database: what `aggregator demo` crawls from the
bundled demo sites through Scrapy, queried as a user would, each `--json` valid against its
schema and each `--csv` readable. The figures themselves are tested by hand elsewhere; here, that
every command answers on a real crawl's store.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import func, select

from aggregator.cli.main import main
from aggregator.db.film_aggregates import stale_films
from aggregator.db.models import Critic, Film, Publication, Review, ReviewCritic
from aggregator.db.session import make_engine, session_factory
from aggregator.query.scorecard import load_schema

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """(database URL, a film title and year, the two most prolific critics' ids, an outlet key)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo-queries') / 'demo.sqlite'}"
    result = subprocess.run([str(BIN / "aggregator"), "demo", "--db", url], capture_output=True, text=True,
                            timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    engine = make_engine(url)
    with session_factory(engine)() as session:
        assert stale_films(session) == []  # the crawl kept the films' sums true
        title, year = session.execute(
            select(Film.title, Film.year).join(Review, Review.film_id == Film.id)
            .group_by(Film.id, Film.title, Film.year).order_by(func.count().desc(), Film.id)).first()
        critics = list(session.scalars(
            select(Critic.id).join(ReviewCritic, ReviewCritic.critic_id == Critic.id)
            .group_by(Critic.id).order_by(func.count().desc(), Critic.id).limit(2)))
        outlet = session.scalar(select(Publication.key).join(Review, Review.publication_id == Publication.id)
                                .group_by(Publication.key).order_by(func.count().desc(), Publication.key))
    engine.dispose()
    return url, title, year, critics, outlet


def run(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    assert code == 0, (args, out.getvalue())
    return out.getvalue()


def test_every_query_command_answers_on_the_demo_database(demo, tmp_path):
    url, title, year, (first, second), outlet = demo
    film = [title, *(["--year", str(year)] if year else [])]
    checks = [
        (["film", "show", *film, "--json", "--adjust-leniency"], "film-scorecard"),
        (["film", "history", *film, "--json"], "film-history"),
        (["films", "top", "--min-reviews", "1", "--json"], "films-top"),
        (["critic", "show", str(first), "--json"], "critic-profile"),
        (["critic", "compare", str(first), str(second), "--json"], "critic-compare"),
        (["critic", "similar", str(first), "--min-overlap", "1", "--json"], "critic-similar"),
        (["outlet", "show", outlet, "--json"], "outlet-profile"),
        (["outlets", "--min-reviews", "0", "--json"], "outlets"),
    ]
    for args, schema in checks:
        document = json.loads(run(*args, "--db", url))
        jsonschema.validate(document, load_schema(schema))
    assert json.loads(run("film", "show", *film, "--json", "--adjust-leniency", "--db", url))[
        "leniency_adjusted"]["method"]
    assert json.loads(run("films", "top", "--min-reviews", "1", "--json", "--db", url))["entries"]

    ratings = tmp_path / "mine.csv"
    ratings.write_text(f'title,year,score\n"{title}",{year or ""},80\n')
    document = json.loads(run("critics", "like-me", str(ratings), "--min-overlap", "1", "--json", "--db", url))
    jsonschema.validate(document, load_schema("critics-like-me"))
    assert document["films"] == 1

    for args in (["films", "top", "--min-reviews", "1"], ["critic", "similar", str(first), "--min-overlap", "1"],
                 ["outlets", "--min-reviews", "0"], ["film", "history", *film],
                 ["critics", "like-me", str(ratings), "--min-overlap", "1"]):
        rows = list(csv.DictReader(io.StringIO(run(*args, "--csv", "--db", url))))
        assert rows, args
    assert "leniency-adjusted:" in run("film", "show", *film, "--adjust-leniency", "--db", url)
    assert title in run("outlet", "adjust", *film, "--db", url)
    assert run("critic", "show", str(first), "--db", url).startswith(f"critic {first}: ")
    assert outlet in run("outlet", "show", outlet, "--db", url)
