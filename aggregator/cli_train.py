"""`aggregator train-verdicts`: the text model for unscored reviews."""

from __future__ import annotations


def register(commands, common) -> None:
    pass  # PLACEHOLDER: being written this session
