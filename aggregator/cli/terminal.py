"""Stored text made safe to print on a terminal.

Titles, names and URLs come from pages anyone can write. Printed raw, an ANSI escape
("\\x1b[31m", "\\x1b]0;…\\x07") recolours or retitles the user's terminal, a carriage return
overwrites what was printed before it on the line, and a bidirectional override ("\\u202e")
shows one title as another. `for_terminal` replaces every such character with its escape
("\\x1b", "\\u202e"): the text stays readable and what was hidden in it becomes visible.
Every table and line the `aggregator` command prints from the store goes through it.
"""

from __future__ import annotations

import unicodedata

_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
"""Controls (C0, DEL, C1), format characters (bidi controls, zero-width spaces, BOM), lone
surrogates (which cannot even be encoded for the terminal), line and paragraph separators."""

_JOINERS = frozenset("\u200c\u200d")
"""ZWNJ and ZWJ are format characters that Persian and Indic scripts and emoji sequences need
to be spelt right: kept."""


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _unsafe(char: str) -> bool:
    return char not in _JOINERS and unicodedata.category(char) in _UNSAFE_CATEGORIES


def for_terminal(text: object, *, keep_newlines: bool = False) -> str:
    """`text` (str() of it) with every control, format and separator character escaped, and
    backslashes left as they are. With `keep_newlines`, "\\n" stays a line break (for a block
    of several lines); a lone "\\r" or "\\t" is always escaped. Idempotent: the escapes are
    printable ASCII."""
    text = str(text)
    if text.isprintable():  # one pass in C for the usual case
        return text
    return "".join(
        char if (keep_newlines and char == "\n") or not _unsafe(char) else _escape(char)
        for char in text
    )


def for_terminal_block(text: object) -> str:
    """A block of lines (a formatted table, a report): `for_terminal` keeping its line breaks."""
    return for_terminal(text, keep_newlines=True)
