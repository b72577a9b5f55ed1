"""Crawling the discovery fixture sites (aggregator/demo/discovery) from the tests: a copy of
the sites' data a test may change, the fixture server as the crawl's proxy, and the CLI run in
its own process (Twisted's reactor runs once per process)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from aggregator.demo.discovery_server import DISCOVERY_PUBLICATIONS, DISCOVERY_SITES, serve_discovery_sites

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parent.parent
# Loopback fixtures: no politeness delays (a real crawl keeps the defaults).
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]

CINDER = "http://www.cinderpost.example"
NORTHLIGHT = "http://www.northlightfilm.example"
QUARRY = "http://www.quarrygazette.example"
VESPERLINE = "http://www.vesperline.example"
ROBOTS_ONLY = DISCOVERY_PUBLICATIONS.parent / "robots-only.toml"
"""The fixture outlet with no discovery fields (robots.txt → sitemap index → dated sitemaps)."""


class Sites:
    """A writable copy of sites.json served through the fixture proxy."""

    def __init__(self, path: Path, fixtures):
        self.path, self.fixtures = path, fixtures

    @property
    def log(self):
        return self.fixtures.log

    def data(self) -> dict:
        return json.loads(self.path.read_text(encoding="utf-8"))

    def change(self, host: str, match: dict, **values) -> None:
        """Change the post/page of `host` whose fields equal `match` (a later mtime, so the
        server re-reads the file)."""
        data = self.data()
        site = data["sites"][host]
        entries = [e for e in site.get("posts", site.get("pages", [])) if all(e.get(k) == v for k, v in match.items())]
        assert len(entries) == 1, (host, match)
        entries[0].update(values)
        stat = self.path.stat()
        self.path.write_text(json.dumps(data), encoding="utf-8")
        os.utime(self.path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    def set_site(self, host: str, **values) -> None:
        data = self.data()
        data["sites"][host].update(values)
        self.path.write_text(json.dumps(data), encoding="utf-8")

    def crawl(self, db: str, *args: str, whole_registry: bool = False,
              observe: Path | None = None) -> subprocess.CompletedProcess:
        """`aggregator crawl` over the fixture registry layered on the packaged one. Unless
        `whole_registry` (or the test names its own --publication), only the fixture outlets
        of the registry files given are crawled: the packaged outlets are real sites, now
        discovered through their robots.txt, which a test must not reach. With `observe`, the
        crawl's reads of the fetch_state table and its stats are written there (`observed`)."""
        env = {**os.environ, **self.fixtures.environment, "AGGREGATOR_LOG_LEVEL": "WARNING"}
        env.pop("AGGREGATOR_PUBLICATIONS", None)
        files = [DISCOVERY_PUBLICATIONS] + [Path(a) for flag, a in zip(args, args[1:]) if flag == "--publications"]
        only = [] if whole_registry or "--publication" in args else [
            arg for key in fixture_keys(files) for arg in ("--publication", key)]
        program = [sys.executable, "-c", OBSERVER, str(observe)] if observe else [str(BIN / "aggregator")]
        command = [*program, "crawl", "--db", db, "--publications", str(DISCOVERY_PUBLICATIONS),
                   *FAST, *only, *args]
        return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=180)


OBSERVER = """
import json, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine
import aggregator.crawl.crawling

seen = {"reads": [], "stats": {}}

def fetch_state_reads(conn, cursor, statement, parameters, context, executemany):
    if statement.lstrip().upper().startswith("SELECT") and "fetch_state" in statement:
        values = parameters.values() if isinstance(parameters, dict) else parameters
        seen["reads"].append({"sql": statement, "parameters": [str(v) for v in values]})

event.listen(Engine, "before_cursor_execute", fetch_state_reads)
run_crawl = aggregator.crawl.crawling.run_crawl

def observed_run(*args, **kwargs):
    result = run_crawl(*args, **kwargs)
    seen["stats"] = {k: v for k, v in result.stats.items() if k.startswith("aggregator/")}
    return result

aggregator.crawl.crawling.run_crawl = observed_run
from aggregator.cli.main import main
try:
    code = main(sys.argv[2:])
finally:
    with open(sys.argv[1], "w", encoding="utf-8") as out:
        json.dump(seen, out, default=str)
sys.exit(code)
"""
"""`aggregator crawl` in this interpreter, recording every SELECT on fetch_state (statement and
parameters) and the crawl's aggregator/* stats in the JSON file named by its first argument."""


def observed(path: Path) -> dict:
    """What an observed crawl recorded: {"reads": [{"sql", "parameters"}], "stats": {...}}."""
    return json.loads(path.read_text(encoding="utf-8"))


def fixture_keys(files) -> list[str]:
    import tomllib

    return list(dict.fromkeys(k for f in files for k in tomllib.loads(Path(f).read_text("utf-8"))["publications"]))


def real_hosts(log) -> list[str]:
    """Hosts other than the fixture sites that a crawl tried to reach (answered 502)."""
    return sorted({r.host for r in log.requests() if not r.host.endswith(".example")})


@contextmanager
def fixture_sites(tmp_path: Path):
    copy = tmp_path / "sites.json"
    shutil.copyfile(DISCOVERY_SITES, copy)
    with serve_discovery_sites(copy) as fixtures:
        yield Sites(copy, fixtures)


def aggregator(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "aggregator"), *args], cwd=REPO, capture_output=True, text=True, timeout=120)


def exported(db: str) -> dict[str, dict]:
    result = aggregator("export", "--format", "json", "--db", db)
    assert result.returncode == 0, result.stderr
    return {record["url"]: record for record in json.loads(result.stdout)}


def summary(record: dict) -> tuple:
    """The facts a discovery test pins for one stored review."""
    return (record["publication"]["key"], tuple(record["critics"]), record["film"]["title"],
            record["film"]["year"], record["rating_raw"], record["score"], record["published"])
