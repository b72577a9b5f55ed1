"""The errors a command reports as one line on stderr (the problem and its fix) with an exit
code, instead of a traceback: what the user can correct (a database URL, a registry file, an
argument) or wait out (a locked database). Anything else is a bug and keeps its traceback.

The error classes are matched by module name, so that `aggregator --help` still loads no
SQLAlchemy: an error of a module that was never imported cannot have been raised.
"""

from __future__ import annotations

import os
import sys

from aggregator.cli.common import EXIT_RUNTIME, EXIT_USAGE
from aggregator.cli.terminal import for_terminal


class UsageError(ValueError):
    """An argument or setting the command cannot use; the message says which and what to give."""


def _registry_fix(error) -> str:
    from aggregator.identity.publications import ENV_VAR

    listed = [p for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p.strip()]
    if error.path in listed:
        return f"fix the file, or take it out of {ENV_VAR}"
    return "fix the file"


def explain(error: BaseException) -> tuple[str, int] | None:
    """(one-line message, exit code) of an error the user can act on; None for any other."""
    if isinstance(error, UsageError):
        return str(error), EXIT_USAGE
    session = sys.modules.get("aggregator.db.session")
    if session is not None:
        if isinstance(error, session.DatabaseLocked):
            return str(error), EXIT_RUNTIME
        if isinstance(error, (session.DatabaseUrlError, session.DatabaseUnavailable, session.SchemaTooNew)):
            return str(error), EXIT_USAGE
        if session.is_locked(error):  # a command's own write, which waited the busy timeout
            return (f"the database is locked by another process (waited {session.sqlite_busy_timeout():g} s);"
                    f" try again when it is done, or raise {session.BUSY_TIMEOUT_ENV}"), EXIT_RUNTIME
    publications = sys.modules.get("aggregator.identity.publications")
    if publications is not None and isinstance(error, publications.RegistryError):
        return f"publication registry {error}; {_registry_fix(error)}", EXIT_USAGE
    return None


def one_line(text: str) -> str:
    """`text` folded onto one line (driver messages run over several) and safe to print."""
    return for_terminal(" ".join(str(text).split()))
