"""Saving and loading: skops (no code runs at load), pickle and joblib.

A reloaded model gives bit-identical predict_proba, hidden_states and
weights_, and goes on training (partial_fit) exactly as the original would.
skops tests are skipped where skops is not installed.
"""

import pickle
import threading
import warnings
from concurrent.futures import Executor

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.pipeline import make_pipeline

import skrnn
from skrnn import OneHotSequences, OneHotSequenceTransformer, RNNClassifier
from skrnn.datasets import make_questions


def fit_quietly(estimator, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short fits stop at max_iter
        return estimator.fit(X, y, **fit_params)


@pytest.fixture(scope="module")
def sentences():
    return make_questions(60, random_state=0)


@pytest.fixture(scope="module")
def sequences():
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(n, 2)) for n in rng.randint(0, 12, size=40)]
    y = np.array(["up", "down"])[rng.randint(2, size=40)]
    return X, y


def text_pipeline(solver="adam"):
    return make_pipeline(
        OneHotSequenceTransformer(dtype=np.float32, min_frequency=2),
        RNNClassifier(hidden_size=4, cell="gru", bidirectional=True, pooling="max",
                      embedding_size=3, solver=solver, max_iter=2, random_state=0),
    )


def numeric_classifier(solver="sgd"):
    return RNNClassifier(hidden_size=3, cell="lstm", num_layers=2, solver=solver,
                         dropout=0.1 if solver != "lbfgs" else 0.0,
                         max_iter=2, random_state=0)


def assert_same_model(original, loaded, X):
    """Bit-identical predictions, hidden states and weights."""
    assert type(loaded) is type(original)
    for a, b in zip(getattr(loaded, "steps", [(None, loaded)]),
                    getattr(original, "steps", [(None, original)])):
        assert a[1].get_params(deep=False) == b[1].get_params(deep=False)
    clf, clf_loaded = original, loaded
    if hasattr(original, "steps"):
        X_in = original[:-1].transform(X)
        clf, clf_loaded = original[-1], loaded[-1]
        np.testing.assert_array_equal(
            loaded[:-1].transform(X).ids, X_in.ids
        )
        assert loaded[0].vocabulary_ == original[0].vocabulary_
    else:
        X_in = X
    np.testing.assert_array_equal(loaded.predict_proba(X), original.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), original.predict(X))
    for a, b in zip(clf_loaded.hidden_states(X_in, layer=0),
                    clf.hidden_states(X_in, layer=0)):
        np.testing.assert_array_equal(a, b)
    assert clf_loaded.weights_.keys() == clf.weights_.keys()
    for name, array in clf.weights_.items():
        assert clf_loaded.weights_[name].dtype == array.dtype
        np.testing.assert_array_equal(clf_loaded.weights_[name], array)
    np.testing.assert_array_equal(clf_loaded.classes_, clf.classes_)
    assert clf_loaded.input_size_ == clf.input_size_
    assert clf_loaded.loss_curve_ == clf.loss_curve_


def walk(value, path="estimator"):
    """Every (path, value) reachable through a fitted estimator's state."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{path}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from walk(item, f"{path}[{i}]")
    elif hasattr(value, "__dict__") and not isinstance(value, type):
        for key, item in vars(value).items():
            yield from walk(item, f"{path}.{key}")


@pytest.mark.parametrize("solver", ["adam", "sgd", "adagrad", "lbfgs"])
def test_fitted_state_holds_nothing_unsafe(solver, sentences):
    """No locks, thread pools, bound methods or other callables in the state
    that pickle and skops save."""
    X, y = sentences
    pipe = text_pipeline(solver)
    if solver == "lbfgs":
        pipe[-1].set_params(max_iter=5)
    fit_quietly(pipe, X, y)
    unsafe = (type(threading.Lock()), type(threading.RLock()), threading.Thread,
              threading.Event, Executor)
    for path, value in walk(pipe):
        assert not isinstance(value, unsafe), path
        assert not callable(value) or isinstance(value, type), path


# ---------------------------------------------------------------------------
# pickle and joblib
# ---------------------------------------------------------------------------


def test_pickle_round_trip(sentences, sequences):
    X, y = sentences
    pipe = fit_quietly(text_pipeline(), X, y)
    assert_same_model(pipe, pickle.loads(pickle.dumps(pipe)), X)
    X, y = sequences
    clf = fit_quietly(numeric_classifier(), X, y)
    assert_same_model(clf, pickle.loads(pickle.dumps(clf)), X)


def test_joblib_round_trip(sentences, tmp_path):
    X, y = sentences
    pipe = fit_quietly(text_pipeline(), X, y)
    joblib.dump(pipe, tmp_path / "model.joblib")
    assert_same_model(pipe, joblib.load(tmp_path / "model.joblib"), X)


def test_pickled_model_trains_on_as_the_original(sequences):
    X, y = sequences
    clf = fit_quietly(numeric_classifier("adam"), X, y)
    loaded = pickle.loads(pickle.dumps(clf))
    clf.partial_fit(X, y)
    loaded.partial_fit(X, y)
    for name, array in clf.weights_.items():
        np.testing.assert_array_equal(loaded.weights_[name], array)


# ---------------------------------------------------------------------------
# skops
# ---------------------------------------------------------------------------

OPTIMIZERS = {"adam": "AdamOptimizer", "sgd": "SGDOptimizer",
              "adagrad": "AdagradOptimizer", "lbfgs": None}


def expected_untrusted(estimator_types, solver):
    """skrnn's own types, and the private optimizer class of the solver and,
    with a stochastic solver, the weight average of ``average='auto'``."""
    names = {f"{t.__module__}.{t.__qualname__}" for t in estimator_types}
    if OPTIMIZERS[solver]:
        names.add(f"skrnn._optimizers.{OPTIMIZERS[solver]}")
        names.add("skrnn._averaging.WeightAverage")
    return sorted(names)


@pytest.mark.parametrize("solver", ["adam", "sgd", "adagrad", "lbfgs"])
def test_skops_round_trip_of_a_pipeline(solver, sentences, tmp_path):
    sio = pytest.importorskip("skops.io")
    X, y = sentences
    pipe = text_pipeline(solver)
    if solver == "lbfgs":
        pipe[-1].set_params(max_iter=5)
    fit_quietly(pipe, X, y)
    path = tmp_path / "model.skops"
    sio.dump(pipe, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert untrusted == expected_untrusted(
        [RNNClassifier, OneHotSequenceTransformer], solver
    )
    assert all(name.startswith("skrnn.") for name in untrusted)
    with pytest.raises(Exception, match="[Uu]ntrusted"):
        sio.load(path)
    assert_same_model(pipe, sio.load(path, trusted=untrusted), X)


def test_skops_round_trip_of_estimators(sentences, sequences, tmp_path):
    sio = pytest.importorskip("skops.io")
    X, y = sequences
    for dtype in (np.float64, np.float32):
        clf = fit_quietly(numeric_classifier(), [x.astype(dtype) for x in X], y)
        path = tmp_path / "classifier.skops"
        sio.dump(clf, path)
        loaded = sio.load(path, trusted=sio.get_untrusted_types(file=path))
        assert_same_model(clf, loaded, [x.astype(dtype) for x in X])

    texts, _ = sentences
    transformer = OneHotSequenceTransformer(min_frequency=2).fit(texts)
    path = tmp_path / "transformer.skops"
    sio.dump(transformer, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert untrusted == ["skrnn._transformer.OneHotSequenceTransformer"]
    loaded = sio.load(path, trusted=untrusted)
    assert loaded.get_params() == transformer.get_params()
    for a, b in [(loaded.transform(texts), transformer.transform(texts))]:
        np.testing.assert_array_equal(a.ids, b.ids)
        np.testing.assert_array_equal(a.offsets, b.offsets)
    assert loaded.inverse_transform(loaded.transform(texts[:3])) == (
        transformer.inverse_transform(transformer.transform(texts[:3]))
    )

    X_ids = OneHotSequences([2, 0, 1, 1], offsets=[0, 3, 3, 4], n_token_slots=4)
    path = tmp_path / "sequences.skops"
    sio.dump(X_ids, path)
    loaded = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    np.testing.assert_array_equal(loaded.toarray(), X_ids.toarray())


def test_skops_loaded_model_trains_on_as_the_original(sentences):
    sio = pytest.importorskip("skops.io")
    X, y = sentences
    pipe = fit_quietly(text_pipeline("adam"), X, y)
    data = sio.dumps(pipe)
    loaded = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    X_ids = pipe[0].transform(X)
    pipe[-1].partial_fit(X_ids, y)
    loaded[-1].partial_fit(X_ids, y)
    for name, array in pipe[-1].weights_.items():
        np.testing.assert_array_equal(loaded[-1].weights_[name], array)


@pytest.mark.skipif(
    not hasattr(skrnn, "SequenceScaler"), reason="SequenceScaler not in skrnn yet"
)
def test_skops_round_trip_of_sequence_preprocessing(sequences, tmp_path):
    sio = pytest.importorskip("skops.io")
    X, y = sequences
    X = [x for x in X if len(x) >= 2]
    y = y[: len(X)]
    pipe = make_pipeline(
        skrnn.SequenceScaler(), skrnn.SequenceWindows(2),
        RNNClassifier(hidden_size=3, max_iter=2, random_state=0),
    )
    fit_quietly(pipe, X, y)
    path = tmp_path / "model.skops"
    sio.dump(pipe, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert all(name.startswith("skrnn.") for name in untrusted), untrusted
    loaded = sio.load(path, trusted=untrusted)
    np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))


@pytest.mark.skipif(
    not hasattr(skrnn, "RNNRegressor") or not hasattr(skrnn, "RNNLanguageModel"),
    reason="RNNRegressor or RNNLanguageModel not in skrnn yet",
)
def test_skops_round_trip_of_regressor_and_language_model(sentences, sequences,
                                                          tmp_path):
    sio = pytest.importorskip("skops.io")
    X, _ = sequences
    y = np.random.RandomState(0).normal(size=(len(X), 2))
    reg = fit_quietly(skrnn.RNNRegressor(hidden_size=3, max_iter=2, random_state=0),
                      X, y)
    texts, _ = sentences
    lm = fit_quietly(
        make_pipeline(OneHotSequenceTransformer(),
                      skrnn.RNNLanguageModel(hidden_size=3, max_iter=1,
                                             random_state=0)),
        texts, None,
    )
    for model, check in [(reg, lambda m: m.predict(X)), (lm, lambda m: m.score(texts))]:
        path = tmp_path / "model.skops"
        sio.dump(model, path)
        untrusted = sio.get_untrusted_types(file=path)
        assert all(name.startswith("skrnn.") for name in untrusted), untrusted
        loaded = sio.load(path, trusted=untrusted)
        np.testing.assert_array_equal(check(loaded), check(model))
        final, final_loaded = model, loaded
        if hasattr(model, "steps"):
            final, final_loaded = model[-1], loaded[-1]
        for name, array in final.weights_.items():
            np.testing.assert_array_equal(final_loaded.weights_[name], array)


def test_a_model_saved_before_the_skeleton_loads_and_trains():
    """A pipeline saved with skops by commit c413d66, before the training
    skeleton of issue 26 and the parameters added since (average,
    direct_order, ...): it loads, predicts as it did, and trains on."""
    sio = pytest.importorskip("skops.io")
    from pathlib import Path

    data = Path(__file__).parent / "data"
    path = data / "pipeline_before_issue_26.skops"
    untrusted = sio.get_untrusted_types(file=path)
    assert untrusted == [
        "skrnn._classifier.RNNClassifier",
        "skrnn._optimizers.AdamOptimizer",
        "skrnn._transformer.OneHotSequenceTransformer",
    ]
    model = sio.load(path, trusted=untrusted)
    X, y = make_questions(30, random_state=0)
    expected = np.load(data / "pipeline_before_issue_26_proba.npy")
    assert_allclose(model.predict_proba(X), expected, rtol=0, atol=1e-12)
    params = model[-1].get_params()
    assert params["average"] is False and params["direct_order"] == 0
    model[-1].partial_fit(model[0].transform(X), y)
    assert model[-1].n_iter_ == 3
