"""Small builders of the project's own objects for tests (fictional outlets only)."""

from __future__ import annotations

from aggregator.identity.publications import Publication


def outlet(key: str, name: str, domains: tuple[str, ...] = (), *, scale: str | None = None,
           country: str | None = None, language: str | None = "en", weight: float = 1.0,
           provisional: bool = False) -> Publication:
    return Publication(key=key, name=name, aliases=(), domains=domains, country=country, language=language,
                       scale=scale, weight=weight, spider=None, start_urls=(), provisional=provisional)
