"""The house rules of `aggregator/` (docs/architecture.md, ../shared/DESIGN.md), checked on the code:

- no import circle anywhere (aggregator/, spiders/, pipelines/, benchmarks/), counting the
  imports inside functions too: a lazy import hides a circle from Python, not from a reader;
- dependencies run one way between the rooms of `aggregator/` (ROOM_MAY_IMPORT), and nothing
  under `aggregator/` imports the spiders or the pipelines (Scrapy loads those by name);
- `aggregator --help` loads neither Scrapy, scikit-learn, numpy nor SQLAlchemy;
- the public entry points stay importable where users' scripts import them.

The graph is read from the source with `ast` (import-linter's graph builder cannot see
`spiders/` and `pipelines/`, which pyproject.toml maps under the `aggregator` namespace).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TREES = {"aggregator": "aggregator", "spiders": "aggregator.spiders", "pipelines": "aggregator.pipelines",
         "benchmarks": "benchmarks"}  # fmt: skip

BASE = {"items", "dates", "urls", "strings", "settings"}
"""Top-level modules below every room: they import nothing of the project."""
DOMAIN = {"identity", "ratings", "verdicts"}
ROOM_MAY_IMPORT: dict[str, set[str]] = {
    "ratings": set(),
    "identity": {"ratings"},
    "verdicts": {"ratings", "identity"},
    "validate": {"ratings"},
    "normalise": DOMAIN,
    "db": DOMAIN,  # the store resolves identity and verdicts, but never runs the normalisers
    "migrations": {"db"},
    "query": DOMAIN | {"db"},
    "renormalise": DOMAIN | {"db", "normalise", "validate"},
    "importers": DOMAIN | {"db", "normalise", "validate"},
    "crawl": DOMAIN | {"db"},
    "demo": set(),
    "web": DOMAIN | {"db", "query"},
    "cli": DOMAIN | {"db", "query", "crawl", "importers", "renormalise", "demo", "normalise", "validate"},
}
"""For each room of aggregator/, the rooms it may import besides BASE and itself."""


def _module_name(path: Path, tree: str) -> str:
    parts = [TREES[tree], *path.relative_to(ROOT / tree).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    found = {}
    for tree in TREES:
        for path in (ROOT / tree).rglob("*.py"):
            name = _module_name(path, tree)
            if ".migrations.versions." not in name:
                found[name] = path
    return found


def _imported(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `name` imports, anywhere in it but under `if TYPE_CHECKING:`."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import):
                targets.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                targets.add(base)
                targets.update(f"{base}.{alias.name}" for alias in child.names)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    resolved = set()
    for target in targets:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if target and target != name:
            resolved.add(target)
    return resolved


def import_graph() -> dict[str, set[str]]:
    modules = _sources()
    return {name: _imported(name, path, modules) for name, path in modules.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def room(module: str) -> str | None:
    """The room of an aggregator/ module ("db", "verdicts", "items", …); None elsewhere."""
    parts = module.split(".")
    if parts[0] != "aggregator" or len(parts) == 1 or parts[1] in ("spiders", "pipelines"):
        return None
    return parts[1]


def room_violations(graph: dict[str, set[str]]) -> list[str]:
    wrong = []
    for module, targets in sorted(graph.items()):
        here = room(module)
        if here is None:
            continue
        for target in sorted(targets):
            there = room(target)
            if target.startswith(("aggregator.spiders", "aggregator.pipelines")):
                wrong.append(f"{module} -> {target} (aggregator/ never imports spiders or pipelines)")
            elif there is None or there == here:
                continue
            elif here in BASE:
                wrong.append(f"{module} -> {target} (a base module imports nothing of the project)")
            elif there not in BASE and there not in ROOM_MAY_IMPORT.get(here, set()):
                wrong.append(f"{module} -> {target} ({here} may not import {there})")
    return wrong


def test_the_graph_sees_the_whole_project() -> None:
    graph = import_graph()
    assert {"aggregator.cli.main", "aggregator.spiders.base.structured_data",
            "aggregator.pipelines.store_reviews", "benchmarks.verdicts"} <= set(graph)  # fmt: skip
    # imports inside functions count: cli.crawl opens the crawl only when a crawl runs
    assert "aggregator.crawl.crawling" in graph["aggregator.cli.crawl"]
    assert set(ROOM_MAY_IMPORT) | BASE >= {room(m) for m in graph if room(m)}, "a new room needs its rules"


def test_no_import_circles() -> None:
    assert circles(import_graph()) == []


def test_circle_finder_finds_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert circles(graph) == [["a", "b", "c"]]


def test_dependencies_run_one_way() -> None:
    assert room_violations(import_graph()) == []


def test_room_rules_catch_a_wrong_import() -> None:
    graph = {"aggregator.db.upsert": {"aggregator.normalise"}, "aggregator.items": {"aggregator.db.models"},
             "aggregator.crawl.crawling": {"aggregator.spiders.platforms.base"},
             "aggregator.query.scores": {"aggregator.db.models", "aggregator.items"}}  # fmt: skip
    assert room_violations(graph) == [
        "aggregator.crawl.crawling -> aggregator.spiders.platforms.base (aggregator/ never imports spiders or pipelines)",
        "aggregator.db.upsert -> aggregator.normalise (db may not import normalise)",
        "aggregator.items -> aggregator.db.models (a base module imports nothing of the project)",
    ]


def _modules_loaded_by(code: str) -> set[str]:
    run = subprocess.run([sys.executable, "-c", f"{code}\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True, cwd=ROOT)  # fmt: skip
    return set(run.stdout.split())


def test_cli_help_loads_no_crawl_model_or_database_code() -> None:
    loaded = _modules_loaded_by("from aggregator.cli.main import build_parser; build_parser().format_help()")
    heavy = sorted(m for m in loaded if m.split(".")[0] in {"scrapy", "sklearn", "numpy", "sqlalchemy", "alembic", "twisted"})
    assert heavy == []
    assert "aggregator.cli.verdicts" in loaded  # every command group registered


@pytest.mark.parametrize(
    ("module", "names"),
    [
        ("aggregator.ratings", "parse_rating explain_rating rating_from_parts explain_rating_parts Rating"),
        ("aggregator.verdicts", "decide Decision FreshHabits HabitRow stated_in_text label_call GIVEN_SOURCES"),
        ("aggregator.verdicts.habits", "FreshHabits HabitRow"),
        ("aggregator.identity", "split_byline critics_from_raw film_key film_from_raw same_critic"),
        ("aggregator.db.session", "make_engine session_factory ensure_schema"),
        ("aggregator.db.verdict_loading", "run_verdict_model retrain_if_due labelled_from_database"),
        ("aggregator.db.verdict_models", "load_verdict_model save_verdict_model"),
        ("aggregator.verdicts.text.training", "train_verdict_model train_and_measure labelled_from_csv"),
        ("aggregator.db.models", "critic_key VERDICTS Review"),
    ],
)
def test_public_entry_points_import_first_in_a_fresh_interpreter(module: str, names: str) -> None:
    # a fresh interpreter per package: an order-dependent import only fails when nothing else is loaded
    code = f"from {module} import {', '.join(names.split())}"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
