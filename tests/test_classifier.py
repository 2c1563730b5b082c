"""RNNClassifier: the scikit-learn contract, the data model, learning, errors."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.feature_extraction.text import CountVectorizer  # noqa: F401
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.utils.estimator_checks import check_estimator, parametrize_with_checks

from skrnn import RNNClassifier
from skrnn._base import fitted_network

# ---------------------------------------------------------------------------
# scikit-learn's estimator checks
# ---------------------------------------------------------------------------

# Small, quick configurations that each exercise another code path. Their
# learning rates and iteration counts are chosen as a user would: plain SGD,
# adagrad and the small LSTM need larger steps than the default; full-batch
# L-BFGS on the checks' random labels runs into chaotic line searches after ~20
# iterations, where float rounding (weights times k versus k copies) grows by
# 1e4 per 10 iterations.
NON_DEFAULT = [
    RNNClassifier(hidden_size=16, nonlinearity="relu"),
    RNNClassifier(hidden_size=8, num_layers=2, bidirectional=True, dropout=0.2),
    RNNClassifier(hidden_size=8, pooling="mean"),
    RNNClassifier(hidden_size=8, pooling="max"),
    RNNClassifier(hidden_size=8, solver="sgd", learning_rate=0.01),
    RNNClassifier(hidden_size=8, solver="adagrad", learning_rate=0.03),
    RNNClassifier(hidden_size=8, solver="lbfgs", max_iter=15),
    RNNClassifier(hidden_size=8, cell="gru"),
    RNNClassifier(hidden_size=8, cell="lstm", learning_rate=0.01),
    RNNClassifier(hidden_size=8, input_dropout=0.2, dropout=0.2, cell="gru"),
    RNNClassifier(hidden_size=8, embedding_size=4, input_dropout=0.2, cell="gru"),
]
# No configuration with pretraining: scikit-learn's checks fit on numeric
# sequences, which a next-token language model cannot read (pretraining
# refuses them with a ValueError before any work). What those checks test
# (sample weights, pipelines, refitting, pickling) is tested on token data
# in tests/test_pretraining.py.


@pytest.mark.slow
@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_check_estimator_default(cell):
    """Each cell's default estimator passes every check; only array-API skips."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(RNNClassifier(cell=cell), on_fail=None)
    failed = [r["check_name"] for r in results if r["status"] == "failed"]
    skipped = [r["check_name"] for r in results if r["status"] == "skipped"]
    assert failed == []
    assert set(skipped) <= {"check_array_api_input"}
    assert len(results) > 50


@pytest.mark.slow
@parametrize_with_checks(NON_DEFAULT)
def test_sklearn_compatible_configurations(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


# ---------------------------------------------------------------------------
# The sequence data model: every form of X means the same sequences
# ---------------------------------------------------------------------------


def ragged_data(n=12, n_features=2, seed=0, min_length=1, max_length=7):
    rng = np.random.RandomState(seed)
    lengths = rng.randint(min_length, max_length + 1, size=n)
    X = [rng.normal(size=(length, n_features)) for length in lengths]
    y = np.arange(n) % 3
    return X, y


def nan_padded(X):
    T = max(len(x) for x in X)
    out = np.full((len(X), T, X[0].shape[1]), np.nan)
    for i, x in enumerate(X):
        out[i, : len(x)] = x
    return out


@pytest.fixture(scope="module")
def fitted_ragged():
    X, y = ragged_data()
    clf = RNNClassifier(hidden_size=6, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    return clf, X, y


def test_ragged_padded_single_and_reversed_agree(fitted_ragged):
    clf, X, _ = fitted_ragged
    ragged = clf.predict_proba(X)
    assert_allclose(clf.predict_proba(nan_padded(X)), ragged, rtol=0, atol=1e-12)
    one_at_a_time = np.vstack([clf.predict_proba([x]) for x in X])
    assert_allclose(one_at_a_time, ragged, rtol=0, atol=1e-12)
    reversed_order = clf.predict_proba(X[::-1])[::-1]
    assert_allclose(reversed_order, ragged, rtol=0, atol=1e-12)
    as_object_array = np.empty(len(X), dtype=object)
    as_object_array[:] = X
    assert_allclose(clf.predict_proba(as_object_array), ragged, rtol=0, atol=1e-12)


def test_order_matters(fitted_ragged):
    """Reversing a sequence's steps changes its prediction: order is read."""
    clf, X, _ = fitted_ragged
    flipped = [x[::-1] for x in X]
    differs = np.abs(clf.predict_proba(flipped) - clf.predict_proba(X)).max()
    assert differs > 1e-6


def test_training_on_padded_equals_training_on_ragged():
    X, y = ragged_data(seed=1)
    params = dict(hidden_size=5, max_iter=3, random_state=0, shuffle=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = RNNClassifier(**params).fit(X, y)
        b = RNNClassifier(**params).fit(nan_padded(X), y)
    for name in a.weights_:
        assert_allclose(a.weights_[name], b.weights_[name], rtol=0, atol=1e-12)


def test_2d_equals_3d_univariate():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 6))
    y = np.arange(20) % 2
    params = dict(hidden_size=4, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = RNNClassifier(**params).fit(X, y)
        b = RNNClassifier(**params).fit(X[:, :, None], y)
    assert_allclose(a.predict_proba(X), b.predict_proba(X[:, :, None]), atol=1e-12)
    assert a.n_features_in_ == 6 and a.input_size_ == 1
    assert not hasattr(b, "n_features_in_") and b.input_size_ == 1
    # A model fitted on 2-D input reads sequences of any length in other
    # forms, its (n, T, 1) form included; only a 2-D array of another width
    # is refused, with scikit-learn's message.
    assert a.predict_proba([X[0, :3]]).shape == (1, 2)
    assert_allclose(a.predict_proba(X[:, :, None]), a.predict_proba(X), rtol=0, atol=0)
    assert_allclose(b.predict_proba(X), b.predict_proba(X[:, :, None]), rtol=0, atol=0)
    assert a.predict_proba(rng.normal(size=(3, 9, 1))).shape == (3, 2)
    with pytest.raises(ValueError, match="expecting 6 features"):
        a.predict(X[:, :4])
    with pytest.raises(ValueError, match="steps of 2 number\\(s\\).*input_size_"):
        a.predict(rng.normal(size=(3, 6, 2)))


def test_trailing_nan_in_2d_is_padding():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(10, 5))
    y = np.arange(10) % 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = RNNClassifier(hidden_size=4, max_iter=2, random_state=0).fit(X, y)
    padded = X.copy()
    padded[0, 3:] = np.nan
    assert_allclose(
        clf.predict_proba(padded)[0], clf.predict_proba([X[0, :3]])[0], atol=1e-12
    )


def test_empty_sequence_is_predicted_from_initial_state(fitted_ragged):
    clf, X, _ = fitted_ragged
    empty = np.zeros((0, 2))
    proba = clf.predict_proba([empty, X[0]])
    w = clf.weights_
    logits = w["bias_out"]  # zero summary: only the output bias remains
    expected = np.exp(logits - logits.max())
    assert_allclose(proba[0], expected / expected.sum(), atol=1e-12)
    # training with an empty sequence in the data works too
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clone(clf).fit([empty] + list(X[1:]), np.arange(len(X)) % 3)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_predictions_do_not_depend_on_batch_size(cell, monkeypatch):
    import skrnn._inference as module

    X, y = ragged_data(n=40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = RNNClassifier(
            hidden_size=5, cell=cell, bidirectional=True, max_iter=2, random_state=0
        ).fit(X, y)
    a, states = clf.predict_proba(X), clf.hidden_states(X)
    width = clf._make_network().cell.n_gates * 5 * 2
    # one sequence per chunk, then chunks of about 7 sequences' rows
    n_chunks = []
    for budget in (1, 7 * 4 * width):
        monkeypatch.setattr(module, "PREDICT_ELEMENTS", budget)
        network, _, sequences = fitted_network(clf, X)
        n_chunks.append(len(list(module.inference_batches(network, sequences))))
        assert_allclose(clf.predict_proba(X), a, rtol=0, atol=1e-12)
        for s, expected in zip(clf.hidden_states(X), states):
            assert_allclose(s, expected, rtol=0, atol=1e-12)
    assert n_chunks[0] == len(X) and 1 < n_chunks[1] < len(X)


def test_sample_weight_equals_repetition_full_batch():
    X, y = ragged_data(n=15, seed=3)
    weights = np.random.RandomState(0).randint(0, 4, size=len(X))
    weights[:3] = [1, 2, 3]
    X_repeated = [x for x, k in zip(X, weights) for _ in range(k)]
    y_repeated = np.repeat(y, weights)
    params = dict(
        hidden_size=5, solver="sgd", learning_rate=0.1, batch_size=1000,
        max_iter=5, alpha=1e-3, random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = RNNClassifier(**params).fit(X, y, sample_weight=weights)
        b = RNNClassifier(**params).fit(X_repeated, y_repeated)
    for name in a.weights_:
        assert_allclose(a.weights_[name], b.weights_[name], rtol=1e-10, atol=1e-12)


def test_class_weight_multiplies_sample_weight():
    X, y = ragged_data(n=15, seed=4)
    params = dict(hidden_size=4, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = RNNClassifier(class_weight={0: 3.0, 1: 0.5}, **params).fit(X, y)
        sw = np.select([y == 0, y == 1], [3.0, 0.5], 1.0)
        b = RNNClassifier(**params).fit(X, y, sample_weight=sw)
        c = RNNClassifier(class_weight="balanced", **params).fit(X, y)
    assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-12)
    assert np.abs(c.predict_proba(X) - b.predict_proba(X)).max() > 1e-6


# ---------------------------------------------------------------------------
# Training behaviour
# ---------------------------------------------------------------------------


def test_partial_fit_equals_fit_epochs():
    X, y = ragged_data(n=30)
    # average=False: a float start counts in max_iter epochs, which
    # partial_fit does not reach (tests/test_averaging.py covers averaging)
    params = dict(hidden_size=5, random_state=0, batch_size=8, n_iter_no_change=100,
                  average=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        full = RNNClassifier(max_iter=3, **params).fit(X, y)
    step = RNNClassifier(**params)
    for _ in range(3):
        step.partial_fit(X, y, classes=[0, 1, 2])
    for name in full.weights_:
        assert_allclose(step.weights_[name], full.weights_[name], atol=1e-12)
    assert step.n_iter_ == full.n_iter_ == 3
    assert step.t_ == full.t_ == 90
    assert_allclose(step.loss_curve_, full.loss_curve_)


def test_warm_start_continues_plain_sgd():
    X, y = ragged_data(n=20)
    params = dict(
        hidden_size=5, solver="sgd", momentum=0, learning_rate=0.05,
        shuffle=False, random_state=0, n_iter_no_change=100, average=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        five = RNNClassifier(max_iter=5, **params).fit(X, y)
        warm = RNNClassifier(max_iter=2, warm_start=True, **params).fit(X, y)
        warm.set_params(max_iter=3).fit(X, y)
        cold = RNNClassifier(max_iter=2, **params).fit(X, y)
        cold.set_params(max_iter=3).fit(X, y)
    for name in five.weights_:
        assert_allclose(warm.weights_[name], five.weights_[name], atol=1e-12)
    assert warm.n_iter_ == 5
    assert np.abs(cold.weights_["weight_out"] - five.weights_["weight_out"]).max() > 1e-6


@pytest.mark.parametrize("solver", ["sgd", "adagrad", "adam", "lbfgs"])
def test_every_solver_lowers_the_loss(solver):
    X, y = ragged_data(n=40)
    lr = {"sgd": 0.1, "adagrad": 0.1, "adam": 0.01, "lbfgs": 0.0}[solver]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = RNNClassifier(
            hidden_size=8, solver=solver, learning_rate=lr or 0.001, max_iter=30,
            pooling="last",  # random labels: the last state memorises them fastest
            random_state=0,
        ).fit(X, y)
    assert clf.loss_curve_[-1] < 0.8 * clf.loss_curve_[0]
    assert clf.best_loss_ == pytest.approx(min(clf.loss_curve_))


def test_early_stopping_keeps_best_validation_weights(monkeypatch):
    """The fitted weights are those of the epoch with the best validation
    score, not the last epoch's."""
    import skrnn._sequence_to_one as base

    X, y = ragged_data(n=60)
    snapshots = []
    original = base._inference.predict

    def recording(network, params, sequences, indices=None):
        snapshots.append({name: value.copy() for name, value in params.items()})
        return original(network, params, sequences, indices)

    monkeypatch.setattr(base._inference, "predict", recording)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = RNNClassifier(
            hidden_size=6, early_stopping=True, n_iter_no_change=3, max_iter=40,
            learning_rate=0.01, random_state=0,
        ).fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_ == len(clf.loss_curve_)
    assert len(snapshots) == clf.n_iter_  # one validation pass per epoch
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_loss_ is None
    best = int(np.argmax(clf.validation_scores_))
    assert best < clf.n_iter_ - 1  # stopped after epochs without improvement
    for name, value in clf.weights_.items():
        assert_array_equal(value, snapshots[best][name])
    assert any(
        not np.array_equal(value, snapshots[-1][name])
        for name, value in clf.weights_.items()
    )


def test_max_grad_norm_clips_the_step():
    """With one plain-SGD step, the weights move by at most lr * max_grad_norm."""
    X, y = ragged_data(n=20)
    params = dict(
        hidden_size=5, solver="sgd", momentum=0, learning_rate=1.0,
        batch_size=20, shuffle=False, random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = RNNClassifier(max_iter=1, learning_rate=1e-12, solver="sgd",
                              momentum=0, hidden_size=5, random_state=0).fit(X, y)
        moved = {}
        for clip in (None, 0.01):
            clf = clone(start).set_params(
                **params, max_grad_norm=clip, warm_start=True, max_iter=1
            )
            # weights set by hand, as when moved in from PyTorch
            clf.weights_ = {k: v.copy() for k, v in start.weights_.items()}
            clf.fit(X, y)
            moved[clip] = np.sqrt(sum(
                np.sum((clf.weights_[k] - start.weights_[k]) ** 2) for k in clf.weights_
            ))
    assert moved[0.01] == pytest.approx(0.01, rel=1e-6)
    assert moved[None] > 0.05


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's own overflow notes
def test_divergence_raises_clear_error():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 5)) * 1e200
    y = np.arange(20) % 2
    clf = RNNClassifier(
        nonlinearity="relu", solver="sgd", learning_rate=1e10, max_grad_norm=None,
        random_state=0,
    )
    with pytest.raises(ValueError, match="diverged"):
        clf.fit(X, y)
    assert not hasattr(clf, "weights_")


def test_verbose_prints_one_line_per_epoch(capsys):
    X, y = ragged_data(n=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        RNNClassifier(hidden_size=4, max_iter=3, verbose=True, random_state=0,
                      early_stopping=True, validation_fraction=0.3).fit(X, y)
    lines = [line for line in capsys.readouterr().out.splitlines() if "Epoch" in line]
    assert len(lines) == 3
    assert "loss" in lines[0] and "validation score" in lines[0] and " s" in lines[0]
    assert lines[0].startswith("Epoch 1/3,") and lines[2].startswith("Epoch 3/3,")


def test_random_state_reproducible_with_dropout():
    X, y = ragged_data(n=20)
    params = dict(hidden_size=5, dropout=0.3, input_dropout=0.2, num_layers=2,
                  max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = RNNClassifier(**params).fit(X, y).predict_proba(X)
        b = RNNClassifier(**params).fit(X, y).predict_proba(X)
        c = RNNClassifier(**{**params, "random_state": 1}).fit(X, y).predict_proba(X)
    assert_array_equal(a, b)
    assert np.abs(a - c).max() > 1e-6


# ---------------------------------------------------------------------------
# Numerics
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_float32_end_to_end(cell):
    X, y = ragged_data(n=20)
    X32 = [x.astype(np.float32) for x in X]
    params = dict(hidden_size=5, cell=cell, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m64 = RNNClassifier(**params).fit(X, y)
        m32 = RNNClassifier(**params).fit(X32, y)
    assert all(w.dtype == np.float32 for w in m32.weights_.values())
    assert all(w.dtype == np.float64 for w in m64.weights_.values())
    p32 = m32.predict_proba(X32)
    assert p32.dtype == np.float32
    assert m32.predict_proba(X).dtype == np.float32  # the model's dtype wins
    assert_allclose(p32, m64.predict_proba(X), atol=1e-4)
    assert np.abs(p32 - m64.predict_proba(X)).max() > 0  # really float32 math


def test_softmax_is_stable_for_huge_logits(fitted_ragged):
    clf, X, _ = fitted_ragged
    big = clone(clf)
    big.__dict__.update({k: v for k, v in clf.__dict__.items() if k.endswith("_")})
    big.weights_ = {k: v.copy() for k, v in clf.weights_.items()}
    big.weights_["weight_out"] *= 1e6
    proba = big.predict_proba(X)
    assert np.isfinite(proba).all()
    assert_allclose(proba.sum(axis=1), 1)


# ---------------------------------------------------------------------------
# Learning: order matters
# ---------------------------------------------------------------------------


def order_task(n, seed):
    """Sequences of two distinct symbols; the label is which comes first.

    Every sequence holds the same multiset of values, so a model of the
    values without their order is at chance."""
    rng = np.random.RandomState(seed)
    X = np.zeros((n, 6))
    y = rng.randint(0, 2, size=n)
    for i in range(n):
        first, second = (1.0, -1.0) if y[i] else (-1.0, 1.0)
        positions = np.sort(rng.choice(6, size=2, replace=False))
        X[i, positions] = first, second
    return X, y


def test_learns_order_where_bag_of_values_is_at_chance():
    X, y = order_task(600, seed=0)
    X_test, y_test = order_task(300, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = RNNClassifier(random_state=0).fit(X, y)
    assert clf.score(X_test, y_test) >= 0.95
    bag = np.sort(X, axis=1)  # the values without their order
    bag_score = cross_val_score(LogisticRegression(), bag, y, cv=5).mean()
    assert bag_score <= 0.6


# ---------------------------------------------------------------------------
# Inspection hook
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("bidirectional", [False, True])
def test_hidden_states_are_the_computed_states(bidirectional):
    X, y = ragged_data(n=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = RNNClassifier(hidden_size=4, num_layers=2, bidirectional=bidirectional,
                            max_iter=2, random_state=0).fit(X, y)
    states = clf.hidden_states(X)
    D = 2 if bidirectional else 1
    assert [s.shape for s in states] == [(len(x), 4 * D) for x in X]
    w = clf.weights_
    # the last forward state is h_n: recompute it with an independent loop
    for x, s in zip(X, states):
        h = np.zeros(4)
        inputs = clf.hidden_states([x], layer=0)[0]
        for t in range(len(x)):
            h = np.tanh(w["weight_ih_l1"] @ inputs[t] + w["bias_ih_l1"]
                        + w["weight_hh_l1"] @ h + w["bias_hh_l1"])
            assert_allclose(s[t, :4], h, atol=1e-12)
    with pytest.raises(ValueError, match="layer"):
        clf.hidden_states(X, layer=2)


# ---------------------------------------------------------------------------
# Bad input: a clear error before any work, the estimator left unfitted
# ---------------------------------------------------------------------------

X_OK = np.random.RandomState(0).normal(size=(6, 4))
Y_OK = np.array([0, 1, 0, 1, 0, 1])


def nan_inside():
    X = X_OK.copy()
    X[1, 1] = np.nan
    return X


def inf_inside():
    X = X_OK.copy()
    X[2, 0] = np.inf
    return X


BAD_FIT = [
    ("empty X", lambda: (np.zeros((0, 4)), []), ValueError, "0 sample"),
    ("empty list", lambda: ([], []), ValueError, "0 sample|0 sequences|empty"),
    ("length mismatch", lambda: (X_OK, Y_OK[:-1]), ValueError, "inconsistent"),
    ("one class", lambda: (X_OK, np.zeros(6)), ValueError, "one class"),
    ("NaN inside", lambda: (nan_inside(), Y_OK), ValueError, "NaN inside sequence 1"),
    ("inf", lambda: (inf_inside(), Y_OK), ValueError, "inf"),
    (
        "mixed widths",
        lambda: ([np.ones((3, 2)), np.ones((4, 3))], [0, 1]),
        ValueError,
        "different widths",
    ),
    ("4-D", lambda: (np.ones((6, 2, 2, 2)), Y_OK), ValueError, "4 dimensions"),
    ("text", lambda: (["you are good", "are you good"], [0, 1]), TypeError,
     "OneHotSequenceTransformer"),
    ("a string", lambda: ("you are good", [0]), TypeError, "OneHotSequenceTransformer"),
    ("tokens", lambda: ([["you", "are"], ["are", "you"]], [0, 1]), TypeError,
     "OneHotSequenceTransformer"),
    ("continuous y", lambda: (X_OK, np.linspace(0, 1, 6)), ValueError, "continuous"),
    ("complex", lambda: ([np.ones(3, dtype=complex), np.ones(2)], [0, 1]), ValueError,
     "Complex data not supported: sequence 0 is complex"),
    ("sparse", lambda: (scipy.sparse.csr_matrix(np.ones((6, 3))), Y_OK), TypeError,
     "sparse matrix.*OneHotSequenceTransformer"),
    ("NaN in a ragged item", lambda: ([np.ones(3), np.array([1.0, np.nan, 2.0])], [0, 1]),
     ValueError, "NaN inside sequence 1 at step 1"),
]


@pytest.mark.parametrize("name, make, error, match", BAD_FIT, ids=[b[0] for b in BAD_FIT])
def test_bad_fit_input(name, make, error, match):
    X, y = make()
    clf = RNNClassifier(max_iter=1)
    with pytest.raises(error, match=match):
        clf.fit(X, y)
    assert not hasattr(clf, "weights_") and not hasattr(clf, "classes_")
    assert not hasattr(clf, "n_features_in_")


def test_partial_fit_api_details():
    """classes and sample_weight are keyword-only; early stopping, which
    needs a held-out set, is refused; loss_ is the last epoch's loss."""
    clf = RNNClassifier(hidden_size=3, random_state=0)
    with pytest.raises(TypeError):
        clf.partial_fit(X_OK, Y_OK, [0, 1])
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        RNNClassifier(early_stopping=True).partial_fit(X_OK, Y_OK, classes=[0, 1])
    clf.partial_fit(X_OK, Y_OK, classes=[0, 1], sample_weight=np.ones(6))
    clf.partial_fit(X_OK, Y_OK)
    assert clf.loss_ == clf.loss_curve_[-1] and len(clf.loss_curve_) == 2


@pytest.mark.parametrize(
    "sample_weight, match",
    [(np.ones(5), "shape"), (-np.ones(6), "Negative"), (np.zeros(6), "positive")],
)
def test_bad_sample_weight(sample_weight, match):
    clf = RNNClassifier(max_iter=1)
    with pytest.raises(ValueError, match=match):
        clf.fit(X_OK, Y_OK, sample_weight=sample_weight)
    assert not hasattr(clf, "weights_")


@pytest.fixture(scope="module")
def fitted_2d():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return RNNClassifier(hidden_size=3, max_iter=1, random_state=0).fit(X_OK, Y_OK)


def test_bad_predict_input(fitted_2d):
    with pytest.raises(ValueError, match="X has 3 features, but RNNClassifier is expecting 4"):
        fitted_2d.predict(X_OK[:, :3])
    with pytest.raises(ValueError, match="steps of 2 number\\(s\\).*fitted on steps of 1"):
        fitted_2d.predict([np.ones((3, 2))])
    with pytest.raises(ValueError, match="NaN"):
        fitted_2d.predict(nan_inside())
    with pytest.raises(TypeError, match="OneHotSequenceTransformer"):
        fitted_2d.predict(["are you good"])


def test_predict_before_fit():
    for method in ("predict", "predict_proba", "predict_log_proba", "hidden_states"):
        with pytest.raises(NotFittedError):
            getattr(RNNClassifier(), method)(X_OK)


def test_partial_fit_classes():
    clf = RNNClassifier(hidden_size=3)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X_OK, Y_OK)
    with pytest.raises(ValueError, match=r"labels \[np.int64\(1\)\]|labels \[1\]"):
        clf.partial_fit(X_OK, Y_OK, classes=[0, 2])
    assert not hasattr(clf, "weights_")
    clf.partial_fit(X_OK, Y_OK, classes=[0, 1, 2])
    assert_array_equal(clf.classes_, [0, 1, 2])
    with pytest.raises(ValueError, match="differs"):
        clf.partial_fit(X_OK, Y_OK, classes=[0, 1])
    with pytest.raises(ValueError, match="balanced"):
        RNNClassifier(class_weight="balanced").partial_fit(X_OK, Y_OK, classes=[0, 1])
    assert not hasattr(RNNClassifier(solver="lbfgs"), "partial_fit")


@pytest.mark.parametrize(
    "params",
    [
        {"hidden_size": 0}, {"cell": "transformer"}, {"nonlinearity": "sigmoid"},
        {"num_layers": 0}, {"dropout": 1.0}, {"input_dropout": -0.1},
        {"pooling": "first"}, {"solver": "rmsprop"}, {"learning_rate": 0},
        {"momentum": 1.5}, {"beta_1": 1}, {"epsilon": 0}, {"alpha": -1},
        {"max_grad_norm": 0}, {"batch_size": 0}, {"batch_size": "big"},
        {"max_iter": 0}, {"tol": -1}, {"n_iter_no_change": 0},
        {"validation_fraction": 1.0}, {"max_fun": 0}, {"class_weight": "even"},
        {"bidirectional": "yes"}, {"shuffle": 2},
    ],
)
def test_invalid_parameters(params):
    clf = RNNClassifier(**params)
    with pytest.raises(ValueError, match=f"The '{next(iter(params))}' parameter"):
        clf.fit(X_OK, Y_OK)
    assert not hasattr(clf, "weights_")


def test_lbfgs_rejects_dropout():
    with pytest.raises(ValueError, match="stochastic solver"):
        RNNClassifier(solver="lbfgs", dropout=0.5).fit(X_OK, Y_OK)


def test_pickle_round_trip(fitted_ragged):
    clf, X, _ = fitted_ragged
    again = pickle.loads(pickle.dumps(clf))
    assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
