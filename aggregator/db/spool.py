"""The store's write-ahead spool: no parsed review is lost when a crawl's process dies.

The store pipeline writes reviews in batches. Each review it receives is first appended to its
run's spool file (one JSON line, written with one unbuffered write: it survives a kill -9 from
the moment `append` returns; `os.fdatasync` at most every `fsync_interval` seconds bounds what a
power cut can take). Once a batch is in the database a "stored" line marks its range. A spool
whose run finished with every batch stored is deleted.

A run's process holds an exclusive lock on its spool for as long as it lives, so a spool whose
lock can be taken belongs to a dead process: `claim_leftovers` finds those, and the next run
stores their unmarked reviews and marks the run killed (aggregator.db.runs.recover_dead_runs).

The spool lives beside a SQLite file (`reviews.sqlite-spool/`), else under the user data
directory (`$XDG_DATA_HOME/critics-aggregator/spool/<hash of the database URL>/`): on the
machine that crawled, which is where the next crawl of that database looks.

A Scrapy JOBDIR has the same weakness: Scrapy saves its request queue only when the spider
closes, but appends to its seen-requests list as it goes, so a resume after a kill finds every
request seen and none queued, and fetches nothing. `JobdirGuard` marks a JOBDIR in use; a
crawl that finds the mark of a dead process drops the JOBDIR's request state and starts over.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from aggregator.db.session import data_dir
from aggregator.db.upsert import UpsertCounts
from aggregator.items import ReviewItem

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: spools are written, never claimed from a live run
    fcntl = None

logger = logging.getLogger(__name__)

SPOOL_GLOB = "run-*.jsonl"
COUNTED = ("new", "updated", "unchanged")


def spool_dir_for(database_url: str) -> Path | None:
    """Where the spools of `database_url`'s runs live; None for an in-memory SQLite database
    (nothing of it outlives the process)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if not database or database == ":memory:" or "mode=memory" in database:
            return None
        if not database.startswith("file:"):
            path = Path(database).expanduser().resolve()
            return path.with_name(path.name + "-spool")
    # No password in the hash: a changed password is still the same database.
    key = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    return data_dir() / "spool" / key


# --- encoding ------------------------------------------------------------------------------------


def _tagged(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _untagged(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$date" in obj:
            return date.fromisoformat(obj["$date"])
        if "$datetime" in obj:
            return datetime.fromisoformat(obj["$datetime"])
    return obj


def encode_item(item: ReviewItem) -> dict[str, Any]:
    return {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}


def decode_item(fields: Mapping[str, Any]) -> ReviewItem:
    known = {f.name for f in dataclasses.fields(ReviewItem)}
    return ReviewItem(**{k: v for k, v in fields.items() if k in known})


def _line(record: Mapping[str, Any]) -> bytes:
    # ASCII escapes keep lone surrogates and NULs intact: the item replays exactly as it came.
    return (json.dumps(record, default=_tagged, separators=(",", ":")) + "\n").encode("ascii")


# --- locks -----------------------------------------------------------------------------------------


def _try_lock(fd: int) -> bool:
    """Take the exclusive lock of `fd`'s file without waiting; False while another holds it."""
    if fcntl is None:  # pragma: no cover
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _create_locked(path: Path) -> int:
    """A new file at `path`, locked before its name appears (a claimant never sees it unlocked)."""
    draft = path.with_name(f".{path.name}.{os.getpid()}.new")
    for attempts_left in (2, 1, 0):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
            break
        except FileNotFoundError:  # another run removed the directory, empty, meanwhile
            if not attempts_left:
                raise
    _try_lock(fd)
    os.replace(draft, path)
    return fd


def _remove_if_empty(directory: Path) -> None:
    try:
        directory.rmdir()
    except OSError:  # not empty (another run's spool), or gone already
        pass


def _write_all(fd: int, data: bytes) -> None:
    while data:  # os.write may write less than asked (a signal, a nearly full disk)
        data = data[os.write(fd, data):]


def _still_linked(path: Path, fd: int) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


# --- one run's spool ----------------------------------------------------------------------------


class Spool:
    """The spool of one live run: `append` each review as it arrives, `mark_stored` each batch
    once written; `close(delete=True)` when every review is stored. Thread-safe (the store
    appends from the reactor's thread and marks from its writer thread)."""

    def __init__(self, path: Path, fd: int, fsync_interval: float = 0.5) -> None:
        self.path, self._fd, self.fsync_interval = path, fd, fsync_interval
        self._lock = threading.Lock()
        self._next_seq = 0
        self._stored = 0
        self._synced_at = time.monotonic()
        self.refused: str | None = None
        """Why the last `append` returned None: "unserialisable" or "write_error"."""

    @classmethod
    def create(cls, directory: Path, run_id: int, *, fsync_interval: float = 0.5) -> Spool:
        path = directory / f"run-{run_id}.jsonl"
        return cls(path, _create_locked(path), fsync_interval)

    def append(self, item: ReviewItem) -> int | None:
        """Write `item` and return its sequence number; None (the reason in `refused`) for an
        item with a value JSON cannot hold or a failed write (a full disk): such an item is
        stored as usual, only not protected against a kill."""
        with self._lock:
            seq = self._next_seq
            try:
                line = _line({"seq": seq, "item": encode_item(item)})
            except (TypeError, ValueError):
                self.refused = "unserialisable"
                return None
            try:
                _write_all(self._fd, line)
                self._next_seq += 1
                self._sync_if_due()
            except OSError:
                self.refused = "write_error"
                return None
            return seq

    def mark_stored(self, first: int, last: int, counts: UpsertCounts) -> None:
        """Reviews `first`..`last` are in the database; `counts` are the run's totals so far
        (the row of a killed run is given them)."""
        totals = {name: getattr(counts, name) for name in COUNTED}
        with self._lock:
            self._stored += last - first + 1
            try:
                _write_all(self._fd, _line({"stored": [first, last], "counts": totals}))
            except OSError:  # unmarked, the batch is stored again by the next run: unchanged
                logger.debug("could not mark a stored batch in %s", self.path, exc_info=True)

    @property
    def unstored(self) -> int:
        with self._lock:
            return self._next_seq - self._stored

    def sync(self) -> None:
        with self._lock:
            try:
                self._sync_if_due(force=True)
            except OSError:
                logger.warning("could not sync the spool %s", self.path, exc_info=True)

    def _sync_if_due(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._synced_at >= self.fsync_interval:
            (getattr(os, "fdatasync", None) or os.fsync)(self._fd)
            self._synced_at = now

    def close(self, *, delete: bool) -> None:
        """Release the spool; `delete` it first (while still locked) when nothing is unstored."""
        if self._fd < 0:
            return
        if delete:
            self.path.unlink(missing_ok=True)
        else:
            self.sync()
        os.close(self._fd)
        self._fd = -1
        if delete:
            _remove_if_empty(self.path.parent)


# --- what dead runs left -----------------------------------------------------------------------


@dataclasses.dataclass
class Leftover:
    """The spool of a run whose process is gone, locked by this process until `release`."""

    run_id: int
    path: Path
    items: list[ReviewItem]
    """Reviews the run received but did not mark stored, in arrival order."""
    counts: dict[str, int]
    """The run's totals as of its last stored batch (zeros when it stored none)."""
    unreadable: int
    """Lines that could not be read (a write torn by a power cut)."""
    fd: int

    def release(self, *, delete: bool) -> None:
        if delete:
            self.path.unlink(missing_ok=True)
        os.close(self.fd)


def read_spool(path: Path) -> tuple[list[ReviewItem], dict[str, int], int]:
    """(unstored items, the last recorded totals, unreadable lines) of a spool file."""
    items: dict[int, dict[str, Any]] = {}
    stored: list[tuple[int, int]] = []
    counts = dict.fromkeys(COUNTED, 0)
    unreadable = 0
    with path.open("rb") as spool:
        for raw in spool:
            try:
                record = json.loads(raw, object_hook=_untagged)
                if "seq" in record:
                    items[int(record["seq"])] = record["item"]
                else:
                    stored.append((int(record["stored"][0]), int(record["stored"][1])))
                    counts = {name: int(record["counts"].get(name, 0)) for name in COUNTED}
            except (ValueError, KeyError, TypeError, IndexError):
                unreadable += 1
    for first, last in stored:
        for seq in range(first, last + 1):
            items.pop(seq, None)
    return [decode_item(items[seq]) for seq in sorted(items)], counts, unreadable


def claim_leftovers(directory: Path | None, *, exclude: Iterable[int] = ()) -> list[Leftover]:
    """The spools in `directory` whose writer is dead, each locked for the caller (a run that
    is alive holds its spool's lock; two claimants never get the same spool)."""
    if directory is None or not directory.is_dir():
        return []
    skipped = set(exclude)
    found = []
    for path in sorted(directory.glob(SPOOL_GLOB)):
        try:
            run_id = int(path.stem.removeprefix("run-"))
        except ValueError:
            continue
        if run_id in skipped:
            continue
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:  # finished and deleted meanwhile
            continue
        if not (_try_lock(fd) and _still_linked(path, fd)):
            os.close(fd)
            continue
        try:
            items, counts, unreadable = read_spool(path)
        except OSError:
            os.close(fd)
            logger.exception("cannot read the spool %s", path)
            continue
        found.append(Leftover(run_id, path, items, counts, unreadable, fd))
    return found


# --- a Scrapy JOBDIR left by a dead crawl -------------------------------------------------------

JOBDIR_MARK = "aggregator-crawl.lock"
# What Scrapy keeps of a job's requests (scrapy.dupefilters, scrapy.core.scheduler).
JOBDIR_REQUEST_STATE = ("requests.seen", "requests.queue")


class JobdirGuard:
    """Marks a JOBDIR in use by a live crawl (a locked file, removed at a clean close)."""

    def __init__(self, jobdir: Path) -> None:
        self.jobdir = jobdir
        self._fd = -1

    def left_by_dead_crawl(self) -> bool:
        """True when a crawl that used this JOBDIR died before closing (its mark is unlocked)."""
        mark = self.jobdir / JOBDIR_MARK
        try:
            fd = os.open(mark, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            return _try_lock(fd)
        finally:
            os.close(fd)

    def in_use(self) -> bool:
        """True while another live crawl holds this JOBDIR."""
        return (self.jobdir / JOBDIR_MARK).exists() and not self.left_by_dead_crawl()

    def reset_request_state(self) -> list[str]:
        """Drop Scrapy's seen-requests list and request queue: after a kill they disagree (the
        queue was never saved), so the crawl starts over. Returns what was removed."""
        removed = []
        for name in JOBDIR_REQUEST_STATE:
            path = self.jobdir / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
            else:
                continue
            removed.append(name)
        (self.jobdir / JOBDIR_MARK).unlink(missing_ok=True)
        return removed

    def hold(self, run_id: int) -> None:
        self._fd = _create_locked(self.jobdir / JOBDIR_MARK)
        os.write(self._fd, _line({"run_id": run_id, "pid": os.getpid()}))

    def release(self) -> None:
        """At a clean close, once Scrapy has saved the JOBDIR's state."""
        if self._fd >= 0:
            (self.jobdir / JOBDIR_MARK).unlink(missing_ok=True)
            os.close(self._fd)
            self._fd = -1
