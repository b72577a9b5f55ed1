"""The material of benchmarks.identity, read, and how its answers are scored.

Loading: Rotten Tomatoes' critic_reviews.csv, the project's own identity test set
(tests/fixtures/identity/), and the archived review pages of publications/*/snippets.html with
the byline values their fragments carry. Scoring: `Score` (precision and recall) and
`name_letters`, the letters of a name that a byline must keep. A missing or unreadable file
raises BenchmarkError, whose message says which and how to point the benchmark at it.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from aggregator.identity.critic_text import critic_from_text
from aggregator.identity.critics import authors, person_key, split_byline

REPO_ROOT = Path(__file__).resolve().parent.parent
SET_DIR = REPO_ROOT / "tests" / "fixtures" / "identity"


class BenchmarkError(Exception):
    """The benchmark cannot run (data missing or unreadable); the message says why."""


def shared_real_dir(override: str | None = None) -> Path:
    root = override or os.environ.get("AGGREGATOR_SHARED_DIR")
    return (Path(root) if root else REPO_ROOT.parent / "shared") / "fixtures" / "real"


def name_letters(text: str) -> str:
    return "".join(c for c in person_key(text) if c.isalpha())


@dataclass
class Score:
    """Precision = correct / predicted, recall = correct / expected (None when undefined)."""

    predicted: int = 0
    expected: int = 0
    correct: int = 0
    wrong: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return self.correct / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.expected if self.expected else None

    def line(self, label: str) -> str:
        def pct(value):
            return "n/a" if value is None else f"{value:.3f}"
        return (f"  {label:<20} precision {pct(self.precision)} ({self.correct}/{self.predicted})"
                f"   recall {pct(self.recall)} ({self.correct}/{self.expected})")


# --- loading --------------------------------------------------------------------------------


def load_rt_rows(real: Path) -> list[dict[str, str]]:
    path = real / "scores" / "rt-critic-reviews" / "critic_reviews.csv"
    if not path.is_file():
        raise BenchmarkError(f"{path} not found: pass --shared DIR or set AGGREGATOR_SHARED_DIR")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_set(directory: Path = SET_DIR) -> dict[str, list[dict]]:
    try:
        return {name: json.loads((directory / f"{name}.json").read_text("utf-8"))
                for name in ("titles", "choices", "critics")}
    except (OSError, ValueError) as error:
        raise BenchmarkError(f"cannot read the identity test set in {directory}: {error}") from None


# --- the archived review pages and their byline values --------------------------------------

_HEADER = re.compile(r"<!-- =====(.*?)===== -->", re.S)
_PAGE_FILE = re.compile(r"(?:([\w-]+?)(?:-\d{4})?[/ ])?([\w-]+--[\w-]+_\d{4}-\d{2}-\d{2})\.html")
_SLUG = re.compile(r"(?:^|[/\"'])(?:profile|by|author|authors|people|staff/\d+)/"
                   r"([a-z][a-z0-9]*(?:-[a-z0-9]+)+)")
_JSON_KEYS = re.compile(r'"(author|authors|byline|authorNames|article_author|displayName|'
                        r'renderedRepresentation|byline_name)"\s*:\s*("(?:[^"\\]|\\.)*"|'
                        r'\[[^\]]*\]|\{[^{}]*\})')
_META = re.compile(r"<meta\b[^>]*?(?:name|property)=[\"']?(author|byl|article:author|"
                   r"mrf:authors|sailthru\.author|sailthru\.byline_name)[\"']?\s[^>]*?"
                   r"content=(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.I)
_VISIBLE = [
    re.compile(r"<a\b[^>]*\brel=\"?author\"?[^>]*>(.*?)</a>", re.S),
    re.compile(r"class=\"last-byline[^\"]*\"[^>]*>([^<]+)<"),
    re.compile(r"class=\"mntl-attribution__item-name\"[^>]*>([^<]+)<"),
    re.compile(r"class=\"gnt_ar_by_a[^\"]*\"[^>]*>(?:<img[^>]*>)?([^<]+)<"),
    re.compile(r"id=\"article-author-tag\"[^>]*>([^<]+)<"),
    re.compile(r"<span>Written by </span><span><a[^>]*>([^<]+)<"),
    re.compile(r"'Byline'\s*:\s*'([^']*)'"),
]
_REVIEW_BY = re.compile(r"[^<>\n]{0,20}[Rr]eview by (?:<a[^>]*>)?[^<\n]{2,60}(?:</a>)?[^<\n]{0,40}")
_JSON_LD = re.compile(r"<script[^>]*application/ld\+json[^>]*>(.*?)</script>", re.S)


def snippet_pages(real: Path) -> dict[tuple[str, str], dict]:
    """{(outlet, page): {"text": body text of its fragments, "slugs": profile slugs}}."""
    pages: dict[tuple[str, str], dict] = {}
    for path in sorted((real / "publications").glob("*/snippets.html")):
        outlet, current = path.parent.name, None
        text = path.read_text(encoding="utf-8")
        parts = _HEADER.split(text)
        for header, body in zip(parts[1::2], parts[2::2]):
            found = _PAGE_FILE.search(header)
            if found:
                current = (outlet, f"{found.group(1) or ''}/{found.group(2)}")
            if current is None:
                continue
            page = pages.setdefault(current, {"text": "", "slugs": set()})
            page["text"] += "\n" + body
            page["slugs"] |= {s for s in _SLUG.findall(body.replace("\\/", "/"))}
    return pages


def page_bylines(text: str) -> list[tuple[str, list[str]]]:
    """(source, people) for every byline-bearing value in a page's fragments."""
    found: list[tuple[str, list[str]]] = []
    for block in _JSON_LD.findall(text):
        try:
            data = json.loads(html.unescape(block))
        except ValueError:
            continue
        nodes = data if isinstance(data, list) else data.get("@graph", [data])
        by_id = {n.get("@id"): n for n in nodes if isinstance(n, dict) and n.get("@id")}
        for node in nodes:
            for key in ("author", "creator"):
                value = node.get(key) if isinstance(node, dict) else None
                values = value if isinstance(value, list) else [value] if value else []
                resolved = [by_id.get(v.get("@id"), v) if isinstance(v, dict) else v
                            for v in values]
                if resolved:
                    found.append((f"json-ld {key}", [a.name for a in authors(resolved)]))
    for key, value in _JSON_KEYS.findall(text):
        try:
            parsed = json.loads(value)
        except ValueError:
            continue
        found.append((f"json {key}", [a.name for a in authors(parsed)]))
    for name, *content in _META.findall(text):
        raw = html.unescape(next(c for c in content if c) if any(content) else "")
        found.append((f"meta {name}", [a.name for a in authors(raw)]))
    for pattern in _VISIBLE:
        for raw in pattern.findall(text):
            found.append(("visible", split_byline(html.unescape(raw))))
    for line in _REVIEW_BY.findall(text):
        person = critic_from_text(line)
        found.append(("text review-by", [person] if person else []))
    return found
