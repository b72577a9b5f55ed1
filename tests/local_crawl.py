"""Real crawls against small loopback servers whose every answer a test writes: the harness of
the robots.txt and fetch-guard tests.

`LocalSite` serves routes (path → a function of the request handler) on one loopback address
(127.0.0.1, or another of 127/8 as a second host) and logs each request with its headers.
`crawl` runs one spider to its end through `aggregator.crawl.crawling.run_crawl` in its own
process (Twisted's reactor runs once per process) and returns its stats, its log, how long it
took and the process's peak resident memory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self

REPO = Path(__file__).resolve().parent.parent

Route = Callable[[BaseHTTPRequestHandler], None]


def answer(status: int, body: bytes | str = b"", content_type: str = "text/html; charset=utf-8",
           headers: dict[str, str] | None = None) -> Route:
    """A route that answers `status` with `body`."""
    data = body.encode("utf-8") if isinstance(body, str) else body

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    return route


def redirect(location: str, status: int = 302) -> Route:
    return answer(status, b"", headers={"Location": location})


@dataclass
class Logged:
    path: str
    headers: dict[str, str]


@dataclass
class LocalSite:
    host: str = "127.0.0.1"
    routes: dict[str, Route] = field(default_factory=dict)
    name: str | None = None
    """The host name its URLs use ("localhost"), else its address."""
    log: list[Logged] = field(default_factory=list)
    port: int = 0

    def url(self, path: str = "/") -> str:
        return f"http://{self.name or self.host}:{self.port}{path}"

    def requested(self, path: str) -> int:
        return sum(1 for entry in self.log if entry.path == path)

    def __enter__(self) -> Self:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.log.append(Logged(self.path, dict(self.headers.items())))
                site.routes.get(self.path, answer(404, "not found"))(self)

            def log_message(self, format, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 64

            def handle_error(self, request, client_address):
                pass  # a route that resets or outlives the crawl: nothing to report

        self._server = Server((self.host, 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def plain_page(title: str = "A page") -> str:
    """A page with no review on it: what these tests count is what was fetched."""
    return f"<html><head><title>{title}</title></head><body><p>{title}</p></body></html>"


RUNNER = """
import json, resource, sys, time
from aggregator.crawl.crawling import run_crawl
job = json.loads(open(sys.argv[1], encoding="utf-8").read())
started = time.monotonic()
result = run_crawl(job["spider"], database_url=job["db"], spider_args=job["args"],
                   start_urls=job["start_urls"], settings=job["settings"])
out = {"stats": result.stats, "elapsed": time.monotonic() - started,
       "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
open(sys.argv[2], "w", encoding="utf-8").write(json.dumps(out, default=str))
"""


@dataclass
class CrawlRun:
    stats: dict
    log: str
    elapsed: float
    """Seconds the crawl itself took (run_crawl, in the child)."""
    peak_rss_mib: float
    """The crawl process's peak resident memory."""

    def stat(self, key: str) -> int:
        return int(self.stats.get(key, 0))


def crawl(tmp_path: Path, spider: str, start_urls: list[str], *, args: dict | None = None,
          settings: dict | None = None, env: dict | None = None, timeout: int = 120) -> CrawlRun:
    """Run `spider` over `start_urls` (given as its `start_urls` argument) into a new SQLite
    file; no proxy, log at WARNING unless `settings` says otherwise."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    job = tmp_path / "job.json"
    out = tmp_path / "out.json"
    job.write_text(json.dumps({
        "spider": spider, "db": f"sqlite:///{tmp_path / 'crawl.sqlite'}",
        "args": {"start_urls": ",".join(start_urls), **(args or {})}, "start_urls": start_urls,
        "settings": {"LOG_LEVEL": "WARNING", **(settings or {})}}), encoding="utf-8")
    # nothing of the test session's own settings (another test's AGGREGATOR_* left in the environment)
    child_env = {k: v for k, v in os.environ.items()
                 if "proxy" not in k.lower() and not k.startswith("AGGREGATOR_")}
    # a data folder of its own: a verdict model other tests trained would be loaded and weighed too
    child_env["XDG_DATA_HOME"] = str(tmp_path / "data")
    child_env.update(env or {})
    done = subprocess.run([sys.executable, "-c", RUNNER, str(job), str(out)], cwd=REPO, env=child_env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0 and out.exists(), done.stderr[-4000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    return CrawlRun(result["stats"], done.stderr, result["elapsed"], result["peak_rss_kib"] / 1024)
