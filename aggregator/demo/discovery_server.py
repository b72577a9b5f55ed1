"""A loopback server for the discovery fixture sites, reached as an HTTP proxy.

The fixture outlets live at their own host names (`http://www.cinderpost.example/…`), as the
registry, the feeds and the sitemaps name them, so that a crawl of them is the crawl a user
runs on the web. The crawler reaches them by sending its requests through this server as its
HTTP proxy (`http_proxy=http://127.0.0.1:PORT`, which Scrapy's HttpProxyMiddleware reads). The
server answers only the fixture hosts (502 for any other, and for any https:// tunnel, so a crawl
can never leave the machine), renders each answer from discovery/sites.json (re-read when the file changes, so a
test can change a review between two crawls), and behaves as a careful web server does:

- every 200 carries an ETag (a hash of the body) and, where the content has a date, a
  Last-Modified; a conditional GET (If-None-Match, else If-Modified-Since) answers 304;
- every request is logged (host, path, query, status, conditional or not), so a test can
  count what a crawl downloaded and prove what it did not.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from aggregator.demo.discovery_render import render
from aggregator.demo.server import _require_loopback

DISCOVERY_DIR = Path(__file__).resolve().parent / "discovery"
"""The fixture sites' data (sites.json) and their registry entries (publications.toml)."""
DISCOVERY_SITES = DISCOVERY_DIR / "sites.json"
DISCOVERY_PUBLICATIONS = DISCOVERY_DIR / "publications.toml"


@dataclass(frozen=True)
class LoggedRequest:
    host: str
    path: str
    query: str
    status: int
    conditional: bool
    """The request carried If-None-Match or If-Modified-Since."""


class DiscoveryLog:
    """Every request the fixture server answered, in order (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[LoggedRequest] = []

    def record(self, request: LoggedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def requests(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._requests)

    def mark(self) -> int:
        """A position in the log: `since(mark)` gives what was requested after it."""
        with self._lock:
            return len(self._requests)

    def since(self, mark: int = 0) -> list[LoggedRequest]:
        with self._lock:
            return self._requests[mark:]

    def downloaded(self, mark: int = 0) -> list[str]:
        """"host/path" of every 200 answered after `mark` (what was downloaded in full)."""
        return [r.host + r.path for r in self.since(mark) if r.status == 200]


class _Sites:
    """sites.json, re-read whenever its modification time changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: int | None = None
        self._data: dict = {}

    def get(self) -> dict:
        with self._lock:
            stamp = self.path.stat().st_mtime_ns
            if stamp != self._stamp:
                self._data = json.loads(self.path.read_text(encoding="utf-8"))["sites"]
                self._stamp = stamp
            return self._data


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


def _not_modified(headers, etag: str, modified) -> bool:
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:  # RFC 9110: If-None-Match wins over If-Modified-Since
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return etag in tags or "*" in tags
    since = headers.get("If-Modified-Since")
    if since and modified is not None:
        try:
            return modified.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


class _ProxyHandler(BaseHTTPRequestHandler):
    server_version = "DiscoveryFixtures/1"
    protocol_version = "HTTP/1.1"

    def __init__(self, *args, sites: _Sites, log: DiscoveryLog, **kwargs):
        self._sites, self._log = sites, log
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        split = urlsplit(self.path)
        host = (split.hostname or (self.headers.get("Host") or "").split(":")[0]).lower()
        path, query = split.path or "/", split.query
        conditional = bool(self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"))
        site = self._sites.get().get(host)
        if site is None:
            self._answer(host, path, query, conditional, 502, "text/plain", b"not a fixture host\n")
            return
        if site.get("kind") == "files":
            # A host whose pages are files a test names (e.g. a third-party page read from
            # ../shared at test time, never copied here): path → file.
            file = site["files"].get(path)
            body = Path(file).read_bytes() if file else b"<h1>Not found</h1>\n"
            self._answer(host, path, query, conditional, 200 if file else 404, "text/html; charset=utf-8", body)
            return
        rendered = render(site, host, path, dict(parse_qsl(query, keep_blank_values=True)))
        if rendered is None:
            self._answer(host, path, query, conditional, 404, "text/html", b"<h1>Not found</h1>\n")
            return
        body = rendered.body.encode("utf-8")
        headers = dict(rendered.headers or {})
        if rendered.status == 200:
            headers["ETag"] = _etag(body)
            if rendered.modified is not None:
                headers["Last-Modified"] = format_datetime(rendered.modified, usegmt=True)
            if _not_modified(self.headers, headers["ETag"], rendered.modified):
                self._answer(host, path, query, conditional, 304, None, b"", headers)
                return
        self._answer(host, path, query, conditional, rendered.status, rendered.content_type, body, headers)

    def do_CONNECT(self) -> None:  # noqa: N802 - an https:// request through the proxy
        # No fixture site speaks TLS: refuse the tunnel, logged, so a test can prove that a
        # crawl tried to reach a real host (and that it never left the machine).
        host = self.path.rsplit(":", 1)[0].lower()
        self._answer(host, "CONNECT", "", False, 502, "text/plain", b"no tunnel to a real host\n")

    def _answer(self, host, path, query, conditional, status, content_type, body, headers=None):
        self._log.record(LoggedRequest(host, path, query, status, conditional))
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 - base-class signature
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


@dataclass
class DiscoveryFixtures:
    proxy: str
    """The proxy URL to crawl through: `http://127.0.0.1:PORT`."""
    log: DiscoveryLog
    sites_file: Path

    @property
    def environment(self) -> dict[str, str]:
        """Environment variables that send a crawl (in this or a child process) through it."""
        return {"http_proxy": self.proxy, "HTTP_PROXY": self.proxy, "https_proxy": self.proxy,
                "HTTPS_PROXY": self.proxy, "no_proxy": "", "NO_PROXY": ""}


@contextmanager
def serve_discovery_sites(sites_file: Path = DISCOVERY_SITES, host: str = "127.0.0.1",
                          port: int = 0) -> Iterator[DiscoveryFixtures]:
    """Serve the fixture sites of `sites_file` through a loopback proxy for the block."""
    _require_loopback(host)
    sites_file = Path(sites_file)
    if not sites_file.is_file():
        raise FileNotFoundError(f"no fixture sites file at {sites_file}")
    sites, log = _Sites(sites_file), DiscoveryLog()

    def handler(*args, **kwargs):
        return _ProxyHandler(*args, sites=sites, log=log, **kwargs)

    server = _Server((host, port), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name="discovery-fixtures", daemon=True)
    thread.start()
    try:
        yield DiscoveryFixtures(f"http://{host}:{server.server_address[1]}", log, sites_file)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
