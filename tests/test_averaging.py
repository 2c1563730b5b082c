"""Weight averaging (``average``) in every estimator (issue 28).

The averaged weights are the mean of the trained weights after each update
from the start that ``average`` sets: True from the first update, an int n
once n samples were seen (SGDClassifier's meaning), a float f after
f * max_iter epochs. They are what ``weights_`` holds and what predicts.
"""

import copy
import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.utils.estimator_checks import check_estimator

from skrnn import (
    OneHotSequenceTransformer,
    RNNClassifier,
    RNNLanguageModel,
    RNNRegressor,
)
from skrnn._averaging import WeightAverage
from skrnn.datasets import make_questions

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# one minibatch an epoch, no shuffling: the weights after each epoch are
# those of a fit of that many epochs
ONE_STEP_AN_EPOCH = dict(
    hidden_size=3, batch_size=40, shuffle=False, random_state=0, tol=0,
    n_iter_no_change=100,
)


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 5))
    return X, (X[:, 0] > X[:, -1]).astype(int)


def trajectory(Estimator, X, y, epochs, **params):
    """The trained weights after each of ``epochs`` epochs (one step each)."""
    return [
        Estimator(max_iter=k, **{**ONE_STEP_AN_EPOCH, "average": False, **params})
        .fit(X, y).weights_
        for k in range(1, epochs + 1)
    ]


def assert_weights_equal(weights, expected, atol=1e-12):
    assert weights.keys() == expected.keys()
    for name in weights:
        assert_allclose(weights[name], expected[name], rtol=0, atol=atol, err_msg=name)


def mean_of(weights):
    return {name: np.mean([w[name] for w in weights], axis=0) for name in weights[0]}


def test_averaging_constant_weights_is_the_identity():
    average = WeightAverage()
    w = np.random.RandomState(0).normal(size=50)
    for _ in range(7):
        average.update(w)
    assert average.count == 7
    assert_allclose(average.mean, w, rtol=0, atol=1e-15)


def test_running_mean_equals_the_mean():
    vectors = np.random.RandomState(1).normal(size=(9, 20)).astype(np.float32)
    average = WeightAverage()
    for v in vectors:
        average.update(v)
    assert average.mean.dtype == np.float32
    assert_allclose(average.mean, vectors.mean(axis=0), rtol=0, atol=1e-6)
    # the scratch buffer is not state: it is neither pickled nor copied
    assert "_scratch" not in pickle.loads(pickle.dumps(average)).__dict__
    assert "_scratch" not in copy.deepcopy(average).__dict__


@pytest.mark.parametrize(
    "average, first",
    [(True, 0), (1, 0), (81, 2), (80, 1), (0.5, 2), (0.74, 3)],
    ids=["True", "int-1", "int-81", "int-80", "half", "0.74"],
)
def test_the_average_equals_a_hand_computation(data, average, first):
    """``average`` sets the first update averaged: an int n, once n samples
    were seen (40 an epoch here); a float f, the epochs after f * 4."""
    X, y = data
    steps = trajectory(RNNClassifier, X, y, 4)
    averaged = RNNClassifier(max_iter=4, average=average, **ONE_STEP_AN_EPOCH).fit(X, y)
    assert_weights_equal(averaged.weights_, mean_of(steps[first:]))
    assert averaged._average_state.count == 4 - first


def test_training_does_not_stop_before_averaging_begins(data):
    """The convergence test waits for the average: with a huge ``tol`` it
    would stop after ``n_iter_no_change`` epochs, before epoch 0.5 * 20."""
    X, y = data
    params = dict(hidden_size=3, max_iter=20, tol=1e9, n_iter_no_change=2,
                  random_state=0)
    plain = RNNClassifier(average=False, **params).fit(X, y)
    averaged = RNNClassifier(average=0.5, **params).fit(X, y)
    assert plain.n_iter_ == 4
    assert averaged.n_iter_ == 11 and averaged._average_state.count > 0


def test_prediction_uses_the_average(data):
    X, y = data
    a = RNNClassifier(max_iter=4, average=True, **ONE_STEP_AN_EPOCH).fit(X, y)
    b = RNNClassifier(max_iter=1, **ONE_STEP_AN_EPOCH).fit(X, y)
    b.weights_ = {name: w.copy() for name, w in a.weights_.items()}
    assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=0, atol=1e-12)


def test_partial_fit_continues_the_average_exactly(data):
    X, y = data
    whole = RNNClassifier(max_iter=4, average=True, **ONE_STEP_AN_EPOCH).fit(X, y)
    step = RNNClassifier(max_iter=2, average=True, **ONE_STEP_AN_EPOCH).fit(X, y)
    step.partial_fit(X, y)
    step.partial_fit(X, y)
    assert_weights_equal(step.weights_, whole.weights_)


def test_warm_start_continues_from_the_trained_weights(data):
    """A warm start goes on from the trained (not the averaged) weights,
    and its updates join the same average: plain SGD, whose optimizer has
    no state, makes two warm fits of 2 epochs equal one of 4."""
    X, y = data
    sgd = dict(solver="sgd", momentum=0, learning_rate=0.1)
    whole = RNNClassifier(max_iter=4, average=True, **ONE_STEP_AN_EPOCH, **sgd)
    whole.fit(X, y)
    warm = RNNClassifier(max_iter=2, average=True, warm_start=True,
                         **ONE_STEP_AN_EPOCH, **sgd).fit(X, y)
    warm.fit(X, y)
    assert_weights_equal(warm.weights_, whole.weights_)
    assert warm._average_state.count == 4


def test_early_stopping_judges_and_keeps_the_average(data, monkeypatch):
    """The validation score of each epoch is that of the averaged weights,
    and the kept weights are the average at the best epoch."""
    import skrnn._sequence_to_one as module

    X, y = data
    scored = []
    original = module._inference.predict

    def recording(network, params, sequences, indices=None):
        scored.append({name: value.copy() for name, value in params.items()})
        return original(network, params, sequences, indices)

    monkeypatch.setattr(module._inference, "predict", recording)
    clf = RNNClassifier(hidden_size=3, average=True, early_stopping=True, max_iter=6,
                        n_iter_no_change=100, random_state=0, learning_rate=0.05)
    clf.fit(X, y)
    best = int(np.argmax(clf.validation_scores_))
    # the first scored weights of each epoch are the running average there
    per_epoch = scored[: len(clf.validation_scores_)]
    assert_weights_equal(clf.weights_, per_epoch[best])


@pytest.mark.parametrize("Estimator", [RNNRegressor, RNNLanguageModel])
def test_every_estimator_averages(Estimator):
    sentences, labels = make_questions(60, random_state=0)
    X = OneHotSequenceTransformer().fit_transform(sentences)
    y = None if Estimator is RNNLanguageModel else (labels == "question") * 1.0
    plain = Estimator(hidden_size=3, max_iter=3, random_state=0).fit(X, y)
    averaged = Estimator(hidden_size=3, max_iter=3, average=True, random_state=0)
    averaged.fit(X, y)
    assert averaged._average_state.count > 1
    # averaging leaves training as it was, and predicts with other weights
    assert_allclose(averaged.loss_curve_, plain.loss_curve_, rtol=0, atol=0)
    assert np.abs(plain.weights_["weight_out"] - averaged.weights_["weight_out"]).max() > 0


@pytest.mark.parametrize(
    "average", [-1, 0.0, 1.0, 1.5, "yes", None], ids=str
)
def test_bad_average_is_refused_before_any_work(data, average):
    X, y = data
    clf = RNNClassifier(max_iter=1, **{**ONE_STEP_AN_EPOCH, "random_state": 0}).fit(X, y)
    before, original = pickle.dumps(clf.__dict__), clf.average
    clf.set_params(average=average)
    with pytest.raises(ValueError, match="average"):
        clf.partial_fit(X, y)
    clf.set_params(average=original)
    assert pickle.dumps(clf.__dict__) == before


def test_lbfgs_refuses_average(data):
    X, y = data
    with pytest.raises(ValueError, match="average=True .* L-BFGS"):
        RNNClassifier(solver="lbfgs", average=True).fit(X, y)


@pytest.mark.parametrize("Estimator", [RNNClassifier, RNNRegressor])
def test_auto_average_is_the_second_half_for_stochastic_solvers(data, Estimator):
    X, y = data
    auto = Estimator(max_iter=6, average="auto", **ONE_STEP_AN_EPOCH).fit(X, y)
    half = Estimator(max_iter=6, average=0.5, **ONE_STEP_AN_EPOCH).fit(X, y)
    plain = Estimator(max_iter=6, **{**ONE_STEP_AN_EPOCH, "average": False}).fit(X, y)
    assert auto._average_state.count == 3
    assert_weights_equal(auto.weights_, half.weights_, atol=0)
    assert np.abs(auto.weights_["weight_out"] - plain.weights_["weight_out"]).max() > 0


@pytest.mark.parametrize("params", [
    {"solver": "lbfgs"}, {"early_stopping": True, "n_iter_no_change": 2},
], ids=["lbfgs", "early_stopping"])
def test_auto_average_is_off_for_lbfgs_and_early_stopping(data, params):
    X, y = data
    common = dict(hidden_size=3, max_iter=20, random_state=0, **params)
    auto = RNNClassifier(average="auto", **common).fit(X, y)
    plain = RNNClassifier(average=False, **common).fit(X, y)
    assert auto._average_state is None
    assert auto.n_iter_ == plain.n_iter_
    if "early_stopping" in params:  # it ends before 0.5 could begin (epoch 10)
        assert auto.n_iter_ < 10
    assert_weights_equal(auto.weights_, plain.weights_, atol=0)


@pytest.mark.slow
def test_check_estimator_with_averaging():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_estimator(RNNClassifier(hidden_size=8, average=0.5, random_state=0))
