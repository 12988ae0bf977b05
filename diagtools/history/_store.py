"""The SQLite store of benchmark runs (``History``)."""

from __future__ import annotations

import contextlib
import datetime as _dt
import io
import json
import os
import random
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from diagtools.errors import DiagnosticInputError
from diagtools.history._fingerprint import (
    data_fingerprint as _data_fp,
)
from diagtools.history._fingerprint import (
    environment_fingerprint as _env_fp,
)
from diagtools.history._fingerprint import (
    git_commit as _git_commit,
)
from diagtools.history._fingerprint import (
    model_fingerprint as _model_fp,
)

__all__ = ["SCHEMA_VERSION", "History", "Run"]

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
#: Costs of a prediction stored with every bench run, usable as trend axes.
COST_METRICS = ("cpu_s_per_1k", "peak_mb", "energy_j_per_1k", "cost_per_million")
#: Current schema version of the history file.
SCHEMA_VERSION = max(MIGRATIONS)

_T = TypeVar("_T")
_RUN_COLUMNS = ["run_id", "created_at", "name", "tags", "model_fingerprint", "data_fingerprint", "git_commit", "n_samples"]
_METRIC_COLUMNS = ["model", "metric", "estimate", "ci_low", "ci_high", "n"]
_LATENCY_COLUMNS = ["batch_size", "median_ms", "ci_low", "ci_high", "p95_ms", "mean_ms", "n"]


@dataclass(frozen=True)
class Run:
    """One stored benchmark run.

    Attributes
    ----------
    run_id : int
        Identifier in the history.
    name : str
        Name of the series the run belongs to (e.g. ``"main"``, ``"pr-123"``).
    created_at : str
        ISO timestamp (UTC).
    tags : list of str
    model_fingerprint, data_fingerprint, git_commit : str or None
    environment : dict
        Machine and library versions.
    params : dict
        Settings of the run (n_boot, batch sizes, model name...).
    n_samples : int
        Rows evaluated.
    metrics : pandas.DataFrame
        Columns ``model, metric, estimate, ci_low, ci_high, n``.
    latency : pandas.DataFrame
        Columns ``batch_size, median_ms, ci_low, ci_high, p95_ms, mean_ms, n`` (interval of the median).
    samples : dict of int to ndarray
        Raw latency samples (ms) per batch size.
    y_true, y_pred, y_score : ndarray or None
        Stored per-row target, predictions and scores (for paired comparisons).
    """

    run_id: int
    name: str
    created_at: str
    tags: list[str] = field(default_factory=list)
    model_fingerprint: str | None = None
    data_fingerprint: str | None = None
    git_commit: str | None = None
    environment: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    n_samples: int = 0
    metrics: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_METRIC_COLUMNS))
    latency: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_LATENCY_COLUMNS))
    samples: dict[int, np.ndarray] = field(default_factory=dict)
    y_true: np.ndarray | None = None
    y_pred: np.ndarray | None = None
    y_score: np.ndarray | None = None

    def summary(self) -> dict[str, Any]:
        """Return the identifying fields as a JSON-able dict (no arrays)."""
        return {
            "run_id": self.run_id,
            "name": self.name,
            "created_at": self.created_at,
            "tags": list(self.tags),
            "model_fingerprint": self.model_fingerprint,
            "data_fingerprint": self.data_fingerprint,
            "git_commit": self.git_commit,
            "environment": self.environment,
            "n_samples": self.n_samples,
        }

    def __repr__(self) -> str:
        return (
            f"<Run {self.run_id} {self.name!r} {self.created_at}: {len(self.metrics)} metrics, "
            f"{len(self.latency)} batch sizes>"
        )


class History:
    """A store of benchmark runs in one SQLite file, safe for concurrent writers.

    The file uses WAL journaling, a schema version with migrations, and a busy timeout plus
    retries, so several processes (parallel CI jobs) can record runs at once without losing
    any. A file at ``path`` that is not a diagtools history (corrupt, or another program's
    database) raises :class:`~diagtools.errors.DiagnosticInputError` and is never modified.

    Parameters
    ----------
    path : str or path-like
        The database file; created (with its directory) when missing.
    timeout : float, default=30.0
        Seconds a writer waits for another writer's lock before retrying.

    Raises
    ------
    DiagnosticInputError
        When ``path`` is a directory, a non-SQLite file, a corrupt database, a database of
        another application, or a history written by a newer diagtools.

    See Also
    --------
    compare_runs : Compare two runs with statistical tests.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> from diagtools.history import History
    >>> hist = History(pathlib.Path(tempfile.mkdtemp()) / "bench.db")
    >>> metrics = pd.DataFrame({"metric": ["accuracy"], "estimate": [0.9], "ci_low": [0.88], "ci_high": [0.92], "n": [1000]})
    >>> run_id = hist.record(name="main", metrics=metrics, git_commit=None)
    >>> hist.latest("main").metrics["estimate"].tolist()
    [0.9]
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
        return f"History({str(self.path)!r})"

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

    # -- writing --------------------------------------------------------------------------
    def record(
        self,
        *,
        name: str,
        metrics: Any = None,
        latency: Any = None,
        model: Any = None,
        X: Any = None,
        y: Any = None,
        y_pred: Any = None,
        y_score: Any = None,
        tags: Sequence[str] = (),
        model_fingerprint: str | None = None,
        data_fingerprint: str | None = None,
        git_commit: str | None = "auto",
        environment: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        n_boot: int = 1000,
        random_state: int = 0,
    ) -> int:
        """Store one benchmark run and return its id.

        Parameters
        ----------
        name : str
            Series the run belongs to (``"main"``, a branch, a model variant).
        metrics : EvaluationResult or DataFrame, optional
            Metrics with intervals: columns ``metric, estimate, ci_low, ci_high`` (``model``,
            ``n`` optional), or a result with such a ``frame``.
        latency : LatencyResult or DataFrame, optional
            Raw latency samples: columns ``batch_size, latency_ms`` (or a result with a
            ``samples`` frame). Stored raw (float32) and summarised per batch size.
        model : object, optional
            The model, to compute ``model_fingerprint`` when it is not given.
        X, y : optional
            Evaluation data, to compute ``data_fingerprint``; ``y`` is stored per row.
        y_pred, y_score : array-like, optional
            Per-row predictions and scores on ``X``, stored for paired comparisons.
        tags : sequence of str, default=()
        model_fingerprint, data_fingerprint : str, optional
            Precomputed fingerprints (e.g. the hash of the model file).
        git_commit : str or None, default="auto"
            ``"auto"`` asks ``git rev-parse HEAD`` (``None`` when unavailable).
        environment : dict, optional
            Defaults to :func:`environment_fingerprint`.
        params : dict, optional
            Extra settings to keep with the run.
        n_boot : int, default=1000
            Resamples of the bootstrap interval of each median latency.
        random_state : int, default=0
            Seed of that bootstrap.

        Returns
        -------
        int
            The new run id.

        Raises
        ------
        DiagnosticInputError
            When ``name`` is empty, a frame lacks its required columns, ``tags`` is not a list
            of strings, ``n_boot`` < 1 or ``random_state`` is not a non-negative integer seed.
        """
        _check_name(name)
        from diagtools import _validation as V

        n_boot = V.check_n_boot(n_boot)
        random_state = V.check_random_state(random_state, allow_none=False)
        tags = _check_tags(tags)
        metric_frame = _metric_frame(metrics)
        sample_frame = _sample_frame(latency)
        y_true = None if y is None else _flat(y)
        preds = None if y_pred is None else _flat(y_pred)
        scores = None if y_score is None else np.asarray(y_score)
        for arr, label in ((preds, "y_pred"), (scores, "y_score")):
            if arr is not None and y_true is not None and len(arr) != len(y_true):
                raise DiagnosticInputError(
                    f"{label} has {len(arr)} rows but y has {len(y_true)}. Pass {label} for the same rows, in the same order."
                )
        if model_fingerprint is None and model is not None:
            model_fingerprint = _model_fp(model)
        if data_fingerprint is None and X is not None:
            data_fingerprint = _data_fp(X, y)
        if git_commit == "auto":
            git_commit = _git_commit()
        env = _env_fp() if environment is None else dict(environment)
        n_samples = len(y_true) if y_true is not None else int(metric_frame["n"].max()) if len(metric_frame) and metric_frame["n"].notna().any() else 0
        created = _dt.datetime.now(_dt.UTC).isoformat(timespec="microseconds")

        latency_rows = _latency_rows(sample_frame, n_boot=n_boot, random_state=random_state)
        run_params = {"n_boot": n_boot, "random_state": random_state, **(params or {})}
        metric_rows = [
            (str(r.model), str(r.metric), _num(r.estimate), _num(r.ci_low), _num(r.ci_high), _int(r.n))
            for r in metric_frame.itertuples(index=False)
        ]
        blobs = (
            (_encode(y_true), _encode(preds), _encode(scores))
            if any(a is not None for a in (y_true, preds, scores)) else None
        )

        def work(con: sqlite3.Connection) -> int:
            cur = con.execute(
                "INSERT INTO runs (created_at, name, tags, model_fingerprint, data_fingerprint, git_commit, environment, "
                "params, n_samples) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (created, name, json.dumps(list(tags)), model_fingerprint, data_fingerprint, git_commit,
                 json.dumps(_plain(env)), json.dumps(_plain(run_params)), n_samples),
            )
            run_id = int(cur.lastrowid or 0)
            con.executemany(
                "INSERT INTO metrics (run_id, model, metric, estimate, ci_low, ci_high, n) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(run_id, *row) for row in metric_rows],
            )
            con.executemany(
                "INSERT INTO latency (run_id, batch_size, median_ms, ci_low, ci_high, p95_ms, mean_ms, n, samples) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(run_id, *row) for row in latency_rows],
            )
            if blobs is not None:
                con.execute("INSERT INTO predictions (run_id, y_true, y_pred, y_score) VALUES (?, ?, ?, ?)", (run_id, *blobs))
            return run_id

        return self._write(work)

    def delete(self, run_id: int) -> None:
        """Remove one run (and its metrics, latency samples and predictions).

        Parameters
        ----------
        run_id : int
        """
        self.get(run_id)

        def work(con: sqlite3.Connection) -> None:
            for table in ("metrics", "latency", "predictions"):
                con.execute(f"DELETE FROM {table} WHERE run_id = ?", (int(run_id),))
            con.execute("DELETE FROM runs WHERE id = ?", (int(run_id),))

        self._write(work)

    # -- reading --------------------------------------------------------------------------
    def runs(self, name: str | None = None) -> pd.DataFrame:
        """List stored runs, oldest first.

        Parameters
        ----------
        name : str, optional
            Only runs of this series.

        Returns
        -------
        pandas.DataFrame
            Columns ``run_id, created_at, name, tags, model_fingerprint, data_fingerprint,
            git_commit, n_samples``.
        """
        sql = ("SELECT id, created_at, name, tags, model_fingerprint, data_fingerprint, git_commit, n_samples "
               "FROM runs")
        args: tuple[Any, ...] = ()
        if name is not None:
            sql += " WHERE name = ?"
            args = (name,)
        with self._read() as con:
            rows = con.execute(sql + " ORDER BY id", args).fetchall()
        frame = pd.DataFrame(rows, columns=_RUN_COLUMNS)
        frame["tags"] = [json.loads(t) for t in frame["tags"]]
        return frame

    def names(self) -> list[str]:
        """Return the names of the stored series, sorted."""
        with self._read() as con:
            return [r[0] for r in con.execute("SELECT DISTINCT name FROM runs ORDER BY name")]

    def get(self, run_id: int) -> Run:
        """Return one run with its metrics, latency samples and stored predictions.

        Parameters
        ----------
        run_id : int

        Returns
        -------
        Run

        Raises
        ------
        DiagnosticInputError
            When no run has this id.
        """
        try:
            rid = int(run_id)
        except (TypeError, ValueError) as exc:
            raise DiagnosticInputError(f"run_id must be an integer, got {run_id!r}.") from exc
        with self._read() as con:
            row = con.execute(
                "SELECT id, created_at, name, tags, model_fingerprint, data_fingerprint, git_commit, environment, "
                "params, n_samples FROM runs WHERE id = ?", (rid,),
            ).fetchone()
            if row is None:
                last = con.execute("SELECT MAX(id) FROM runs").fetchone()[0]
                raise DiagnosticInputError(
                    f"run_id: no run {rid} in {self.path.name} (run ids go up to {last or 0}). "
                    "List them with History(path).runs()."
                )
            metrics = pd.DataFrame(
                con.execute(f"SELECT {', '.join(_METRIC_COLUMNS)} FROM metrics WHERE run_id = ? ORDER BY rowid", (rid,)).fetchall(),
                columns=_METRIC_COLUMNS,
            )
            lat_rows = con.execute(
                f"SELECT {', '.join(_LATENCY_COLUMNS)}, samples FROM latency WHERE run_id = ? ORDER BY batch_size", (rid,)
            ).fetchall()
            pred = con.execute("SELECT y_true, y_pred, y_score FROM predictions WHERE run_id = ?", (rid,)).fetchone()
        latency = pd.DataFrame([r[:-1] for r in lat_rows], columns=_LATENCY_COLUMNS)
        samples = {int(r[0]): np.frombuffer(r[-1], dtype="<f4").astype(np.float64) for r in lat_rows if r[-1] is not None}
        y_true, y_pred, y_score = (_decode(b) for b in pred) if pred else (None, None, None)
        return Run(
            run_id=int(row[0]), created_at=row[1], name=row[2], tags=json.loads(row[3]), model_fingerprint=row[4],
            data_fingerprint=row[5], git_commit=row[6], environment=json.loads(row[7]), params=json.loads(row[8]),
            n_samples=int(row[9]), metrics=metrics, latency=latency, samples=samples,
            y_true=y_true, y_pred=y_pred, y_score=y_score,
        )

    def latest(self, name: str) -> Run:
        """Return the most recent run of the series ``name`` (like :meth:`get`; no run of it is an input error)."""
        with self._read() as con:
            row = con.execute("SELECT MAX(id) FROM runs WHERE name = ?", (name,)).fetchone()
        if row is None or row[0] is None:
            from diagtools._validation import closest_hint

            names = self.names()
            shown = ", ".join(repr(n) for n in names[:10]) or "none yet"
            raise DiagnosticInputError(
                f"no run named {name!r} in {self.path.name}{closest_hint(name, names)} Stored names: {shown}."
            )
        return self.get(int(row[0]))

    def resolve(self, ref: int | str) -> Run:
        """Return the run a reference means: a run id (``12``, ``"12"``) or a name (its latest run).

        Parameters
        ----------
        ref : int or str

        Returns
        -------
        Run
        """
        if isinstance(ref, (int, np.integer)) or (isinstance(ref, str) and ref.strip().isdigit()):
            return self.get(int(ref))
        return self.latest(str(ref))

    def trend(
        self,
        metric: str,
        *,
        name: str | None = None,
        batch_size: int | None = None,
        tolerance: float | None = None,
        alpha: float = 0.05,
    ) -> Any:
        """Return one metric (or median latency) across runs, flagging regressions run to run.

        Parameters
        ----------
        metric : str
            A stored metric name (``"accuracy"``), ``"latency_ms"`` for the median latency, or a
            cost of a prediction stored by :func:`bench`: ``"cpu_s_per_1k"``, ``"peak_mb"``,
            ``"energy_j_per_1k"``, ``"cost_per_million"`` (shown, not tested: no interval).
        name : str, optional
            Only runs of this series (default: every series, each compared with its own previous run).
        batch_size : int, optional
            For ``"latency_ms"``: only this batch size (default: every stored batch size).
        tolerance : float, optional
            Allowed worsening before a change counts (absolute for metrics, relative for
            latency); defaults to 0.01 and 0.10.
        alpha : float, default=0.05
            Significance level of the run-to-run interval test.

        Returns
        -------
        Trend
            ``.frame`` with one row per run (and batch size).

        Raises
        ------
        DiagnosticInputError
            When the metric is stored in no run.
        """
        from diagtools.history._trend import build_trend

        if metric in COST_METRICS:
            return build_trend(self._cost_frame(metric, name, batch_size), metric=metric, tolerance=tolerance,
                               alpha=alpha)
        with self._read() as con:
            if metric == "latency_ms":
                sql = ("SELECT r.id, r.created_at, r.name, l.batch_size, l.median_ms, l.ci_low, l.ci_high, l.n "
                       "FROM latency l JOIN runs r ON r.id = l.run_id")
                cond, args = [], []
                if batch_size is not None:
                    cond.append("l.batch_size = ?")
                    args.append(int(batch_size))
            else:
                sql = ("SELECT r.id, r.created_at, r.name, NULL, m.estimate, m.ci_low, m.ci_high, m.n "
                       "FROM metrics m JOIN runs r ON r.id = m.run_id "
                       "WHERE m.model = (SELECT model FROM metrics WHERE run_id = r.id ORDER BY rowid LIMIT 1)")
                cond, args = ["m.metric = ?"], [metric]
            if name is not None:
                cond.append("r.name = ?")
                args.append(name)
            if cond:
                sql += (" AND " if " WHERE " in sql else " WHERE ") + " AND ".join(cond)
            rows = con.execute(sql + " ORDER BY r.id", args).fetchall()
            known = [r[0] for r in con.execute("SELECT DISTINCT metric FROM metrics ORDER BY metric")]
        if not rows:
            raise DiagnosticInputError(
                f"metric: no stored run has {metric!r}"
                + (f" for name={name!r}" if name is not None else "")
                + f". Stored metrics: {', '.join([*known, 'latency_ms']) or 'none'}."
            )
        frame = pd.DataFrame(rows, columns=["run_id", "created_at", "name", "batch_size", "estimate", "ci_low", "ci_high", "n"])
        return build_trend(frame, metric=metric, tolerance=tolerance, alpha=alpha)

    def _cost_frame(self, metric: str, name: str | None, batch_size: int | None) -> pd.DataFrame:
        """One cost of a prediction across runs (from ``params["cost"]``), shaped like a trend frame."""
        sql = "SELECT id, created_at, name, params FROM runs" + (" WHERE name = ?" if name is not None else "")
        with self._read() as con:
            rows = con.execute(sql + " ORDER BY id", (name,) if name is not None else ()).fetchall()
        out = []
        for rid, created, series, params in rows:
            for c in json.loads(params).get("cost") or []:
                value = c.get(metric)
                if value is None or (batch_size is not None and int(c["batch_size"]) != int(batch_size)):
                    continue
                out.append((rid, created, series, int(c["batch_size"]), float(value), np.nan, np.nan, 1))
        if not out:
            raise DiagnosticInputError(
                f"metric: no stored run has {metric!r}" + (f" for name={name!r}" if name is not None else "")
                + ". Record runs with diagtools bench (which stores the cost of a prediction) first."
            )
        return pd.DataFrame(out, columns=["run_id", "created_at", "name", "batch_size", "estimate", "ci_low",
                                          "ci_high", "n"])

    def compare_models(self, baseline: Any, candidate: Any, X: Any, y: Any = None, **kwargs: Any) -> Any:
        """Bench two models in the same job and compare them: the reliable latency gate.

        Both models are timed interleaved in fresh worker processes
        (:func:`~diagtools.history.paired_latency`), so machine noise hits them alike and the
        latency test is on paired block ratios; with ``y``, both are evaluated on the same rows
        and their metrics compared with a paired bootstrap. Both runs are recorded (tags
        ``paired-baseline`` / ``paired-candidate``), with the cost of a prediction in
        ``run.params["cost"]``.

        Parameters
        ----------
        baseline, candidate : estimator or str or path-like
            Fitted models, or model files (loaded in each worker, and here for the metrics).
        X : DataFrame or array-like
            Evaluation rows; latency batch ``b`` is the first ``b`` rows.
        y : array-like, optional
            Targets: adds the metric comparison.
        **kwargs
            ``baseline_name="baseline"``, ``name="candidate"`` (series names), ``tags``,
            ``batch_sizes=(1, 100)``, ``n_processes=4``, ``n_blocks=10``,
            ``latency_tolerance=0.05``, ``metric_tolerance=0.01``, ``alpha=0.05``,
            ``metrics``, ``confidence=0.95``, ``cpu_hour_price``, ``n_boot=1000``,
            ``load_kwargs`` (for model files: ``trust``, ``trusted``), ``git_commit="auto"``,
            ``record=True``, ``pool`` (a :class:`~diagtools.history.WorkerPool` to reuse),
            ``progress=False``, ``random_state=0``.

        Returns
        -------
        RunComparison
            Metric rows as in :meth:`compare`, latency rows from the paired measurement
            (``method == "paired_blocks"``; regressed when the lower bound of the ratio exceeds
            ``1 + latency_tolerance``), and ``latency_detail``.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> import numpy as np
        >>> from diagtools.history import History, ServiceTimeModel
        >>> hist = History(pathlib.Path(tempfile.mkdtemp()) / "bench.db")
        >>> res = hist.compare_models(ServiceTimeModel(0.2), ServiceTimeModel(0.4), np.zeros((4, 2)),
        ...                           batch_sizes=(1,), n_processes=2, n_blocks=4, git_commit=None)  # doctest: +SKIP
        >>> res.regressed  # doctest: +SKIP
        True
        """
        from diagtools.history._bench import bench_pair

        return bench_pair(self, baseline, candidate, X, y, **kwargs)

    def compare(self, baseline: int | str, candidate: int | str, **kwargs: Any) -> Any:
        """Compare two stored runs (ids, or names meaning their latest run).

        Latency: the interval adds the run-to-run spread learned from the baseline's series
        (:func:`~diagtools.history._compare.run_spread`; 10% until the series has a few runs),
        and a finding names what differs between the two environments. Timing both models in
        the same job (:meth:`compare_models`) is the reliable latency gate.

        Parameters
        ----------
        baseline, candidate : int or str
        **kwargs
            Passed to :func:`compare_runs`.

        Returns
        -------
        RunComparison
        """
        from diagtools.history._compare import compare_runs, run_spread

        base, cand = self.resolve(baseline), self.resolve(candidate)
        if "run_spread" not in kwargs and base.samples:
            # the run-to-run spread of the baseline's series, learned from its stored medians
            with self._read() as con:
                rows = con.execute(
                    "SELECT l.batch_size, l.median_ms FROM latency l JOIN runs r ON r.id = l.run_id "
                    "WHERE r.name = ? AND r.id != ? ORDER BY r.id", (base.name, cand.run_id),
                ).fetchall()
            spreads = {}
            for batch in base.samples:
                spreads[int(batch)] = run_spread([m for b, m in rows if int(b) == int(batch)])[0]
            kwargs["run_spread"] = spreads
        return compare_runs(base, cand, **kwargs)


# -- helpers -------------------------------------------------------------------------------
def _check_name(name: Any) -> None:
    if not isinstance(name, str) or not name.strip():
        raise DiagnosticInputError(f"name must be a non-empty string, got {name!r}. Pass e.g. name='main'.")
    if name.strip().isdigit():
        raise DiagnosticInputError(
            f"name must not be a number, got {name!r} (numbers mean run ids). Pass e.g. name='main-{name}'."
        )


def _latency_rows(sample_frame: pd.DataFrame, *, n_boot: int, random_state: int) -> list[tuple[Any, ...]]:
    """One ``latency`` table row per batch size: median with its bootstrap interval, p95, mean, raw samples."""
    from diagtools.history._compare import median_interval

    rows = []
    for batch, group in sample_frame.groupby("batch_size", sort=True):
        values = group["latency_ms"].to_numpy(dtype=np.float32)
        low, high = median_interval(values, n_boot=n_boot, random_state=random_state)
        rows.append((int(batch), float(np.median(values)), low, high, float(np.percentile(values, 95)),
                     float(values.mean()), len(values), values.astype("<f4").tobytes()))
    return rows


def _check_tags(tags: Any) -> list[str]:
    """Tags are a list of strings: a bare string would be stored letter by letter."""
    if tags is None:
        return []
    if isinstance(tags, (str, bytes)) or not isinstance(tags, (list, tuple, set, frozenset)):
        raise DiagnosticInputError(
            f"tags must be a list of strings, got {type(tags).__name__} {tags!r}. Pass e.g. tags=['nightly']."
        )
    bad = [t for t in tags if not isinstance(t, str)]
    if bad:
        raise DiagnosticInputError(
            f"tags must be a list of strings, got {bad[0]!r} ({type(bad[0]).__name__}) among them. "
            f"Pass e.g. tags=[{str(bad[0])!r}]."
        )
    return list(tags)


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


def _metric_frame(metrics: Any) -> pd.DataFrame:
    if metrics is None:
        return pd.DataFrame(columns=_METRIC_COLUMNS)
    frame = getattr(metrics, "frame", metrics)
    if not isinstance(frame, pd.DataFrame):
        raise DiagnosticInputError(
            f"metrics must be an EvaluationResult or a DataFrame, got {type(metrics).__name__}. Pass evaluate(...)."
        )
    missing = [c for c in ("metric", "estimate", "ci_low", "ci_high") if c not in frame.columns]
    if missing:
        raise DiagnosticInputError(
            f"metrics: missing column(s) {missing}; expected metric, estimate, ci_low, ci_high (model, n optional). "
            f"Got {list(frame.columns)}."
        )
    out = frame.copy()
    if "model" not in out.columns:
        out["model"] = "model"
    if "n" not in out.columns:
        out["n"] = np.nan
    return out[_METRIC_COLUMNS].drop_duplicates(subset=["model", "metric"], keep="first")


def _sample_frame(latency: Any) -> pd.DataFrame:
    if latency is None:
        return pd.DataFrame({"batch_size": pd.Series(dtype=int), "latency_ms": pd.Series(dtype=float)})
    frame = getattr(latency, "samples", latency)
    if not isinstance(frame, pd.DataFrame) or not {"batch_size", "latency_ms"} <= set(frame.columns):
        raise DiagnosticInputError(
            "latency must be a LatencyResult or a DataFrame with columns batch_size, latency_ms "
            f"(raw samples), got {type(latency).__name__}. Pass profile_latency(...)."
        )
    out = frame[["batch_size", "latency_ms"]]
    values = pd.to_numeric(out["latency_ms"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        kinds = [f"{int(k.sum())} {label}" for k, label in (
            (np.isnan(values), "NaN or non-numeric"), (np.isinf(values), "infinite"), (values < 0, "negative"))
            if k.any()]
        raise DiagnosticInputError(
            f"latency: latency_ms must hold finite times >= 0 (milliseconds), got {', '.join(kinds)} value(s) "
            f"(first at row {first}: {out['latency_ms'].iloc[first]!r}). Pass the raw timings of "
            "profile_latency(...), without failed or missing calls."
        )
    sizes = pd.to_numeric(out["batch_size"], errors="coerce").to_numpy(dtype=float)
    if (~np.isfinite(sizes) | (sizes < 1) | (sizes != np.round(sizes))).any():
        shown = sorted({str(v) for v in out["batch_size"][~(np.isfinite(sizes) & (sizes >= 1) & (sizes == np.round(sizes)))]})
        raise DiagnosticInputError(
            f"latency: batch_size must hold positive integers, got {', '.join(shown[:5])}. "
            "Pass the rows per call of each timing."
        )
    return pd.DataFrame({"batch_size": sizes.astype(int), "latency_ms": values}, index=out.index)


def _flat(values: Any) -> np.ndarray:
    arr = np.asarray(values.to_numpy() if hasattr(values, "to_numpy") else values)
    return arr.reshape(-1) if arr.ndim > 1 and arr.shape[-1] == 1 else arr


def _encode(arr: np.ndarray | None) -> bytes | None:
    if arr is None:
        return None
    a = np.asarray(arr)
    if a.dtype.kind == "O" or a.dtype.kind == "T":
        a = a.astype(str)
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return zlib.compress(buf.getvalue(), 6)


def _decode(blob: bytes | None) -> np.ndarray | None:
    if blob is None:
        return None
    return np.load(io.BytesIO(zlib.decompress(blob)), allow_pickle=False)


def _num(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(v) else v


def _int(value: Any) -> int | None:
    v = _num(value)
    return None if v is None else int(v)


def _plain(value: Any) -> Any:
    from diagtools._result import _jsonable

    return _jsonable(value)
