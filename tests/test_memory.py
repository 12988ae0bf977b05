"""Tests of profile_memory: known allocations per batch size and serialised sizes."""

from __future__ import annotations

import mmap
import pickle
import time

import numpy as np
import pytest

from diagtools.errors import DiagnosticInputError
from diagtools.latency import model_size, profile_memory


class _Allocates:
    """Allocates a float64 array of 8 KB per row (1024 floats) during predict (what tracemalloc
    sees), and writes as many fresh anonymous-mmap pages, held 20 ms so that the RSS sampler
    (every 0.5 ms) sees them resident. The mmap makes the RSS rise certain: in a long test
    session numpy's buffer can come from heap pages that are already resident."""

    def predict(self, X):
        buf = np.ones((len(X), 1024))
        pages = mmap.mmap(-1, buf.nbytes)
        np.frombuffer(pages, dtype=np.uint8)[::4096] = 1  # touch every page
        time.sleep(0.02)
        pages.close()
        return buf.sum(axis=1)


def test_tracemalloc_peak_matches_planted_allocation(pyplot):
    from tests._contract import check_result_contract

    X = np.zeros((2048, 2))
    res = profile_memory(_Allocates(), X, batch_sizes=(16, 2048))
    t = res.frame[res.frame["measure"] == "tracemalloc"].set_index("batch_size")
    for b in (16, 2048):
        truth_mb = b * 8 * 1024 / 1024**2
        assert t.loc[b, "estimate"] == pytest.approx(truth_mb, rel=0.1, abs=0.02)
    assert t.loc[2048, "per_row_kb"] == pytest.approx(8.0, rel=0.1)
    assert (res.frame["unit"] == "MB").all() and (res.frame["n"] == 2).all()
    assert res.frame[["ci_low", "ci_high"]].isna().all().all()  # the largest of 2 calls: no interval
    # The planted 16 MB are written, so they are resident while predict holds them: the RSS
    # sampler must see them (a sampler that never ran, or a delta clamped at 0, would not).
    rss = res.frame[res.frame["measure"] == "rss"].set_index("batch_size")["estimate"]
    assert 0.75 * 16 <= rss[2048] - rss[16] <= 4 * 16, rss.to_dict()
    assert res.pickle_bytes == len(pickle.dumps(_Allocates(), protocol=pickle.HIGHEST_PROTOCOL))
    assert "allocates up to 16 MB" in res.findings()[0].title
    check_result_contract(res, columns=["batch_size", "measure", "estimate", "ci_low", "ci_high", "n", "unit",
                                        "per_row_kb"])


def test_model_size_grows_with_the_model():
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(300, 4)), rng.integers(0, 2, 300)
    small = model_size(RandomForestClassifier(n_estimators=2, random_state=0).fit(X, y))
    big = model_size(RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y))
    assert big["pickle_bytes"] > 5 * small["pickle_bytes"]
    assert big["skops_bytes"] > big["pickle_bytes"] * 0.5
    assert model_size(lambda x: x)["pickle_bytes"] is None


def test_profile_memory_on_the_demo_pipeline(loans_reference):
    from threadpoolctl import threadpool_limits

    from diagtools.demo_models import make_loan_model

    df = loans_reference.head(600)
    X = df.drop(columns="defaulted")
    with threadpool_limits(1):  # OpenMP threads thrash on a busy 2-core box
        model = make_loan_model(overfit=False).set_params(model__max_iter=20).fit(X, df["defaulted"])
    res = profile_memory(model, X, batch_sizes=(1, 256), repeats=1)
    t = res.frame[res.frame["measure"] == "tracemalloc"].set_index("batch_size")["estimate"]
    assert t[256] > t[1] > 0
    assert res.skops_bytes and res.pickle_bytes


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"batch_sizes": (0,)}, "positive integers"),
    ({"batch_sizes": (11,)}, "larger than X"),
    ({"method": "transform"}, "no method 'transform'"),
    ({"repeats": 0}, "repeats must be an integer"),
])
def test_profile_memory_bad_input(kwargs, match):
    with pytest.raises(DiagnosticInputError, match=match):
        profile_memory(_Allocates(), np.zeros((10, 2)), **{"batch_sizes": (1,), **kwargs})
