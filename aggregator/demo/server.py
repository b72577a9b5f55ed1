"""A loopback static-file server for the bundled demo corpus (and any fixture site).

`aggregator demo`, the end-to-end tests and the benchmark all need real HTTP on this machine,
so that the crawl goes through Scrapy's downloader, robots.txt handling and redirects exactly
as it would on the web. The server is deliberately small: the standard library's
`ThreadingHTTPServer` in a daemon thread, bound to loopback only, silent unless asked, with
directory listings turned off (a crawler must find pages through links, as on a real site) and
a per-path request log, so that a test can prove what a polite crawler did *not* fetch.
"""

from __future__ import annotations

import ipaddress
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

DEMO_DIR = Path(__file__).resolve().parent
DEMO_SITE: Path = DEMO_DIR / "site"
"""The static demo corpus: five fictional outlets, one folder each, an index and robots.txt."""
DEMO_PUBLICATIONS: Path = DEMO_DIR / "publications.toml"
"""Registry entries for the demo outlets, layered on the real registry by the demo command."""

_LOOPBACK_NAMES = {"localhost"}


class RequestLog:
    """Thread-safe counts of the requests a server answered, keyed by URL path.

    Paths are recorded without query string or fragment and percent-decoded, so
    `/lantern/x/?utm_source=a` and `/lantern/x/` count as the same page: the question a test
    asks is "was this file fetched", not "which link was followed".
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_path: Counter[str] = Counter()
        self._statuses: dict[str, Counter[int]] = {}
        self._user_agents: Counter[str] = Counter()

    def record(self, raw_path: str, status: int, user_agent: str | None) -> None:
        path = unquote(urlsplit(raw_path).path) or "/"
        with self._lock:
            self._by_path[path] += 1
            self._statuses.setdefault(path, Counter())[status] += 1
            self._user_agents[user_agent or ""] += 1

    def count(self, path: str) -> int:
        """How many times `path` (no query string) was requested."""
        with self._lock:
            return self._by_path[path]

    def paths(self) -> list[str]:
        """Every path requested at least once, sorted."""
        with self._lock:
            return sorted(self._by_path)

    def requested_under(self, prefix: str) -> list[str]:
        """Requested paths starting with `prefix` (e.g. "/private/"), sorted."""
        with self._lock:
            return sorted(p for p in self._by_path if p.startswith(prefix))

    def statuses(self, path: str) -> dict[int, int]:
        """HTTP status codes answered for `path`, with their counts."""
        with self._lock:
            return dict(self._statuses.get(path, Counter()))

    def user_agents(self) -> dict[str, int]:
        """User-Agent headers seen ("" when a client sent none), with their counts."""
        with self._lock:
            return dict(self._user_agents)

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self._by_path.values())

    def as_dict(self) -> dict[str, int]:
        with self._lock:
            return dict(self._by_path)


class ServedSite(str):
    """The base URL of a running server (`http://127.0.0.1:PORT/`), carrying its request log.

    It *is* the URL string, so callers that only need the URL use it as one; tests reach the
    log through `.request_log`.
    """

    request_log: RequestLog

    def __new__(cls, base_url: str, request_log: RequestLog) -> ServedSite:
        served = super().__new__(cls, base_url)
        served.request_log = request_log
        return served

    def url(self, path: str) -> str:
        """Absolute URL of a path on this server ("lantern/" or "/lantern/")."""
        return urljoin(str(self), path)


class _StaticHandler(SimpleHTTPRequestHandler):
    # Declared charset: http.server otherwise sends a bare "text/html", and the corpus is UTF-8
    # (curly quotes, stars, accented names).
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".html": "text/html; charset=utf-8",
        ".txt": "text/plain; charset=utf-8",
        ".json": "application/json",
        ".xml": "application/xml; charset=utf-8",
    }
    server_version = "AggregatorDemo/1"

    def __init__(
        self, *args, request_log: RequestLog, log_requests: bool, **kwargs
    ) -> None:
        self._request_log = request_log
        self._log_requests = log_requests
        super().__init__(*args, **kwargs)

    def list_directory(self, path):  # noqa: ANN001 - signature of the base class
        # A listing would hand the crawler every file, including pages no link points to.
        self.send_error(HTTPStatus.NOT_FOUND, "No index for this directory")
        return None

    def send_response(self, code, message=None):  # noqa: ANN001
        # A malformed request line is answered before `path`/`headers` exist.
        headers = getattr(self, "headers", None)
        self._request_log.record(
            getattr(self, "path", "") or "/",
            int(code),
            headers.get("User-Agent") if headers is not None else None,
        )
        super().send_response(code, message)

    def log_message(self, format, *args):  # noqa: A002, ANN001 - base-class signature
        if self._log_requests:
            sys.stderr.write(
                f"{self.address_string()} - [{self.log_date_time_string()}] {format % args}\n"
            )


class _LoopbackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 drops connections when a crawler opens dozens at once (the
    # benchmark does), and a dropped SYN costs a one-second retransmit: a fake slow server.
    request_queue_size = 128


def _require_loopback(host: str) -> None:
    if host in _LOOPBACK_NAMES:
        return
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(
            f"demo server binds loopback only; {host!r} is not a loopback address"
        ) from None
    if not address.is_loopback:
        raise ValueError(f"demo server binds loopback only; {host!r} is not a loopback address")


@contextmanager
def serve_directory(
    root: Path, host: str = "127.0.0.1", port: int = 0, *, log_requests: bool = False
) -> Iterator[ServedSite]:
    """Serve the files under `root` over HTTP on loopback for the duration of the block.

    Yields the base URL (`http://127.0.0.1:PORT/`; port 0 picks a free one) as a `ServedSite`,
    whose `.request_log` counts the requests per path. Missing files and directories without an
    index.html answer 404. Request lines go to stderr only when `log_requests` is true.
    Raises ValueError for a non-loopback host and FileNotFoundError for a missing root.
    """
    _require_loopback(host)
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"no directory to serve at {root}")

    request_log = RequestLog()
    handler = partial(
        _StaticHandler,
        directory=str(root),
        request_log=request_log,
        log_requests=log_requests,
    )
    server = _LoopbackHTTPServer((host, port), handler)
    bound_host, bound_port = server.server_address[:2]
    url_host = f"[{bound_host}]" if ":" in str(bound_host) else bound_host
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.1},
        name=f"demo-http-{bound_port}",
        daemon=True,
    )
    thread.start()
    try:
        yield ServedSite(f"http://{url_host}:{bound_port}/", request_log)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def demo_start_urls(base_url: str) -> list[str]:
    """Where a crawl of the demo corpus starts: the index page that links every outlet."""
    return [urljoin(str(base_url), "/")]
