"""Cleaning a scraped string: entities decoded, Unicode NFC, white space folded.

Below every other module: the clean step of the pipelines (aggregator.normalise.clean_fields)
and the store's readings of stored raw values (aggregator.db.stored_outlets) clean alike.
"""

from __future__ import annotations

import html
import re
import unicodedata

PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def _is_folded(text: str) -> bool:
    """Paragraphs one line each, one blank line between, single plain spaces (what spiders give).

    `isprintable` is False for every space but " " and every control or format character, so
    once the paragraph breaks are taken out it rules out the rest in one pass of C.
    """
    return (
        "  " not in text and " \n" not in text and "\n " not in text
        and text.replace("\n\n", " ").isprintable()
    )


def clean_string(value: str | None, *, multiline: bool = False) -> str | None:
    """Entities decoded, Unicode NFC, white space folded (paragraph breaks kept in body text).

    Body text runs to 100 KB a page, so each step is skipped when it has nothing to do and the
    folding uses str.split (every Unicode space, in C) rather than a regular expression.
    """
    if value is None:
        return None
    text = str(value)
    if "&" in text:
        text = html.unescape(text)
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if multiline and _is_folded(text):
        text = text.strip()
    elif multiline:
        paragraphs = (" ".join(part.split()) for part in PARAGRAPH_BREAK.split(text))
        text = "\n\n".join(p for p in paragraphs if p)
    else:
        text = " ".join(text.split())
    return text or None
