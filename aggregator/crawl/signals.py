"""Signals the project's spiders send, which a crawl's caller can listen to without importing a spider."""

outlet_progress = object()
"""Sent as a platform spider works through an outlet: publication, event, count
(`aggregator crawl` prints "asked", "listed", "no search" lines from it)."""
