"""Text-model reads made many at a time: one `infer_many` for a batch of reviews.

A review's verdict needs at most one read of its text by the verdict model
(aggregator.verdicts.decide: step 6, the inferred verdict, with the outlet, critic and film
consensus a trained model reads; or rule (c), the text's evidence at a borderline score, the
text alone), and which read it needs is known before the model answers. So the decision can
stop at that read (`decide_later`), the reads of many reviews be made in one call
(`read_texts`), and each decision be finished with its answer: the same verdicts, sources and
confidences as reading one review at a time (`read_text`), at the speed of the batched call
(~16x in the crawl's batches of 64, ~21x in renormalise's chunks of 200: a linear model's
cost is mostly per call; `python -m benchmarks.inference`).

`ReadBatch` collects the reads of several reviews and makes them when asked: the crawl's
verdict pipeline, `aggregator renormalise` and the importers hand one to
aggregator.normalise.rate_review in place of the model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class TextRead:
    """One read of a review's text by the verdict model, as decide would make it."""

    text: str | None
    publication: str | None = None
    critic: str | None = None
    film: tuple[int, int] | None = None
    """The film's consensus tally (fresh, reviews), or None: unknown."""
    with_context: bool = False
    """Read with the outlet, critic and consensus (a model that `uses_priors`), else the text
    alone: `infer(text)`, which reads them as unknown."""


def read_text(model: Any, read: TextRead):
    """The model's Inference (or None) for one read: the call decide has always made."""
    if read.with_context:
        return model.infer(read.text, publication=read.publication, critic=read.critic, film=read.film)
    return model.infer(read.text)


def read_texts(model: Any, reads: Sequence[TextRead]) -> list:
    """The Inferences of many reads, in their order, from one `infer_many` call (per-read
    `infer` for a model without one). A text-only read among reads with context is given no
    outlet, critic or consensus, which is what `infer(text)` reads (unknown)."""
    if not reads:
        return []
    many = getattr(model, "infer_many", None)
    if many is None:
        return [read_text(model, read) for read in reads]
    texts = [read.text for read in reads]
    if not any(read.with_context for read in reads):
        results = many(texts)
    else:
        results = many(texts, [read.publication for read in reads], [read.critic for read in reads],
                       [read.film for read in reads])  # fmt: skip
    results = list(results)
    if len(results) != len(reads):
        raise ValueError(f"{type(model).__name__}.infer_many gave {len(results)} answers for {len(reads)} texts")
    return results


def reads_in_batches(model: Any) -> bool:
    """Whether batching this model's reads gains anything (`model.reads_in_batches`, set by
    the trained linear model; the lexicon fallback reads one text at a time either way), so a
    crawl holds items back for it."""
    return bool(getattr(model, "reads_in_batches", False))


class ReadBatch:
    """Reads waiting to be made together with one model, each with what to do with its answer.

    `defer(read, then)` queues a read; `run()` makes every queued read in one `read_texts` call
    and hands each answer to its `then`, in the order they were queued. A batch can be run
    again as more reads come."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self._reads: list[TextRead] = []
        self._then: list[Callable[[Any], None]] = []

    def __len__(self) -> int:
        return len(self._reads)

    def defer(self, read: TextRead, then: Callable[[Any], None]) -> None:
        self._reads.append(read)
        self._then.append(then)

    def run(self) -> int:
        """Make the queued reads; returns how many. If the model raises, the queued reads are
        dropped (their reviews keep no verdict) and the error is raised."""
        reads, then = self._reads, self._then
        self._reads, self._then = [], []
        for answer, finish in zip(read_texts(self.model, reads), then):
            finish(answer)
        return len(reads)

    def run_isolating(self) -> dict[int, Exception]:
        """`run`, but a failing batch call is made again one read at a time, so that a text the
        model cannot read costs only its own review: {position in the queue: its error} of the
        reads that failed alone (their `then` is not called)."""
        reads, then = list(self._reads), list(self._then)
        try:
            self.run()
            return {}
        except Exception:
            pass
        failed: dict[int, Exception] = {}
        for position, (read, finish) in enumerate(zip(reads, then)):
            try:
                finish(read_text(self.model, read))
            except Exception as error:  # the model's read or the decision it finishes
                failed[position] = error
        return failed
