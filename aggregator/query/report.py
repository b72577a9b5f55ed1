"""Plain-text views of query results for the command line."""

from __future__ import annotations

from sqlalchemy import func, select

from aggregator.db.models import Film, Review


def most_reviewed_film(session, title: str | None = None):
    """The film with the most reviews (or the first film with this title); None in an empty DB."""
    if title:
        from aggregator.query.scores import find_films

        films = find_films(session, title)
        return films[0] if films else None
    row = session.execute(
        select(Film, func.count(Review.id).label("n"))
        .join(Review, Review.film_id == Film.id)
        .group_by(Film.id)
        .order_by(func.count(Review.id).desc(), Film.title)
        .limit(1)
    ).first()
    return row[0] if row else None


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def format_film_summary(summary) -> str:
    """The film's aggregates, each with its denominator and how many of its inputs were inferred
    (read from the text by a model), then one row per review."""
    year = f" ({summary.year})" if summary.year else ""
    shares = summary.verdict_shares
    average = "—" if summary.average_score is None else f"{summary.average_score:.1f}/100"
    lines = [
        f"{summary.title}{year}",
        f"  reviews: {summary.review_count}   fresh: {_share(summary.fresh_share)}"
        f" ({_of(summary.fresh_known, summary.fresh_inferred)})"
        f"   average score: {average} (from {summary.scored_count} scored)",
        f"  verdicts: positive {_share(shares.get('positive'))}, mixed {_share(shares.get('mixed'))},"
        f" negative {_share(shares.get('negative'))}"
        f" ({_of(summary.verdict_known, summary.inferred_count)})",
        f"  {summary.inputs}",
        "",
    ]
    rows = [
        [
            ", ".join(r.critics) or "—",
            r.outlet or "—",
            r.published.isoformat() if r.published else "—",
            r.rating_raw or "—",
            "—" if r.score is None else f"{r.score:.0f}",
            r.verdict or "—",
            r.verdict_source or "—",
            "—" if r.confidence is None else f"{r.confidence:.2f}",
        ]
        for r in summary.reviews
    ]
    headers = ["critic", "outlet", "date", "rating", "score", "verdict", "source", "confidence"]
    lines.append(_table(headers, rows))
    return "\n".join(lines)


def _of(known: int, inferred: int) -> str:
    return f"of {known}, {inferred} inferred"


def format_runs(runs) -> str:
    rows = []
    for run in runs:
        dropped = ", ".join(f"{k} {v}" for k, v in sorted((run.dropped or {}).items())) or "—"
        rows.append(
            [
                str(run.id),
                run.spider,
                run.started_at.strftime("%Y-%m-%d %H:%M:%S") if run.started_at else "—",
                run.finished_at.strftime("%Y-%m-%d %H:%M:%S") if run.finished_at else "—",
                run.finish_reason or "—",
                run.status + (" ⚠" if run.status in ("empty", "failed", "interrupted", "killed") else ""),
                str(run.pages or 0),
                f"{run.reviews_new or 0}/{run.reviews_updated or 0}/{run.reviews_unchanged or 0}"
                f"/{run.reviews_skipped or 0}",
                dropped,
            ]
        )
    headers = ["run", "spider", "started", "finished", "reason", "status", "pages", "new/upd/same/skip", "dropped"]
    return _table(headers, rows) if rows else "no crawl runs recorded"


def _interval(figure, digits: str, scale: float = 1.0, unit: str = "") -> str:
    if figure.value is None:
        return figure.reason
    return (f"{figure.value * scale:{digits}}{unit} [{figure.low * scale:{digits}}–{figure.high * scale:{digits}}]")


def _reviews(count: int) -> str:
    return f"{count} review{'s' * (count != 1)}"


def format_scorecard(card) -> str:
    """The scorecard under a film's summary: each figure with its interval, denominator and
    inferred inputs, or "too few"."""
    fresh, positive, score, weighted = card.fresh, card.positive, card.score, card.weighted
    median = "" if score.median is None else f", median {score.median:.0f}"
    lines = [
        f"  scorecard ({_reviews(card.reviews)} counted, {_reviews(card.duplicates)} left out:"
        " critic already counted; 95% intervals):",
        f"    fresh {_interval(fresh, '.0f', 100, '%')} ({_of(fresh.denominator, fresh.inferred)})",
        f"    positive {_interval(positive, '.0f', 100, '%')} ({_of(positive.denominator, positive.inferred)})",
        f"    average score {_interval(score, '.1f')}{median} ({_of(score.denominator, score.inferred)})",
        f"    weighted score {'—' if weighted.value is None else f'{weighted.value:.1f}'}"
        f" (weight {weighted.total_weight:g} over {weighted.denominator} scored; top critic ×{weighted.top_critic_factor:g})",
        f"    top critics: {_reviews(card.top_critics.reviews)}; fresh {_interval(card.top_critics.fresh, '.0f', 100, '%')};"
        f" average {_interval(card.top_critics.score, '.1f')}",
        "    scores: " + "  ".join(f"{b.low}-{b.high}:{b.count}" for b in card.histogram),
    ]
    lines += [f"    label: {label.name} ({label.rule}; {label.source})" for label in card.labels]
    return "\n".join(lines)


def format_leaderboard(board) -> str:
    value = (lambda v: f"{v * 100:.0f}%") if board.by == "positive" else (lambda v: f"{v:.1f}")  # noqa: E731
    rows = [[str(e.rank), e.title, str(e.year or "—"), value(e.shrunk), value(e.value),
             str(e.denominator), str(e.inferred), str(e.reviews)] for e in board.entries]
    prior = "—" if board.prior_mean is None else value(board.prior_mean)
    head = (f"top films by {board.by} (shrunk: {board.prior_strength} pseudo-reviews at {prior};"
            f" at least {_reviews(board.min_reviews)}; {_reviews(board.unresolved)} with no film left out)")
    table = _table(["#", "film", "year", "ranked", board.by, "of", "inferred", "reviews"], rows)
    return head + "\n" + (table if rows else "no film has enough reviews")
