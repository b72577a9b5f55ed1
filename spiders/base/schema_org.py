"""Reading schema.org data as pages really publish it: JSON-LD blocks holding a node, a list of
nodes or an `@graph`, nodes that point at each other by `@id`, and microdata items.

Pure functions over plain dicts (no Scrapy), so the rules can be tested on their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

SCHEMA_PREFIXES = ("http://schema.org/", "https://schema.org/", "schema:")

REVIEW_TYPES = frozenset({"Review", "CriticReview", "ReviewNewsArticle"})
ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "BlogPosting",
        "BlogPost",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "ReviewNewsArticle",
        "Report",
        "ScholarlyArticle",
        "TechArticle",
    }
)
CREATIVE_WORK_TYPES = frozenset(
    {"Movie", "Film", "CreativeWork", "TVSeries", "TVSeason", "TVEpisode", "VideoObject", "Play"}
)
LISTING_TYPES = frozenset({"CollectionPage", "SearchResultsPage", "ProfilePage"})
ORGANIZATION_TYPES = frozenset({"Organization", "NewsMediaOrganization", "Corporation"})


def type_names(node: Any) -> frozenset[str]:
    """The node's @type values without their schema.org prefix."""
    if not isinstance(node, dict):
        return frozenset()
    raw = node.get("@type") or ()
    if isinstance(raw, str):
        raw = (raw,)
    elif not isinstance(raw, list | tuple):  # "@type": 42
        return frozenset()
    names = set()
    for value in raw:
        if isinstance(value, str):
            for prefix in SCHEMA_PREFIXES:
                if value.startswith(prefix):
                    value = value[len(prefix) :]
                    break
            names.add(value)
    return frozenset(names)


def is_a(node: Any, types: frozenset[str]) -> bool:
    return bool(type_names(node) & types)


MAX_DEPTH = 40
"""Levels of JSON-LD nesting read: a real page nests a handful (a Review in a Movie in a
graph); a page nested a thousand deep is hostile, and every reader here recurses."""


def within_depth(value: Any) -> tuple[Any, bool]:
    """`value` with everything below MAX_DEPTH levels left out, and whether anything was."""
    pruned = False

    def bounded(item: Any, depth: int) -> Any:
        nonlocal pruned
        if isinstance(item, dict | list) and depth >= MAX_DEPTH:
            pruned = True
            return None
        if isinstance(item, dict):
            return {key: bounded(v, depth + 1) for key, v in item.items()}
        if isinstance(item, list):
            return [bounded(v, depth + 1) for v in item]
        return item

    return bounded(value, 0), pruned


def _walk_blocks(value: Any) -> Iterator[dict]:
    """Top-level nodes of JSON-LD blocks: a node, a list of nodes, or a node with @graph."""
    if isinstance(value, list):
        for element in value:
            yield from _walk_blocks(element)
    elif isinstance(value, dict):
        graph = value.get("@graph")
        if isinstance(graph, list | dict):
            yield from _walk_blocks(graph)
            rest = {k: v for k, v in value.items() if k not in ("@graph", "@context")}
            if rest.keys() - {"@id"}:
                yield value
        else:
            yield value


def _index_ids(node: Any, index: dict[str, dict]) -> None:
    """Every node carrying an @id and more than that, at any depth, so references resolve."""
    if isinstance(node, list):
        for element in node:
            _index_ids(element, index)
    elif isinstance(node, dict):
        node_id = node.get("@id")
        if isinstance(node_id, str) and len(node) > 1:
            # A fuller definition wins over a thinner one seen earlier.
            if len(node) > len(index.get(node_id, {})):
                index[node_id] = node
        for key, value in node.items():
            if key != "@context":
                _index_ids(value, index)


class Graph:
    """All schema.org nodes of one page with `@id` references resolvable."""

    def __init__(self, top_nodes: list[dict]):
        self.top_nodes = top_nodes
        self._index: dict[str, dict] = {}
        _index_ids(top_nodes, self._index)

    @classmethod
    def from_blocks(cls, jsonld_blocks: Iterable[Any], microdata_items: Iterable[dict] = ()):
        nodes = list(_walk_blocks(list(jsonld_blocks)))
        nodes.extend(microdata_items)
        return cls(nodes)

    def resolve(self, value: Any) -> Any:
        """A reference `{"@id": x}` (or a bare id string that names a node) becomes the node."""
        if isinstance(value, dict) and set(value) <= {"@id", "@type"} and isinstance(value.get("@id"), str):
            return self._index.get(value["@id"], value)
        return value

    def get(self, node: dict, key: str) -> list[Any]:
        """The values of `key` in `node` as a list, references resolved."""
        if not isinstance(node, dict):
            return []
        value = node.get(key)
        if value is None:
            return []
        values = value if isinstance(value, list) else [value]
        return [self.resolve(v) for v in values if v is not None]

    def first(self, node: dict, key: str) -> Any:
        values = self.get(node, key)
        return values[0] if values else None

    def nodes(self) -> Iterator[dict]:
        """Every node, nested ones included, each once (resolved references count once)."""
        seen: set[int] = set()
        stack = list(reversed(self.top_nodes))
        while stack:
            node = self.resolve(stack.pop())
            if isinstance(node, list):
                stack.extend(reversed(node))
                continue
            if not isinstance(node, dict) or id(node) in seen:
                continue
            seen.add(id(node))
            yield node
            for key, value in node.items():
                if key == "@context":
                    continue
                if isinstance(value, dict | list):
                    stack.append(value)

    def of_type(self, types: frozenset[str]) -> list[dict]:
        return [n for n in self.nodes() if is_a(n, types)]


def text_of(value: Any) -> str | None:
    """A plain string from a schema.org value that may be a string, number, or a node with a name."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dict):
        for key in ("name", "@value", "text"):
            if key in value:
                return text_of(value[key])
    if isinstance(value, list) and value:
        return text_of(value[0])
    return None


def strings(values: Iterable[Any]) -> list[str]:
    return [s for s in (text_of(v) for v in values) if s]


def microdata_to_nodes(items: Iterable[dict]) -> list[dict]:
    """extruct's microdata items ({"type", "properties"}) as JSON-LD-shaped nodes."""

    def convert(item: Any) -> Any:
        if isinstance(item, list):
            return [convert(i) for i in item]
        if not isinstance(item, dict) or "properties" not in item:
            return item
        node: dict[str, Any] = {}
        item_type = item.get("type")
        if item_type:
            node["@type"] = item_type
        if item.get("id"):
            node["@id"] = item["id"]
        for key, value in item["properties"].items():
            node[key] = convert(value)
        if "value" in item and "name" not in node:
            node["name"] = item["value"]
        return node

    nodes = [convert(i) for i in items]
    for node in nodes:
        if isinstance(node, dict):
            node["_format"] = "microdata"
    return nodes
