"""Read-only questions over the store: a film's scores and reviews (scores.py), the text the
CLI prints of them (report.py), every review raw and normalised as CSV or JSON (export.py).
A Session in, plain data out; the CLI uses them, and the HTTP API and web pages will."""
