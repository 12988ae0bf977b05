"""The SQLite store of benchmark runs (``History``)."""

from __future__ import annotations

import datetime as _dt
import io
import json
import sqlite3
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

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
from diagtools.history._sqlite import MIGRATIONS, SCHEMA_VERSION, HistoryFile

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "History", "Run"]

#: Costs of a prediction stored with every bench run, usable as trend axes.
COST_METRICS = ("cpu_s_per_1k", "peak_mb", "energy_j_per_1k", "cost_per_million")

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


class History(HistoryFile):
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
