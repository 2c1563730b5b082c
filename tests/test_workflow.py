"""The sentence workflow: Pipelines, GridSearchCV, cross_validate, joblib engines."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    cross_val_predict,
    cross_val_score,
    cross_validate,
)
from sklearn.pipeline import make_pipeline

from skrnn import OneHotSequences, OneHotSequenceTransformer, RNNClassifier
from skrnn.datasets import make_questions


@pytest.fixture(autouse=True)
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture(scope="module")
def questions():
    return make_questions(600, random_state=0)


def pipeline(**params):
    return make_pipeline(
        OneHotSequenceTransformer(), RNNClassifier(random_state=0, **params)
    )


def comparable(cv_results):
    """cv_results_ without the timings, which differ from run to run."""
    return {k: v for k, v in cv_results.items() if "time" not in k}


def assert_same_cv_results(a, b):
    a, b = comparable(a), comparable(b)
    assert a.keys() == b.keys()
    for key in a:
        if key == "params" or a[key].dtype == object:
            assert list(a[key]) == list(b[key]), key
        else:
            assert_allclose(a[key], b[key], rtol=0, atol=1e-12, err_msg=key)


GRID = {
    "rnnclassifier__hidden_size": [8, 32],
    "rnnclassifier__learning_rate": [0.001, 0.01],
}


@pytest.fixture(scope="module")
def serial_search(questions):
    X, y = questions
    search = GridSearchCV(pipeline(max_iter=30), GRID, cv=3, n_jobs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return search.fit(X, y)


def test_grid_search_on_raw_sentences(serial_search, questions):
    X, y = questions
    assert serial_search.best_score_ > 0.9
    assert set(serial_search.best_params_) == set(GRID)
    restored = pickle.loads(pickle.dumps(serial_search))
    assert_array_equal(restored.predict(X), serial_search.predict(X))
    assert_allclose(restored.predict_proba(X), serial_search.predict_proba(X))
    assert_array_equal(
        restored.predict(["are you good", "you are good"]), ["question", "statement"]
    )


def test_grid_search_parallel_equals_serial(serial_search, questions):
    X, y = questions
    parallel = GridSearchCV(pipeline(max_iter=30), GRID, cv=3, n_jobs=2).fit(X, y)
    assert_same_cv_results(parallel.cv_results_, serial_search.cv_results_)


def test_cross_validate_with_probabilistic_scores(questions):
    X, y = questions
    result = cross_validate(
        pipeline(max_iter=30, learning_rate=0.01), X, y, cv=3,
        scoring=["accuracy", "roc_auc", "neg_log_loss"], return_estimator=True,
    )
    assert result["test_accuracy"].min() > 0.9
    assert result["test_roc_auc"].min() > 0.95
    assert result["test_neg_log_loss"].max() < 0
    assert all(
        isinstance(est[-1], RNNClassifier) and hasattr(est[-1], "weights_")
        for est in result["estimator"]
    )
    proba = cross_val_predict(
        pipeline(max_iter=30, learning_rate=0.01), X, y, cv=3, method="predict_proba"
    )
    assert proba.shape == (len(X), 2)
    assert_allclose(proba.sum(axis=1), 1)
    assert ((proba[:, 0] > 0.5) == (np.asarray(y) == "question")).mean() > 0.9


def test_recurrent_pipeline_beats_bag_of_words():
    X, y = make_questions(1000, random_state=1)
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    bag = cross_val_score(
        make_pipeline(CountVectorizer(), LogisticRegression()), X, y, cv=folds
    )
    recurrent = cross_val_score(pipeline(), X, y, cv=folds)
    assert bag.mean() <= 0.65
    assert recurrent.mean() >= 0.95


def test_one_hot_input_is_never_densified(monkeypatch, questions):
    """Fit and predict read token ids: densifying the input would raise."""
    X, y = questions

    def refuse(*args, **kwargs):
        raise AssertionError("OneHotSequences was densified")

    monkeypatch.setattr(OneHotSequences, "toarray", refuse)
    monkeypatch.setattr(OneHotSequences, "__array__", refuse)
    model = pipeline(max_iter=2).fit(X, y)
    model.predict_proba(X)
    model[-1].hidden_states(model[0].transform(X[:3]))


def test_float32_transformer_gives_float32_model(questions):
    X, y = questions
    model = make_pipeline(
        OneHotSequenceTransformer(dtype=np.float32),
        RNNClassifier(max_iter=3, random_state=0),
    ).fit(X, y)
    assert model[-1].weights_["weight_ih_l0"].dtype == np.float32
    assert model.predict_proba(X).dtype == np.float32


@pytest.mark.slow
def test_dask_distributed_grid_search_equals_serial(questions):
    """A grid search runs on an existing distributed engine through joblib."""
    distributed = pytest.importorskip("dask.distributed")
    import joblib

    X, y = questions
    grid = {"rnnclassifier__hidden_size": [8, 16]}
    serial = GridSearchCV(pipeline(max_iter=5), grid, cv=2).fit(X, y)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster):
        with joblib.parallel_backend("dask"):
            remote = GridSearchCV(pipeline(max_iter=5), grid, cv=2, n_jobs=-1)
            remote.fit(X, y)
    assert_same_cv_results(remote.cv_results_, serial.cv_results_)


def test_every_object_pickles_cheaply(questions):
    X, y = questions
    X_one_hot = OneHotSequenceTransformer().fit_transform(X)
    tokens = len(X_one_hot.ids)
    # ids and offsets as 8-byte integers, plus a small constant
    assert len(pickle.dumps(X_one_hot)) < 8 * (tokens + len(X) + 1) + 2000
    model = pipeline(max_iter=1).fit(X, y)
    n_weights = sum(w.size for w in model[-1].weights_.values())
    assert len(pickle.dumps(model)) < 8 * 4 * n_weights + 50_000  # with optimizer state
