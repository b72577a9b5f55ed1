"""Cleaning a scraped string: entities decoded, what cannot be stored or seen removed, Unicode
NFC, white space folded; and cutting prose to a length.

Below every other module: the clean step of the pipelines (aggregator.normalise.clean_fields)
and the store's readings of stored raw values (aggregator.db.stored_outlets) clean alike.

Removed from every string: NUL (PostgreSQL refuses it in text) and lone surrogates (no UTF-8
encoding exists for them, so neither hashing nor any database takes them). Removed from
single-line strings (names, titles, outlets, ratings) besides: control characters (C0, C1)
and format characters (Unicode category Cf: zero-width spaces and joiners, bidirectional
embeddings, overrides and isolates, the byte-order mark, the soft hyphen), which make two
look-alike titles or names different strings and can reorder what a reader sees. Body text
keeps its format characters: there they shape words (a zero-width non-joiner in Persian).
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache, wraps

PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Control (C0, C1: "Cc"), format ("Cf") and surrogate ("Cs") characters; the white space among
# the controls (tab, line feed, U+0085, ...) is folded to a space instead.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})


def _is_folded(text: str) -> bool:
    """Paragraphs one line each, one blank line between, single plain spaces (what spiders give).

    `isprintable` is False for every space but " " and every control, format or surrogate
    character, so once the paragraph breaks are taken out it rules out the rest in one pass of C.
    """
    return (
        "  " not in text and " \n" not in text and "\n " not in text
        and text.replace("\n\n", " ").isprintable()
    )


def storable(text: str) -> str:
    """`text` without NUL and lone surrogates: what no database and no UTF-8 encoder takes."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if not text.isascii():
        try:
            text.encode("utf-8")  # one pass of C; fails only on a surrogate
        except UnicodeEncodeError:
            text = _SURROGATE.sub("", text)
    return text


def visible(text: str) -> str:
    """`text` without control, format and surrogate characters; its white space kept."""
    if "".join(text.split()).isprintable():  # only white space other than " ": nothing to remove
        return text
    return "".join(c for c in text if c.isspace() or unicodedata.category(c) not in _INVISIBLE_CATEGORIES)


def clean_string(value: str | None, *, multiline: bool = False) -> str | None:
    """Entities decoded, unstorable (and, on one line, invisible) characters removed, Unicode
    NFC, white space folded (paragraph breaks kept in body text).

    Body text runs to 100 KB a page, so each step is skipped when it has nothing to do and the
    folding uses str.split (every Unicode space, in C) rather than a regular expression.
    Characters are removed before NFC, so that what they separated composes.
    """
    if value is None:
        return None
    text = str(value)
    if "&" in text:
        text = html.unescape(text)
    folded = multiline and _is_folded(text)  # folded text holds nothing to remove either
    if multiline and not folded:
        text = storable(text)
    elif not multiline and not text.isprintable():
        text = visible(text)
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if folded:
        text = text.strip()
    elif multiline:
        paragraphs = (" ".join(part.split()) for part in PARAGRAPH_BREAK.split(text))
        text = "\n\n".join(p for p in paragraphs if p)
    else:
        text = " ".join(text.split())
    return text or None


def cut_text(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, at the last white space before the limit when
    one is near (within a tenth of it), so that no word is cut in two."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    end = max(head.rfind(" "), head.rfind("\n"))
    return head[:end].rstrip() if end >= limit * 0.9 else head


SHORT_STRING = 300
"""A crawl meets the same bylines, names, outlet names and headlines' shapes again and again:
`kept_when_short` keeps a pure function's results for strings up to this long, not for longer
ones (a standfirst, a body)."""


def kept_when_short(function):
    """`function` of one string (pure), its results kept for strings up to SHORT_STRING long."""
    cached = lru_cache(maxsize=8192)(function)

    @wraps(function)
    def call(text: str):
        # str(): an lxml "smart" string kept as a key would keep its whole page alive
        return cached(str(text)) if len(text) <= SHORT_STRING else function(text)

    return call
