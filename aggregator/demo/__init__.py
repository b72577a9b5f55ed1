"""The bundled demo: a fictional corpus of film reviews and the loopback server that serves it.

`aggregator demo` serves `DEMO_SITE` with `serve_directory`, crawls it from `demo_start_urls`
and layers `DEMO_PUBLICATIONS` over the real publication registry. Every outlet, critic and film
in the corpus is invented; its domains use the reserved `.example` TLD.
"""

from aggregator.demo.server import (
    DEMO_PUBLICATIONS,
    DEMO_SITE,
    RequestLog,
    ServedSite,
    demo_start_urls,
    serve_directory,
)

__all__ = [
    "DEMO_PUBLICATIONS",
    "DEMO_SITE",
    "RequestLog",
    "ServedSite",
    "demo_start_urls",
    "serve_directory",
]
