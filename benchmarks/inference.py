"""Model time of inferred verdicts: one review at a time against the batched paths.

    python -m benchmarks.inference [--csv PATH] [--reviews N] [--rounds R] [--train N]

On the real Rotten Tomatoes pull quotes (../shared/fixtures/real/scores/rt-critic-reviews/
critic_reviews.csv; it says so and stops when absent): the shipped trained model, trained on
the quotes of some films with their outlets, critics and film consensus (as a crawl's database
model is), reads the quotes of the other films as unscored reviews (publication, critic and
the film's consensus given). Three paths, each through aggregator.normalise.rate_review:

- **one at a time**: the model given to rate_review (one `infer` per review: the path before
  batching, and still the path of a model without batches);
- **crawl**: the verdict pipeline (pipelines/decide_verdict.py) with AGGREGATOR_INFER_BATCH
  items waiting for one read (released when the batch is full, the rest at close);
- **renormalise**: rate_review over a ReadBatch per chunk of renormalise's BATCH_SIZE, read
  after the chunk, as `aggregator renormalise` does.

Only the time inside the model's calls is counted (reviews/s of model time); the rounds are
paired (the three paths in turn, the order rotating) and the figures are median [min-max].
Every path must give the same verdict, fresh call, source and confidence for every review
(checked each round; a difference stops the benchmark).
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from aggregator.items import ReviewItem
from aggregator.normalise import rate_review
from aggregator.renormalise import BATCH_SIZE
from aggregator.verdicts.text.batch import ReadBatch
from aggregator.verdicts.text.training import train_verdict_model
from benchmarks.ratings import BenchmarkError, default_csv_path
from benchmarks.verdicts import Quote, load_quotes

GOAL = 10_000
"""Reviews/s of model time the batched paths must reach (issue 16)."""


class TimedModel:
    """A model whose calls are timed: seconds inside `infer`/`infer_many` and texts read."""

    def __init__(self, model) -> None:
        self.inner, self.seconds, self.texts, self.calls = model, 0.0, 0, 0

    def __getattr__(self, name):  # uses_priors, is_fallback, prior_fresh, reads_in_batches, ...
        return getattr(self.inner, name)

    def infer(self, text, publication=None, critic=None, film=None):
        started = time.perf_counter()
        try:
            return self.inner.infer(text, publication=publication, critic=critic, film=film)
        finally:
            self.seconds += time.perf_counter() - started
            self.texts += 1
            self.calls += 1

    def infer_many(self, texts, publications=None, critics=None, films=None):
        texts = list(texts)
        started = time.perf_counter()
        try:
            return self.inner.infer_many(texts, publications, critics, films)
        finally:
            self.seconds += time.perf_counter() - started
            self.texts += len(texts)
            self.calls += 1


@dataclass(frozen=True)
class Outlet:
    """What rate_review reads of an outlet: its key (the model's fresh rate) and no scale."""

    key: str
    scale: None = None


def items_of(quotes: Sequence[Quote]) -> list[tuple[ReviewItem, Outlet, tuple[int, int] | None]]:
    made = []
    for number, quote in enumerate(quotes):
        item = ReviewItem(url=f"https://bench.example/review/{number}", publication=quote.publication or "unknown",
                          critics=[quote.critic] if quote.critic else [], text=quote.text)  # fmt: skip
        made.append((item, Outlet(quote.publication or "unknown"), quote.consensus))
    return made


Outcome = list[tuple[object, object, object, object]]


def _outcome(items) -> Outcome:
    return [(i.verdict, i.fresh, i.verdict_source, i.confidence) for i, _, _ in items]


def one_at_a_time(quotes, model) -> tuple[TimedModel, Outcome]:
    timed, items = TimedModel(model), items_of(quotes)
    for item, outlet, consensus in items:
        rate_review(item, outlet, None, None, timed, consensus)
    return timed, _outcome(items)


def renormalise_path(quotes, model) -> tuple[TimedModel, Outcome]:
    timed, items = TimedModel(model), items_of(quotes)
    for start in range(0, len(items), BATCH_SIZE):
        reads = ReadBatch(timed)
        for item, outlet, consensus in items[start : start + BATCH_SIZE]:
            rate_review(item, outlet, None, None, reads, consensus)
        reads.run()
    return timed, _outcome(items)


def crawl_path(quotes, model) -> tuple[TimedModel, Outcome]:
    from aggregator.pipelines.decide_verdict import DecideVerdictPipeline
    from aggregator.spiders.base.structured_data import StructuredDataSpider
    from scrapy.utils.test import get_crawler

    crawler = get_crawler(StructuredDataSpider, {"ITEM_PIPELINES": {}})  # no store: no database
    crawler.spider = StructuredDataSpider.from_crawler(crawler, url="https://bench.example/")
    pipeline = DecideVerdictPipeline.from_crawler(crawler)
    pipeline.open_spider()
    timed = pipeline.model = TimedModel(model)
    pipeline.publications.lookup = lambda key: Outlet(key)  # the quotes' outlets, unscaled
    items = items_of(quotes)
    waiting = []
    for item, _, consensus in items:
        pipeline.consensus.lookup = lambda *_, consensus=consensus: consensus
        result = pipeline.process_item(item)
        if inspect.isawaitable(result):
            waiting.append(result)
    pipeline.close_spider()
    asyncio.run(_gather(waiting))
    return timed, _outcome(items)


async def _gather(awaitables):
    for awaitable in awaitables:
        await awaitable


PATHS: dict[str, Callable] = {"one at a time": one_at_a_time, "crawl (pipeline, batches)": crawl_path,
                              "renormalise (per chunk)": renormalise_path}  # fmt: skip


def trained_model(quotes: Sequence[Quote]):
    return train_verdict_model([q.text for q in quotes], [q.fresh for q in quotes],
                               publications=[q.publication for q in quotes], critics=[q.critic for q in quotes],
                               films=[q.consensus for q in quotes])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.inference", description=__doc__.split("\n")[0])
    parser.add_argument("--csv", type=Path, default=None, help="critic_reviews.csv (default: the shared fixture)")
    parser.add_argument("--reviews", type=int, default=3000, help="unscored reviews read per path and round")
    parser.add_argument("--rounds", type=int, default=5, help="paired rounds (default 5)")
    parser.add_argument("--train", type=int, default=3000, help="quotes the model is trained on (default 3000)")
    arguments = parser.parse_args(argv)
    try:
        quotes, _ = load_quotes(arguments.csv or default_csv_path())
    except BenchmarkError as error:
        print(f"skipped: {error}", file=sys.stderr)
        return 2
    films = sorted({quote.film for quote in quotes})
    random.Random(0).shuffle(films)
    training_films = set(films[: len(films) // 2])
    train = [q for q in quotes if q.film in training_films][: arguments.train]
    read = [q for q in quotes if q.film not in training_films][: arguments.reviews]
    model = trained_model(train)
    print(f"Model time of inferred verdicts: {model.label} trained on {len(train):,} quotes with outlet, critic "
          f"and film consensus; {len(read):,} quotes of other films read per path, {arguments.rounds} paired rounds")  # fmt: skip
    speeds: dict[str, list[float]] = {name: [] for name in PATHS}
    calls: dict[str, int] = {}
    names = list(PATHS)
    for round_number in range(arguments.rounds):
        outcomes = {}
        order = names[round_number % len(names):] + names[: round_number % len(names)]
        for name in order:
            timed, outcomes[name] = PATHS[name](read, model)
            speeds[name].append(timed.texts / max(timed.seconds, 1e-9))
            calls[name] = timed.calls
        first = outcomes[names[0]]
        for name in names[1:]:
            if outcomes[name] != first:
                wrong = sum(a != b for a, b in zip(first, outcomes[name]))
                print(f"error: {name} differs from one at a time on {wrong} reviews", file=sys.stderr)
                return 1
    print(f"   {'path':<28}{'reviews/s of model time, median [min-max]':<44}model calls per round")
    for name in names:
        values = speeds[name]
        print(f"   {name:<28}{statistics.median(values):>9,.0f} [{min(values):,.0f}-{max(values):,.0f}]"
              f"{'':<22}{calls[name]:,}")  # fmt: skip
    print(f"   every path gave the same verdict, fresh call, source and confidence for all {len(read):,} reviews; "
          f"goal for the batched paths: >= {GOAL:,} reviews/s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
