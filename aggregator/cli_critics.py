"""`aggregator critic …`: stored critics (merge)."""

from __future__ import annotations


def register(commands, common) -> None:
    pass  # PLACEHOLDER: being written this session
