"""The SQLite file under a benchmark history: opening, checking, migrating, retrying writes.

A file that is not a diagtools history (another program's database, a corrupt file, a newer
schema) is refused before anything is written to it; writers retry while another process
holds the lock, so parallel CI jobs can record at once.
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from diagtools.errors import DiagnosticInputError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "HistoryFile"]

#: ``PRAGMA application_id`` of a diagtools history file ("DGHT").
APPLICATION_ID = 0x44474854
_APP_NAME = "diagtools-history"
_SQLITE_MAGIC = b"SQLite format 3\x00"

# Schema migrations: version -> statements taking the database from version-1 to version.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, name TEXT NOT NULL, "
        "tags TEXT NOT NULL DEFAULT '[]', model_fingerprint TEXT, data_fingerprint TEXT, git_commit TEXT, "
        "environment TEXT NOT NULL DEFAULT '{}', params TEXT NOT NULL DEFAULT '{}', n_samples INTEGER NOT NULL DEFAULT 0)",
        "CREATE INDEX runs_by_name ON runs (name, id)",
        "CREATE TABLE metrics (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, model TEXT NOT NULL, "
        "metric TEXT NOT NULL, estimate REAL, ci_low REAL, ci_high REAL, n INTEGER, PRIMARY KEY (run_id, model, metric))",
        "CREATE TABLE latency (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, batch_size INTEGER NOT NULL, "
        "median_ms REAL, ci_low REAL, ci_high REAL, p95_ms REAL, mean_ms REAL, n INTEGER, samples BLOB, "
        "PRIMARY KEY (run_id, batch_size))",
    ),
    2: (
        "CREATE TABLE predictions (run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE, "
        "y_true BLOB, y_pred BLOB, y_score BLOB)",
    ),
}
#: Current schema version of the history file.
SCHEMA_VERSION = max(MIGRATIONS)

_T = TypeVar("_T")


class HistoryFile:
    """A diagtools history file: checked on opening, migrated to the current schema, written with retries.

    Parameters
    ----------
    path : str or path-like
    timeout : float, default=30.0
        Seconds a writer waits for another writer's lock before retrying.
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.timeout = float(timeout)
        # A history on a read-only mount (or in a directory we may not write) can still be read:
        # SQLite's immutable mode needs no lock file. Writing then fails with a permissions error.
        self.read_only = not _writable(self.path)
        self._check_file()
        if self.read_only:
            return
        try:
            self._migrate()
        except sqlite3.Error as exc:
            raise DiagnosticInputError(
                f"db: cannot open or initialise {self.path} ({type(exc).__name__}: {exc}). "
                "Check that the directory is writable, or pass another --db path."
            ) from exc

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    # -- opening --------------------------------------------------------------------------
    def _check_file(self) -> None:
        """Refuse anything at ``path`` that is not (or cannot become) a diagtools history."""
        p = self.path
        if p.exists() and not p.is_file():
            raise DiagnosticInputError(f"db: {p} is a directory, not a history file. Pass a file path such as bench.db.")
        if not p.exists():
            if self.read_only:
                raise _permission(p, "there is no history file there and its directory cannot be written")
            try:
                p.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise _permission(p, f"its directory cannot be created ({exc.strerror or exc})") from exc
            return
        try:
            with open(p, "rb") as fh:
                head = fh.read(16)
        except OSError as exc:
            raise _permission(p, f"the file cannot be read ({exc.strerror or exc})") from exc
        if len(head) == 16 and head != _SQLITE_MAGIC:
            raise _foreign(p, "it is not an SQLite database (corrupt or another kind of file)")
        if len(head) == 0:
            if self.read_only:
                raise _permission(p, "the file is empty and cannot be written")
            return
        if self.read_only:
            wal = p.with_name(p.name + "-wal")
            if wal.exists() and wal.stat().st_size > 0:
                raise _permission(
                    p, f"its write-ahead log {wal.name} holds changes not yet merged, which SQLite can only "
                    "read with write access"
                )
            self._inspect(p)
            return
        sidecars = [p.with_name(p.name + suffix) for suffix in ("-wal", "-shm")]
        existed = {str(s) for s in sidecars if s.exists()}
        try:
            self._inspect(p)
        except DiagnosticInputError:
            for extra in sidecars:  # remove only what opening the file just created
                if str(extra) not in existed:
                    with contextlib.suppress(OSError):
                        extra.unlink()
            raise

    def _uri(self, p: Path) -> str:
        return p.resolve().as_uri() + ("?mode=ro&immutable=1" if self.read_only else "?mode=ro")

    def _inspect(self, p: Path) -> None:
        try:
            with contextlib.closing(sqlite3.connect(self._uri(p), uri=True, timeout=self.timeout)) as con:
                app_id = con.execute("PRAGMA application_id").fetchone()[0]
                tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
                version = con.execute("PRAGMA user_version").fetchone()[0]
                if app_id not in (0, APPLICATION_ID):
                    raise _foreign(p, f"it is a database of another application (application_id {app_id:#x})")
                if tables and "meta" not in tables:
                    shown = ", ".join(sorted(tables)[:5])
                    raise _foreign(p, f"it is an SQLite database of another application (tables: {shown})")
                if "meta" in tables:
                    row = con.execute("SELECT value FROM meta WHERE key='application'").fetchone()
                    if row is None or row[0] != _APP_NAME:
                        raise _foreign(p, "its meta table does not identify a diagtools history")
                if version > SCHEMA_VERSION:
                    raise DiagnosticInputError(
                        f"db: {p} has history schema version {version}, newer than this diagtools supports "
                        f"({SCHEMA_VERSION}). Upgrade diagtools to read it."
                    )
                con.execute("PRAGMA quick_check").fetchall()
        except sqlite3.DatabaseError as exc:
            if _is_access_error(exc):
                raise _permission(p, f"SQLite cannot open it ({exc})") from exc
            raise _foreign(p, f"SQLite cannot read it ({exc})") from exc

    def _connect(self) -> sqlite3.Connection:
        if self.read_only:
            return sqlite3.connect(self._uri(self.path), uri=True, timeout=self.timeout, isolation_level=None)
        con = sqlite3.connect(str(self.path), timeout=self.timeout, isolation_level=None)
        con.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
        con.execute("PRAGMA foreign_keys = ON")
        return con

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        con = self._connect()
        try:
            yield con
        finally:
            con.close()

    def _write(self, work: Callable[[sqlite3.Connection], _T], *, attempts: int = 50) -> _T:
        """Run ``work`` in one ``BEGIN IMMEDIATE`` transaction, retrying while the file is locked."""
        if self.read_only:
            raise _permission(self.path, "it is read-only here, so runs cannot be recorded or deleted")
        delay = 0.01
        for attempt in range(attempts):
            con = self._connect()
            try:
                con.execute("BEGIN IMMEDIATE")
                try:
                    out = work(con)
                    con.execute("COMMIT")
                    return out
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        con.execute("ROLLBACK")
                    raise
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or attempt == attempts - 1:
                    raise
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 1.0)
            finally:
                con.close()
        raise RuntimeError("unreachable")  # pragma: no cover

    def _migrate(self) -> None:
        with self._read() as con:
            current = con.execute("PRAGMA user_version").fetchone()[0]
            mode = con.execute("PRAGMA journal_mode").fetchone()[0]
        if current == SCHEMA_VERSION and str(mode).lower() == "wal":
            return  # nothing to do: no write lock taken just to open the file

        def work(con: sqlite3.Connection) -> None:
            version = con.execute("PRAGMA user_version").fetchone()[0]
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[target]:
                    con.execute(statement)
            if version == 0:
                con.execute("INSERT INTO meta (key, value) VALUES ('application', ?)", (_APP_NAME,))
                con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            if version < SCHEMA_VERSION:
                con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                con.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
                )

        self._write(work)
        for attempt in range(50):
            try:
                with self._read() as con:
                    mode = con.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() == "wal":
                    break
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or attempt == 49:
                    raise
            time.sleep(0.02 * (1 + random.random()))

    @property
    def schema_version(self) -> int:
        """Schema version of the file."""
        with self._read() as con:
            return int(con.execute("PRAGMA user_version").fetchone()[0])



def _foreign(path: Path, why: str) -> DiagnosticInputError:
    return DiagnosticInputError(
        f"db: {path} is not a diagtools history file: {why}. It was left untouched. "
        "Pass another --db path, or move that file away."
    )


def _permission(path: Path, why: str) -> DiagnosticInputError:
    return DiagnosticInputError(
        f"db: cannot use {path}: {why}. Check the permissions of the file and its directory (a read-only "
        "mount can be read but not written), copy the history to a writable place, or pass another --db path."
    )


def _writable(path: Path) -> bool:
    """Whether the history file (and the lock files SQLite puts beside it) can be written."""
    if path.exists():
        return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    return os.access(parent, os.W_OK)


def _is_access_error(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return any(t in text for t in ("unable to open", "readonly", "read-only", "permission", "access"))


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text
