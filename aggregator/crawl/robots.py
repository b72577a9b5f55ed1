"""robots.txt as RFC 9309 reads it: what its answer means for the host's pages in this run.

Scrapy's RobotsTxtMiddleware parses whatever the robots.txt request returns and allows every
page when the request fails, so a robots.txt answering 503 or timing out meant "crawl
everything". RFC 9309 (section 2.3.1) reads the answer by its status:

- 2xx: the rules are parsed;
- 4xx ("unavailable"): there are no rules, every page is allowed;
- 5xx, and a robots.txt that cannot be reached (timeout, refused or reset connection, DNS
  failure, a redirect the fetch guard refused): "unreachable", every page of the host is
  disallowed for the rest of the run. 429 Too Many Requests is read as a 5xx, as Google reads
  it: a server asking to slow down is not inviting a crawl.

Redirects are followed, at most five as the RFC asks, also to another host (sites commonly
keep one robots.txt for www. and the bare domain); more than five is "unavailable". The fetch
takes at most AGGREGATOR_ROBOTSTXT_TIMEOUT seconds, retried once, so a hanging robots.txt holds
its host's requests for seconds rather than Scrapy's 3 × 60. Answers are kept per host (netloc)
for the run, as Scrapy keeps them.

Counted: `aggregator/robots/hosts/<reason>` once per host (server_error, unreachable,
unavailable) and `aggregator/robots/disallowed_<reason>` for each request refused; why a host
is refused is logged once, as a warning without a traceback.
"""

from __future__ import annotations

import logging

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from aggregator.crawl.guards import RefusedRequest

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
"""RFC 9309 section 2.3.1.2: follow at least five consecutive redirects."""
RETRIES = 1
"""One retry spares a host a run-long refusal for one dropped connection, and bounds a hanging
robots.txt at two timeouts."""


def status_reason(status: int) -> str | None:
    """None when a robots.txt answer of this status is parsed; else why it is not:
    "server_error" (disallow all) or "unavailable" (allow all)."""
    if 200 <= status < 300:
        return None
    if status == 429 or status >= 500:
        return "server_error"
    return "unavailable"  # 4xx, and a 3xx left unfollowed (no Location)


class Rfc9309RobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware with RFC 9309's reading of errors (see the module docstring)."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self._timeout = crawler.settings.getfloat("AGGREGATOR_ROBOTSTXT_TIMEOUT", 10.0)
        if self._timeout <= 0:
            raise ValueError(f"AGGREGATOR_ROBOTSTXT_TIMEOUT must be a positive number of seconds, "
                             f"not {self._timeout}")
        self._refused: dict[str, str] = {}
        """netloc → why every page of it is disallowed in this run."""

    async def robot_parser(self, request: Request):
        # Scrapy's own, with a bounded fetch, RFC redirects and no traceback for a network error.
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc not in self._parsers:
            self._parsers[netloc] = Deferred()
            robots_request = Request(
                f"{url.scheme}://{netloc}/robots.txt",
                priority=self.DOWNLOAD_PRIORITY,
                meta={"dont_obey_robotstxt": True, "download_timeout": self._timeout,
                      "max_retry_times": RETRIES, "redirect_ttl": MAX_REDIRECTS, "allow_offsite": True},
                callback=NO_CALLBACK,
            )
            try:
                response = await self.crawler.engine.download_async(robots_request)
                await self._parse_robots(response, netloc, request)
            except Exception as error:  # noqa: BLE001 - every failure has a meaning under RFC 9309
                self._robots_error(error, netloc)
            self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[netloc]
        if not isinstance(parser, Deferred):
            return parser
        # Scrapy 2.19 awaits the one shared Deferred from every waiting request, and the first
        # waiter's future swallows its result: the third request on of a host got None, "no
        # robots.txt", and a disallowed page was fetched. Each waiter gets its own Deferred.
        mine: Deferred = Deferred()

        def relay(result):
            mine.callback(result)
            return result

        parser.addCallback(relay)
        return await maybe_deferred_to_future(mine)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        reason = status_reason(response.status)
        if reason is None:
            await super()._parse_robots(response, netloc, request)
            return
        if reason == "server_error":
            self._stats.inc_value("robotstxt/response_count")
            self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
            self._refuse(netloc, reason, f"its robots.txt answered {response.status}")
            self._resolve(netloc)
            return
        self._stats.inc_value("aggregator/robots/hosts/unavailable")
        logger.debug("robots.txt of %s answered %d: no rules, every page allowed", netloc, response.status)
        await super()._parse_robots(response.replace(body=b""), netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, IgnoreRequest) and not isinstance(exc, RefusedRequest):
            # More redirects than MAX_REDIRECTS (RFC 9309: "unavailable"): every page allowed.
            self._stats.inc_value("aggregator/robots/hosts/unavailable")
            logger.info("robots.txt of %s not read (%s): every page allowed", netloc, exc)
        else:
            self._refuse(netloc, "unreachable", f"its robots.txt could not be fetched "
                                                f"({type(exc).__name__}: {exc})")
        super()._robots_error(exc, netloc)

    def _refuse(self, netloc: str, reason: str, why: str) -> None:
        self._refused[netloc] = reason
        self._stats.inc_value(f"aggregator/robots/hosts/{reason}")
        logger.warning("%s: %s; none of its pages is fetched in this run (RFC 9309: disallow all)",
                       netloc, why)

    def _resolve(self, netloc: str) -> None:
        waiting = self._parsers[netloc]
        self._parsers[netloc] = None
        waiting.callback(None)

    def process_request_2(self, rp, request: Request) -> None:
        reason = self._refused.get(urlparse_cached(request).netloc)
        if reason is not None:
            self._stats.inc_value(f"aggregator/robots/disallowed_{reason}")
            raise IgnoreRequest(f"robots.txt of {urlparse_cached(request).netloc} {reason.replace('_', ' ')}: "
                                f"disallowed for this run (RFC 9309)")
        super().process_request_2(rp, request)
