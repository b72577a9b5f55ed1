"""Saving and loading trained verdict models, versioned: in the database, in a directory, or both.

- Database: table `verdict_models` (migration 0006): name, version (1, 2, … per name),
  created_at, trained_on, metrics JSON, format, and the model as gzip-compressed JSON.
- Directory: `$AGGREGATOR_VERDICT_MODEL_DIR` (or the `directory` argument / the Scrapy
  setting of that name), one file per version: `<name>-v<version>.json.gz`.

The stored form is plain data (aggregator.verdicts.text.linear.LinearTextModel.to_dict: vocabulary,
idf, weights), never a pickle, so loading runs no code and survives a scikit-learn upgrade.
`load_verdict_model` returns the newest stored model (by created_at, then version), else the
lexicon fallback; a stored model that cannot be read is logged and skipped, never fatal. The
caller loads it once per crawl.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from aggregator.db.models import VerdictModelRecord
from aggregator.verdicts.text.linear import FORMAT, LinearTextModel
from aggregator.verdicts.text.model import fallback_model

logger = logging.getLogger(__name__)

DIRECTORY_SETTING = "AGGREGATOR_VERDICT_MODEL_DIR"
"""Environment variable (and Scrapy setting) naming the directory of stored models."""
_FILE = re.compile(r"^(?P<name>[\w.-]+?)-v(?P<version>\d+)\.json\.gz$")


class ModelStoreError(ValueError):
    """A model cannot be saved: nowhere to save it, or not a trained model."""


def model_directory(directory: str | os.PathLike[str] | None = None, settings: Any = None) -> Path | None:
    """The directory of stored models: the argument, else $AGGREGATOR_VERDICT_MODEL_DIR, else
    the setting of that name (`settings` is anything with .get), else None."""
    chosen = directory or os.environ.get(DIRECTORY_SETTING) or (
        settings.get(DIRECTORY_SETTING) if settings is not None else None
    )
    return Path(chosen).expanduser() if chosen else None


def encode_model(model: LinearTextModel) -> bytes:
    return gzip.compress(json.dumps(model.to_dict(), ensure_ascii=False).encode("utf-8"), mtime=0)


def decode_model(data: bytes) -> LinearTextModel:
    """The model in `data` (gzip JSON); ValueError when it is not one."""
    try:
        return LinearTextModel.from_dict(json.loads(gzip.decompress(data).decode("utf-8")))
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"stored verdict model is not gzip JSON: {error}") from error


def save_verdict_model(
    model: LinearTextModel,
    session_or_engine: Session | Engine | None = None,
    *,
    directory: str | os.PathLike[str] | None = None,
) -> int:
    """Store a trained model as the next version of its name, in the database and/or the
    directory (the argument or $AGGREGATOR_VERDICT_MODEL_DIR); returns the version, also set
    on `model`. With a Session the caller commits; with an Engine it is committed here."""
    if not isinstance(model, LinearTextModel):
        raise ModelStoreError("only a trained model is stored (the fallback needs no storing)")
    folder = model_directory(directory)
    if session_or_engine is None and folder is None:
        raise ModelStoreError(f"nowhere to save the model: give a database or set {DIRECTORY_SETTING}")
    version = 1 + max(_database_version(session_or_engine, model.name), _directory_version(folder, model.name))
    model.version = version
    data = encode_model(model)
    if session_or_engine is not None:
        record = VerdictModelRecord(name=model.name, version=version, created_at=model.created_at,
                                    trained_on=model.trained_on, metrics=model.metrics or None,
                                    format=FORMAT, model=data)  # fmt: skip
        if isinstance(session_or_engine, Session):
            session_or_engine.add(record)
            session_or_engine.flush()
        else:
            with Session(session_or_engine) as session, session.begin():
                session.add(record)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{model.name}-v{version}.json.gz"
        partial = target.with_suffix(".partial")
        partial.write_bytes(data)
        partial.replace(target)  # a reader never sees half a file
    return version


def load_verdict_model(
    session_or_engine: Session | Engine | None = None,
    directory: str | os.PathLike[str] | None = None,
):
    """The newest stored trained model (database and directory), else `fallback_model()`.
    Newest by the database row's created_at (a file: the model's own), then version."""
    candidates: list[tuple[datetime, int, str, Any]] = []  # (created, version, where, bytes or model)
    if session_or_engine is not None:
        for record in _database_records(session_or_engine):
            candidates.append((record.created_at, record.version, f"database row {record.id}", record.model))
    folder = model_directory(directory)
    if folder is not None and folder.is_dir():
        for path in sorted(folder.iterdir()):
            if _FILE.match(path.name):
                try:
                    model = decode_model(path.read_bytes())
                except (ValueError, OSError) as error:
                    logger.warning("verdict model %s skipped: %s", path, error)
                    continue
                candidates.append((model.created_at, model.version, str(path), model))
    for _, _, where, data in sorted(candidates, key=lambda c: (c[0], c[1]), reverse=True):
        if isinstance(data, LinearTextModel):
            return data
        try:
            return decode_model(data)
        except ValueError as error:
            logger.warning("verdict model at %s skipped: %s", where, error)
    return fallback_model()


def stored_versions(session_or_engine: Session | Engine) -> list[tuple[str, int, datetime, int]]:
    """(name, version, created_at, trained_on) of every model in the database, oldest first."""
    query = select(VerdictModelRecord.name, VerdictModelRecord.version, VerdictModelRecord.created_at,
                   VerdictModelRecord.trained_on).order_by(VerdictModelRecord.created_at, VerdictModelRecord.id)  # fmt: skip
    return [tuple(row) for row in _run(session_or_engine, lambda s: s.execute(query).all())]  # type: ignore[misc]


def _database_records(session_or_engine: Session | Engine) -> list[VerdictModelRecord]:
    query = select(VerdictModelRecord).order_by(VerdictModelRecord.created_at.desc(), VerdictModelRecord.id.desc())
    # the newest few are enough: an older one is read only if every newer one is damaged
    return _run(session_or_engine, lambda s: list(s.scalars(query.limit(5))))


def _database_version(session_or_engine: Session | Engine | None, name: str) -> int:
    if session_or_engine is None:
        return 0
    query = select(func.max(VerdictModelRecord.version)).where(VerdictModelRecord.name == name)
    return _run(session_or_engine, lambda s: s.scalar(query)) or 0


def _directory_version(folder: Path | None, name: str) -> int:
    if folder is None or not folder.is_dir():
        return 0
    versions = [int(m["version"]) for p in folder.iterdir() if (m := _FILE.match(p.name)) and m["name"] == name]
    return max(versions, default=0)


def _run(session_or_engine: Session | Engine, work):
    if isinstance(session_or_engine, Session):
        return work(session_or_engine)
    with Session(session_or_engine, expire_on_commit=False) as session:
        return work(session)
